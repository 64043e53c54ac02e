/*
 * port.c — I/O completion ports.
 *
 * A port is a queue of completion packets {key, OVERLAPPED, status, bytes}
 * and a stack of threads waiting for them: the thread that waited last is
 * woken first, as Windows does, so that a hot thread keeps working.  Files
 * associated with a port queue a packet when an overlapped operation on
 * them is complete (async.c); PostQueuedCompletionStatus queues one by
 * hand.  Closing the port's last handle wakes its waiters with
 * STATUS_ABANDONED_WAIT_0.  The concurrency value is kept but not enforced
 * (docs/decisions.md).
 */
#include "io/io.h"

#include <stdlib.h>
#include <string.h>

#define PORT_MAX_ENTRIES 1024 /* per GetQueuedCompletionStatusEx call */

typedef struct io_port {
    OB_HEADER header;
    LIST_ENTRY packets;
    LIST_ENTRY waiters; /* PORT_WAIT, most recent first */
    ULONG concurrency;
    bool closed;
} IO_PORT;

typedef struct port_packet {
    LIST_ENTRY link;
    struct np_packet p;
} PORT_PACKET;

typedef struct port_wait {
    LIST_ENTRY link;
    PIRP irp;
    IO_PORT *port;
    PETHREAD thread;
    ULONG max_entries;
    KTIMER timer;
    KDPC dpc;
} PORT_WAIT;

#define CTX_ALERT 2 /* as in ke/wait.c */

static void port_last_handle_closed(OB_HEADER *object, PEPROCESS process);
static void port_delete(OB_HEADER *object);

const OB_TYPE io_port_type = {
    .name = "IoCompletion",
    .last_handle_closed = port_last_handle_closed,
    .delete_object = port_delete,
};

NTSTATUS io_create_port(PEPROCESS process, ULONG concurrency, ULONG attributes,
                        ULONG *handle)
{
    IO_PORT *port = calloc(1, sizeof *port);
    if (!port)
        return STATUS_INSUFFICIENT_RESOURCES;
    ob_init_object(&port->header, &io_port_type);
    InitializeListHead(&port->packets);
    InitializeListHead(&port->waiters);
    port->concurrency = concurrency;
    NTSTATUS status = ob_insert_handle(process, &port->header,
                                       0x001F0003 /* IO_COMPLETION_ALL_ACCESS */,
                                       attributes & OBJ_INHERIT, handle);
    ob_dereference_object(&port->header);
    return status;
}

/* ---- Ending a wait --------------------------------------------------------- */

static void take_off(PORT_WAIT *w)
{
    RemoveEntryList(&w->link);
    KeCancelTimer(&w->timer);
    ke_clear_alertable_wait(w->thread, w->irp);
    IoSetCancelRoutine(w->irp, NULL);
    ob_dereference_object(&w->port->header);
}

static void end_wait(PORT_WAIT *w, NTSTATUS status)
{
    take_off(w);
    PIRP irp = w->irp;
    free(w);
    irp->IoStatus.Status = status;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
}

/* Hands up to max packets to a request; returns how many. */
static ULONG take_packets(IO_PORT *port, IO_IRP *x, ULONG max)
{
    ULONG n = 0;
    struct np_packet *out = (struct np_packet *)x->out_buffer;
    while (n < max && !IsListEmpty(&port->packets)) {
        PORT_PACKET *p = CONTAINING_RECORD(RemoveHeadList(&port->packets), PORT_PACKET, link);
        out[n++] = p->p;
        free(p);
    }
    return n;
}

static void give_packets(PORT_WAIT *w)
{
    IO_PORT *port = w->port;
    take_off(w);
    PIRP irp = w->irp;
    ULONG n = take_packets(port, io_irp(irp), w->max_entries);
    free(w);
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = n * sizeof(struct np_packet);
    IoCompleteRequest(irp, IO_NO_INCREMENT);
}

static VOID port_timeout(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    (void)Dpc; (void)A1; (void)A2;
    end_wait(Context, STATUS_TIMEOUT);
}

static VOID port_cancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    end_wait(Irp->Tail.Overlay.DriverContext[0], STATUS_CANCELLED);
}

static VOID port_alert(PIRP Irp)
{
    PORT_WAIT *w = Irp->Tail.Overlay.DriverContext[0];
    PETHREAD thread = w->thread;
    take_off(w);
    free(w);
    ke_deliver_apcs(thread, Irp);
}

/* ---- Packets --------------------------------------------------------------- */

void io_queue_packet(OB_HEADER *object, uint64_t key, uint64_t cookie,
                     NTSTATUS status, uint64_t information)
{
    IO_PORT *port = CONTAINING_RECORD(object, IO_PORT, header);
    if (port->closed)
        return;
    PORT_PACKET *p = calloc(1, sizeof *p);
    if (!p)
        return;
    p->p = (struct np_packet){.key = key, .cookie = cookie,
                              .information = information, .status = status};
    InsertTailList(&port->packets, &p->link);
    if (!IsListEmpty(&port->waiters))
        give_packets(CONTAINING_RECORD(port->waiters.Flink, PORT_WAIT, link));
}

void io_dispatch_port_post(PETHREAD thread, const struct np_request *req)
{
    const struct np_args_port *a = &req->args.port;
    OB_HEADER *object;
    NTSTATUS status = ob_reference_by_handle(thread->process, req->handle,
                                             &io_port_type, &object, NULL, NULL);
    if (NT_SUCCESS(status)) {
        io_queue_packet(object, a->key, a->cookie, a->status, a->information);
        ob_dereference_object(object);
    }
    io_reply_status(thread, req, status, 0);
}

void io_dispatch_port_remove(PETHREAD thread, const struct np_request *req)
{
    const struct np_args_port *a = &req->args.port;
    OB_HEADER *object;
    NTSTATUS status = ob_reference_by_handle(thread->process, req->handle,
                                             &io_port_type, &object, NULL, NULL);
    if (NT_SUCCESS(status) && (a->max_entries == 0 || a->max_entries > PORT_MAX_ENTRIES ||
                               req->out_len < a->max_entries * sizeof(struct np_packet))) {
        ob_dereference_object(object);
        status = STATUS_INVALID_PARAMETER;
    }
    IO_IRP *x = NT_SUCCESS(status) ? io_new_request_irp(thread, req) : NULL;
    if (NT_SUCCESS(status) && x) {
        x->out_len = a->max_entries * sizeof(struct np_packet);
        x->out_buffer = malloc(x->out_len);
    }
    if (NT_SUCCESS(status) && (!x || !x->out_buffer)) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        ob_dereference_object(object);
        if (x) {
            x->irp.IoStatus.Status = status;
            IoCompleteRequest(&x->irp, IO_NO_INCREMENT);
            return;
        }
    }
    if (!NT_SUCCESS(status)) {
        io_reply_status(thread, req, status, 0);
        return;
    }
    IO_PORT *port = CONTAINING_RECORD(object, IO_PORT, header);
    PIRP irp = &x->irp;
    ULONG n = take_packets(port, x, a->max_entries);
    if (n || port->closed || (a->alertable && !IsListEmpty(&thread->apcs)) ||
        a->timeout_ms == 0) {
        ob_dereference_object(object);
        if (!n && a->alertable && ke_deliver_apcs(thread, irp))
            return;
        irp->IoStatus.Status = n ? STATUS_SUCCESS
                             : port->closed ? STATUS_ABANDONED_WAIT_0 : STATUS_TIMEOUT;
        irp->IoStatus.Information = n * sizeof(struct np_packet);
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return;
    }
    PORT_WAIT *w = calloc(1, sizeof *w);
    if (!w) {
        ob_dereference_object(object);
        irp->IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return;
    }
    w->irp = irp;
    w->port = port; /* keeps our reference */
    w->thread = thread;
    w->max_entries = a->max_entries;
    InsertHeadList(&port->waiters, &w->link); /* last in, first woken */
    KeInitializeTimer(&w->timer);
    KeInitializeDpc(&w->dpc, port_timeout, w);
    if (a->timeout_ms != 0xFFFFFFFFu) {
        LARGE_INTEGER due = {.QuadPart = -(LONGLONG)a->timeout_ms * 10000};
        KeSetTimer(&w->timer, due, &w->dpc);
    }
    irp->Tail.Overlay.DriverContext[0] = w;
    irp->Tail.Overlay.DriverContext[CTX_ALERT] = (PVOID)port_alert;
    if (a->alertable)
        ke_set_alertable_wait(thread, irp);
    IoMarkIrpPending(irp);
    IoSetCancelRoutine(irp, port_cancel);
}

/* ---- Life ---------------------------------------------------------------- */

static void port_last_handle_closed(OB_HEADER *object, PEPROCESS process)
{
    (void)process;
    IO_PORT *port = CONTAINING_RECORD(object, IO_PORT, header);
    port->closed = true;
    ob_reference_object(object); /* the waiters' references go one by one */
    while (!IsListEmpty(&port->waiters))
        end_wait(CONTAINING_RECORD(port->waiters.Flink, PORT_WAIT, link),
                 STATUS_ABANDONED_WAIT_0);
    ob_dereference_object(object);
}

static void port_delete(OB_HEADER *object)
{
    IO_PORT *port = CONTAINING_RECORD(object, IO_PORT, header);
    while (!IsListEmpty(&port->packets))
        free(CONTAINING_RECORD(RemoveHeadList(&port->packets), PORT_PACKET, link));
    free(port);
}
