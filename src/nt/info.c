/*
 * info.c — NtQueryInformationFile and NtSetInformationFile.
 *
 * The I/O manager checks the information class and the buffer length
 * before any driver sees the request, and so does this file: a class
 * outside 1..FileMaximumInformation-1, or one that is never valid for the
 * operation (the directory listings, for a query), is
 * STATUS_INVALID_INFO_CLASS; a buffer shorter than the class's structure
 * is STATUS_INFO_LENGTH_MISMATCH.  Everything else goes to the broker,
 * whose npfs answers for the classes a pipe has (and refuses the rest with
 * STATUS_INVALID_PARAMETER, as Windows' npfs does).
 *
 * The conventions of file.c apply (NULL pointers, IO_STATUS_BLOCK,
 * synchronous completion).
 */
#include "channel/channel.h"

#include <npipe/winternl.h>

/* Classes that are never valid for NtQueryInformationFile on Windows. */
static bool query_class_forbidden(ULONG c)
{
    switch (c) {
    case FileDirectoryInformation:
    case FileFullDirectoryInformation:
    case FileBothDirectoryInformation:
    case 12: /* FileNamesInformation */
    case 37: /* FileIdBothDirectoryInformation */
    case 38: /* FileIdFullDirectoryInformation */
        return true;
    default:
        return false;
    }
}

/* The structure size a class needs (0: not known here, the broker judges). */
static ULONG query_min_length(ULONG c)
{
    switch (c) {
    case FileBasicInformation: return sizeof(FILE_BASIC_INFORMATION);
    case FileStandardInformation: return sizeof(FILE_STANDARD_INFORMATION);
    case FileInternalInformation: return sizeof(LARGE_INTEGER);
    case FileEaInformation: return sizeof(ULONG);
    case FileAccessInformation: return sizeof(ACCESS_MASK);
    case FileNameInformation: return sizeof(FILE_NAME_INFORMATION);
    case FilePositionInformation: return sizeof(LARGE_INTEGER);
    case FileModeInformation: return sizeof(ULONG);
    case FileAlignmentInformation: return sizeof(ULONG);
    case FileAllInformation: return 104; /* sizeof(FILE_ALL_INFORMATION) */
    case FilePipeInformation: return sizeof(FILE_PIPE_INFORMATION);
    case FilePipeLocalInformation: return sizeof(FILE_PIPE_LOCAL_INFORMATION);
    case FilePipeRemoteInformation: return sizeof(FILE_PIPE_REMOTE_INFORMATION);
    default: return 0;
    }
}

static ULONG set_min_length(ULONG c)
{
    switch (c) {
    case FileBasicInformation: return sizeof(FILE_BASIC_INFORMATION);
    case FilePositionInformation: return sizeof(LARGE_INTEGER);
    case FileModeInformation: return sizeof(ULONG);
    case FilePipeInformation: return sizeof(FILE_PIPE_INFORMATION);
    case FilePipeRemoteInformation: return sizeof(FILE_PIPE_REMOTE_INFORMATION);
    default: return 0;
    }
}

static NTSTATUS check_class(FILE_INFORMATION_CLASS cls, ULONG length, bool query)
{
    ULONG c = (ULONG)cls;
    if (c == 0 || c >= FileMaximumInformation || (query && query_class_forbidden(c)))
        return STATUS_INVALID_INFO_CLASS;
    if (length < (query ? query_min_length(c) : set_min_length(c)))
        return STATUS_INFO_LENGTH_MISMATCH;
    return STATUS_SUCCESS;
}

static NTSTATUS info_call(uint16_t op, HANDLE h, PIO_STATUS_BLOCK iosb,
                          PVOID info, ULONG length, FILE_INFORMATION_CLASS cls)
{
    bool query = op == NP_OP_QUERY_INFO;
    if (!iosb || (!info && length))
        return STATUS_ACCESS_VIOLATION;
    NTSTATUS status = check_class(cls, length, query);
    if (!NT_SUCCESS(status))
        return status;
    if (length > NP_MAX_TRANSFER) {
        if (!query)
            return STATUS_INSUFFICIENT_RESOURCES;
        length = NP_MAX_TRANSFER; /* no information of a pipe is that long */
    }
    union np_args args = {.io = {.code = (uint32_t)cls}};
    struct np_result res;
    if (query)
        np_call(op, h, &args, NULL, 0, info, length, &res);
    else
        np_call(op, h, &args, info, length, NULL, 0, &res);
    if (np_status_writes_iosb(res.status)) {
        iosb->Status = res.status;
        iosb->Information = (ULONG_PTR)res.information;
    }
    return res.status;
}

NPIPE_API NTSTATUS NTAPI NtQueryInformationFile(HANDLE FileHandle,
                                                PIO_STATUS_BLOCK IoStatusBlock,
                                                PVOID FileInformation,
                                                ULONG Length,
                                                FILE_INFORMATION_CLASS FileInformationClass)
{
    return info_call(NP_OP_QUERY_INFO, FileHandle, IoStatusBlock,
                     FileInformation, Length, FileInformationClass);
}

NPIPE_API NTSTATUS NTAPI NtSetInformationFile(HANDLE FileHandle,
                                              PIO_STATUS_BLOCK IoStatusBlock,
                                              PVOID FileInformation,
                                              ULONG Length,
                                              FILE_INFORMATION_CLASS FileInformationClass)
{
    return info_call(NP_OP_SET_INFO, FileHandle, IoStatusBlock,
                     FileInformation, Length, FileInformationClass);
}
