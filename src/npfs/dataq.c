/*
 * dataq.c — a pipe's data queue: one direction of one instance.
 *
 * A queue holds written data as entries (one per write; on a message pipe
 * an entry is a message), pending reads that found nothing, and pending
 * flushes waiting for the reader to drain it.  The quota is the number of
 * unread bytes the writer may have buffered; a blocking write that does
 * not fit waits with its IRP attached to its entry, its bytes already
 * readable, and completes when the reader has made room for the rest or
 * read them.  Cancelling that write takes its unread bytes away again.
 *
 * Everything about bytes and messages is here, behind the interface in
 * npfs.h; the dispatch routines only decide whether a request may touch
 * the queue.  That boundary is where a shared-memory ring will go.
 */
#include "npfs/npfs.h"

#include <stdlib.h>
#include <string.h>

#include "ps/ps.h" /* ps_reference_process: a charge holds its process */

typedef struct _NP_DATA_ENTRY {
    LIST_ENTRY Link;
    PIRP Irp;       /* a stalled write, until its bytes fit or are read */
    ULONG DataSize; /* bytes of the write */
    ULONG Consumed; /* bytes read so far */
    ULONG Charged;  /* unread bytes counted against the quota */
    PEPROCESS QuotaProcess; /* whose pool quota DataSize is charged to */
    UCHAR Data[];
} NP_DATA_ENTRY, *PNP_DATA_ENTRY;

/* IRP DriverContext slots while an IRP waits in a queue. */
#define CTX_BUFFER 0
#define CTX_LENGTH 1
#define CTX_MODE 2
#define CTX_QUEUE 3

static PNP_DATA_ENTRY head_entry(const NP_DATA_QUEUE *q)
{
    return IsListEmpty(&q->Entries) ? NULL
                                    : CONTAINING_RECORD(q->Entries.Flink, NP_DATA_ENTRY, Link);
}

static ULONG unread(const NP_DATA_ENTRY *e) { return e->DataSize - e->Consumed; }

VOID NpInitializeDataQueue(PNP_DATA_QUEUE q, ULONG Quota, BOOLEAN MessageType)
{
    memset(q, 0, sizeof *q);
    InitializeListHead(&q->Entries);
    InitializeListHead(&q->Readers);
    InitializeListHead(&q->Flushers);
    q->Quota = Quota;
    q->MessageType = MessageType;
}

static VOID NpDataQueueCancelRoutine(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    NpCancelDataQueueIrp(Irp->Tail.Overlay.DriverContext[CTX_QUEUE], Irp, &deferred);
    NpCompleteDeferred(&deferred);
}

static void park_irp(PNP_DATA_QUEUE q, PIRP Irp)
{
    Irp->Tail.Overlay.DriverContext[CTX_QUEUE] = q;
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, NpDataQueueCancelRoutine);
}

/* ---- Quota --------------------------------------------------------------- */

static void complete_flushers_if_drained(PNP_DATA_QUEUE q, PLIST_ENTRY deferred)
{
    if (q->EntriesInQueue)
        return;
    while (!IsListEmpty(&q->Flushers)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&q->Flushers), IRP,
                                     Tail.Overlay.ListEntry);
        NpDeferCompletion(deferred, irp, STATUS_SUCCESS, 0);
    }
}

/* Gives free quota to waiting writes, oldest first; a write whose bytes all
 * fit is done. */
static void recharge(PNP_DATA_QUEUE q, PLIST_ENTRY deferred)
{
    ULONG available = q->QuotaUsed < q->Quota ? q->Quota - q->QuotaUsed : 0;
    for (PLIST_ENTRY l = q->Entries.Flink; l != &q->Entries; l = l->Flink) {
        PNP_DATA_ENTRY e = CONTAINING_RECORD(l, NP_DATA_ENTRY, Link);
        ULONG need = unread(e) - e->Charged;
        ULONG give = need < available ? need : available;
        e->Charged += give;
        q->QuotaUsed += give;
        available -= give;
        if (e->Charged < unread(e))
            break; /* later writes wait behind this one */
        if (e->Irp) {
            PIRP irp = e->Irp;
            e->Irp = NULL;
            NpDeferCompletion(deferred, irp, STATUS_SUCCESS, e->DataSize);
        }
    }
}

static void remove_entry(PNP_DATA_QUEUE q, PNP_DATA_ENTRY e)
{
    q->BytesInQueue -= unread(e);
    q->QuotaUsed -= e->Charged;
    q->EntriesInQueue--;
    RemoveEntryList(&e->Link);
    if (e->QuotaProcess) {
        PsReturnProcessPoolQuota(e->QuotaProcess, NonPagedPool, e->DataSize);
        ps_dereference_process(e->QuotaProcess);
    }
    free(e);
}

/* The reader took k bytes of entry e. */
static void consume(PNP_DATA_QUEUE q, PNP_DATA_ENTRY e, ULONG k, PLIST_ENTRY deferred)
{
    e->Consumed += k;
    q->BytesInQueue -= k;
    if (e->Charged > unread(e)) {
        q->QuotaUsed -= e->Charged - unread(e);
        e->Charged = unread(e);
    }
    if (unread(e) == 0) {
        if (e->Irp) /* read before it ever fit: the write is done */
            NpDeferCompletion(deferred, e->Irp, STATUS_SUCCESS, e->DataSize);
        e->Irp = NULL;
        remove_entry(q, e);
    }
}

/* ---- Reading ------------------------------------------------------------- */

NTSTATUS NpReadDataQueue(PNP_DATA_QUEUE q, PVOID Buffer, ULONG Length,
                         BOOLEAN MessageMode, BOOLEAN Peek, PULONG Read,
                         PLIST_ENTRY deferred)
{
    UCHAR *out = Buffer;
    ULONG done = 0;
    NTSTATUS status = STATUS_SUCCESS;
    if (q->MessageType && MessageMode) {
        /* One message, or as much of it as fits. */
        PNP_DATA_ENTRY e = head_entry(q);
        if (e) {
            ULONG n = unread(e) < Length ? unread(e) : Length;
            if (n)
                memcpy(out, e->Data + e->Consumed, n);
            done = n;
            if (n < unread(e))
                status = STATUS_BUFFER_OVERFLOW;
            if (!Peek)
                consume(q, e, n, deferred);
        }
    } else {
        /* A byte stream: whatever is there, across writes and messages. */
        PLIST_ENTRY l = q->Entries.Flink;
        while (l != &q->Entries && done < Length) {
            PNP_DATA_ENTRY e = CONTAINING_RECORD(l, NP_DATA_ENTRY, Link);
            l = l->Flink;
            ULONG n = unread(e) < Length - done ? unread(e) : Length - done;
            if (n)
                memcpy(out + done, e->Data + e->Consumed, n);
            done += n;
            if (!Peek)
                consume(q, e, n, deferred);
        }
    }
    *Read = done;
    if (!Peek) {
        recharge(q, deferred);
        complete_flushers_if_drained(q, deferred);
    }
    return status;
}

VOID NpAddDataQueueReader(PNP_DATA_QUEUE q, PIRP Irp, PVOID Buffer, ULONG Length,
                          BOOLEAN MessageMode)
{
    Irp->Tail.Overlay.DriverContext[CTX_BUFFER] = Buffer;
    Irp->Tail.Overlay.DriverContext[CTX_LENGTH] = (PVOID)(ULONG_PTR)Length;
    Irp->Tail.Overlay.DriverContext[CTX_MODE] = (PVOID)(ULONG_PTR)MessageMode;
    InsertTailList(&q->Readers, &Irp->Tail.Overlay.ListEntry);
    park_irp(q, Irp);
}

VOID NpAddDataQueueFlusher(PNP_DATA_QUEUE q, PIRP Irp)
{
    InsertTailList(&q->Flushers, &Irp->Tail.Overlay.ListEntry);
    park_irp(q, Irp);
}

VOID NpSatisfyDataQueueReaders(PNP_DATA_QUEUE q, PLIST_ENTRY deferred)
{
    while (!IsListEmpty(&q->Readers) && q->EntriesInQueue) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&q->Readers), IRP,
                                     Tail.Overlay.ListEntry);
        ULONG n;
        NTSTATUS status = NpReadDataQueue(
            q, irp->Tail.Overlay.DriverContext[CTX_BUFFER],
            (ULONG)(ULONG_PTR)irp->Tail.Overlay.DriverContext[CTX_LENGTH],
            (BOOLEAN)(ULONG_PTR)irp->Tail.Overlay.DriverContext[CTX_MODE], FALSE,
            &n, deferred);
        NpDeferCompletion(deferred, irp, status, n);
    }
}

/* ---- Writing ------------------------------------------------------------- */

static ULONG reader_room(const NP_DATA_QUEUE *q)
{
    ULONG room = 0;
    for (PLIST_ENTRY l = q->Readers.Flink; l != &q->Readers; l = l->Flink) {
        PIRP irp = CONTAINING_RECORD(l, IRP, Tail.Overlay.ListEntry);
        room += (ULONG)(ULONG_PTR)irp->Tail.Overlay.DriverContext[CTX_LENGTH];
    }
    return room;
}

NTSTATUS NpWriteDataQueue(PNP_DATA_QUEUE q, const void *Data, ULONG Length,
                          PIRP Irp, BOOLEAN Nowait, PULONG Written,
                          PLIST_ENTRY deferred)
{
    *Written = 0;
    if (Length == 0 && !q->MessageType)
        return STATUS_SUCCESS; /* nothing to say on a byte stream */
    if (Nowait) {
        /* A nonblocking writer never waits.  A write that fits the reader's
         * pending reads plus the free quota goes in whole; one that does
         * not writes only what the pending reads take at once — nothing,
         * if none is waiting (Windows: WriteFile succeeds with 0 bytes). */
        ULONG free_quota = q->QuotaUsed < q->Quota ? q->Quota - q->QuotaUsed : 0;
        ULONG readers = reader_room(q);
        if (Length > free_quota + readers) {
            if (q->MessageType && IsListEmpty(&q->Readers))
                return STATUS_SUCCESS;
            if (!q->MessageType)
                Length = readers;
        }
        if (Length == 0 && !q->MessageType)
            return STATUS_SUCCESS;
    }
    /* The bytes are charged to the writer's pool quota until they are read
     * or discarded, as NT's npfs charges buffered data.  (A transaction's
     * request comes without its IRP; its writer is the current process.) */
    PEPROCESS writer = Irp ? IoGetRequestorProcess(Irp) : PsGetCurrentProcess();
    NTSTATUS status = PsChargeProcessPoolQuota(writer, NonPagedPool, Length);
    if (!NT_SUCCESS(status))
        return status;
    PNP_DATA_ENTRY e = malloc(sizeof *e + Length);
    if (!e) {
        PsReturnProcessPoolQuota(writer, NonPagedPool, Length);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    *e = (NP_DATA_ENTRY){.DataSize = Length, .QuotaProcess = writer};
    if (writer)
        ps_reference_process(writer);
    if (Length)
        memcpy(e->Data, Data, Length);
    InsertTailList(&q->Entries, &e->Link);
    q->EntriesInQueue++;
    q->BytesInQueue += Length;
    recharge(q, deferred);
    NpSatisfyDataQueueReaders(q, deferred);
    recharge(q, deferred);
    *Written = Length;
    /* Is our entry still there and waiting for quota? */
    for (PLIST_ENTRY l = q->Entries.Flink; l != &q->Entries; l = l->Flink) {
        if (l != &e->Link)
            continue;
        if (e->Charged == unread(e))
            break;
        if (Nowait || !Irp) {
            /* Forced in beyond the quota (a transaction's request, or a
             * nonblocking write whose readers will take it). */
            q->QuotaUsed += unread(e) - e->Charged;
            e->Charged = unread(e);
            break;
        }
        e->Irp = Irp;
        Irp->Tail.Overlay.DriverContext[CTX_BUFFER] = e;
        park_irp(q, Irp);
        return STATUS_PENDING;
    }
    return STATUS_SUCCESS;
}

/* ---- Ending -------------------------------------------------------------- */

VOID NpFailDataQueueReaders(PNP_DATA_QUEUE q, NTSTATUS Status, PLIST_ENTRY deferred)
{
    while (!IsListEmpty(&q->Readers)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&q->Readers), IRP,
                                     Tail.Overlay.ListEntry);
        NpDeferCompletion(deferred, irp, Status, 0);
    }
}

VOID NpFlushDataQueue(PNP_DATA_QUEUE q, NTSTATUS Status, PLIST_ENTRY deferred)
{
    NpFailDataQueueReaders(q, Status, deferred);
    while (!IsListEmpty(&q->Entries)) {
        PNP_DATA_ENTRY e = head_entry(q);
        if (e->Irp)
            NpDeferCompletion(deferred, e->Irp, Status, e->Consumed);
        e->Irp = NULL;
        remove_entry(q, e);
    }
    while (!IsListEmpty(&q->Flushers)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&q->Flushers), IRP,
                                     Tail.Overlay.ListEntry);
        NpDeferCompletion(deferred, irp, Status, 0);
    }
}

VOID NpCancelDataQueueIrp(PNP_DATA_QUEUE q, PIRP Irp, PLIST_ENTRY deferred)
{
    for (PLIST_ENTRY l = q->Entries.Flink; l != &q->Entries; l = l->Flink) {
        PNP_DATA_ENTRY e = CONTAINING_RECORD(l, NP_DATA_ENTRY, Link);
        if (e->Irp != Irp)
            continue;
        /* A cancelled write takes back what nobody has read. */
        ULONG consumed = e->Consumed;
        e->Irp = NULL;
        remove_entry(q, e);
        NpDeferCompletion(deferred, Irp, STATUS_CANCELLED, consumed);
        recharge(q, deferred);
        complete_flushers_if_drained(q, deferred);
        return;
    }
    /* A pending read or flush sits on ListEntry in one of the two lists. */
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    NpDeferCompletion(deferred, Irp, STATUS_CANCELLED, 0);
}

/* ---- Questions ----------------------------------------------------------- */

BOOLEAN NpDataQueueHasReaders(const NP_DATA_QUEUE *q) { return !IsListEmpty(&q->Readers); }
ULONG NpDataQueueReadable(const NP_DATA_QUEUE *q) { return q->BytesInQueue; }
ULONG NpDataQueueMessages(const NP_DATA_QUEUE *q) { return q->EntriesInQueue; }

ULONG NpDataQueueFirstMessageLeft(const NP_DATA_QUEUE *q)
{
    PNP_DATA_ENTRY e = head_entry(q);
    return e ? unread(e) : 0;
}

ULONG NpDataQueueWriteQuotaAvailable(const NP_DATA_QUEUE *q)
{
    ULONG free_quota = q->QuotaUsed < q->Quota ? q->Quota - q->QuotaUsed : 0;
    return free_quota + reader_room(q);
}
