/*
 * request.c — from a client's request to an IRP, and from a completed IRP
 * back to a reply.
 *
 * The transport hands over a request whose header it has checked for shape
 * (magic, version, lengths); everything about meaning is checked here or in
 * the driver: the handle must be the caller's own and grant the access the
 * operation needs, the name must parse, the arguments must make sense.
 * The reply of a request is sent when its IRP completes — at once, or long
 * after, when a pending IRP is completed by whatever event finishes it.
 */
#include "ps/inherit.h"
#include "io/io.h"

#include <stdlib.h>
#include <string.h>

#include "ps/quota.h"

uint64_t io_broker_instance_id;
ULONG io_max_pending_per_process = 4096;

/* ---- Replies ------------------------------------------------------------- */

void io_send_reply(PETHREAD thread, uint64_t id, uint16_t kind,
                       NTSTATUS status, ULONG handle, uint64_t information,
                       const void *data, uint32_t data_len)
{
    if (!thread || thread->terminated || !thread->channel)
        return;
    struct np_reply r = {
        .magic = NP_MAGIC,
        .version = NP_VERSION,
        .kind = kind,
        .id = id,
        .status = status,
        .handle = handle,
        .information = information,
        .data_len = data_len,
    };
    channel_send_reply(thread->channel, &r, data, data_len);
}

static void reply_now(PETHREAD thread, const struct np_request *req,
                      NTSTATUS status, ULONG handle, uint64_t information)
{
    io_send_reply(thread, req->id, NP_REPLY_FINAL, status, handle, information,
               NULL, 0);
}

void io_reply_status(PETHREAD thread, const struct np_request *req,
                     NTSTATUS status, uint64_t information)
{
    reply_now(thread, req, status, 0, information);
}

/* Creates end here: on success the new file gets its handle.  If it
 * cannot (the caller is gone, its handle table is full), the driver has
 * already set the file up, so it is taken down the normal way: cleanup now,
 * close when the IRP lets go of it. */
static NTSTATUS finish_create(IO_IRP *x, ULONG *handle)
{
    NTSTATUS status = x->irp.IoStatus.Status;
    IO_FILE *file = x->file;
    if (!NT_SUCCESS(status)) {
        file->fo.DeviceObject = NULL; /* the driver kept nothing: no close */
        return status;
    }
    if (x->thread->terminated)
        status = STATUS_CANCELLED;
    else
        status = ob_insert_handle(x->thread->process, &file->header,
                                  x->granted, x->attributes, handle);
    if (!NT_SUCCESS(status))
        io_file_type.last_handle_closed(&file->header, x->thread->process);
    return status;
}

void io_finish_request(IO_IRP *x)
{
    if (!x->thread)
        return; /* the broker's own IRP: nobody to tell */
    if (x->async) {
        io_complete_async(x);
        return;
    }
    NTSTATUS status = x->irp.IoStatus.Status;
    ULONG handle = 0;
    UCHAR major = x->stack[0].MajorFunction;
    if (major == IRP_MJ_CREATE || major == IRP_MJ_CREATE_NAMED_PIPE)
        status = finish_create(x, &handle);
    const void *data = NULL;
    uint32_t len = 0;
    if (x->out_buffer && !NT_ERROR(status)) {
        ULONG_PTR info = x->irp.IoStatus.Information;
        len = info < x->out_len ? (uint32_t)info : x->out_len;
        data = x->out_buffer;
    }
    io_send_reply(x->thread, x->request_id, NP_REPLY_FINAL, status, handle,
               x->irp.IoStatus.Information, data, len);
}

/* ---- Building IRPs ------------------------------------------------------- */

static IO_IRP *new_irp(PETHREAD thread, const struct np_request *req,
                       UCHAR major, void *payload, uint32_t payload_len);

IO_IRP *io_new_request_irp(PETHREAD thread, const struct np_request *req)
{
    return new_irp(thread, req, IRP_MJ_MAXIMUM_FUNCTION, NULL, 0);
}

static IO_IRP *new_irp(PETHREAD thread, const struct np_request *req,
                       UCHAR major, void *payload, uint32_t payload_len)
{
    /* The process's and the user's limits on requests in flight; the
     * callers answer STATUS_INSUFFICIENT_RESOURCES.  An overlapped request
     * is in flight until the library acknowledges its completion: a client
     * that never does must not pile up completion records. */
    if (thread->process->pending_irps + thread->process->async_count >=
            io_max_pending_per_process ||
        !NT_SUCCESS(ps_quota_charge_irp(thread->process)))
        return NULL;
    PIRP irp = IoAllocateIrp(1, FALSE);
    if (!irp) {
        ps_quota_return_irp(thread->process);
        return NULL;
    }
    IO_IRP *x = io_irp(irp);
    x->thread = thread;
    ps_reference_thread(thread);
    irp->Tail.Overlay.Thread = thread;
    x->request_id = req->id;
    x->op = req->op;
    x->flags = req->flags;
    x->in_buffer = payload;
    x->in_len = payload_len;
    x->reply_capacity = req->out_len;
    IoGetCurrentIrpStackLocation(irp)->MajorFunction = major;
    InsertTailList(&thread->irps, &x->thread_link);
    thread->process->pending_irps++;
    return x;
}

static bool attach_output(IO_IRP *x, uint32_t out_len)
{
    x->out_len = out_len;
    x->out_buffer = malloc(out_len ? out_len : 1);
    return x->out_buffer != NULL;
}

static void call_driver(IO_IRP *x)
{
    PDEVICE_OBJECT device = x->file->fo.DeviceObject;
    x->refs++;
    x->in_dispatch = true;
    NTSTATUS status = IoCallDriver(device, &x->irp);
    x->in_dispatch = false;
    /* On a synchronous file the caller waits even with an OVERLAPPED. */
    if (status == STATUS_PENDING && !x->completed && (x->flags & NP_F_ASYNC) &&
        !(x->file->fo.Flags & FO_SYNCHRONOUS_IO))
        io_send_reply(x->thread, x->request_id, NP_REPLY_PENDING, STATUS_PENDING,
                   0, 0, NULL, 0);
    IoFreeIrp(&x->irp); /* our reference */
}

/* ---- Create -------------------------------------------------------------- */

static NTSTATUS new_file(PDEVICE_OBJECT device, const UNICODE_STRING *name,
                         ULONG options, IO_FILE **out)
{
    IO_FILE *file = calloc(1, sizeof *file);
    if (!file)
        return STATUS_INSUFFICIENT_RESOURCES;
    ob_init_object(&file->header, &io_file_type);
    /* Signaled from the start, as Windows' file objects are. */
    KeInitializeDispatcher(&file->event, FALSE, TRUE);
    file->fo.Type = 5; /* IO_TYPE_FILE */
    file->fo.Size = (CSHORT)sizeof file->fo;
    file->fo.DeviceObject = device;
    if (options & (FILE_SYNCHRONOUS_IO_ALERT | FILE_SYNCHRONOUS_IO_NONALERT))
        file->fo.Flags |= FO_SYNCHRONOUS_IO;
    if (name->Length) {
        file->name_buffer = malloc(name->Length);
        if (!file->name_buffer) {
            free(file);
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        memcpy(file->name_buffer, name->Buffer, name->Length);
    }
    file->fo.FileName.Buffer = file->name_buffer;
    file->fo.FileName.Length = file->fo.FileName.MaximumLength = name->Length;
    *out = file;
    return STATUS_SUCCESS;
}

static void dispatch_create(PETHREAD thread, const struct np_request *req,
                            void *payload, uint32_t len)
{
    bool is_pipe = req->op == NP_OP_CREATE_NAMED_PIPE;
    const struct np_args_create_pipe *cp = &req->args.create_pipe;
    const struct np_args_create_file *cf = &req->args.create_file;
    ULONG access = is_pipe ? cp->desired_access : cf->desired_access;
    ULONG attributes = is_pipe ? cp->attributes : cf->attributes;
    ULONG share = is_pipe ? cp->share_access : cf->share_access;
    ULONG disposition = is_pipe ? cp->disposition : cf->disposition;
    ULONG options = is_pipe ? cp->options : cf->options;

    PDEVICE_OBJECT device;
    UNICODE_STRING rest;
    NTSTATUS status;
    if (len > NP_MAX_NAME_BYTES || (len & 1))
        status = STATUS_OBJECT_NAME_INVALID;
    else if (disposition > FILE_MAXIMUM_DISPOSITION || share > 7 ||
             (attributes & ~(ULONG)OBJ_VALID_ATTRIBUTES))
        status = STATUS_INVALID_PARAMETER;
    else
        status = ob_parse_name(payload, (USHORT)len, &device, &rest);
    IO_FILE *file = NULL;
    if (NT_SUCCESS(status))
        status = new_file(device, &rest, options, &file);
    IO_IRP *x = NULL;
    if (NT_SUCCESS(status)) {
        x = new_irp(thread, req, is_pipe ? IRP_MJ_CREATE_NAMED_PIPE : IRP_MJ_CREATE,
                    payload, len);
        if (!x) {
            file->fo.DeviceObject = NULL;
            ob_dereference_object(&file->header);
            status = STATUS_INSUFFICIENT_RESOURCES;
        }
    }
    if (!NT_SUCCESS(status)) {
        free(payload);
        reply_now(thread, req, status, 0, 0);
        return;
    }
    x->file = file; /* the IRP owns the file's first reference */
    x->granted = ob_map_generic_file_access(access) | 0x00100000 /* SYNCHRONIZE */;
    x->attributes = attributes & OBJ_INHERIT;
    x->security.DesiredAccess = x->granted;
    x->security.FullCreateOptions = options;
    x->irp.Tail.Overlay.OriginalFileObject = &file->fo;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(&x->irp);
    sp->FileObject = &file->fo;
    if (is_pipe) {
        x->create_pipe = (NAMED_PIPE_CREATE_PARAMETERS){
            .NamedPipeType = cp->pipe_type,
            .ReadMode = cp->read_mode,
            .CompletionMode = cp->completion_mode,
            .MaximumInstances = cp->max_instances,
            .InboundQuota = cp->inbound_quota,
            .OutboundQuota = cp->outbound_quota,
            .DefaultTimeout.QuadPart = cp->default_timeout,
            .TimeoutSpecified = cp->timeout_specified != 0,
        };
        sp->Parameters.CreatePipe.SecurityContext = &x->security;
        sp->Parameters.CreatePipe.Options = (disposition << 24) | (options & 0xFFFFFF);
        sp->Parameters.CreatePipe.ShareAccess = (USHORT)share;
        sp->Parameters.CreatePipe.Parameters = &x->create_pipe;
    } else {
        sp->Parameters.Create.SecurityContext = &x->security;
        sp->Parameters.Create.Options = (disposition << 24) | (options & 0xFFFFFF);
        sp->Parameters.Create.ShareAccess = (USHORT)share;
        sp->Parameters.Create.FileAttributes = (USHORT)cf->file_attributes;
    }
    call_driver(x);
}

/* ---- Operations on a handle --------------------------------------------- */

/* The access an operation needs on its handle, as NT's I/O manager checks
 * before the driver sees the IRP. */
static ACCESS_MASK required_access(const struct np_request *req)
{
    switch (req->op) {
    case NP_OP_READ: return 0x0001;  /* FILE_READ_DATA */
    case NP_OP_WRITE: return 0x0002; /* FILE_WRITE_DATA */
    case NP_OP_FLUSH: return 0x0002;
    case NP_OP_FSCTL: return (req->args.io.code >> 14) & 3; /* CTL_CODE access */
    case NP_OP_QUERY_INFO:
        return req->args.io.code == FilePipeLocalInformation ||
                       req->args.io.code == FilePipeInformation
                   ? 0x0080 /* FILE_READ_ATTRIBUTES */
                   : 0;
    case NP_OP_SET_INFO: return 0x0100; /* FILE_WRITE_ATTRIBUTES */
    default: return 0;
    }
}

/* An overlapped request: remember what to signal when it is done, and
 * clear the file's own completion event, as NT does when I/O starts. */
static NTSTATUS setup_async(IO_IRP *x, const struct np_request *req, IO_FILE *file)
{
    const struct np_args_io *a = &req->args.io;
    if (a->async_flags & ~(NP_ASYNC_APC | NP_ASYNC_NO_PORT))
        return STATUS_INVALID_PARAMETER;
    if (a->event) {
        NTSTATUS status = ob_reference_by_handle(x->thread->process, a->event,
                                                 &ke_event_type, &x->event, NULL, NULL);
        if (!NT_SUCCESS(status))
            return status;
        KeClearObject(x->event->type->dispatcher(x->event));
    }
    x->async = true;
    x->async_flags = a->async_flags;
    x->cookie = a->cookie;
    if (!(file->completion_modes & 2 /* FILE_SKIP_SET_EVENT_ON_HANDLE */))
        KeClearObject(&file->event);
    return STATUS_SUCCESS;
}

static void dispatch_file_op(PETHREAD thread, const struct np_request *req,
                             void *payload, uint32_t len)
{
    OB_HEADER *object;
    ACCESS_MASK granted;
    NTSTATUS status = ob_reference_by_handle(thread->process, req->handle,
                                             &io_file_type, &object, &granted, NULL);
    if (!NT_SUCCESS(status)) {
        free(payload);
        reply_now(thread, req, status, 0, 0);
        return;
    }
    IO_FILE *file = CONTAINING_RECORD(object, IO_FILE, header);
    ACCESS_MASK need = required_access(req);
    if ((granted & need) != need)
        status = STATUS_ACCESS_DENIED;
    else if (thread->process->pending_irps >= io_max_pending_per_process)
        status = STATUS_INSUFFICIENT_RESOURCES;
    else /* the buffers this request makes the broker hold */
        status = PsChargeProcessPoolQuota(thread->process, NonPagedPool,
                                          (ULONG_PTR)len + req->out_len);
    if (!NT_SUCCESS(status)) {
        ob_dereference_object(object);
        free(payload);
        reply_now(thread, req, status, 0, 0);
        return;
    }
    static const UCHAR major_of[NP_OP_MAX] = {
        [NP_OP_READ] = IRP_MJ_READ,
        [NP_OP_WRITE] = IRP_MJ_WRITE,
        [NP_OP_FLUSH] = IRP_MJ_FLUSH_BUFFERS,
        [NP_OP_FSCTL] = IRP_MJ_FILE_SYSTEM_CONTROL,
        [NP_OP_QUERY_INFO] = IRP_MJ_QUERY_INFORMATION,
        [NP_OP_SET_INFO] = IRP_MJ_SET_INFORMATION,
    };
    IO_IRP *x = new_irp(thread, req, major_of[req->op], payload, len);
    bool out_ok = x != NULL;
    if (!x)
        PsReturnProcessPoolQuota(thread->process, NonPagedPool,
                                 (ULONG_PTR)len + req->out_len);
    else
        x->pool_charge = len + req->out_len; /* returned with the buffers */
    if (x && (req->flags & NP_F_ASYNC) && !NT_SUCCESS(status = setup_async(x, req, file))) {
        x->file = file;
        x->irp.IoStatus.Status = status;
        IoCompleteRequest(&x->irp, IO_NO_INCREMENT);
        return;
    }
    if (x) {
        x->file = file; /* takes over our reference */
        uint32_t out = req->out_len;
        /* Every method but METHOD_NEITHER copies the input into the system
         * buffer (npipe has no MDLs: the direct methods are buffered too),
         * so it must hold the larger of the two. */
        if (req->op == NP_OP_FSCTL && (req->args.io.code & 3) != METHOD_NEITHER &&
            len > out)
            out = len;
        if (req->op == NP_OP_READ || req->op == NP_OP_FSCTL ||
            req->op == NP_OP_QUERY_INFO)
            out_ok = attach_output(x, out);
        x->out_len = req->out_len; /* what goes back at most */
    }
    if (!out_ok) {
        if (x) {
            x->irp.IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
            IoCompleteRequest(&x->irp, IO_NO_INCREMENT);
        } else {
            ob_dereference_object(object);
            free(payload);
            reply_now(thread, req, STATUS_INSUFFICIENT_RESOURCES, 0, 0);
        }
        return;
    }
    PIRP irp = &x->irp;
    irp->Tail.Overlay.OriginalFileObject = &file->fo;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->FileObject = &file->fo;
    switch (req->op) {
    case NP_OP_READ:
        sp->Parameters.Read.Length = req->out_len;
        sp->Parameters.Read.Key = req->args.io.key;
        sp->Parameters.Read.ByteOffset.QuadPart = req->args.io.offset;
        irp->AssociatedIrp.SystemBuffer = x->out_buffer;
        break;
    case NP_OP_WRITE:
        sp->Parameters.Write.Length = len;
        sp->Parameters.Write.Key = req->args.io.key;
        sp->Parameters.Write.ByteOffset.QuadPart = req->args.io.offset;
        irp->AssociatedIrp.SystemBuffer = payload;
        break;
    case NP_OP_FSCTL:
        sp->MinorFunction = IRP_MN_USER_FS_REQUEST;
        sp->Parameters.FileSystemControl.FsControlCode = req->args.io.code;
        sp->Parameters.FileSystemControl.InputBufferLength = len;
        sp->Parameters.FileSystemControl.OutputBufferLength = req->out_len;
        if ((req->args.io.code & 3) == METHOD_NEITHER) {
            sp->Parameters.FileSystemControl.Type3InputBuffer = payload;
            irp->UserBuffer = x->out_buffer;
        } else {
            if (len)
                memcpy(x->out_buffer, payload, len);
            irp->AssociatedIrp.SystemBuffer = x->out_buffer;
        }
        break;
    case NP_OP_QUERY_INFO:
        sp->Parameters.QueryFile.Length = req->out_len;
        sp->Parameters.QueryFile.FileInformationClass = req->args.io.code;
        irp->AssociatedIrp.SystemBuffer = x->out_buffer;
        break;
    case NP_OP_SET_INFO:
        sp->Parameters.SetFile.Length = len;
        sp->Parameters.SetFile.FileInformationClass = req->args.io.code;
        irp->AssociatedIrp.SystemBuffer = payload;
        break;
    default:
        break;
    }
    call_driver(x);
}

/* ---- Directory control --------------------------------------------------- */

/* NtQueryDirectoryFile and NtNotifyChangeDirectoryFileEx: IRP_MJ_DIRECTORY_
 * CONTROL on a directory handle (the pipe root).  The handle must grant
 * FILE_LIST_DIRECTORY, as NT's I/O manager checks for both.  A query's
 * FileName travels as the payload; the IRP owns it together with the
 * UNICODE_STRING that the stack location points at. */
static void dispatch_directory(PETHREAD thread, const struct np_request *req,
                               void *payload, uint32_t len)
{
    const struct np_args_directory *a = &req->args.directory;
    bool query = req->op == NP_OP_QUERY_DIRECTORY;
    OB_HEADER *object = NULL;
    ACCESS_MASK granted = 0;
    NTSTATUS status = STATUS_SUCCESS;
    if (req->flags & NP_F_ASYNC)
        status = STATUS_NOT_SUPPORTED; /* overlapped directory I/O: not yet */
    else if (len > NP_MAX_NAME_BYTES || (len & 1) || (len && !query))
        status = STATUS_INVALID_PARAMETER;
    else if (a->flags & ~(uint32_t)(NP_DIR_RESTART_SCAN | NP_DIR_SINGLE_ENTRY |
                                    NP_DIR_INDEX | NP_DIR_NAME | NP_DIR_WATCH_TREE))
        status = STATUS_INVALID_PARAMETER;
    else
        status = ob_reference_by_handle(thread->process, req->handle, &io_file_type,
                                        &object, &granted, NULL);
    if (NT_SUCCESS(status) && !(granted & 0x0001 /* FILE_LIST_DIRECTORY */))
        status = STATUS_ACCESS_DENIED;
    else if (NT_SUCCESS(status) &&
             thread->process->pending_irps >= io_max_pending_per_process)
        status = STATUS_INSUFFICIENT_RESOURCES;
    UNICODE_STRING *name = NULL;
    if (NT_SUCCESS(status) && query && (a->flags & NP_DIR_NAME)) {
        name = malloc(sizeof *name + len + 2);
        if (!name) {
            status = STATUS_INSUFFICIENT_RESOURCES;
        } else {
            name->Buffer = (WCHAR *)(name + 1);
            name->Length = name->MaximumLength = (USHORT)len;
            if (len)
                memcpy(name->Buffer, payload, len);
        }
    }
    free(payload);
    IO_IRP *x = NT_SUCCESS(status)
                    ? new_irp(thread, req, IRP_MJ_DIRECTORY_CONTROL, name,
                              name ? (uint32_t)(sizeof *name + len) : 0)
                    : NULL;
    if (!x) {
        if (object)
            ob_dereference_object(object);
        free(name);
        reply_now(thread, req, NT_SUCCESS(status) ? STATUS_INSUFFICIENT_RESOURCES
                                                  : status, 0, 0);
        return;
    }
    IO_FILE *file = CONTAINING_RECORD(object, IO_FILE, header);
    x->file = file; /* takes over our reference */
    if (!attach_output(x, req->out_len)) {
        x->irp.IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
        IoCompleteRequest(&x->irp, IO_NO_INCREMENT);
        return;
    }
    PIRP irp = &x->irp;
    irp->UserBuffer = x->out_buffer;
    irp->Tail.Overlay.OriginalFileObject = &file->fo;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    sp->FileObject = &file->fo;
    if (query) {
        sp->MinorFunction = IRP_MN_QUERY_DIRECTORY;
        sp->Flags = (UCHAR)(((a->flags & NP_DIR_RESTART_SCAN) ? SL_RESTART_SCAN : 0) |
                            ((a->flags & NP_DIR_SINGLE_ENTRY) ? SL_RETURN_SINGLE_ENTRY : 0) |
                            ((a->flags & NP_DIR_INDEX) ? SL_INDEX_SPECIFIED : 0));
        sp->Parameters.QueryDirectory.Length = req->out_len;
        sp->Parameters.QueryDirectory.FileName = name;
        sp->Parameters.QueryDirectory.FileInformationClass = a->info_class;
        sp->Parameters.QueryDirectory.FileIndex = a->file_index;
    } else {
        sp->MinorFunction = IRP_MN_NOTIFY_CHANGE_DIRECTORY;
        sp->Flags = (a->flags & NP_DIR_WATCH_TREE) ? SL_WATCH_TREE : 0;
        sp->Parameters.NotifyDirectoryEx.Length = req->out_len;
        sp->Parameters.NotifyDirectoryEx.CompletionFilter = a->completion_filter;
        sp->Parameters.NotifyDirectoryEx.DirectoryNotifyInformationClass =
            (DIRECTORY_NOTIFY_INFORMATION_CLASS)a->info_class;
    }
    call_driver(x);
}

/* ---- Requests that are not IRPs ------------------------------------------ */

static void dispatch_event_set(PETHREAD thread, const struct np_request *req)
{
    LONG previous = 0;
    NTSTATUS status = ke_event_action(thread->process, req->handle,
                                      req->args.event.action, &previous);
    reply_now(thread, req, status, 0, (uint64_t)previous);
}

static void dispatch_create_event(PETHREAD thread, const struct np_request *req)
{
    const struct np_args_event *a = &req->args.event;
    ULONG handle = 0;
    NTSTATUS status = (a->attributes & ~(ULONG)OBJ_INHERIT)
                          ? STATUS_INVALID_PARAMETER
                          : ke_create_event(thread->process, a->manual_reset != 0,
                                            a->initial_state != 0, a->attributes, &handle);
    reply_now(thread, req, status, handle, 0);
}

static void dispatch_create_port(PETHREAD thread, const struct np_request *req)
{
    ULONG handle = 0;
    NTSTATUS status = (req->args.port.attributes & ~(ULONG)OBJ_INHERIT)
                          ? STATUS_INVALID_PARAMETER
                          : io_create_port(thread->process, req->args.port.concurrency,
                                           req->args.port.attributes, &handle);
    reply_now(thread, req, status, handle, 0);
}

static void dispatch_close(PETHREAD thread, const struct np_request *req)
{
    reply_now(thread, req, ob_close_handle(thread->process, req->handle), 0, 0);
}

static void dispatch_duplicate(PETHREAD thread, const struct np_request *req)
{
    const struct np_args_duplicate *a = &req->args.duplicate;
    PEPROCESS process = thread->process;
    OB_HEADER *object;
    ACCESS_MASK granted;
    ULONG attributes;
    NTSTATUS status = ob_reference_by_handle(process, req->handle, NULL, &object,
                                             &granted, &attributes);
    if (!NT_SUCCESS(status) || (a->options & ~7u) ||
        (a->attributes & ~(ULONG)OBJ_INHERIT)) {
        if (NT_SUCCESS(status)) {
            ob_dereference_object(object);
            status = STATUS_INVALID_PARAMETER;
        }
        reply_now(thread, req, status, 0, 0);
        return;
    }
    ACCESS_MASK access = granted;
    if (!(a->options & 2 /* DUPLICATE_SAME_ACCESS */)) {
        access = ob_map_generic_file_access(a->desired_access);
        if (access & ~granted) /* no more than the source grants */
            status = STATUS_ACCESS_DENIED;
    }
    if (!(a->options & 4 /* DUPLICATE_SAME_ATTRIBUTES */))
        attributes = a->attributes;
    attributes &= OBJ_INHERIT; /* a duplicate is never protected from close */
    ULONG handle = 0;
    if (NT_SUCCESS(status))
        status = ob_insert_handle(process, object, access, attributes, &handle);
    ob_dereference_object(object);
    if (a->options & 1 /* DUPLICATE_CLOSE_SOURCE: closed even on failure */)
        ob_close_handle(process, req->handle);
    reply_now(thread, req, status, handle, 0);
}

static void dispatch_session(PETHREAD thread, const struct np_request *req)
{
    pid_t pid = (pid_t)req->args.session.pid;
    ULONG session = 0;
    NTSTATUS status;
    if (pid <= 0) {
        status = STATUS_INVALID_PARAMETER;
    } else {
        PEPROCESS known = ps_lookup_process(pid);
        status = ps_query_session(pid, known ? known->pidfd : -1, &session);
    }
    reply_now(thread, req, status, 0, session);
}

static void dispatch_handle_info(PETHREAD thread, const struct np_request *req)
{
    const struct np_args_handle_flags *a = &req->args.handle_flags;
    ULONG flags = 0;
    NTSTATUS status = (a->mask & ~3u) ? STATUS_INVALID_PARAMETER
                                      : ob_handle_flags(thread->process, req->handle,
                                                        a->mask, a->flags, &flags);
    reply_now(thread, req, status, 0, flags);
}

void io_dispatch_request(PETHREAD thread, const struct np_request *req,
                         void *payload, uint32_t payload_len)
{
    switch (req->op) {
    case NP_OP_INHERIT: /* CreateProcess's handle inheritance (ps/inherit.c) */
        free(payload);
        ps_dispatch_inherit(thread, req);
        return;
    case NP_OP_HELLO:
        free(payload);
        if (req->args.hello.flags & NP_HELLO_COMPLETION_CHANNEL)
            thread->process->completion_thread = thread;
        thread->tid = (pid_t)req->args.hello.tid;
        if (req->args.hello.flags & NP_HELLO_NEW_IMAGE)
            ob_close_noninheritable_handles(thread->process);
        reply_now(thread, req, STATUS_SUCCESS, (ULONG)thread->process->pid,
                  io_broker_instance_id);
        return;
    case NP_OP_CREATE_NAMED_PIPE:
    case NP_OP_CREATE_FILE:
        dispatch_create(thread, req, payload, payload_len);
        return;
    case NP_OP_READ:
    case NP_OP_WRITE:
    case NP_OP_FLUSH:
    case NP_OP_FSCTL:
    case NP_OP_QUERY_INFO:
    case NP_OP_SET_INFO:
        dispatch_file_op(thread, req, payload, payload_len);
        return;
    case NP_OP_CLOSE:
        free(payload);
        dispatch_close(thread, req);
        return;
    case NP_OP_DUPLICATE:
        free(payload);
        dispatch_duplicate(thread, req);
        return;
    case NP_OP_PROCESS_SESSION:
        free(payload);
        dispatch_session(thread, req);
        return;
    case NP_OP_HANDLE_FLAGS:
        free(payload);
        dispatch_handle_info(thread, req);
        return;
    case NP_OP_ACK: /* no reply, ever */
        free(payload);
        io_ack(thread->process, req->args.ack.id);
        return;
    case NP_OP_CREATE_EVENT:
        free(payload);
        dispatch_create_event(thread, req);
        return;
    case NP_OP_EVENT_SET:
        free(payload);
        dispatch_event_set(thread, req);
        return;
    case NP_OP_WAIT:
        ke_dispatch_wait(thread, req, payload, payload_len);
        return;
    case NP_OP_CREATE_PORT:
        free(payload);
        dispatch_create_port(thread, req);
        return;
    case NP_OP_SET_COMPLETION:
        free(payload);
        io_dispatch_set_completion(thread, req);
        return;
    case NP_OP_PORT_REMOVE:
        free(payload);
        io_dispatch_port_remove(thread, req);
        return;
    case NP_OP_PORT_POST:
        free(payload);
        io_dispatch_port_post(thread, req);
        return;
    case NP_OP_CANCEL:
        free(payload);
        io_dispatch_cancel(thread, req);
        return;
    case NP_OP_CANCEL_SYNC:
        free(payload);
        io_dispatch_cancel_sync(thread, req);
        return;
    case NP_OP_QUERY_DIRECTORY:
    case NP_OP_NOTIFY_DIRECTORY:
        dispatch_directory(thread, req, payload, payload_len);
        return;
    case NP_OP_BROKER_STATS:
        free(payload);
        io_dispatch_stats(thread, req);
        return;
    default:
        free(payload);
        reply_now(thread, req, STATUS_INVALID_SYSTEM_SERVICE, 0, 0);
        return;
    }
}
