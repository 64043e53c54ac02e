/*
 * driver.c — npfs's entry point and the helpers every dispatch routine
 * shares: decoding a file object, and completing IRPs after the driver's
 * structures are consistent again (a completion may drop the last
 * reference to a file object and so re-enter the driver with
 * IRP_MJ_CLOSE; it must find nothing half done).
 */
#include "npfs/npfs.h"

#include <string.h>

#include "ob/ob.h"

PNP_VCB NpVcb;
static NP_DCB NpRootDcb;

CSHORT NpDecodeFileObject(PFILE_OBJECT FileObject, PVOID *Node, PULONG End)
{
    PVOID context = FileObject->FsContext;
    *Node = context;
    if (End)
        *End = (ULONG)(ULONG_PTR)FileObject->FsContext2;
    if (!context)
        return 0;
    return *(CSHORT *)context;
}

VOID NpDeferCompletion(PLIST_ENTRY Deferred, PIRP Irp, NTSTATUS Status,
                       ULONG_PTR Information)
{
    IoSetCancelRoutine(Irp, NULL);
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    InsertTailList(Deferred, &Irp->Tail.Overlay.ListEntry);
}

VOID NpCompleteDeferred(PLIST_ENTRY Deferred)
{
    while (!IsListEmpty(Deferred)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(Deferred), IRP,
                                     Tail.Overlay.ListEntry);
        IoCompleteRequest(irp, IO_NAMED_PIPE_INCREMENT);
    }
}

NTSTATUS NpCompleteNow(PIRP Irp, NTSTATUS Status, ULONG_PTR Information)
{
    Irp->IoStatus.Status = Status;
    Irp->IoStatus.Information = Information;
    IoCompleteRequest(Irp, IO_NAMED_PIPE_INCREMENT);
    return Status;
}

PNP_FCB NpFindFcb(PCUNICODE_STRING Name)
{
    for (PLIST_ENTRY e = NpVcb->FcbList.Flink; e != &NpVcb->FcbList; e = e->Flink) {
        PNP_FCB fcb = CONTAINING_RECORD(e, NP_FCB, VcbLink);
        if (ob_names_equal(fcb->Name.Buffer, fcb->Name.Length, Name->Buffer,
                           Name->Length))
            return fcb;
    }
    return NULL;
}

static NTSTATUS NpFsdNotSupported(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    return NpCompleteNow(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
}

NTSTATUS NpDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    PDEVICE_OBJECT device;
    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(NP_VCB), NULL,
                                     FILE_DEVICE_NAMED_PIPE, 0, FALSE, &device);
    if (!NT_SUCCESS(status))
        return status;
    device->Flags |= DO_LONG_TERM_REQUESTS;
    NpVcb = device->DeviceExtension;
    memset(NpVcb, 0, sizeof *NpVcb);
    NpVcb->NodeType = NPFS_NTC_VCB;
    InitializeListHead(&NpVcb->FcbList);
    InitializeListHead(&NpVcb->WaitList);
    NpRootDcb.NodeType = NPFS_NTC_ROOT_DCB;
    NpRootDcb.Vcb = NpVcb;

    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        DriverObject->MajorFunction[i] = NpFsdNotSupported;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = NpFsdCreate;
    DriverObject->MajorFunction[IRP_MJ_CREATE_NAMED_PIPE] = NpFsdCreateNamedPipe;
    DriverObject->MajorFunction[IRP_MJ_READ] = NpFsdRead;
    DriverObject->MajorFunction[IRP_MJ_WRITE] = NpFsdWrite;
    DriverObject->MajorFunction[IRP_MJ_FLUSH_BUFFERS] = NpFsdFlushBuffers;
    DriverObject->MajorFunction[IRP_MJ_FILE_SYSTEM_CONTROL] = NpFsdFileSystemControl;
    DriverObject->MajorFunction[IRP_MJ_QUERY_INFORMATION] = NpFsdQueryInformation;
    DriverObject->MajorFunction[IRP_MJ_SET_INFORMATION] = NpFsdSetInformation;
    DriverObject->MajorFunction[IRP_MJ_CLEANUP] = NpFsdCleanup;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = NpFsdClose;
    DriverObject->MajorFunction[IRP_MJ_DIRECTORY_CONTROL] = NpFsdDirectoryControl;
    return STATUS_SUCCESS;
}

/* The root directory's context, for create.c. */
PVOID NpRootDcbContext(void) { return &NpRootDcb; }
