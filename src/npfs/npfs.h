/*
 * npfs.h — the named-pipe file system driver.
 *
 * npfs owns \Device\NamedPipe.  It is written as a Windows file system
 * driver is: a DRIVER_OBJECT whose MajorFunction[] table receives IRPs,
 * file objects whose FsContext names the driver's structures, and the I/O
 * manager's routines to learn who asked (IoGetRequestorProcessId,
 * IoGetRequestorSessionId) and to finish requests (IoCompleteRequest).
 * It never sees sockets, channels or client memory.
 *
 * Structures, after NT's npfs:
 *   VCB   the volume: every pipe, and the FSCTL_PIPE_WAIT waiters;
 *   DCB   the root directory \ (a handle to it is how WaitNamedPipe asks);
 *   FCB   one per pipe name: type, configuration, limits, its instances;
 *   CCB   one per instance: state, both ends, two data queues.
 * A pipe-end file object has FsContext = its CCB and FsContext2 = its end
 * (FILE_PIPE_CLIENT_END or FILE_PIPE_SERVER_END).  A client end that the
 * server disconnected has FsContext = NULL: every later request on it
 * fails with STATUS_PIPE_DISCONNECTED.
 *
 * Data queues: DataQueue[FILE_PIPE_INBOUND] carries client -> server,
 * DataQueue[FILE_PIPE_OUTBOUND] server -> client.  The queues sit behind
 * the narrow interface of dataq.c, so that a later version can keep the
 * bytes in memory shared by the two ends.
 */
#ifndef NPIPE_NPFS_H
#define NPIPE_NPFS_H

#include <stdbool.h>
#include <sys/types.h>
#include <npipe/ntifs.h>

#define NPFS_NTC_VCB 1
#define NPFS_NTC_ROOT_DCB 2
#define NPFS_NTC_FCB 4
#define NPFS_NTC_CCB 6

/* The longest name below \Device\NamedPipe, leading backslash included:
 * Windows limits the whole \\.\pipe\NAME string to 256 characters. */
#define NPFS_MAX_NAME_CHARS 248

/* ---- Data queues (dataq.c) ----------------------------------------------- */

typedef struct _NP_DATA_QUEUE {
    LIST_ENTRY Entries;   /* NP_DATA_ENTRY, oldest first */
    LIST_ENTRY Readers;   /* pending read IRPs, oldest first */
    LIST_ENTRY Flushers;  /* pending FlushFileBuffers of the writing end */
    ULONG Quota;          /* bytes the writer may have buffered */
    ULONG QuotaUsed;
    ULONG BytesInQueue;   /* unread bytes, including those of stalled writes */
    ULONG EntriesInQueue;
    BOOLEAN MessageType;  /* the pipe's type: entries are messages */
} NP_DATA_QUEUE, *PNP_DATA_QUEUE;

VOID NpInitializeDataQueue(PNP_DATA_QUEUE Queue, ULONG Quota, BOOLEAN MessageType);
/* Appends a write.  STATUS_SUCCESS: done, *Written set.  STATUS_PENDING: the
 * write exceeds the quota and Irp now waits in the queue, its bytes already
 * visible to readers; it completes when they are read or fit the quota.
 * Nowait writers never pend: they write what fits, as Windows does. */
NTSTATUS NpWriteDataQueue(PNP_DATA_QUEUE Queue, const void *Data, ULONG Length,
                          PIRP Irp, BOOLEAN Nowait, PULONG Written,
                          PLIST_ENTRY Deferred);
/* Reads (or peeks) into Buffer.  STATUS_BUFFER_OVERFLOW: a message did not
 * fit; the rest stays for the next read. */
NTSTATUS NpReadDataQueue(PNP_DATA_QUEUE Queue, PVOID Buffer, ULONG Length,
                         BOOLEAN MessageMode, BOOLEAN Peek, PULONG Read,
                         PLIST_ENTRY Deferred);
VOID NpAddDataQueueReader(PNP_DATA_QUEUE Queue, PIRP Irp, PVOID Buffer,
                          ULONG Length, BOOLEAN MessageMode);
VOID NpAddDataQueueFlusher(PNP_DATA_QUEUE Queue, PIRP Irp);
/* Completes pending reads that the data now in the queue satisfies. */
VOID NpSatisfyDataQueueReaders(PNP_DATA_QUEUE Queue, PLIST_ENTRY Deferred);
/* Discards every byte and finishes every pending IRP with Status. */
VOID NpFlushDataQueue(PNP_DATA_QUEUE Queue, NTSTATUS Status, PLIST_ENTRY Deferred);
/* Finishes pending reads with Status (the writer is gone, say). */
VOID NpFailDataQueueReaders(PNP_DATA_QUEUE Queue, NTSTATUS Status, PLIST_ENTRY Deferred);
/* A pending IRP of this queue is cancelled; a stalled write takes its unread
 * bytes with it. */
VOID NpCancelDataQueueIrp(PNP_DATA_QUEUE Queue, PIRP Irp, PLIST_ENTRY Deferred);
BOOLEAN NpDataQueueHasReaders(const NP_DATA_QUEUE *Queue);
ULONG NpDataQueueReadable(const NP_DATA_QUEUE *Queue);
ULONG NpDataQueueMessages(const NP_DATA_QUEUE *Queue);
ULONG NpDataQueueFirstMessageLeft(const NP_DATA_QUEUE *Queue);
ULONG NpDataQueueWriteQuotaAvailable(const NP_DATA_QUEUE *Queue);

/* ---- Structures ---------------------------------------------------------- */

typedef struct _NP_PEER {
    ULONG ProcessId;
    ULONG SessionId;
    uid_t Uid;
} NP_PEER;

typedef struct _NP_VCB {
    CSHORT NodeType;
    LIST_ENTRY FcbList;
    LIST_ENTRY WaitList; /* FSCTL_PIPE_WAIT IRPs */
    ULONG PipeCount;
} NP_VCB, *PNP_VCB;

typedef struct _NP_DCB {
    CSHORT NodeType;
    PNP_VCB Vcb;
} NP_DCB, *PNP_DCB;

typedef struct _NP_FCB {
    CSHORT NodeType;
    LIST_ENTRY VcbLink;
    UNICODE_STRING Name; /* "\name", as its creator spelled it */
    ULONG NamedPipeType;
    ULONG Configuration; /* FILE_PIPE_INBOUND / OUTBOUND / FULL_DUPLEX */
    ULONG MaximumInstances;
    ULONG CurrentInstances;
    ULONG ServerOpenCount;
    LONGLONG DefaultTimeout; /* relative, 100 ns units (negative) */
    uid_t OwnerUid;
    ULONG DirectoryIndex; /* its FileIndex in the root directory (dirctl.c) */
    LIST_ENTRY CcbList;
    LIST_ENTRY ListenQueue; /* instances in the order they began listening */
} NP_FCB, *PNP_FCB;

typedef struct _NP_CCB {
    CSHORT NodeType;
    LIST_ENTRY FcbLink;
    LIST_ENTRY ListenLink; /* in Fcb->ListenQueue while LISTENING */
    PNP_FCB Fcb;
    ULONG NamedPipeState;
    ULONG ReadMode[2];       /* indexed by end */
    ULONG CompletionMode[2]; /* indexed by end */
    PFILE_OBJECT FileObject[2];
    NP_DATA_QUEUE DataQueue[2]; /* indexed by FILE_PIPE_INBOUND / OUTBOUND */
    LIST_ENTRY ListenIrps;
    NP_PEER Server;
    NP_PEER Client;
    BOOLEAN ClientKnown;
    ULONG InstanceId; /* for listings and events (dirctl.c) */
} NP_CCB, *PNP_CCB;

extern PNP_VCB NpVcb;

/* The queue an end reads from and the one it writes to. */
static inline PNP_DATA_QUEUE NpReadQueue(PNP_CCB Ccb, ULONG End)
{
    return &Ccb->DataQueue[End == FILE_PIPE_SERVER_END ? FILE_PIPE_INBOUND
                                                       : FILE_PIPE_OUTBOUND];
}
static inline PNP_DATA_QUEUE NpWriteQueue(PNP_CCB Ccb, ULONG End)
{
    return &Ccb->DataQueue[End == FILE_PIPE_SERVER_END ? FILE_PIPE_OUTBOUND
                                                       : FILE_PIPE_INBOUND];
}

/* driver.c */
CSHORT NpDecodeFileObject(PFILE_OBJECT FileObject, PVOID *Node, PULONG End);
VOID NpCompleteDeferred(PLIST_ENTRY Deferred);
VOID NpDeferCompletion(PLIST_ENTRY Deferred, PIRP Irp, NTSTATUS Status,
                       ULONG_PTR Information);
NTSTATUS NpCompleteNow(PIRP Irp, NTSTATUS Status, ULONG_PTR Information);
PNP_FCB NpFindFcb(PCUNICODE_STRING Name);
DRIVER_INITIALIZE NpDriverEntry;
/* stats.c: how many pipe names and instances exist (for the broker's
 * statistics, through io_driver_counters). */
VOID NpQueryCounters(PULONG Pipes, PULONG Instances);
PVOID NpRootDcbContext(void);

/* read.c */
NTSTATUS NpDecodeDataRequest(PIRP Irp, BOOLEAN Writing, PNP_CCB *Ccb, PULONG End);

/* state.c: the instance state machine */
VOID NpSetConnectedPipeState(PNP_CCB Ccb, PFILE_OBJECT ClientFileObject,
                             const NP_PEER *Client, PLIST_ENTRY Deferred);
NTSTATUS NpSetListeningPipeState(PNP_CCB Ccb, PIRP Irp, PLIST_ENTRY Deferred);
NTSTATUS NpSetDisconnectedPipeState(PNP_CCB Ccb, PLIST_ENTRY Deferred);
VOID NpSetClosingPipeState(PNP_CCB Ccb, ULONG End, PLIST_ENTRY Deferred);
VOID NpDeleteCcb(PNP_CCB Ccb, PLIST_ENTRY Deferred);

/* waitq.c: FSCTL_PIPE_WAIT */
NTSTATUS NpAddWaiter(PIRP Irp, PCUNICODE_STRING Name, LONGLONG Timeout);
VOID NpWakeWaiters(PCUNICODE_STRING Name, NTSTATUS Status, PLIST_ENTRY Deferred);

/* dirctl.c: the root directory's listing and change notification, and the
 * pipe events npfs reports to it.  NpReportPipeEvent is called where an
 * instance is created, opened by a client, connected by its server,
 * disconnected, and where an end closes (before cleanup changes the
 * state); End is the end that acted, Irp the IRP that asked (its requestor
 * is who did it; cleanup IRPs have none, so the end's recorded process is
 * used).  It never blocks: a notification that completes goes on Deferred. */
VOID NpReportPipeEvent(ULONG Action, PNP_CCB Ccb, ULONG End, PIRP Irp,
                       PLIST_ENTRY Deferred);
/* A root directory handle's last handle closed: fails its pending change
 * notifications with STATUS_NOTIFY_CLEANUP and frees its state. */
VOID NpCleanupRootDirectory(PFILE_OBJECT FileObject, PLIST_ENTRY Deferred);

/* The dispatch routines, one file each. */
DRIVER_DISPATCH NpFsdCreate;
DRIVER_DISPATCH NpFsdCreateNamedPipe;
DRIVER_DISPATCH NpFsdRead;
DRIVER_DISPATCH NpFsdWrite;
DRIVER_DISPATCH NpFsdFlushBuffers;
DRIVER_DISPATCH NpFsdFileSystemControl;
DRIVER_DISPATCH NpFsdQueryInformation;
DRIVER_DISPATCH NpFsdSetInformation;
DRIVER_DISPATCH NpFsdCleanup;
DRIVER_DISPATCH NpFsdDirectoryControl;
DRIVER_DISPATCH NpFsdClose;

#endif /* NPIPE_NPFS_H */
