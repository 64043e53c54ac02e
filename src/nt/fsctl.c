/*
 * fsctl.c — NtFsControlFile: the named-pipe controls (listen, disconnect,
 * peek, transceive, wait, the connection attributes...) travel to the
 * broker as the FSCTL code, the input buffer as payload and the output
 * buffer's size; the driver's output comes back into the caller's buffer.
 *
 * The conventions of file.c apply (NULL pointers, IO_STATUS_BLOCK,
 * overlapped calls when an Event, ApcRoutine or ApcContext is given).  An input larger than NP_MAX_TRANSFER is
 * STATUS_INSUFFICIENT_RESOURCES; an output buffer larger than that is used
 * only up to NP_MAX_TRANSFER bytes, which for the pipe controls with
 * large outputs (peek, transceive) reads as a shorter buffer would.
 */
#include "channel/channel.h"

#include <npipe/winternl.h>

NPIPE_API NTSTATUS NTAPI NtFsControlFile(HANDLE FileHandle, HANDLE Event,
                                         PIO_APC_ROUTINE ApcRoutine,
                                         PVOID ApcContext,
                                         PIO_STATUS_BLOCK IoStatusBlock,
                                         ULONG FsControlCode, PVOID InputBuffer,
                                         ULONG InputBufferLength,
                                         PVOID OutputBuffer,
                                         ULONG OutputBufferLength)
{
    if (!IoStatusBlock || (!InputBuffer && InputBufferLength) ||
        (!OutputBuffer && OutputBufferLength))
        return STATUS_ACCESS_VIOLATION;
    if (InputBufferLength > NP_MAX_TRANSFER)
        return STATUS_INSUFFICIENT_RESOURCES;
    uint32_t out_len = OutputBufferLength > NP_MAX_TRANSFER
                           ? NP_MAX_TRANSFER
                           : OutputBufferLength;
    union np_args args = {.io = {.code = FsControlCode}};
    if (Event || ApcRoutine || ApcContext) {
        uint32_t epoch;
        NTSTATUS status = np_nt_async_args(Event, ApcRoutine, ApcContext,
                                           IoStatusBlock, &args, &epoch);
        if (!NT_SUCCESS(status))
            return status;
        struct np_async_io io = {
            .iosb = IoStatusBlock,
            .out = OutputBuffer,
            .out_len = out_len,
            .apc = ApcRoutine,
            .apc_context = ApcContext,
        };
        return np_call_async(NP_OP_FSCTL, FileHandle, epoch, &args,
                             InputBuffer, InputBufferLength, &io, NULL);
    }
    struct np_result res;
    np_call(NP_OP_FSCTL, FileHandle, &args, InputBuffer, InputBufferLength,
            OutputBuffer, out_len, &res);
    if (np_status_writes_iosb(res.status)) {
        IoStatusBlock->Status = res.status;
        IoStatusBlock->Information = (ULONG_PTR)res.information;
    }
    return res.status;
}
