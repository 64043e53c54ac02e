/*
 * directory.c — the native calls on directories: NtQueryDirectoryFile and
 * NtNotifyChangeDirectoryFile[Ex].  npipe's one directory is the pipe root
 * (\??\pipe\, that is \Device\NamedPipe\), whose entries are the pipes;
 * npfs answers both calls with IRP_MJ_DIRECTORY_CONTROL (src/npfs/dirctl.c).
 *
 * The conventions of file.c apply: NULL pointers where ntdll would fault
 * are STATUS_ACCESS_VIOLATION, the IO_STATUS_BLOCK is filled unless the
 * status is an error, and every call completes before it returns — a
 * change notification waits here until something changes (an Event or an
 * APC routine is not supported yet and is ignored, as elsewhere).
 */
#include "channel/channel.h"

#include <npipe/windows.h>
#include <npipe/winternl.h>

static NTSTATUS finish(const struct np_result *res, PIO_STATUS_BLOCK iosb)
{
    if (np_status_writes_iosb(res->status)) {
        iosb->Status = res->status;
        iosb->Information = (ULONG_PTR)res->information;
    }
    return res->status;
}

NPIPE_API NTSTATUS NTAPI NtQueryDirectoryFile(HANDLE FileHandle, HANDLE Event,
                                              PIO_APC_ROUTINE ApcRoutine,
                                              PVOID ApcContext,
                                              PIO_STATUS_BLOCK IoStatusBlock,
                                              PVOID FileInformation, ULONG Length,
                                              FILE_INFORMATION_CLASS FileInformationClass,
                                              BOOLEAN ReturnSingleEntry,
                                              PUNICODE_STRING FileName,
                                              BOOLEAN RestartScan)
{
    (void)Event;
    (void)ApcRoutine;
    (void)ApcContext;
    if (!IoStatusBlock || (!FileInformation && Length))
        return STATUS_ACCESS_VIOLATION;
    if (FileName && FileName->Length && !FileName->Buffer)
        return STATUS_ACCESS_VIOLATION;
    if (FileName && ((FileName->Length & 1) || FileName->Length > NP_MAX_NAME_BYTES))
        return STATUS_OBJECT_NAME_INVALID;
    union np_args args = {.directory = {
        .info_class = (uint32_t)FileInformationClass,
        .flags = (ReturnSingleEntry ? NP_DIR_SINGLE_ENTRY : 0) |
                 (RestartScan ? NP_DIR_RESTART_SCAN : 0) |
                 (FileName ? NP_DIR_NAME : 0),
    }};
    uint32_t out_len = Length > NP_MAX_TRANSFER ? NP_MAX_TRANSFER : Length;
    struct np_result res;
    np_call(NP_OP_QUERY_DIRECTORY, FileHandle, &args,
            FileName ? FileName->Buffer : NULL, FileName ? FileName->Length : 0,
            FileInformation, out_len, &res);
    return finish(&res, IoStatusBlock);
}

NPIPE_API NTSTATUS NTAPI NtNotifyChangeDirectoryFileEx(
    HANDLE FileHandle, HANDLE Event, PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
    PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
    ULONG CompletionFilter, BOOLEAN WatchTree,
    DIRECTORY_NOTIFY_INFORMATION_CLASS DirectoryNotifyInformationClass)
{
    (void)Event;
    (void)ApcRoutine;
    (void)ApcContext;
    if (!IoStatusBlock || (!Buffer && Length))
        return STATUS_ACCESS_VIOLATION;
    union np_args args = {.directory = {
        .info_class = (uint32_t)DirectoryNotifyInformationClass,
        .flags = WatchTree ? NP_DIR_WATCH_TREE : 0,
        .completion_filter = CompletionFilter,
    }};
    uint32_t out_len = Length > NP_MAX_TRANSFER ? NP_MAX_TRANSFER : Length;
    struct np_result res;
    np_call(NP_OP_NOTIFY_DIRECTORY, FileHandle, &args, NULL, 0, Buffer, out_len,
            &res);
    return finish(&res, IoStatusBlock);
}

NPIPE_API NTSTATUS NTAPI NtNotifyChangeDirectoryFile(HANDLE FileHandle, HANDLE Event,
                                                     PIO_APC_ROUTINE ApcRoutine,
                                                     PVOID ApcContext,
                                                     PIO_STATUS_BLOCK IoStatusBlock,
                                                     PVOID Buffer, ULONG Length,
                                                     ULONG CompletionFilter,
                                                     BOOLEAN WatchTree)
{
    return NtNotifyChangeDirectoryFileEx(FileHandle, Event, ApcRoutine, ApcContext,
                                         IoStatusBlock, Buffer, Length,
                                         CompletionFilter, WatchTree,
                                         DirectoryNotifyInformation);
}
