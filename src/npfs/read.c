/*
 * read.c — IRP_MJ_READ.
 *
 * A read takes what is in the end's read queue — one message, or part of
 * one with STATUS_BUFFER_OVERFLOW, in message read mode; any bytes in byte
 * read mode — or waits for a write.  With nothing to read, a nonblocking
 * end gets STATUS_PIPE_EMPTY and an end whose peer has closed gets
 * STATUS_PIPE_BROKEN.
 */
#include "npfs/npfs.h"

/* What reads, writes and flushes check first: the file is a pipe end
 * still attached to its instance, and the instance is in a state that
 * moves data.  STATUS_SUCCESS to go ahead. */
NTSTATUS NpDecodeDataRequest(PIRP Irp, BOOLEAN Writing, PNP_CCB *Ccb, PULONG End)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    CSHORT type = NpDecodeFileObject(sp->FileObject, (PVOID *)Ccb, End);
    if (type == 0)
        return STATUS_PIPE_DISCONNECTED;
    if (type != NPFS_NTC_CCB)
        return STATUS_INVALID_PARAMETER;
    switch ((*Ccb)->NamedPipeState) {
    case FILE_PIPE_DISCONNECTED_STATE:
        return STATUS_PIPE_DISCONNECTED;
    case FILE_PIPE_LISTENING_STATE:
        return STATUS_PIPE_LISTENING;
    case FILE_PIPE_CLOSING_STATE:
        return Writing ? STATUS_PIPE_CLOSING : STATUS_SUCCESS;
    default:
        return STATUS_SUCCESS;
    }
}

NTSTATUS NpFsdRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PNP_CCB ccb;
    ULONG end;
    NTSTATUS status = NpDecodeDataRequest(Irp, FALSE, &ccb, &end);
    if (!NT_SUCCESS(status))
        return NpCompleteNow(Irp, status, 0);
    PNP_DATA_QUEUE q = NpReadQueue(ccb, end);
    BOOLEAN message_mode = ccb->ReadMode[end] == FILE_PIPE_MESSAGE_MODE;
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG length = sp->Parameters.Read.Length;
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);

    if (NpDataQueueMessages(q) && !NpDataQueueHasReaders(q)) {
        ULONG n;
        status = NpReadDataQueue(q, buffer, length, message_mode, FALSE, &n, &deferred);
        NpCompleteNow(Irp, status, n);
        NpCompleteDeferred(&deferred);
        return status;
    }
    if (ccb->NamedPipeState == FILE_PIPE_CLOSING_STATE)
        return NpCompleteNow(Irp, STATUS_PIPE_BROKEN, 0);
    if (ccb->CompletionMode[end] == FILE_PIPE_COMPLETE_OPERATION)
        return NpCompleteNow(Irp, STATUS_PIPE_EMPTY, 0);
    NpAddDataQueueReader(q, Irp, buffer, length, message_mode);
    return STATUS_PENDING;
}
