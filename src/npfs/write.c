/*
 * write.c — IRP_MJ_WRITE and IRP_MJ_FLUSH_BUFFERS.
 *
 * A write goes to the end's write queue: it satisfies the peer's pending
 * reads first, is buffered within the quota, and a blocking write that
 * does not fit waits until the peer reads (see dataq.c).  A flush waits
 * until the peer has read everything this end wrote.
 */
#include "npfs/npfs.h"

NTSTATUS NpFsdWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PNP_CCB ccb;
    ULONG end;
    NTSTATUS status = NpDecodeDataRequest(Irp, TRUE, &ccb, &end);
    if (!NT_SUCCESS(status))
        return NpCompleteNow(Irp, status, 0);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    ULONG written;
    status = NpWriteDataQueue(NpWriteQueue(ccb, end), Irp->AssociatedIrp.SystemBuffer,
                              sp->Parameters.Write.Length, Irp,
                              ccb->CompletionMode[end] == FILE_PIPE_COMPLETE_OPERATION,
                              &written, &deferred);
    if (status != STATUS_PENDING)
        NpCompleteNow(Irp, status, written);
    NpCompleteDeferred(&deferred);
    return status;
}

NTSTATUS NpFsdFlushBuffers(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PNP_CCB ccb;
    ULONG end;
    /* Unlike a write, a flush on a CLOSING pipe succeeds: the reader has
     * gone, and nothing of ours is left to wait for (Windows returns TRUE
     * to a server flushing after its client read everything and closed). */
    NTSTATUS status = NpDecodeDataRequest(Irp, FALSE, &ccb, &end);
    if (!NT_SUCCESS(status))
        return NpCompleteNow(Irp, status, 0);
    PNP_DATA_QUEUE q = NpWriteQueue(ccb, end);
    if (!NpDataQueueMessages(q) || ccb->NamedPipeState == FILE_PIPE_CLOSING_STATE)
        return NpCompleteNow(Irp, STATUS_SUCCESS, 0);
    NpAddDataQueueFlusher(q, Irp);
    return STATUS_PENDING;
}
