/*
 * state.c — the life of a pipe instance.
 *
 *                 client opens               client or server closes
 *   LISTENING ------------------> CONNECTED --------------------------> CLOSING
 *      ^   |                          |                                    |
 *      |   | FSCTL_PIPE_DISCONNECT    | FSCTL_PIPE_DISCONNECT              |
 *      |   v                          v                                    |
 *      +-- DISCONNECTED <-------------+------------------------------------+
 *   FSCTL_PIPE_LISTEN
 *
 * An instance is born LISTENING.  Each transition is one function here,
 * and each says what becomes of the data and the pending IRPs — the
 * places where Windows discards data are exactly these.
 */
#include "npfs/npfs.h"

#include <stdlib.h>

/* LISTENING -> CONNECTED, by a client's open. */
VOID NpSetConnectedPipeState(PNP_CCB Ccb, PFILE_OBJECT ClientFileObject,
                             const NP_PEER *Client, PLIST_ENTRY Deferred)
{
    RemoveEntryList(&Ccb->ListenLink);
    Ccb->NamedPipeState = FILE_PIPE_CONNECTED_STATE;
    /* A client always starts in byte read mode, blocking. */
    Ccb->ReadMode[FILE_PIPE_CLIENT_END] = FILE_PIPE_BYTE_STREAM_MODE;
    Ccb->CompletionMode[FILE_PIPE_CLIENT_END] = FILE_PIPE_QUEUE_OPERATION;
    Ccb->FileObject[FILE_PIPE_CLIENT_END] = ClientFileObject;
    Ccb->Client = *Client;
    Ccb->ClientKnown = TRUE;
    ClientFileObject->FsContext = Ccb;
    ClientFileObject->FsContext2 = (PVOID)(ULONG_PTR)FILE_PIPE_CLIENT_END;
    ClientFileObject->Flags |= FO_NAMED_PIPE;
    /* The client opened; then each waiting ConnectNamedPipe succeeds. */
    NpReportPipeEvent(NPIPE_PIPE_EVENT_OPENED, Ccb, FILE_PIPE_CLIENT_END, NULL, Deferred);
    while (!IsListEmpty(&Ccb->ListenIrps)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&Ccb->ListenIrps), IRP,
                                     Tail.Overlay.ListEntry);
        NpReportPipeEvent(NPIPE_PIPE_EVENT_CONNECTED, Ccb, FILE_PIPE_SERVER_END, irp,
                          Deferred);
        NpDeferCompletion(Deferred, irp, STATUS_SUCCESS, 0);
    }
}

static VOID NpListenCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    NpDeferCompletion(&deferred, Irp, STATUS_CANCELLED, 0);
    NpCompleteDeferred(&deferred);
}

/* FSCTL_PIPE_LISTEN: DISCONNECTED -> LISTENING, or wait in LISTENING. */
NTSTATUS NpSetListeningPipeState(PNP_CCB Ccb, PIRP Irp, PLIST_ENTRY Deferred)
{
    switch (Ccb->NamedPipeState) {
    case FILE_PIPE_CONNECTED_STATE:
        return STATUS_PIPE_CONNECTED;
    case FILE_PIPE_CLOSING_STATE:
        return STATUS_PIPE_CLOSING;
    case FILE_PIPE_DISCONNECTED_STATE:
        /* Back of the line: clients go to the instance that has been
         * listening longest. */
        Ccb->NamedPipeState = FILE_PIPE_LISTENING_STATE;
        InsertTailList(&Ccb->Fcb->ListenQueue, &Ccb->ListenLink);
        NpWakeWaiters(&Ccb->Fcb->Name, STATUS_SUCCESS, Deferred);
        break;
    default:
        break;
    }
    if (Ccb->CompletionMode[FILE_PIPE_SERVER_END] == FILE_PIPE_COMPLETE_OPERATION)
        return STATUS_PIPE_LISTENING;
    InsertTailList(&Ccb->ListenIrps, &Irp->Tail.Overlay.ListEntry);
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, NpListenCancel);
    return STATUS_PENDING;
}

/* The client end's file object forgets the instance: from now on every
 * request on it fails with STATUS_PIPE_DISCONNECTED. */
static void detach_client(PNP_CCB Ccb)
{
    PFILE_OBJECT fo = Ccb->FileObject[FILE_PIPE_CLIENT_END];
    if (fo) {
        fo->FsContext = NULL;
        fo->FsContext2 = NULL;
    }
    Ccb->FileObject[FILE_PIPE_CLIENT_END] = NULL;
    Ccb->ClientKnown = FALSE;
}

/* FSCTL_PIPE_DISCONNECT, by the server: the client and every unread byte
 * in both directions are gone. */
NTSTATUS NpSetDisconnectedPipeState(PNP_CCB Ccb, PLIST_ENTRY Deferred)
{
    switch (Ccb->NamedPipeState) {
    case FILE_PIPE_DISCONNECTED_STATE:
        return STATUS_PIPE_DISCONNECTED;
    case FILE_PIPE_LISTENING_STATE:
        RemoveEntryList(&Ccb->ListenLink);
        while (!IsListEmpty(&Ccb->ListenIrps)) {
            PIRP irp = CONTAINING_RECORD(RemoveHeadList(&Ccb->ListenIrps), IRP,
                                         Tail.Overlay.ListEntry);
            NpDeferCompletion(Deferred, irp, STATUS_PIPE_DISCONNECTED, 0);
        }
        break;
    case FILE_PIPE_CONNECTED_STATE:
    case FILE_PIPE_CLOSING_STATE:
        NpFlushDataQueue(&Ccb->DataQueue[FILE_PIPE_INBOUND], STATUS_PIPE_DISCONNECTED, Deferred);
        NpFlushDataQueue(&Ccb->DataQueue[FILE_PIPE_OUTBOUND], STATUS_PIPE_DISCONNECTED, Deferred);
        detach_client(Ccb);
        break;
    }
    Ccb->NamedPipeState = FILE_PIPE_DISCONNECTED_STATE;
    return STATUS_SUCCESS;
}

/* CONNECTED -> CLOSING: one end's last handle closed.  What it wrote stays
 * readable by the other end; what was written to it is discarded, since
 * nobody will read it; the survivor's pending reads that nothing can
 * satisfy any more fail with STATUS_PIPE_BROKEN. */
VOID NpSetClosingPipeState(PNP_CCB Ccb, ULONG End, PLIST_ENTRY Deferred)
{
    PNP_DATA_QUEUE closer_reads = NpReadQueue(Ccb, End);
    PNP_DATA_QUEUE survivor_reads = NpWriteQueue(Ccb, End);
    NpFlushDataQueue(closer_reads, STATUS_PIPE_BROKEN, Deferred);
    if (!NpDataQueueMessages(survivor_reads))
        NpFailDataQueueReaders(survivor_reads, STATUS_PIPE_BROKEN, Deferred);
    Ccb->FileObject[End] = NULL;
    Ccb->NamedPipeState = FILE_PIPE_CLOSING_STATE;
}

/* The instance is gone: no end refers to it any more. */
VOID NpDeleteCcb(PNP_CCB Ccb, PLIST_ENTRY Deferred)
{
    PNP_FCB fcb = Ccb->Fcb;
    if (Ccb->NamedPipeState == FILE_PIPE_LISTENING_STATE)
        RemoveEntryList(&Ccb->ListenLink);
    while (!IsListEmpty(&Ccb->ListenIrps)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&Ccb->ListenIrps), IRP,
                                     Tail.Overlay.ListEntry);
        NpDeferCompletion(Deferred, irp, STATUS_PIPE_BROKEN, 0);
    }
    NpFlushDataQueue(&Ccb->DataQueue[FILE_PIPE_INBOUND], STATUS_PIPE_BROKEN, Deferred);
    NpFlushDataQueue(&Ccb->DataQueue[FILE_PIPE_OUTBOUND], STATUS_PIPE_BROKEN, Deferred);
    RemoveEntryList(&Ccb->FcbLink);
    fcb->CurrentInstances--;
    free(Ccb);
    if (fcb->CurrentInstances == 0) {
        /* The last instance: the name is free again, and whoever waits for
         * it learns it is gone. */
        RemoveEntryList(&fcb->VcbLink);
        NpVcb->PipeCount--;
        NpWakeWaiters(&fcb->Name, STATUS_OBJECT_NAME_NOT_FOUND, Deferred);
        free(fcb->Name.Buffer);
        free(fcb);
    }
}
