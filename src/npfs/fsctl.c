/*
 * fsctl.c — IRP_MJ_FILE_SYSTEM_CONTROL: the pipe-specific requests.
 *
 *   LISTEN      ConnectNamedPipe: wait for a client (server end)
 *   DISCONNECT  DisconnectNamedPipe: drop the client and all unread data
 *   PEEK        PeekNamedPipe: look at the read queue without taking
 *   TRANSCEIVE  TransactNamedPipe: write a message, then read one
 *   WAIT        WaitNamedPipe: on the root directory, wait for an instance
 *   GET_CONNECTION_ATTRIBUTE / GET_PIPE_ATTRIBUTE
 *               who is on each end: "ClientProcessId", "ClientSessionId",
 *               "ServerProcessId", "ServerSessionId", "ClientComputerName".
 *               npipe serves all five as connection attributes (as Wine
 *               does) and the two Server ones as pipe attributes too; see
 *               docs/decisions.md.
 */
#include "npfs/npfs.h"

#include <string.h>

static NTSTATUS NpListen(PIRP Irp, PNP_CCB ccb, ULONG end)
{
    if (end != FILE_PIPE_SERVER_END)
        return NpCompleteNow(Irp, STATUS_ILLEGAL_FUNCTION, 0);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    NTSTATUS status = NpSetListeningPipeState(ccb, Irp, &deferred);
    if (status == STATUS_PIPE_CONNECTED) /* the client came first */
        NpReportPipeEvent(NPIPE_PIPE_EVENT_CONNECTED, ccb, end, Irp, &deferred);
    if (status != STATUS_PENDING)
        NpCompleteNow(Irp, status, 0);
    NpCompleteDeferred(&deferred);
    return status;
}

static NTSTATUS NpDisconnect(PIRP Irp, PNP_CCB ccb, ULONG end)
{
    if (end != FILE_PIPE_SERVER_END)
        return NpCompleteNow(Irp, STATUS_ILLEGAL_FUNCTION, 0);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    NTSTATUS status = NpSetDisconnectedPipeState(ccb, &deferred);
    if (NT_SUCCESS(status))
        NpReportPipeEvent(NPIPE_PIPE_EVENT_DISCONNECTED, ccb, end, Irp, &deferred);
    NpCompleteNow(Irp, status, 0);
    NpCompleteDeferred(&deferred);
    return status;
}

static NTSTATUS NpPeek(PIRP Irp, PIO_STACK_LOCATION sp, PNP_CCB ccb, ULONG end)
{
    ULONG out_len = sp->Parameters.FileSystemControl.OutputBufferLength;
    const ULONG header = offsetof(FILE_PIPE_PEEK_BUFFER, Data);
    if (out_len < header)
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    PNP_DATA_QUEUE q = NpReadQueue(ccb, end);
    if (ccb->NamedPipeState != FILE_PIPE_CONNECTED_STATE) {
        if (ccb->NamedPipeState != FILE_PIPE_CLOSING_STATE)
            return NpCompleteNow(Irp, STATUS_INVALID_PIPE_STATE, 0);
        if (!NpDataQueueMessages(q))
            return NpCompleteNow(Irp, STATUS_PIPE_BROKEN, 0);
    }
    FILE_PIPE_PEEK_BUFFER *peek = Irp->AssociatedIrp.SystemBuffer;
    peek->NamedPipeState = ccb->NamedPipeState;
    peek->ReadDataAvailable = NpDataQueueReadable(q);
    peek->NumberOfMessages = q->MessageType ? NpDataQueueMessages(q) : 0;
    peek->MessageLength = q->MessageType ? NpDataQueueFirstMessageLeft(q) : 0;
    ULONG copied = 0;
    NTSTATUS status = STATUS_SUCCESS;
    if (NpDataQueueMessages(q)) {
        status = NpReadDataQueue(q, (UCHAR *)peek + header, out_len - header,
                                 q->MessageType, TRUE, &copied, NULL);
        if (!q->MessageType && copied < NpDataQueueReadable(q))
            status = STATUS_BUFFER_OVERFLOW;
    }
    return NpCompleteNow(Irp, status, header + copied);
}

static NTSTATUS NpTransceive(PIRP Irp, PIO_STACK_LOCATION sp, PNP_CCB ccb, ULONG end)
{
    if (ccb->NamedPipeState != FILE_PIPE_CONNECTED_STATE ||
        ccb->Fcb->Configuration != FILE_PIPE_FULL_DUPLEX ||
        ccb->ReadMode[end] != FILE_PIPE_MESSAGE_MODE)
        return NpCompleteNow(Irp, STATUS_INVALID_PIPE_STATE, 0);
    PNP_DATA_QUEUE rq = NpReadQueue(ccb, end);
    if (NpDataQueueMessages(rq) || NpDataQueueHasReaders(rq))
        return NpCompleteNow(Irp, STATUS_PIPE_BUSY, 0);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    ULONG written;
    /* The request goes in whole, quota or not (no IRP to stall). */
    NTSTATUS status = NpWriteDataQueue(
        NpWriteQueue(ccb, end), sp->Parameters.FileSystemControl.Type3InputBuffer,
        sp->Parameters.FileSystemControl.InputBufferLength, NULL, FALSE, &written,
        &deferred);
    if (!NT_SUCCESS(status)) {
        NpCompleteNow(Irp, status, 0);
    } else {
        NpAddDataQueueReader(rq, Irp, Irp->UserBuffer,
                             sp->Parameters.FileSystemControl.OutputBufferLength, TRUE);
        status = STATUS_PENDING;
    }
    NpCompleteDeferred(&deferred);
    return status;
}

static NTSTATUS NpWaitForNamedPipe(PIRP Irp, PIO_STACK_LOCATION sp)
{
    ULONG in_len = sp->Parameters.FileSystemControl.InputBufferLength;
    const ULONG header = offsetof(FILE_PIPE_WAIT_FOR_BUFFER, Name);
    FILE_PIPE_WAIT_FOR_BUFFER *wait = Irp->AssociatedIrp.SystemBuffer;
    if (in_len < header || wait->NameLength > 0xFFFD ||
        wait->NameLength > in_len - header || (wait->NameLength & 1) ||
        wait->NameLength / 2 + 1 > NPFS_MAX_NAME_CHARS)
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    /* The FCB names start with a backslash; the waiter's does not. */
    WCHAR name[NPFS_MAX_NAME_CHARS];
    name[0] = '\\';
    memcpy(name + 1, wait->Name, wait->NameLength);
    UNICODE_STRING full = {(USHORT)(wait->NameLength + 2), sizeof name, name};
    PNP_FCB fcb = NpFindFcb(&full);
    if (!fcb)
        return NpCompleteNow(Irp, STATUS_OBJECT_NAME_NOT_FOUND, 0);
    if (!IsListEmpty(&fcb->ListenQueue))
        return NpCompleteNow(Irp, STATUS_SUCCESS, 0);
    LONGLONG timeout = wait->TimeoutSpecified ? wait->Timeout.QuadPart : fcb->DefaultTimeout;
    if (timeout >= 0 && timeout != INT64_MIN && wait->TimeoutSpecified)
        timeout = timeout == 0 ? -1 : -timeout; /* a positive value: as relative */
    NTSTATUS status = NpAddWaiter(Irp, &full, timeout);
    if (status != STATUS_PENDING)
        NpCompleteNow(Irp, status, 0);
    return status;
}

/* Answers one attribute; all are ULONGs but the computer name. */
static NTSTATUS NpGetAttribute(PIRP Irp, PIO_STACK_LOCATION sp, PNP_CCB ccb,
                               ULONG end, BOOLEAN pipe_attribute)
{
    ULONG in_len = sp->Parameters.FileSystemControl.InputBufferLength;
    ULONG out_len = sp->Parameters.FileSystemControl.OutputBufferLength;
    char name[32];
    const char *in = Irp->AssociatedIrp.SystemBuffer;
    if (in_len == 0 || in_len > sizeof name || in[in_len - 1] != '\0')
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    memcpy(name, in, in_len);
    (void)end;
    ULONG value;
    bool is_server = strcmp(name, "ServerProcessId") == 0 ||
                     strcmp(name, "ServerSessionId") == 0;
    if (pipe_attribute && !is_server)
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    if (strcmp(name, "ServerProcessId") == 0)
        value = ccb->Server.ProcessId;
    else if (strcmp(name, "ServerSessionId") == 0)
        value = ccb->Server.SessionId;
    else if (strcmp(name, "ClientProcessId") == 0 || strcmp(name, "ClientSessionId") == 0) {
        if (!ccb->ClientKnown)
            return NpCompleteNow(Irp, STATUS_NOT_FOUND, 0);
        value = name[6] == 'P' ? ccb->Client.ProcessId : ccb->Client.SessionId;
    } else if (strcmp(name, "ClientComputerName") == 0) {
        /* Every client is local: there is no computer name to give. */
        return NpCompleteNow(Irp, STATUS_NOT_FOUND, 0);
    } else {
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    }
    if (out_len < sizeof value)
        return NpCompleteNow(Irp, STATUS_BUFFER_TOO_SMALL, 0);
    memcpy(Irp->AssociatedIrp.SystemBuffer, &value, sizeof value);
    return NpCompleteNow(Irp, STATUS_SUCCESS, sizeof value);
}

NTSTATUS NpFsdFileSystemControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG code = sp->Parameters.FileSystemControl.FsControlCode;
    PVOID node;
    ULONG end;
    CSHORT type = NpDecodeFileObject(sp->FileObject, &node, &end);

    if (code == FSCTL_PIPE_WAIT)
        return type == NPFS_NTC_ROOT_DCB ? NpWaitForNamedPipe(Irp, sp)
                                         : NpCompleteNow(Irp, STATUS_ILLEGAL_FUNCTION, 0);
    switch (code) {
    case FSCTL_PIPE_LISTEN:
    case FSCTL_PIPE_DISCONNECT:
    case FSCTL_PIPE_PEEK:
    case FSCTL_PIPE_TRANSCEIVE:
    case FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE:
    case FSCTL_PIPE_GET_PIPE_ATTRIBUTE:
        break;
    case FSCTL_PIPE_ASSIGN_EVENT:
    case FSCTL_PIPE_QUERY_EVENT:
        return NpCompleteNow(Irp, STATUS_NOT_IMPLEMENTED, 0);
    default:
        return NpCompleteNow(Irp, STATUS_NOT_SUPPORTED, 0);
    }
    if (type == 0) /* a client end the server disconnected */
        return NpCompleteNow(Irp, STATUS_PIPE_DISCONNECTED, 0);
    if (type != NPFS_NTC_CCB)
        return NpCompleteNow(Irp, STATUS_ILLEGAL_FUNCTION, 0);
    PNP_CCB ccb = node;
    switch (code) {
    case FSCTL_PIPE_LISTEN:
        return NpListen(Irp, ccb, end);
    case FSCTL_PIPE_DISCONNECT:
        return NpDisconnect(Irp, ccb, end);
    case FSCTL_PIPE_PEEK:
        return NpPeek(Irp, sp, ccb, end);
    case FSCTL_PIPE_TRANSCEIVE:
        return NpTransceive(Irp, sp, ccb, end);
    case FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE:
        return NpGetAttribute(Irp, sp, ccb, end, FALSE);
    default:
        return NpGetAttribute(Irp, sp, ccb, end, TRUE);
    }
}
