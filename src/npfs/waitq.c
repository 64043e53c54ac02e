/*
 * waitq.c — WaitNamedPipe: FSCTL_PIPE_WAIT waiters.
 *
 * A waiter names a pipe and waits until an instance of it is available:
 * one is created, or one goes from DISCONNECTED back to LISTENING.  It
 * gives up after its timeout (STATUS_IO_TIMEOUT, which Win32 reports as
 * ERROR_SEM_TIMEOUT), or learns that the pipe went away
 * (STATUS_OBJECT_NAME_NOT_FOUND).  Success promises nothing: another client
 * may take the instance first, as on Windows.
 */
#include "npfs/npfs.h"

#include <stdlib.h>
#include <string.h>

#include "ob/ob.h"

typedef struct _NP_WAITER {
    LIST_ENTRY Link;
    PIRP Irp;
    KTIMER Timer;
    KDPC Dpc;
    USHORT NameLength;
    WCHAR Name[];
} NP_WAITER, *PNP_WAITER;

static void finish_waiter(PNP_WAITER w, NTSTATUS status, PLIST_ENTRY deferred)
{
    KeCancelTimer(&w->Timer);
    RemoveEntryList(&w->Link);
    NpDeferCompletion(deferred, w->Irp, status, 0);
    free(w);
}

static VOID NpWaiterTimeout(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2)
{
    (void)Dpc; (void)A1; (void)A2;
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    finish_waiter(Context, STATUS_IO_TIMEOUT, &deferred);
    NpCompleteDeferred(&deferred);
}

static VOID NpWaiterCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    finish_waiter(Irp->Tail.Overlay.DriverContext[0], STATUS_CANCELLED, &deferred);
    NpCompleteDeferred(&deferred);
}

/* Timeout: relative 100 ns units (negative); INT64_MIN waits forever. */
NTSTATUS NpAddWaiter(PIRP Irp, PCUNICODE_STRING Name, LONGLONG Timeout)
{
    PNP_WAITER w = malloc(sizeof *w + Name->Length);
    if (!w)
        return STATUS_INSUFFICIENT_RESOURCES;
    w->Irp = Irp;
    w->NameLength = Name->Length;
    memcpy(w->Name, Name->Buffer, Name->Length);
    KeInitializeTimer(&w->Timer);
    KeInitializeDpc(&w->Dpc, NpWaiterTimeout, w);
    InsertTailList(&NpVcb->WaitList, &w->Link);
    Irp->Tail.Overlay.DriverContext[0] = w;
    if (Timeout != INT64_MIN) {
        LARGE_INTEGER due = {.QuadPart = Timeout < 0 ? Timeout : -1};
        KeSetTimer(&w->Timer, due, &w->Dpc);
    }
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, NpWaiterCancel);
    return STATUS_PENDING;
}

VOID NpWakeWaiters(PCUNICODE_STRING Name, NTSTATUS Status, PLIST_ENTRY Deferred)
{
    PLIST_ENTRY e = NpVcb->WaitList.Flink;
    while (e != &NpVcb->WaitList) {
        PNP_WAITER w = CONTAINING_RECORD(e, NP_WAITER, Link);
        e = e->Flink;
        if (ob_names_equal(w->Name, w->NameLength, Name->Buffer, Name->Length))
            finish_waiter(w, Status, Deferred);
    }
}
