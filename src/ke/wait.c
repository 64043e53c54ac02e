/*
 * wait.c — WaitForSingleObject/WaitForMultipleObjects/SleepEx, and the
 * user APCs that end alertable waits.
 *
 * A wait request names its objects by handle; they are referenced for the
 * wait's lifetime, so closing a handle during a wait changes nothing, as on
 * Windows.  An alertable wait ends with STATUS_USER_APC when a completion
 * routine of the thread is due; the reply carries the request ids whose
 * routines the library is to run.  APCs belong to a thread, so only that
 * thread's alertable waits deliver them.
 */
#include "ke/ke_private.h"

#include <stdlib.h>
#include <string.h>

#include "io/io.h"

typedef struct _KE_APC {
    LIST_ENTRY Link;
    uint64_t RequestId;
} KE_APC;

/* ---- APCs ---------------------------------------------------------------- */

BOOLEAN ke_deliver_apcs(PETHREAD thread, PIRP Irp)
{
    if (IsListEmpty(&thread->apcs))
        return FALSE;
    IO_IRP *x = io_irp(Irp);
    /* As many as the caller can take; the rest stay due. */
    ULONG room = x->reply_capacity / sizeof(uint64_t), n = 0;
    for (PLIST_ENTRY e = thread->apcs.Flink; e != &thread->apcs && n < room; e = e->Flink)
        n++;
    if (n == 0)
        return FALSE;
    uint64_t *ids = malloc(n * sizeof *ids);
    if (!ids)
        return FALSE; /* try again at the next alertable wait */
    for (ULONG i = 0; i < n; i++) {
        KE_APC *apc = CONTAINING_RECORD(RemoveHeadList(&thread->apcs), KE_APC, Link);
        ids[i] = apc->RequestId;
        free(apc);
    }
    free(x->out_buffer);
    x->out_buffer = (uint8_t *)ids;
    x->out_len = n * sizeof *ids;
    IoSetCancelRoutine(Irp, NULL);
    Irp->IoStatus.Status = STATUS_USER_APC;
    Irp->IoStatus.Information = x->out_len;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return TRUE;
}

/* How an alertable request of each kind is ended for an APC. */
typedef VOID (*KE_ALERT_ROUTINE)(PIRP Irp);
#define CTX_ALERT 2

void ke_set_alertable_wait(PETHREAD thread, PIRP Irp) { thread->alertable_wait = Irp; }

void ke_clear_alertable_wait(PETHREAD thread, PIRP Irp)
{
    if (thread->alertable_wait == Irp)
        thread->alertable_wait = NULL;
}

void ke_queue_user_apc(PETHREAD thread, uint64_t request_id)
{
    if (thread->terminated)
        return;
    KE_APC *apc = malloc(sizeof *apc);
    if (!apc)
        return;
    apc->RequestId = request_id;
    InsertTailList(&thread->apcs, &apc->Link);
    PIRP waiting = thread->alertable_wait;
    if (waiting) {
        KE_ALERT_ROUTINE alert = (KE_ALERT_ROUTINE)waiting->Tail.Overlay.DriverContext[CTX_ALERT];
        if (alert)
            alert(waiting);
    }
}

void ke_free_thread_apcs(PETHREAD thread)
{
    while (!IsListEmpty(&thread->apcs))
        free(CONTAINING_RECORD(RemoveHeadList(&thread->apcs), KE_APC, Link));
}

/* ---- Waits --------------------------------------------------------------- */

static void take_off(PKE_WAIT wait)
{
    if (wait->Queued)
        for (ULONG i = 0; i < wait->Count; i++)
            RemoveEntryList(&wait->Entries[i].Link);
    wait->Queued = FALSE;
    KeCancelTimer(&wait->Timer);
    ke_clear_alertable_wait(wait->Thread, wait->Irp);
    IoSetCancelRoutine(wait->Irp, NULL);
}

static void free_wait(PKE_WAIT wait)
{
    for (ULONG i = 0; i < wait->Count; i++)
        ob_dereference_object(wait->Headers[i]);
    free(wait);
}

VOID ke_end_wait(PKE_WAIT wait, NTSTATUS Status)
{
    take_off(wait);
    PIRP irp = wait->Irp;
    free_wait(wait);
    irp->IoStatus.Status = Status;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
}

static VOID wait_timeout(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    (void)Dpc; (void)A1; (void)A2;
    ke_end_wait(Context, STATUS_TIMEOUT);
}

static VOID wait_cancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    ke_end_wait(Irp->Tail.Overlay.DriverContext[0], STATUS_CANCELLED);
}

static VOID wait_alert(PIRP Irp)
{
    PKE_WAIT wait = Irp->Tail.Overlay.DriverContext[0];
    PETHREAD thread = wait->Thread;
    take_off(wait);
    free_wait(wait);
    ke_deliver_apcs(thread, Irp);
}

void ke_dispatch_wait(PETHREAD thread, const struct np_request *req,
                      void *payload, uint32_t len)
{
    const struct np_args_wait *a = &req->args.wait;
    ULONG count = a->count;
    NTSTATUS status = STATUS_SUCCESS;
    if (count > KE_MAXIMUM_WAIT_OBJECTS || len != count * sizeof(uint32_t) ||
        (count == 0 && a->wait_all))
        status = STATUS_INVALID_PARAMETER;
    PKE_WAIT wait = NT_SUCCESS(status) ? calloc(1, sizeof *wait) : NULL;
    if (NT_SUCCESS(status) && !wait)
        status = STATUS_INSUFFICIENT_RESOURCES;
    for (ULONG i = 0; NT_SUCCESS(status) && i < count; i++) {
        uint32_t h;
        memcpy(&h, (uint8_t *)payload + i * sizeof h, sizeof h);
        OB_HEADER *object;
        status = ob_reference_by_handle(thread->process, h, NULL, &object, NULL, NULL);
        if (!NT_SUCCESS(status))
            break;
        if (!object->type->dispatcher) {
            ob_dereference_object(object);
            status = STATUS_OBJECT_TYPE_MISMATCH; /* not waitable */
            break;
        }
        wait->Headers[i] = object;
        wait->Entries[i].Object = object->type->dispatcher(object);
        wait->Entries[i].Wait = wait;
        wait->Count = i + 1;
        if (a->wait_all) /* the same object twice in a wait-all */
            for (ULONG j = 0; j < i; j++)
                if (wait->Headers[j] == object)
                    status = STATUS_INVALID_PARAMETER_MIX;
    }
    free(payload);
    IO_IRP *x = NT_SUCCESS(status) ? io_new_request_irp(thread, req) : NULL;
    if (NT_SUCCESS(status) && !x)
        status = STATUS_INSUFFICIENT_RESOURCES;
    if (!NT_SUCCESS(status)) {
        if (wait)
            free_wait(wait);
        io_reply_status(thread, req, status, 0);
        return;
    }
    PIRP irp = &x->irp;
    wait->Irp = irp;
    wait->Thread = thread;
    wait->WaitAll = a->wait_all != 0;
    wait->Alertable = a->alertable != 0;
    KeInitializeTimer(&wait->Timer);
    KeInitializeDpc(&wait->Dpc, wait_timeout, wait);
    irp->Tail.Overlay.DriverContext[0] = wait;
    irp->Tail.Overlay.DriverContext[CTX_ALERT] = (PVOID)wait_alert;

    if (ke_try_satisfy(wait))
        return;
    if (wait->Alertable && !IsListEmpty(&thread->apcs)) {
        wait_alert(irp);
        return;
    }
    if (a->timeout_ms == 0) {
        ke_end_wait(wait, STATUS_TIMEOUT);
        return;
    }
    for (ULONG i = 0; i < count; i++)
        InsertTailList(&wait->Entries[i].Object->WaitList, &wait->Entries[i].Link);
    wait->Queued = TRUE;
    if (a->timeout_ms != 0xFFFFFFFFu) {
        LARGE_INTEGER due = {.QuadPart = -(LONGLONG)a->timeout_ms * 10000};
        KeSetTimer(&wait->Timer, due, &wait->Dpc);
    }
    if (wait->Alertable)
        ke_set_alertable_wait(thread, irp);
    IoMarkIrpPending(irp);
    IoSetCancelRoutine(irp, wait_cancel);
}
