/*
 * irp.c — IRPs: allocation, IoCallDriver, completion and cancellation.
 *
 * The broker is single-threaded, so the cancel spin lock is a formality
 * kept for drivers written the NT way.  An IRP is reference counted
 * between its dispatcher and its completion, so that a driver may complete
 * an IRP before its dispatch routine returns STATUS_PENDING, as NT allows.
 */
#include "io/io.h"

#include <stdlib.h>
#include <string.h>

/* A lookaside list, as NT keeps for IRPs: every request allocates one, and
 * malloc/free of them was a large share of the broker's own instructions
 * (docs/performance.md). */
#define IRP_LOOKASIDE_DEPTH 256
static IO_IRP *irp_lookaside[IRP_LOOKASIDE_DEPTH];
static unsigned irp_lookaside_count;

static IO_IRP *irp_from_lookaside(void)
{
    if (irp_lookaside_count == 0)
        return calloc(1, sizeof(IO_IRP));
    IO_IRP *x = irp_lookaside[--irp_lookaside_count];
    memset(x, 0, sizeof *x);
    return x;
}

static void irp_to_lookaside(IO_IRP *x)
{
    if (irp_lookaside_count < IRP_LOOKASIDE_DEPTH)
        irp_lookaside[irp_lookaside_count++] = x;
    else
        free(x);
}

void io_drain_irp_lookaside(void)
{
    while (irp_lookaside_count)
        free(irp_lookaside[--irp_lookaside_count]);
}
#include "ps/quota.h"

PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
    (void)ChargeQuota;
    if (StackSize != 1)
        return NULL; /* npipe has no filter drivers yet: one location */
    IO_IRP *x = irp_from_lookaside();
    if (!x)
        return NULL;
    x->refs = 1;
    x->irp.Type = 6; /* IO_TYPE_IRP */
    x->irp.Size = IoSizeOfIrp(1);
    x->irp.StackCount = 1;
    x->irp.CurrentLocation = 1;
    x->irp.Tail.Overlay.CurrentStackLocation = &x->stack[0];
    x->irp.RequestorMode = UserMode;
    InitializeListHead(&x->thread_link);
    InitializeListHead(&x->irp.Tail.Overlay.ListEntry);
    return &x->irp;
}

static void io_release_irp(IO_IRP *x)
{
    if (--x->refs > 0)
        return;
    if (x->file)
        ob_dereference_object(&x->file->header);
    if (x->event)
        ob_dereference_object(x->event);
    if (x->pool_charge)
        PsReturnProcessPoolQuota(x->thread->process, NonPagedPool, x->pool_charge);
    if (x->thread)
        ps_dereference_thread(x->thread);
    free(x->in_buffer);
    free(x->out_buffer);
    irp_to_lookaside(x);
}

VOID IoFreeIrp(PIRP Irp) { io_release_irp(io_irp(Irp)); }

NTSTATUS IoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    sp->DeviceObject = DeviceObject;
    PDRIVER_DISPATCH dispatch =
        DeviceObject->DriverObject->MajorFunction[sp->MajorFunction];
    if (!dispatch) {
        Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
        Irp->IoStatus.Information = 0;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    return dispatch(DeviceObject, Irp);
}

/* Called by IoCompleteRequest for IRPs that a client thread issued. */
void io_finish_request(IO_IRP *x);

VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
    (void)PriorityBoost;
    IO_IRP *x = io_irp(Irp);
    if (x->completed)
        abort(); /* a driver completed an IRP twice: a kernel bug */
    x->completed = true;
    Irp->CancelRoutine = NULL;
    RemoveEntryList(&x->thread_link);
    if (x->thread) {
        x->thread->process->pending_irps--;
        ps_quota_return_irp(x->thread->process);
    }
    io_finish_request(x);
    io_release_irp(x);
}

PDRIVER_CANCEL IoSetCancelRoutine(PIRP Irp, PDRIVER_CANCEL CancelRoutine)
{
    PDRIVER_CANCEL old = Irp->CancelRoutine;
    Irp->CancelRoutine = CancelRoutine;
    return old;
}

VOID IoAcquireCancelSpinLock(PKIRQL Irql) { *Irql = 0; }
VOID IoReleaseCancelSpinLock(KIRQL Irql) { (void)Irql; }

BOOLEAN IoCancelIrp(PIRP Irp)
{
    Irp->Cancel = TRUE;
    PDRIVER_CANCEL routine = IoSetCancelRoutine(Irp, NULL);
    if (!routine)
        return FALSE;
    KIRQL irql;
    IoAcquireCancelSpinLock(&irql);
    Irp->CancelIrql = irql;
    /* The routine releases the cancel lock and completes the IRP. */
    routine(IoGetCurrentIrpStackLocation(Irp)->DeviceObject, Irp);
    return TRUE;
}

void io_cancel_thread_irps(PETHREAD thread)
{
    /* Cancelling may complete other IRPs of the list; restart each time. */
    bool progress = true;
    while (progress && !IsListEmpty(&thread->irps)) {
        progress = false;
        for (PLIST_ENTRY e = thread->irps.Flink; e != &thread->irps; e = e->Flink) {
            IO_IRP *x = CONTAINING_RECORD(e, IO_IRP, thread_link);
            if (x->irp.Cancel)
                continue;
            IoCancelIrp(&x->irp);
            progress = true;
            break;
        }
    }
}

/* ---- Drivers and devices ------------------------------------------------ */

static PDRIVER_OBJECT loaded_drivers[4];
static size_t loaded_count;

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                        PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                        ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject)
{
    (void)DeviceName; (void)Exclusive;
    PDEVICE_OBJECT d = calloc(1, sizeof *d + DeviceExtensionSize);
    if (!d)
        return STATUS_INSUFFICIENT_RESOURCES;
    d->Type = 3; /* IO_TYPE_DEVICE */
    d->Size = (USHORT)sizeof *d;
    d->ReferenceCount = 1;
    d->DriverObject = DriverObject;
    d->DeviceType = DeviceType;
    d->Characteristics = DeviceCharacteristics;
    d->StackSize = 1;
    d->DeviceExtension = DeviceExtensionSize ? (void *)(d + 1) : NULL;
    d->NextDevice = DriverObject->DeviceObject;
    DriverObject->DeviceObject = d;
    *DeviceObject = d;
    return STATUS_SUCCESS;
}

VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
    PDEVICE_OBJECT *p = &DeviceObject->DriverObject->DeviceObject;
    while (*p && *p != DeviceObject)
        p = &(*p)->NextDevice;
    if (*p)
        *p = DeviceObject->NextDevice;
    free(DeviceObject);
}

NTSTATUS io_load_driver(PDRIVER_INITIALIZE entry, const char *name)
{
    if (loaded_count == sizeof loaded_drivers / sizeof loaded_drivers[0])
        return STATUS_INSUFFICIENT_RESOURCES;
    PDRIVER_OBJECT drv = calloc(1, sizeof *drv);
    if (!drv)
        return STATUS_INSUFFICIENT_RESOURCES;
    drv->Type = 4; /* IO_TYPE_DRIVER */
    drv->Size = (CSHORT)sizeof *drv;
    drv->DriverInit = entry;
    NTSTATUS status = entry(drv, NULL);
    if (!NT_SUCCESS(status)) {
        free(drv);
        return status;
    }
    for (PDEVICE_OBJECT d = drv->DeviceObject; d; d = d->NextDevice) {
        status = ob_register_device(name, d);
        if (!NT_SUCCESS(status))
            return status;
    }
    loaded_drivers[loaded_count++] = drv;
    return STATUS_SUCCESS;
}

void io_unload_drivers(void)
{
    ob_unregister_devices();
    for (size_t i = 0; i < loaded_count; i++) {
        PDRIVER_OBJECT drv = loaded_drivers[i];
        while (drv->DeviceObject)
            IoDeleteDevice(drv->DeviceObject);
        free(drv);
    }
    loaded_count = 0;
}

PVOID ExAllocatePoolZero(ULONG PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    (void)PoolType; (void)Tag;
    return calloc(1, NumberOfBytes ? NumberOfBytes : 1);
}

VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    (void)Tag;
    free(P);
}
