/*
 * async.c — how an overlapped request ends.
 *
 * The broker never writes client memory, so an overlapped request ends in
 * two steps.  When its IRP completes, the final reply (status, byte count,
 * data) goes to the process: to the issuing thread if the request
 * completed at once, else to the process's completion channel, where one
 * library thread copies the data and writes the OVERLAPPED.  The library
 * then acknowledges (NP_OP_ACK), and only then does the broker make the
 * completion visible — set the caller's event and the file's own event,
 * queue the completion packet, queue the completion routine's APC — so
 * that whoever wakes finds the OVERLAPPED already written.  A request that
 * fails at once makes nothing visible, as on Windows.
 *
 * Also here: CancelIo / CancelIoEx, and associating a file with a port.
 */
#include "io/io.h"

#include <stdlib.h>

typedef struct io_async {
    LIST_ENTRY link; /* in EPROCESS.asyncs */
    uint64_t id;
    OB_HEADER *event;
    IO_FILE *file;
    PETHREAD thread;
    uint64_t cookie;
    uint32_t flags;
    bool immediate;
    NTSTATUS status;
    uint64_t information;
} IO_ASYNC;

static void free_async(IO_ASYNC *a)
{
    if (a->event)
        ob_dereference_object(a->event);
    ob_dereference_object(&a->file->header);
    ps_dereference_thread(a->thread);
    free(a);
}

void io_complete_async(IO_IRP *x)
{
    NTSTATUS status = x->irp.IoStatus.Status;
    /* On a synchronous file the issuing thread is still waiting for this. */
    bool immediate = x->in_dispatch || (x->file->fo.Flags & FO_SYNCHRONOUS_IO);
    PEPROCESS process = x->thread->process;
    PETHREAD to = immediate ? x->thread : process->completion_thread;
    if (to && !to->terminated && !(immediate && NT_ERROR(status))) {
        IO_ASYNC *a = malloc(sizeof *a);
        if (a) {
            *a = (IO_ASYNC){
                .id = x->request_id,
                .event = x->event,
                .file = x->file,
                .thread = x->thread,
                .cookie = x->cookie,
                .flags = x->async_flags,
                .immediate = immediate,
                .status = status,
                .information = x->irp.IoStatus.Information,
            };
            x->event = NULL; /* the record holds it now */
            ob_reference_object(&x->file->header);
            ps_reference_thread(x->thread);
            InsertTailList(&process->asyncs, &a->link);
            process->async_count++;
        }
    }
    const void *data = NULL;
    uint32_t len = 0;
    if (x->out_buffer && !NT_ERROR(status)) {
        ULONG_PTR info = x->irp.IoStatus.Information;
        len = info < x->out_len ? (uint32_t)info : x->out_len;
        data = x->out_buffer;
    }
    io_send_reply(to, x->request_id, NP_REPLY_FINAL, status, 0,
                  x->irp.IoStatus.Information, data, len);
}

void io_ack(PEPROCESS process, uint64_t id)
{
    IO_ASYNC *a = NULL;
    for (PLIST_ENTRY e = process->asyncs.Flink; e != &process->asyncs; e = e->Flink) {
        IO_ASYNC *candidate = CONTAINING_RECORD(e, IO_ASYNC, link);
        if (candidate->id == id) {
            a = candidate;
            break;
        }
    }
    if (!a)
        return; /* unknown or already acknowledged: ignore */
    RemoveEntryList(&a->link);
    process->async_count--;
    IO_FILE *file = a->file;
    if (a->event)
        ke_set_event_object(a->event);
    /* The file's own event stands in for a missing event of the caller. */
    if (!a->event && !(file->completion_modes & 2 /* FILE_SKIP_SET_EVENT_ON_HANDLE */))
        KeSignalObject(&file->event);
    bool skip_port = (a->flags & NP_ASYNC_NO_PORT) ||
                     (a->immediate && NT_SUCCESS(a->status) &&
                      (file->completion_modes & 1 /* SKIP_..._ON_SUCCESS */));
    if (file->port && !skip_port)
        io_queue_packet(file->port, file->port_key, a->cookie, a->status, a->information);
    if (a->flags & NP_ASYNC_APC)
        ke_queue_user_apc(a->thread, a->id);
    free_async(a);
}

void io_free_process_asyncs(PEPROCESS process)
{
    while (!IsListEmpty(&process->asyncs)) {
        IO_ASYNC *a = CONTAINING_RECORD(RemoveHeadList(&process->asyncs), IO_ASYNC, link);
        free_async(a);
    }
    process->async_count = 0;
}

/* ---- CancelIo / CancelIoEx ---------------------------------------------- */

static IO_IRP *find_cancelable(PETHREAD thread, IO_FILE *file,
                               const struct np_args_cancel *a)
{
    for (PLIST_ENTRY e = thread->irps.Flink; e != &thread->irps; e = e->Flink) {
        IO_IRP *x = CONTAINING_RECORD(e, IO_IRP, thread_link);
        if (x->file == file && !x->irp.Cancel &&
            (!a->match_cookie || (x->async && x->cookie == a->cookie)))
            return x;
    }
    return NULL;
}

void io_dispatch_cancel(PETHREAD thread, const struct np_request *req)
{
    const struct np_args_cancel *a = &req->args.cancel;
    OB_HEADER *object;
    NTSTATUS status = ob_reference_by_handle(thread->process, req->handle,
                                             &io_file_type, &object, NULL, NULL);
    if (!NT_SUCCESS(status)) {
        io_reply_status(thread, req, status, 0);
        return;
    }
    IO_FILE *file = CONTAINING_RECORD(object, IO_FILE, header);
    ULONG cancelled = 0;
    PEPROCESS process = thread->process;
    /* Cancelling completes IRPs and changes the lists: look again each time. */
    for (;;) {
        IO_IRP *x = NULL;
        if (a->only_this_thread) {
            x = find_cancelable(thread, file, a);
        } else {
            for (PLIST_ENTRY e = process->threads.Flink; e != &process->threads && !x;
                 e = e->Flink)
                x = find_cancelable(CONTAINING_RECORD(e, ETHREAD, link), file, a);
        }
        if (!x)
            break;
        IoCancelIrp(&x->irp);
        cancelled++;
    }
    ob_dereference_object(object);
    io_reply_status(thread, req, cancelled ? STATUS_SUCCESS : STATUS_NOT_FOUND, cancelled);
}

/* CancelSynchronousIo: the named thread's blocking I/O (not its overlapped
 * I/O, not its waits) ends with STATUS_CANCELLED. */
void io_dispatch_cancel_sync(PETHREAD thread, const struct np_request *req)
{
    pid_t tid = (pid_t)req->args.cancel.thread_id;
    PEPROCESS process = thread->process;
    ULONG cancelled = 0;
    for (PLIST_ENTRY e = process->threads.Flink; tid > 0 && e != &process->threads;
         e = e->Flink) {
        PETHREAD target = CONTAINING_RECORD(e, ETHREAD, link);
        if (target->tid != tid || target == thread)
            continue;
        for (;;) {
            IO_IRP *found = NULL;
            for (PLIST_ENTRY l = target->irps.Flink; l != &target->irps; l = l->Flink) {
                IO_IRP *x = CONTAINING_RECORD(l, IO_IRP, thread_link);
                if (x->file && !x->async && !x->irp.Cancel) {
                    found = x;
                    break;
                }
            }
            if (!found)
                break;
            IoCancelIrp(&found->irp);
            cancelled++;
        }
    }
    io_reply_status(thread, req, cancelled ? STATUS_SUCCESS : STATUS_NOT_FOUND, cancelled);
}

/* ---- CreateIoCompletionPort / SetFileCompletionNotificationModes -------- */

void io_dispatch_set_completion(PETHREAD thread, const struct np_request *req)
{
    const struct np_args_completion *a = &req->args.completion;
    OB_HEADER *object;
    NTSTATUS status = ob_reference_by_handle(thread->process, req->handle,
                                             &io_file_type, &object, NULL, NULL);
    if (!NT_SUCCESS(status)) {
        io_reply_status(thread, req, status, 0);
        return;
    }
    IO_FILE *file = CONTAINING_RECORD(object, IO_FILE, header);
    if ((a->what & ~(NP_COMPLETION_SET_PORT | NP_COMPLETION_SET_MODES)) ||
        ((a->what & NP_COMPLETION_SET_MODES) && (a->modes & ~3u)))
        status = STATUS_INVALID_PARAMETER;
    OB_HEADER *port = NULL;
    if (NT_SUCCESS(status) && (a->what & NP_COMPLETION_SET_PORT)) {
        status = ob_reference_by_handle(thread->process, a->port, &io_port_type,
                                        &port, NULL, NULL);
        if (NT_SUCCESS(status) && file->port) {
            /* A file is associated with one port, once. */
            ob_dereference_object(port);
            status = STATUS_INVALID_PARAMETER;
        }
        if (NT_SUCCESS(status)) {
            file->port = port; /* keeps the reference */
            file->port_key = a->key;
        }
    }
    if (NT_SUCCESS(status) && (a->what & NP_COMPLETION_SET_MODES))
        file->completion_modes |= a->modes; /* modes can only be added */
    ob_dereference_object(object);
    io_reply_status(thread, req, status, 0);
}
