/*
 * fileinfo.c — IRP_MJ_QUERY_INFORMATION and IRP_MJ_SET_INFORMATION.
 *
 * FilePipeInformation is an end's read mode and completion mode (the only
 * thing a client may change: SetNamedPipeHandleState); FilePipeLocal-
 * Information is what GetNamedPipeInfo and GetNamedPipeHandleState report.
 * A few generic classes answer as NT's npfs does.
 */
#include "npfs/npfs.h"

#include <string.h>

static NTSTATUS query_pipe_local(PNP_CCB ccb, ULONG end, PVOID buffer, ULONG length,
                                 ULONG_PTR *information)
{
    if (length < sizeof(FILE_PIPE_LOCAL_INFORMATION))
        return STATUS_INFO_LENGTH_MISMATCH;
    PNP_FCB fcb = ccb->Fcb;
    FILE_PIPE_LOCAL_INFORMATION info = {
        .NamedPipeType = fcb->NamedPipeType & FILE_PIPE_MESSAGE_TYPE,
        .NamedPipeConfiguration = fcb->Configuration,
        .MaximumInstances = fcb->MaximumInstances,
        .CurrentInstances = fcb->CurrentInstances,
        .InboundQuota = ccb->DataQueue[FILE_PIPE_INBOUND].Quota,
        .ReadDataAvailable = NpDataQueueReadable(NpReadQueue(ccb, end)),
        .OutboundQuota = ccb->DataQueue[FILE_PIPE_OUTBOUND].Quota,
        .WriteQuotaAvailable = NpDataQueueWriteQuotaAvailable(NpWriteQueue(ccb, end)),
        .NamedPipeState = ccb->NamedPipeState,
        .NamedPipeEnd = end,
    };
    memcpy(buffer, &info, sizeof info);
    *information = sizeof info;
    return STATUS_SUCCESS;
}

static NTSTATUS query_name(PCUNICODE_STRING name, PVOID buffer, ULONG length,
                           ULONG_PTR *information)
{
    const ULONG header = offsetof(FILE_NAME_INFORMATION, FileName);
    if (length < header)
        return STATUS_INFO_LENGTH_MISMATCH;
    FILE_NAME_INFORMATION *info = buffer;
    info->FileNameLength = name->Length;
    ULONG room = length - header;
    ULONG n = name->Length < room ? name->Length : room;
    memcpy(info->FileName, name->Buffer, n);
    *information = header + n;
    return n < name->Length ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}

NTSTATUS NpFsdQueryInformation(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG length = sp->Parameters.QueryFile.Length;
    FILE_INFORMATION_CLASS cls = sp->Parameters.QueryFile.FileInformationClass;
    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;
    PVOID node;
    ULONG end;
    ULONG_PTR information = 0;
    NTSTATUS status;
    CSHORT type = NpDecodeFileObject(sp->FileObject, &node, &end);
    if (type == 0)
        return NpCompleteNow(Irp, STATUS_PIPE_DISCONNECTED, 0);
    if (type == NPFS_NTC_ROOT_DCB && cls == FileNameInformation) {
        static const WCHAR root[] = {'\\'};
        UNICODE_STRING name = {2, 2, (PWSTR)root};
        status = query_name(&name, buffer, length, &information);
        return NpCompleteNow(Irp, status, information);
    }
    if (type != NPFS_NTC_CCB)
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    PNP_CCB ccb = node;
    switch (cls) {
    case FilePipeInformation: {
        if (length < sizeof(FILE_PIPE_INFORMATION)) {
            status = STATUS_INFO_LENGTH_MISMATCH;
            break;
        }
        FILE_PIPE_INFORMATION info = {ccb->ReadMode[end], ccb->CompletionMode[end]};
        memcpy(buffer, &info, sizeof info);
        information = sizeof info;
        status = STATUS_SUCCESS;
        break;
    }
    case FilePipeLocalInformation:
        status = query_pipe_local(ccb, end, buffer, length, &information);
        break;
    case FileNameInformation:
        status = query_name(&ccb->Fcb->Name, buffer, length, &information);
        break;
    case FileStandardInformation: {
        if (length < sizeof(FILE_STANDARD_INFORMATION)) {
            status = STATUS_INFO_LENGTH_MISMATCH;
            break;
        }
        FILE_STANDARD_INFORMATION info = {0};
        info.AllocationSize.QuadPart = (LONGLONG)ccb->DataQueue[0].Quota + ccb->DataQueue[1].Quota;
        info.EndOfFile.QuadPart = NpDataQueueReadable(NpReadQueue(ccb, end));
        info.NumberOfLinks = 1;
        info.DeletePending = TRUE;
        memcpy(buffer, &info, sizeof info);
        information = sizeof info;
        status = STATUS_SUCCESS;
        break;
    }
    default:
        status = STATUS_INVALID_PARAMETER;
        break;
    }
    return NpCompleteNow(Irp, status, NT_ERROR(status) ? 0 : information);
}

NTSTATUS NpFsdSetInformation(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PVOID node;
    ULONG end;
    CSHORT type = NpDecodeFileObject(sp->FileObject, &node, &end);
    if (type == 0)
        return NpCompleteNow(Irp, STATUS_PIPE_DISCONNECTED, 0);
    if (type != NPFS_NTC_CCB ||
        sp->Parameters.SetFile.FileInformationClass != FilePipeInformation)
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    if (sp->Parameters.SetFile.Length < sizeof(FILE_PIPE_INFORMATION))
        return NpCompleteNow(Irp, STATUS_INFO_LENGTH_MISMATCH, 0);
    PNP_CCB ccb = node;
    FILE_PIPE_INFORMATION info;
    memcpy(&info, Irp->AssociatedIrp.SystemBuffer, sizeof info);
    if (info.ReadMode > FILE_PIPE_MESSAGE_MODE ||
        info.CompletionMode > FILE_PIPE_COMPLETE_OPERATION ||
        (info.ReadMode == FILE_PIPE_MESSAGE_MODE &&
         !(ccb->Fcb->NamedPipeType & FILE_PIPE_MESSAGE_TYPE)))
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    /* A nonblocking end cannot have reads waiting. */
    if (info.CompletionMode == FILE_PIPE_COMPLETE_OPERATION &&
        NpDataQueueHasReaders(NpReadQueue(ccb, end)))
        return NpCompleteNow(Irp, STATUS_PIPE_BUSY, 0);
    ccb->ReadMode[end] = info.ReadMode;
    ccb->CompletionMode[end] = info.CompletionMode;
    return NpCompleteNow(Irp, STATUS_SUCCESS, 0);
}
