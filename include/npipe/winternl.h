/*
 * winternl.h — the NT native API under npipe's Win32 layer.
 *
 * The Nt* calls take OBJECT_ATTRIBUTES and IO_STATUS_BLOCK and answer with
 * an NTSTATUS, exactly as ntdll's do; RtlNtStatusToDosError turns a status
 * into the Win32 error the kernel32 layer reports.  The pipe information
 * classes, FSCTL codes and pipe buffers have Windows' layouts and values.
 */
#ifndef NPIPE_WINTERNL_H
#define NPIPE_WINTERNL_H

#include "windef.h"
#include "ntstatus.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _IO_STATUS_BLOCK {
    union {
        NTSTATUS Status;
        PVOID Pointer;
    };
    ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

typedef VOID(NTAPI *PIO_APC_ROUTINE)(PVOID ApcContext,
                                     PIO_STATUS_BLOCK IoStatusBlock,
                                     ULONG Reserved);

typedef struct _OBJECT_ATTRIBUTES {
    ULONG Length;
    HANDLE RootDirectory;
    PUNICODE_STRING ObjectName;
    ULONG Attributes;
    PVOID SecurityDescriptor;
    PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;

#define OBJ_INHERIT 0x00000002L
#define OBJ_PERMANENT 0x00000010L
#define OBJ_EXCLUSIVE 0x00000020L
#define OBJ_CASE_INSENSITIVE 0x00000040L
#define OBJ_OPENIF 0x00000080L
#define OBJ_OPENLINK 0x00000100L
#define OBJ_KERNEL_HANDLE 0x00000200L
#define OBJ_VALID_ATTRIBUTES 0x000003F2L

#define InitializeObjectAttributes(p, n, a, r, s)                              \
    do {                                                                       \
        (p)->Length = sizeof(OBJECT_ATTRIBUTES);                               \
        (p)->RootDirectory = (r);                                              \
        (p)->Attributes = (a);                                                 \
        (p)->ObjectName = (n);                                                 \
        (p)->SecurityDescriptor = (s);                                         \
        (p)->SecurityQualityOfService = NULL;                                  \
    } while (0)

/* Create dispositions and their results (IO_STATUS_BLOCK.Information). */
#define FILE_SUPERSEDE 0x00000000
#define FILE_OPEN 0x00000001
#define FILE_CREATE 0x00000002
#define FILE_OPEN_IF 0x00000003
#define FILE_OVERWRITE 0x00000004
#define FILE_OVERWRITE_IF 0x00000005
#define FILE_MAXIMUM_DISPOSITION 0x00000005

#define FILE_SUPERSEDED 0x00000000
#define FILE_OPENED 0x00000001
#define FILE_CREATED 0x00000002
#define FILE_OVERWRITTEN 0x00000003
#define FILE_EXISTS 0x00000004
#define FILE_DOES_NOT_EXIST 0x00000005

/* Create options. */
#define FILE_DIRECTORY_FILE 0x00000001
#define FILE_WRITE_THROUGH 0x00000002
#define FILE_SEQUENTIAL_ONLY 0x00000004
#define FILE_NO_INTERMEDIATE_BUFFERING 0x00000008
#define FILE_SYNCHRONOUS_IO_ALERT 0x00000010
#define FILE_SYNCHRONOUS_IO_NONALERT 0x00000020
#define FILE_NON_DIRECTORY_FILE 0x00000040

/* Information classes npipe implements (values are Windows'). */
typedef enum _FILE_INFORMATION_CLASS {
    FileDirectoryInformation = 1,
    FileFullDirectoryInformation = 2,
    FileBothDirectoryInformation = 3,
    FileBasicInformation = 4,
    FileStandardInformation = 5,
    FileInternalInformation = 6,
    FileEaInformation = 7,
    FileAccessInformation = 8,
    FileNameInformation = 9,
    FileNamesInformation = 12,
    FilePositionInformation = 14,
    FileModeInformation = 16,
    FileAlignmentInformation = 17,
    FileAllInformation = 18,
    FilePipeInformation = 23,
    FilePipeLocalInformation = 24,
    FilePipeRemoteInformation = 25,
    FileMaximumInformation = 76
} FILE_INFORMATION_CLASS,
    *PFILE_INFORMATION_CLASS;

/* Named pipe values of NtCreateNamedPipeFile and the information classes. */
#define FILE_PIPE_BYTE_STREAM_TYPE 0x00000000
#define FILE_PIPE_MESSAGE_TYPE 0x00000001
#define FILE_PIPE_ACCEPT_REMOTE_CLIENTS 0x00000000
#define FILE_PIPE_REJECT_REMOTE_CLIENTS 0x00000002
#define FILE_PIPE_TYPE_VALID_MASK 0x00000003

#define FILE_PIPE_BYTE_STREAM_MODE 0x00000000
#define FILE_PIPE_MESSAGE_MODE 0x00000001

#define FILE_PIPE_QUEUE_OPERATION 0x00000000
#define FILE_PIPE_COMPLETE_OPERATION 0x00000001

#define FILE_PIPE_INBOUND 0x00000000
#define FILE_PIPE_OUTBOUND 0x00000001
#define FILE_PIPE_FULL_DUPLEX 0x00000002

#define FILE_PIPE_DISCONNECTED_STATE 0x00000001
#define FILE_PIPE_LISTENING_STATE 0x00000002
#define FILE_PIPE_CONNECTED_STATE 0x00000003
#define FILE_PIPE_CLOSING_STATE 0x00000004

#define FILE_PIPE_CLIENT_END 0x00000000
#define FILE_PIPE_SERVER_END 0x00000001

typedef struct _FILE_PIPE_INFORMATION {
    ULONG ReadMode;
    ULONG CompletionMode;
} FILE_PIPE_INFORMATION, *PFILE_PIPE_INFORMATION;

typedef struct _FILE_PIPE_LOCAL_INFORMATION {
    ULONG NamedPipeType;
    ULONG NamedPipeConfiguration;
    ULONG MaximumInstances;
    ULONG CurrentInstances;
    ULONG InboundQuota;
    ULONG ReadDataAvailable;
    ULONG OutboundQuota;
    ULONG WriteQuotaAvailable;
    ULONG NamedPipeState;
    ULONG NamedPipeEnd;
} FILE_PIPE_LOCAL_INFORMATION, *PFILE_PIPE_LOCAL_INFORMATION;

typedef struct _FILE_PIPE_REMOTE_INFORMATION {
    LARGE_INTEGER CollectDataTime;
    ULONG MaximumCollectionCount;
} FILE_PIPE_REMOTE_INFORMATION, *PFILE_PIPE_REMOTE_INFORMATION;

typedef struct _FILE_PIPE_PEEK_BUFFER {
    ULONG NamedPipeState;
    ULONG ReadDataAvailable;
    ULONG NumberOfMessages;
    ULONG MessageLength;
    CHAR Data[1];
} FILE_PIPE_PEEK_BUFFER, *PFILE_PIPE_PEEK_BUFFER;

typedef struct _FILE_PIPE_WAIT_FOR_BUFFER {
    LARGE_INTEGER Timeout;
    ULONG NameLength; /* bytes */
    BOOLEAN TimeoutSpecified;
    WCHAR Name[1];
} FILE_PIPE_WAIT_FOR_BUFFER, *PFILE_PIPE_WAIT_FOR_BUFFER;

typedef struct _FILE_BASIC_INFORMATION {
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    ULONG FileAttributes;
} FILE_BASIC_INFORMATION, *PFILE_BASIC_INFORMATION;

typedef struct _FILE_STANDARD_INFORMATION {
    LARGE_INTEGER AllocationSize;
    LARGE_INTEGER EndOfFile;
    ULONG NumberOfLinks;
    BOOLEAN DeletePending;
    BOOLEAN Directory;
} FILE_STANDARD_INFORMATION, *PFILE_STANDARD_INFORMATION;

typedef struct _FILE_NAME_INFORMATION {
    ULONG FileNameLength; /* bytes */
    WCHAR FileName[1];
} FILE_NAME_INFORMATION, *PFILE_NAME_INFORMATION;

/* Device types and control codes. */
typedef ULONG DEVICE_TYPE;
#define FILE_DEVICE_NAMED_PIPE 0x00000011
#define METHOD_BUFFERED 0
#define METHOD_IN_DIRECT 1
#define METHOD_OUT_DIRECT 2
#define METHOD_NEITHER 3
#define FILE_ANY_ACCESS 0
#define FILE_SPECIAL_ACCESS FILE_ANY_ACCESS
#define FILE_READ_ACCESS 0x0001
#define FILE_WRITE_ACCESS 0x0002
#define CTL_CODE(DeviceType, Function, Method, Access)                        \
    (((DeviceType) << 16) | ((Access) << 14) | ((Function) << 2) | (Method))

#define FSCTL_PIPE_ASSIGN_EVENT CTL_CODE(FILE_DEVICE_NAMED_PIPE, 0, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_DISCONNECT CTL_CODE(FILE_DEVICE_NAMED_PIPE, 1, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_LISTEN CTL_CODE(FILE_DEVICE_NAMED_PIPE, 2, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_PEEK CTL_CODE(FILE_DEVICE_NAMED_PIPE, 3, METHOD_BUFFERED, FILE_READ_ACCESS)
#define FSCTL_PIPE_QUERY_EVENT CTL_CODE(FILE_DEVICE_NAMED_PIPE, 4, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_TRANSCEIVE CTL_CODE(FILE_DEVICE_NAMED_PIPE, 5, METHOD_NEITHER, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define FSCTL_PIPE_WAIT CTL_CODE(FILE_DEVICE_NAMED_PIPE, 6, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_IMPERSONATE CTL_CODE(FILE_DEVICE_NAMED_PIPE, 7, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_SET_CLIENT_PROCESS CTL_CODE(FILE_DEVICE_NAMED_PIPE, 8, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_QUERY_CLIENT_PROCESS CTL_CODE(FILE_DEVICE_NAMED_PIPE, 9, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_GET_PIPE_ATTRIBUTE CTL_CODE(FILE_DEVICE_NAMED_PIPE, 10, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_SET_PIPE_ATTRIBUTE CTL_CODE(FILE_DEVICE_NAMED_PIPE, 11, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE CTL_CODE(FILE_DEVICE_NAMED_PIPE, 12, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_SET_CONNECTION_ATTRIBUTE CTL_CODE(FILE_DEVICE_NAMED_PIPE, 13, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_GET_HANDLE_ATTRIBUTE CTL_CODE(FILE_DEVICE_NAMED_PIPE, 14, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_SET_HANDLE_ATTRIBUTE CTL_CODE(FILE_DEVICE_NAMED_PIPE, 15, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define FSCTL_PIPE_FLUSH CTL_CODE(FILE_DEVICE_NAMED_PIPE, 16, METHOD_BUFFERED, FILE_WRITE_ACCESS)


/* ---- Directories -------------------------------------------------------
 * The pipe root, \\.\pipe\ (\Device\NamedPipe\), is a directory whose
 * entries are the pipes: NtQueryDirectoryFile lists them as Windows' npfs
 * does, with EndOfFile = the pipe's current instances and AllocationSize =
 * its maximum instances (0xFFFFFFFF: unlimited), no times, and
 * FILE_ATTRIBUTE_NORMAL.  Names are relative to the root ("foo", not
 * "\foo"); entries come in the order the pipes were created. */
typedef struct _FILE_DIRECTORY_INFORMATION {
    ULONG NextEntryOffset; /* bytes to the next entry; 0 in the last */
    ULONG FileIndex;
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    LARGE_INTEGER EndOfFile;      /* a pipe: its current instances */
    LARGE_INTEGER AllocationSize; /* a pipe: its maximum instances */
    ULONG FileAttributes;
    ULONG FileNameLength; /* bytes */
    WCHAR FileName[1];
} FILE_DIRECTORY_INFORMATION, *PFILE_DIRECTORY_INFORMATION;

typedef struct _FILE_FULL_DIR_INFORMATION {
    ULONG NextEntryOffset;
    ULONG FileIndex;
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    LARGE_INTEGER EndOfFile;
    LARGE_INTEGER AllocationSize;
    ULONG FileAttributes;
    ULONG FileNameLength;
    ULONG EaSize;
    WCHAR FileName[1];
} FILE_FULL_DIR_INFORMATION, *PFILE_FULL_DIR_INFORMATION;

typedef struct _FILE_BOTH_DIR_INFORMATION {
    ULONG NextEntryOffset;
    ULONG FileIndex;
    LARGE_INTEGER CreationTime;
    LARGE_INTEGER LastAccessTime;
    LARGE_INTEGER LastWriteTime;
    LARGE_INTEGER ChangeTime;
    LARGE_INTEGER EndOfFile;
    LARGE_INTEGER AllocationSize;
    ULONG FileAttributes;
    ULONG FileNameLength;
    ULONG EaSize;
    CCHAR ShortNameLength;
    WCHAR ShortName[12];
    WCHAR FileName[1];
} FILE_BOTH_DIR_INFORMATION, *PFILE_BOTH_DIR_INFORMATION;

typedef struct _FILE_NAMES_INFORMATION {
    ULONG NextEntryOffset;
    ULONG FileIndex;
    ULONG FileNameLength;
    WCHAR FileName[1];
} FILE_NAMES_INFORMATION, *PFILE_NAMES_INFORMATION;

_Static_assert(offsetof(FILE_DIRECTORY_INFORMATION, FileName) == 64, "Windows layout");
_Static_assert(offsetof(FILE_FULL_DIR_INFORMATION, FileName) == 68, "Windows layout");
_Static_assert(offsetof(FILE_BOTH_DIR_INFORMATION, FileName) == 94, "Windows layout");
_Static_assert(offsetof(FILE_NAMES_INFORMATION, FileName) == 12, "Windows layout");

/* Change notification on a directory (NtNotifyChangeDirectoryFile[Ex]). */
typedef enum _DIRECTORY_NOTIFY_INFORMATION_CLASS {
    DirectoryNotifyInformation = 1,
    DirectoryNotifyExtendedInformation = 2
} DIRECTORY_NOTIFY_INFORMATION_CLASS,
    *PDIRECTORY_NOTIFY_INFORMATION_CLASS;

#define FILE_NOTIFY_CHANGE_FILE_NAME 0x00000001
#define FILE_NOTIFY_CHANGE_DIR_NAME 0x00000002
#define FILE_NOTIFY_CHANGE_ATTRIBUTES 0x00000004
#define FILE_NOTIFY_CHANGE_SIZE 0x00000008
#define FILE_NOTIFY_CHANGE_LAST_WRITE 0x00000010
#define FILE_NOTIFY_CHANGE_LAST_ACCESS 0x00000020
#define FILE_NOTIFY_CHANGE_CREATION 0x00000040
#define FILE_NOTIFY_CHANGE_EA 0x00000080
#define FILE_NOTIFY_CHANGE_SECURITY 0x00000100
#define FILE_NOTIFY_CHANGE_STREAM_NAME 0x00000200
#define FILE_NOTIFY_CHANGE_STREAM_SIZE 0x00000400
#define FILE_NOTIFY_CHANGE_STREAM_WRITE 0x00000800
#define FILE_NOTIFY_VALID_MASK 0x00000FFF

#define FILE_ACTION_ADDED 0x00000001
#define FILE_ACTION_REMOVED 0x00000002
#define FILE_ACTION_MODIFIED 0x00000003
#define FILE_ACTION_RENAMED_OLD_NAME 0x00000004
#define FILE_ACTION_RENAMED_NEW_NAME 0x00000005

typedef struct _FILE_NOTIFY_INFORMATION {
    ULONG NextEntryOffset;
    ULONG Action;         /* FILE_ACTION_* */
    ULONG FileNameLength; /* bytes */
    WCHAR FileName[1];
} FILE_NOTIFY_INFORMATION, *PFILE_NOTIFY_INFORMATION;

/* ---- npipe's own directory classes ----------------------------------------
 * Not in Windows; values far from Windows' own.  See docs/decisions.md.
 *
 * FileNpipePipeInformation (NtQueryDirectoryFile on the pipe root): one
 * NPIPE_PIPE_INFORMATION per pipe, followed (at InstanceOffset) by one
 * NPIPE_INSTANCE_INFORMATION per instance — its state and who is on each
 * end, as npfs recorded them from IoGetRequestorProcessId /
 * IoGetRequestorSessionId.  Another user's pipe is listed by name only
 * (NPIPE_PIPE_DETAILS_HIDDEN) unless the caller is root.
 *
 * DirectoryNotifyNpipeInformation (NtNotifyChangeDirectoryFileEx on the
 * pipe root): one NPIPE_PIPE_EVENT_INFORMATION per event on a pipe of the
 * caller's user (every pipe, for root), from the first such call on the
 * handle on; CompletionFilter must be nonzero and selects nothing more.
 * If the caller falls behind, events are dropped and the next call
 * returns STATUS_NOTIFY_ENUM_DIR with no data. */
#define FileNpipePipeInformation ((FILE_INFORMATION_CLASS)0x4E50)
#define DirectoryNotifyNpipeInformation ((DIRECTORY_NOTIFY_INFORMATION_CLASS)0x4E50)

#define NPIPE_PIPE_DETAILS_HIDDEN 0x00000001 /* another user's: name only */

typedef struct _NPIPE_PIPE_INFORMATION {
    ULONG NextEntryOffset;
    ULONG FileIndex;
    ULONG Flags;                  /* NPIPE_PIPE_* */
    ULONG OwnerUid;               /* the creator's uid; (ULONG)-1 if hidden */
    ULONG NamedPipeType;          /* FILE_PIPE_BYTE_STREAM_TYPE / MESSAGE_TYPE */
    ULONG NamedPipeConfiguration; /* FILE_PIPE_INBOUND / OUTBOUND / FULL_DUPLEX */
    ULONG MaximumInstances;       /* 0xFFFFFFFF: unlimited */
    ULONG CurrentInstances;
    ULONG InstanceCount;          /* NPIPE_INSTANCE_INFORMATION entries */
    ULONG InstanceOffset;         /* from the start of this entry (8-aligned) */
    ULONG Reserved;
    ULONG FileNameLength;         /* bytes */
    WCHAR FileName[1];
} NPIPE_PIPE_INFORMATION, *PNPIPE_PIPE_INFORMATION;

#define NPIPE_INSTANCE_SERVER_OPEN 0x00000001 /* the server end has a handle */
#define NPIPE_INSTANCE_CLIENT_OPEN 0x00000002 /* the client end has a handle */
#define NPIPE_INSTANCE_CLIENT_KNOWN 0x00000004 /* Client* are valid */

typedef struct _NPIPE_INSTANCE_INFORMATION {
    ULONG InstanceId;      /* unique among the broker's instances */
    ULONG NamedPipeState;  /* FILE_PIPE_*_STATE */
    ULONG Flags;           /* NPIPE_INSTANCE_* */
    ULONG ServerProcessId;
    ULONG ServerSessionId; /* (ULONG)-1 if unknown */
    ULONG ClientProcessId; /* 0 without NPIPE_INSTANCE_CLIENT_KNOWN */
    ULONG ClientSessionId;
    ULONG InboundQuota;
    ULONG OutboundQuota;
    ULONG InboundBytes;    /* unread, client to server */
    ULONG OutboundBytes;   /* unread, server to client */
    ULONG Reserved;
} NPIPE_INSTANCE_INFORMATION, *PNPIPE_INSTANCE_INFORMATION;

#define NPIPE_PIPE_EVENT_CREATED 1      /* a server made an instance */
#define NPIPE_PIPE_EVENT_OPENED 2       /* a client opened (and so connected) */
#define NPIPE_PIPE_EVENT_CONNECTED 3    /* the server's ConnectNamedPipe succeeded */
#define NPIPE_PIPE_EVENT_DISCONNECTED 4 /* the server disconnected its client */
#define NPIPE_PIPE_EVENT_CLOSED 5       /* an end's last handle closed */

typedef struct _NPIPE_PIPE_EVENT_INFORMATION {
    ULONG NextEntryOffset;
    ULONG Action;           /* NPIPE_PIPE_EVENT_* */
    LARGE_INTEGER Time;     /* 100 ns units since 1601-01-01 UTC (FILETIME) */
    ULONG ProcessId;        /* who did it (the requestor; for CLOSED, the
                               process recorded for that end) */
    ULONG SessionId;        /* (ULONG)-1 if unknown */
    ULONG End;              /* FILE_PIPE_SERVER_END or FILE_PIPE_CLIENT_END */
    ULONG NamedPipeState;   /* afterwards; 0 if the instance is gone */
    ULONG CurrentInstances; /* afterwards */
    ULONG MaximumInstances;
    ULONG ServerProcessId;
    ULONG ServerSessionId;
    ULONG ClientProcessId;  /* 0 / (ULONG)-1 if no client is known */
    ULONG ClientSessionId;
    ULONG InstanceId;
    ULONG FileNameLength;   /* bytes */
    WCHAR FileName[1];
} NPIPE_PIPE_EVENT_INFORMATION, *PNPIPE_PIPE_EVENT_INFORMATION;

_Static_assert(offsetof(NPIPE_PIPE_INFORMATION, FileName) == 48, "npipe layout");
_Static_assert(sizeof(NPIPE_INSTANCE_INFORMATION) == 48, "npipe layout");
_Static_assert(offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName) == 64, "npipe layout");

/* ---- The native calls -------------------------------------------------- */
NTSTATUS NTAPI NtCreateNamedPipeFile(
    PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
    POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
    ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions,
    ULONG NamedPipeType, ULONG ReadMode, ULONG CompletionMode,
    ULONG MaximumInstances, ULONG InboundQuota, ULONG OutboundQuota,
    PLARGE_INTEGER DefaultTimeout);
NTSTATUS NTAPI NtCreateFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                            POBJECT_ATTRIBUTES ObjectAttributes,
                            PIO_STATUS_BLOCK IoStatusBlock,
                            PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
                            ULONG ShareAccess, ULONG CreateDisposition,
                            ULONG CreateOptions, PVOID EaBuffer, ULONG EaLength);
NTSTATUS NTAPI NtOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                          POBJECT_ATTRIBUTES ObjectAttributes,
                          PIO_STATUS_BLOCK IoStatusBlock, ULONG ShareAccess,
                          ULONG OpenOptions);
NTSTATUS NTAPI NtReadFile(HANDLE FileHandle, HANDLE Event,
                          PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                          PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                          ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key);
NTSTATUS NTAPI NtWriteFile(HANDLE FileHandle, HANDLE Event,
                           PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                           PIO_STATUS_BLOCK IoStatusBlock, const void *Buffer,
                           ULONG Length, PLARGE_INTEGER ByteOffset, PULONG Key);
NTSTATUS NTAPI NtFlushBuffersFile(HANDLE FileHandle,
                                  PIO_STATUS_BLOCK IoStatusBlock);
NTSTATUS NTAPI NtFsControlFile(HANDLE FileHandle, HANDLE Event,
                               PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                               PIO_STATUS_BLOCK IoStatusBlock,
                               ULONG FsControlCode, PVOID InputBuffer,
                               ULONG InputBufferLength, PVOID OutputBuffer,
                               ULONG OutputBufferLength);
NTSTATUS NTAPI NtQueryInformationFile(HANDLE FileHandle,
                                      PIO_STATUS_BLOCK IoStatusBlock,
                                      PVOID FileInformation, ULONG Length,
                                      FILE_INFORMATION_CLASS FileInformationClass);
NTSTATUS NTAPI NtSetInformationFile(HANDLE FileHandle,
                                    PIO_STATUS_BLOCK IoStatusBlock,
                                    PVOID FileInformation, ULONG Length,
                                    FILE_INFORMATION_CLASS FileInformationClass);
NTSTATUS NTAPI NtClose(HANDLE Handle);
NTSTATUS NTAPI NtDuplicateObject(HANDLE SourceProcessHandle,
                                 HANDLE SourceHandle,
                                 HANDLE TargetProcessHandle,
                                 PHANDLE TargetHandle,
                                 ACCESS_MASK DesiredAccess,
                                 ULONG HandleAttributes, ULONG Options);
ULONG NTAPI RtlNtStatusToDosError(NTSTATUS Status);
/* Directories (the pipe root).  FileName: a pattern with * ? and the DOS
 * wildcards < > " (FsRtlIsNameInExpression's), kept from the first call
 * (or a RestartScan) on the handle; NULL matches everything. */
NTSTATUS NTAPI NtQueryDirectoryFile(HANDLE FileHandle, HANDLE Event,
                                    PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                    PIO_STATUS_BLOCK IoStatusBlock,
                                    PVOID FileInformation, ULONG Length,
                                    FILE_INFORMATION_CLASS FileInformationClass,
                                    BOOLEAN ReturnSingleEntry,
                                    PUNICODE_STRING FileName, BOOLEAN RestartScan);
NTSTATUS NTAPI NtNotifyChangeDirectoryFile(HANDLE FileHandle, HANDLE Event,
                                           PIO_APC_ROUTINE ApcRoutine,
                                           PVOID ApcContext,
                                           PIO_STATUS_BLOCK IoStatusBlock,
                                           PVOID Buffer, ULONG Length,
                                           ULONG CompletionFilter,
                                           BOOLEAN WatchTree);
NTSTATUS NTAPI NtNotifyChangeDirectoryFileEx(
    HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
    PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
    ULONG CompletionFilter, BOOLEAN WatchTree,
    DIRECTORY_NOTIFY_INFORMATION_CLASS DirectoryNotifyInformationClass);

/* npipe's own: the session of a process (ProcessIdToSessionId's source). */
NTSTATUS NTAPI NpQueryProcessSession(ULONG ProcessId, PULONG SessionId);

#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define DUPLICATE_SAME_ATTRIBUTES 0x00000004

#ifdef __cplusplus
}
#endif
#endif /* NPIPE_WINTERNL_H */
