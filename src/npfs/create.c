/*
 * create.c — IRP_MJ_CREATE_NAMED_PIPE (a server makes an instance) and
 * IRP_MJ_CREATE (a client opens a pipe, or anyone opens the root).
 *
 * This is where npfs learns who is on each end.  It asks the I/O manager
 * who sent the create IRP — IoGetRequestorProcessId and
 * IoGetRequestorSessionId — and records the answers in the instance: the
 * server's when it creates it, the client's when it connects.  Nothing the
 * client says can change them; the GetNamedPipe*Id functions report them.
 */
#include "npfs/npfs.h"

#include <stdlib.h>
#include <string.h>

#include "ps/ps.h" /* the requestor's uid, for the pipe's owner */

#define FILE_READ_DATA_RIGHT 0x0001
#define FILE_WRITE_DATA_RIGHT 0x0002
#define FILE_SHARE_READ_BIT 0x0001
#define FILE_SHARE_WRITE_BIT 0x0002

static NP_PEER requestor_of(PIRP Irp)
{
    NP_PEER peer = {0};
    peer.ProcessId = IoGetRequestorProcessId(Irp);
    if (!NT_SUCCESS(IoGetRequestorSessionId(Irp, &peer.SessionId)))
        peer.SessionId = (ULONG)-1;
    PEPROCESS process = IoGetRequestorProcess(Irp);
    peer.Uid = process ? process->uid : 0;
    return peer;
}

/* ---- Default security ----------------------------------------------------
 * A pipe created without a security descriptor gets Windows' default one:
 * full control for its creator and for the system and administrators,
 * read access for everyone else.  npipe's users are Unix users: the
 * creator's uid and root have full control, other uids FILE_GENERIC_READ —
 * so they may open the pipe to read and ask about it, but not write to it,
 * change its mode, or add an instance (FILE_CREATE_PIPE_INSTANCE) that
 * could answer the service's clients in its place. */

#define FILE_GENERIC_READ_RIGHTS 0x00120089 /* READ_CONTROL | SYNCHRONIZE |
                                                FILE_READ_DATA, _EA, _ATTRIBUTES */
#define MAXIMUM_ALLOWED_RIGHT 0x02000000

static bool full_control(const NP_FCB *fcb, uid_t uid)
{
    return uid == 0 || uid == fcb->OwnerUid;
}

static NTSTATUS check_client_access(const NP_FCB *fcb, const NP_PEER *client,
                                    ACCESS_MASK access)
{
    if (full_control(fcb, client->Uid))
        return STATUS_SUCCESS;
    if (access & ~(ACCESS_MASK)(FILE_GENERIC_READ_RIGHTS | MAXIMUM_ALLOWED_RIGHT))
        return STATUS_ACCESS_DENIED;
    return STATUS_SUCCESS;
}

static bool name_ok(PCUNICODE_STRING name)
{
    return name->Length >= 4 && name->Buffer[0] == '\\' &&
           name->Length / 2 <= NPFS_MAX_NAME_CHARS;
}

/* ---- Server: a new instance --------------------------------------------- */

static NTSTATUS configuration_of(USHORT share, ULONG *configuration)
{
    switch (share & (FILE_SHARE_READ_BIT | FILE_SHARE_WRITE_BIT)) {
    case FILE_SHARE_READ_BIT | FILE_SHARE_WRITE_BIT:
        *configuration = FILE_PIPE_FULL_DUPLEX;
        return STATUS_SUCCESS;
    case FILE_SHARE_READ_BIT: /* clients may read: the server writes */
        *configuration = FILE_PIPE_OUTBOUND;
        return STATUS_SUCCESS;
    case FILE_SHARE_WRITE_BIT:
        *configuration = FILE_PIPE_INBOUND;
        return STATUS_SUCCESS;
    default:
        return STATUS_INVALID_PARAMETER;
    }
}

static NTSTATUS new_ccb(PNP_FCB fcb, PNAMED_PIPE_CREATE_PARAMETERS p,
                        PFILE_OBJECT fo, const NP_PEER *server, PNP_CCB *out)
{
    PNP_CCB ccb = calloc(1, sizeof *ccb);
    if (!ccb)
        return STATUS_INSUFFICIENT_RESOURCES;
    ccb->NodeType = NPFS_NTC_CCB;
    ccb->Fcb = fcb;
    ccb->NamedPipeState = FILE_PIPE_LISTENING_STATE;
    ccb->ReadMode[FILE_PIPE_SERVER_END] = p->ReadMode;
    ccb->CompletionMode[FILE_PIPE_SERVER_END] = p->CompletionMode;
    ccb->FileObject[FILE_PIPE_SERVER_END] = fo;
    ccb->Server = *server;
    BOOLEAN message = (fcb->NamedPipeType & FILE_PIPE_MESSAGE_TYPE) != 0;
    NpInitializeDataQueue(&ccb->DataQueue[FILE_PIPE_INBOUND], p->InboundQuota, message);
    NpInitializeDataQueue(&ccb->DataQueue[FILE_PIPE_OUTBOUND], p->OutboundQuota, message);
    InitializeListHead(&ccb->ListenIrps);
    InsertTailList(&fcb->CcbList, &ccb->FcbLink);
    InsertTailList(&fcb->ListenQueue, &ccb->ListenLink);
    fcb->CurrentInstances++;
    fcb->ServerOpenCount++;
    fo->FsContext = ccb;
    fo->FsContext2 = (PVOID)(ULONG_PTR)FILE_PIPE_SERVER_END;
    fo->Flags |= FO_NAMED_PIPE;
    *out = ccb;
    return STATUS_SUCCESS;
}

static NTSTATUS create_new_pipe(PCUNICODE_STRING name, PNAMED_PIPE_CREATE_PARAMETERS p,
                                ULONG configuration, const NP_PEER *server,
                                PNP_FCB *out)
{
    if (!p->TimeoutSpecified || p->MaximumInstances == 0 ||
        p->DefaultTimeout.QuadPart >= 0)
        return STATUS_INVALID_PARAMETER;
    PNP_FCB fcb = calloc(1, sizeof *fcb);
    WCHAR *buffer = malloc(name->Length);
    if (!fcb || !buffer) {
        free(fcb);
        free(buffer);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memcpy(buffer, name->Buffer, name->Length);
    fcb->NodeType = NPFS_NTC_FCB;
    fcb->Name = (UNICODE_STRING){name->Length, name->Length, buffer};
    fcb->NamedPipeType = p->NamedPipeType;
    fcb->Configuration = configuration;
    fcb->MaximumInstances = p->MaximumInstances;
    fcb->DefaultTimeout = p->DefaultTimeout.QuadPart;
    fcb->OwnerUid = server->Uid;
    InitializeListHead(&fcb->CcbList);
    InitializeListHead(&fcb->ListenQueue);
    InsertTailList(&NpVcb->FcbList, &fcb->VcbLink);
    NpVcb->PipeCount++;
    *out = fcb;
    return STATUS_SUCCESS;
}

NTSTATUS NpFsdCreateNamedPipe(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PFILE_OBJECT fo = sp->FileObject;
    PNAMED_PIPE_CREATE_PARAMETERS p = sp->Parameters.CreatePipe.Parameters;
    ULONG disposition = sp->Parameters.CreatePipe.Options >> 24;
    NP_PEER server = requestor_of(Irp);
    ULONG configuration;

    if (!name_ok(&fo->FileName) || fo->RelatedFileObject)
        return NpCompleteNow(Irp, STATUS_OBJECT_NAME_INVALID, 0);
    if ((p->NamedPipeType & ~(ULONG)FILE_PIPE_TYPE_VALID_MASK) ||
        p->ReadMode > FILE_PIPE_MESSAGE_MODE ||
        p->CompletionMode > FILE_PIPE_COMPLETE_OPERATION ||
        (!(p->NamedPipeType & FILE_PIPE_MESSAGE_TYPE) &&
         p->ReadMode == FILE_PIPE_MESSAGE_MODE) ||
        (disposition != FILE_CREATE && disposition != FILE_OPEN &&
         disposition != FILE_OPEN_IF))
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    NTSTATUS status = configuration_of(sp->Parameters.CreatePipe.ShareAccess,
                                       &configuration);
    if (!NT_SUCCESS(status))
        return NpCompleteNow(Irp, status, 0);

    PNP_FCB fcb = NpFindFcb(&fo->FileName);
    ULONG_PTR information = FILE_OPENED;
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    if (fcb) {
        /* Another instance of an existing pipe. */
        if (disposition == FILE_CREATE) /* FILE_FLAG_FIRST_PIPE_INSTANCE */
            return NpCompleteNow(Irp, STATUS_ACCESS_DENIED, 0);
        if (!full_control(fcb, server.Uid)) /* no FILE_CREATE_PIPE_INSTANCE */
            return NpCompleteNow(Irp, STATUS_ACCESS_DENIED, 0);
        if (configuration != fcb->Configuration)
            return NpCompleteNow(Irp, STATUS_ACCESS_DENIED, 0);
        if (fcb->CurrentInstances >= fcb->MaximumInstances)
            return NpCompleteNow(Irp, STATUS_INSTANCE_NOT_AVAILABLE, 0);
    } else {
        if (disposition == FILE_OPEN)
            return NpCompleteNow(Irp, STATUS_OBJECT_NAME_NOT_FOUND, 0);
        status = create_new_pipe(&fo->FileName, p, configuration, &server, &fcb);
        if (!NT_SUCCESS(status))
            return NpCompleteNow(Irp, status, 0);
        information = FILE_CREATED;
    }
    PNP_CCB ccb;
    status = new_ccb(fcb, p, fo, &server, &ccb);
    if (!NT_SUCCESS(status)) {
        if (fcb->CurrentInstances == 0) {
            RemoveEntryList(&fcb->VcbLink);
            NpVcb->PipeCount--;
            free(fcb->Name.Buffer);
            free(fcb);
        }
        return NpCompleteNow(Irp, status, 0);
    }
    NpReportPipeEvent(NPIPE_PIPE_EVENT_CREATED, ccb, FILE_PIPE_SERVER_END, Irp, &deferred);
    /* Somebody may be waiting for an instance of this name. */
    NpWakeWaiters(&fcb->Name, STATUS_SUCCESS, &deferred);
    NpCompleteNow(Irp, STATUS_SUCCESS, information);
    NpCompleteDeferred(&deferred);
    return STATUS_SUCCESS;
}

/* ---- Client: open an instance, or the root ------------------------------ */

static NTSTATUS open_client_end(PIRP Irp, PFILE_OBJECT fo, ACCESS_MASK access)
{
    PNP_FCB fcb = NpFindFcb(&fo->FileName);
    if (!fcb || fcb->ServerOpenCount == 0)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    NP_PEER client = requestor_of(Irp);
    NTSTATUS status = check_client_access(fcb, &client, access);
    if (!NT_SUCCESS(status))
        return status;
    /* The client may only move data the way the pipe goes. */
    if (((access & FILE_READ_DATA_RIGHT) && fcb->Configuration == FILE_PIPE_INBOUND) ||
        ((access & FILE_WRITE_DATA_RIGHT) && fcb->Configuration == FILE_PIPE_OUTBOUND))
        return STATUS_ACCESS_DENIED;
    if (IsListEmpty(&fcb->ListenQueue))
        return STATUS_PIPE_NOT_AVAILABLE;
    PNP_CCB ccb = CONTAINING_RECORD(fcb->ListenQueue.Flink, NP_CCB, ListenLink);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    NpSetConnectedPipeState(ccb, fo, &client, &deferred);
    NpCompleteNow(Irp, STATUS_SUCCESS, FILE_OPENED);
    NpCompleteDeferred(&deferred);
    return STATUS_SUCCESS;
}

NTSTATUS NpFsdCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PFILE_OBJECT fo = sp->FileObject;
    ULONG disposition = sp->Parameters.Create.Options >> 24;
    ACCESS_MASK access = sp->Parameters.Create.SecurityContext->DesiredAccess;
    PCUNICODE_STRING name = &fo->FileName;

    if (name->Length == 0) { /* the file system itself */
        fo->FsContext = NpVcb;
        return NpCompleteNow(Irp, STATUS_SUCCESS, FILE_OPENED);
    }
    if (name->Length == 2 && name->Buffer[0] == '\\') { /* the root directory */
        fo->FsContext = NpRootDcbContext();
        return NpCompleteNow(Irp, STATUS_SUCCESS, FILE_OPENED);
    }
    if (!name_ok(name))
        return NpCompleteNow(Irp, STATUS_OBJECT_NAME_INVALID, 0);
    if (disposition != FILE_OPEN && disposition != FILE_OPEN_IF)
        return NpCompleteNow(Irp, STATUS_ACCESS_DENIED, 0);
    NTSTATUS status = open_client_end(Irp, fo, access);
    if (!NT_SUCCESS(status))
        return NpCompleteNow(Irp, status, 0);
    return status;
}
