/*
 * cleanup.c — IRP_MJ_CLEANUP and IRP_MJ_CLOSE.
 *
 * Cleanup comes when the last handle to a file object closes: a pipe end
 * is gone for its peer.  A server end that never had (or no longer has) a
 * client takes its instance with it; a connected end leaves the instance
 * CLOSING, its written data readable by the survivor; the second end to go
 * deletes the instance, and the last instance the pipe's name.
 * Close comes when the last reference goes; npfs has nothing left to free
 * by then, because cleanup unhooked the file object.
 */
#include "npfs/npfs.h"

NTSTATUS NpFsdCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PFILE_OBJECT fo = sp->FileObject;
    PNP_CCB ccb;
    ULONG end;
    CSHORT type = NpDecodeFileObject(fo, (PVOID *)&ccb, &end);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    if (type == NPFS_NTC_ROOT_DCB)
        NpCleanupRootDirectory(fo, &deferred); /* its listing, its watch */
    if (type != NPFS_NTC_CCB) { /* the root, the volume, a detached client */
        NpCompleteNow(Irp, STATUS_SUCCESS, 0);
        NpCompleteDeferred(&deferred);
        return STATUS_SUCCESS;
    }
    NpReportPipeEvent(NPIPE_PIPE_EVENT_CLOSED, ccb, end, Irp, &deferred);
    fo->FsContext = NULL;
    fo->FsContext2 = NULL;
    if (end == FILE_PIPE_SERVER_END)
        ccb->Fcb->ServerOpenCount--;
    switch (ccb->NamedPipeState) {
    case FILE_PIPE_CONNECTED_STATE:
        NpSetClosingPipeState(ccb, end, &deferred);
        break;
    case FILE_PIPE_CLOSING_STATE:
    case FILE_PIPE_LISTENING_STATE:
    case FILE_PIPE_DISCONNECTED_STATE:
        /* Only this end is left (a client end is never here in these
         * states but CLOSING). */
        NpDeleteCcb(ccb, &deferred);
        break;
    }
    NpCompleteNow(Irp, STATUS_SUCCESS, 0);
    NpCompleteDeferred(&deferred);
    return STATUS_SUCCESS;
}

NTSTATUS NpFsdClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    return NpCompleteNow(Irp, STATUS_SUCCESS, 0);
}
