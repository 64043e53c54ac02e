/*
 * file.c — the native calls on files: NtCreateNamedPipeFile, NtCreateFile,
 * NtOpenFile, NtReadFile, NtWriteFile, NtFlushBuffersFile, NtClose and
 * NtDuplicateObject, and npipe's internal NpHandleFlags.  Each checks its arguments the way ntdll and the
 * kernel's probes would, then becomes one request to the broker.
 *
 * Conventions of the whole Nt layer (also fsctl.c, info.c, session.c):
 *
 * - A NULL where ntdll would fault writing or reading through a pointer
 *   (the IO_STATUS_BLOCK, FileHandle, a buffer with a nonzero length)
 *   returns STATUS_ACCESS_VIOLATION: the status the kernel gives a bad
 *   user pointer, without the crash.
 * - Creates leave *FileHandle and the IO_STATUS_BLOCK untouched when they
 *   fail.  Other calls fill the IO_STATUS_BLOCK unless the status is an
 *   error (see np_status_writes_iosb in channel.h).
 * - NtReadFile, NtWriteFile and NtFsControlFile are overlapped calls when
 *   an Event, an ApcRoutine or an ApcContext is given: the request may
 *   pend (STATUS_PENDING; the IO_STATUS_BLOCK, the event, the routine and
 *   the completion packet follow later, see src/channel/async.c), and the
 *   file's own event is cleared and later set as NT does.  ApcContext
 *   without a routine is the completion-port value; NULL means "no
 *   packet" (kernel32's hEvent-low-bit convention).  With none of the
 *   three the call completes before returning, even on a handle opened
 *   without FILE_SYNCHRONOUS_IO_* — npipe's one departure here: NT would
 *   return STATUS_PENDING and signal the handle later.
 * - Handles in requests are the broker's wire values; np_call converts.
 */
#include "channel/channel.h"

#include <npipe/windows.h>
#include <npipe/winternl.h>

/* ---- Object attributes -------------------------------------------------- */

struct captured_name {
    const WCHAR *buffer;
    uint32_t bytes;
    uint32_t attributes;
};

/*
 * Checks OBJECT_ATTRIBUTES as the object manager does.  Two things npipe
 * does not do yet are refused rather than ignored:
 *   - RootDirectory (opens relative to a directory handle):
 *     STATUS_NOT_SUPPORTED;
 *   - a security descriptor on a pipe creation (allow_sd false):
 *     STATUS_NOT_SUPPORTED, until SDDL security exists (DESIGN.md).  An
 *     open of an existing object ignores it, as Windows does.
 */
static NTSTATUS capture_name(const OBJECT_ATTRIBUTES *oa, bool allow_sd,
                             struct captured_name *out)
{
    if (!oa)
        return STATUS_ACCESS_VIOLATION;
    if (oa->Length != sizeof *oa || (oa->Attributes & ~(ULONG)OBJ_VALID_ATTRIBUTES))
        return STATUS_INVALID_PARAMETER;
    if (oa->RootDirectory || (oa->SecurityDescriptor && !allow_sd))
        return STATUS_NOT_SUPPORTED;
    const UNICODE_STRING *name = oa->ObjectName;
    if (!name)
        return STATUS_OBJECT_NAME_INVALID;
    if (name->Length && !name->Buffer)
        return STATUS_ACCESS_VIOLATION;
    if (!name->Length || (name->Length & 1) || name->Length > NP_MAX_NAME_BYTES)
        return STATUS_OBJECT_NAME_INVALID;
    out->buffer = name->Buffer;
    out->bytes = name->Length;
    out->attributes = oa->Attributes;
    return STATUS_SUCCESS;
}

static void set_iosb(PIO_STATUS_BLOCK iosb, const struct np_result *res)
{
    if (np_status_writes_iosb(res->status)) {
        iosb->Status = res->status;
        iosb->Information = (ULONG_PTR)res->information;
    }
}

/* A create's results reach the caller only when it succeeded. */
static NTSTATUS finish_create(const struct np_result *res, PHANDLE handle,
                              PIO_STATUS_BLOCK iosb)
{
    if (NT_SUCCESS(res->status)) {
        *handle = res->handle;
        iosb->Status = res->status;
        iosb->Information = (ULONG_PTR)res->information;
    }
    return res->status;
}

/* ---- Creating and opening ------------------------------------------------ */

NPIPE_API NTSTATUS NTAPI NtCreateNamedPipeFile(
    PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
    POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
    ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions,
    ULONG NamedPipeType, ULONG ReadMode, ULONG CompletionMode,
    ULONG MaximumInstances, ULONG InboundQuota, ULONG OutboundQuota,
    PLARGE_INTEGER DefaultTimeout)
{
    if (!FileHandle || !IoStatusBlock)
        return STATUS_ACCESS_VIOLATION;
    struct captured_name name;
    NTSTATUS status = capture_name(ObjectAttributes, false, &name);
    if (!NT_SUCCESS(status))
        return status;
    union np_args args = {.create_pipe = {
        .desired_access = DesiredAccess,
        .attributes = name.attributes,
        .share_access = ShareAccess,
        .disposition = CreateDisposition,
        .options = CreateOptions,
        .pipe_type = NamedPipeType,
        .read_mode = ReadMode,
        .completion_mode = CompletionMode,
        .max_instances = MaximumInstances,
        .inbound_quota = InboundQuota,
        .outbound_quota = OutboundQuota,
        /* No timeout given: the driver decides (a new pipe needs one). */
        .timeout_specified = DefaultTimeout != NULL,
        .default_timeout = DefaultTimeout ? DefaultTimeout->QuadPart : 0,
    }};
    struct np_result res;
    np_call(NP_OP_CREATE_NAMED_PIPE, NULL, &args, name.buffer, name.bytes,
            NULL, 0, &res);
    return finish_create(&res, FileHandle, IoStatusBlock);
}

/* AllocationSize and extended attributes mean nothing to a pipe; npfs
 * ignores them on Windows too. */
NPIPE_API NTSTATUS NTAPI NtCreateFile(
    PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
    POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
    PLARGE_INTEGER AllocationSize, ULONG FileAttributes, ULONG ShareAccess,
    ULONG CreateDisposition, ULONG CreateOptions, PVOID EaBuffer,
    ULONG EaLength)
{
    (void)AllocationSize;
    (void)EaBuffer;
    (void)EaLength;
    if (!FileHandle || !IoStatusBlock)
        return STATUS_ACCESS_VIOLATION;
    struct captured_name name;
    NTSTATUS status = capture_name(ObjectAttributes, true, &name);
    if (!NT_SUCCESS(status))
        return status;
    union np_args args = {.create_file = {
        .desired_access = DesiredAccess,
        .attributes = name.attributes,
        .share_access = ShareAccess,
        .disposition = CreateDisposition,
        .options = CreateOptions,
        .file_attributes = FileAttributes,
    }};
    struct np_result res;
    np_call(NP_OP_CREATE_FILE, NULL, &args, name.buffer, name.bytes, NULL, 0,
            &res);
    return finish_create(&res, FileHandle, IoStatusBlock);
}

NPIPE_API NTSTATUS NTAPI NtOpenFile(PHANDLE FileHandle, ACCESS_MASK DesiredAccess,
                                    POBJECT_ATTRIBUTES ObjectAttributes,
                                    PIO_STATUS_BLOCK IoStatusBlock,
                                    ULONG ShareAccess, ULONG OpenOptions)
{
    return NtCreateFile(FileHandle, DesiredAccess, ObjectAttributes,
                        IoStatusBlock, NULL, 0, ShareAccess, FILE_OPEN,
                        OpenOptions, NULL, 0);
}

/* ---- Reading, writing, flushing ------------------------------------------ */

NTSTATUS np_nt_async_args(HANDLE event, PIO_APC_ROUTINE apc, PVOID context,
                          PIO_STATUS_BLOCK iosb, union np_args *args,
                          uint32_t *epoch)
{
    *epoch = 0;
    /* The two tag bits mean nothing to NT (kernel32 uses the low one to
     * say "no completion packet"). */
    HANDLE ev = (HANDLE)((uintptr_t)event & ~(uintptr_t)3);
    if (ev) {
        uint32_t wire;
        if (!np_handle_decode(ev, &wire, epoch))
            return STATUS_INVALID_HANDLE;
        args->io.event = wire;
    }
    if (apc)
        args->io.async_flags = NP_ASYNC_APC | NP_ASYNC_NO_PORT;
    else if (!context)
        args->io.async_flags = NP_ASYNC_NO_PORT;
    /* The packet's value is ApcContext; CancelIoEx matches the same value,
     * which kernel32 makes the OVERLAPPED in both cases. */
    args->io.cookie = (uint64_t)(uintptr_t)(apc || !context ? (PVOID)iosb : context);
    return STATUS_SUCCESS;
}

static bool is_overlapped(HANDLE event, PIO_APC_ROUTINE apc, PVOID context)
{
    return event || apc || context;
}

static NTSTATUS overlapped_call(uint16_t op, HANDLE file, HANDLE event,
                                PIO_APC_ROUTINE apc, PVOID context,
                                PIO_STATUS_BLOCK iosb, union np_args *args,
                                const void *in, uint32_t in_len, void *out,
                                uint32_t out_len)
{
    uint32_t epoch;
    NTSTATUS status = np_nt_async_args(event, apc, context, iosb, args, &epoch);
    if (!NT_SUCCESS(status))
        return status;
    struct np_async_io io = {
        .iosb = iosb,
        .out = out,
        .out_len = out_len,
        .apc = apc,
        .apc_context = context,
    };
    return np_call_async(op, file, epoch, args, in, in_len, &io, NULL);
}

static union np_args io_args(PLARGE_INTEGER offset, PULONG key)
{
    return (union np_args){.io = {
        .key = key ? *key : 0,
        .offset = offset ? offset->QuadPart : 0,
    }};
}

/* A read asks for at most NP_MAX_TRANSFER bytes: a longer one returns
 * what a 16 MiB buffer would (a message longer than that ends in
 * STATUS_BUFFER_OVERFLOW, and the rest is read next). */
NPIPE_API NTSTATUS NTAPI NtReadFile(HANDLE FileHandle, HANDLE Event,
                                    PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                    PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer,
                                    ULONG Length, PLARGE_INTEGER ByteOffset,
                                    PULONG Key)
{
    if (!IoStatusBlock || (!Buffer && Length))
        return STATUS_ACCESS_VIOLATION;
    union np_args args = io_args(ByteOffset, Key);
    uint32_t len = Length > NP_MAX_TRANSFER ? NP_MAX_TRANSFER : Length;
    if (is_overlapped(Event, ApcRoutine, ApcContext))
        return overlapped_call(NP_OP_READ, FileHandle, Event, ApcRoutine,
                               ApcContext, IoStatusBlock, &args, NULL, 0,
                               Buffer, len);
    struct np_result res;
    np_call(NP_OP_READ, FileHandle, &args, NULL, 0, Buffer, len, &res);
    set_iosb(IoStatusBlock, &res);
    return res.status;
}

/* A write is one request, so it cannot exceed NP_MAX_TRANSFER; a larger
 * one fails with STATUS_INSUFFICIENT_RESOURCES (ERROR_NO_SYSTEM_RESOURCES,
 * what Windows reports for an oversized synchronous pipe write) rather
 * than being split, which would break a message into several. */
NPIPE_API NTSTATUS NTAPI NtWriteFile(HANDLE FileHandle, HANDLE Event,
                                     PIO_APC_ROUTINE ApcRoutine, PVOID ApcContext,
                                     PIO_STATUS_BLOCK IoStatusBlock,
                                     const void *Buffer, ULONG Length,
                                     PLARGE_INTEGER ByteOffset, PULONG Key)
{
    if (!IoStatusBlock || (!Buffer && Length))
        return STATUS_ACCESS_VIOLATION;
    if (Length > NP_MAX_TRANSFER)
        return STATUS_INSUFFICIENT_RESOURCES;
    union np_args args = io_args(ByteOffset, Key);
    if (is_overlapped(Event, ApcRoutine, ApcContext))
        return overlapped_call(NP_OP_WRITE, FileHandle, Event, ApcRoutine,
                               ApcContext, IoStatusBlock, &args, Buffer,
                               Length, NULL, 0);
    struct np_result res;
    np_call(NP_OP_WRITE, FileHandle, &args, Buffer, Length, NULL, 0, &res);
    set_iosb(IoStatusBlock, &res);
    return res.status;
}

NPIPE_API NTSTATUS NTAPI NtFlushBuffersFile(HANDLE FileHandle,
                                            PIO_STATUS_BLOCK IoStatusBlock)
{
    if (!IoStatusBlock)
        return STATUS_ACCESS_VIOLATION;
    struct np_result res;
    np_call(NP_OP_FLUSH, FileHandle, NULL, NULL, 0, NULL, 0, &res);
    set_iosb(IoStatusBlock, &res);
    return res.status;
}

/* ---- Handles ---------------------------------------------------------------- */

/* NULL, pseudo-handles (NtCurrentProcess() included) and handles of an
 * earlier epoch are STATUS_INVALID_HANDLE, as closing a pseudo-handle is
 * on Windows. */
NPIPE_API NTSTATUS NTAPI NtClose(HANDLE Handle)
{
    return np_call(NP_OP_CLOSE, Handle, NULL, NULL, 0, NULL, 0, NULL);
}

/*
 * Within the current process only: both process handles must be
 * NtCurrentProcess(), except that TargetProcessHandle may be NULL with
 * DUPLICATE_CLOSE_SOURCE (the "close it for me" idiom).  Any other process
 * handle is STATUS_INVALID_HANDLE — npipe has no process objects — but
 * DUPLICATE_CLOSE_SOURCE still closes the source, which NT does "regardless
 * of any error status".  A NULL TargetHandle gets a duplicate nobody can
 * name; npipe closes it at once instead of leaking it.
 */
NPIPE_API NTSTATUS NTAPI NtDuplicateObject(HANDLE SourceProcessHandle,
                                           HANDLE SourceHandle,
                                           HANDLE TargetProcessHandle,
                                           PHANDLE TargetHandle,
                                           ACCESS_MASK DesiredAccess,
                                           ULONG HandleAttributes, ULONG Options)
{
    bool close_source = (Options & DUPLICATE_CLOSE_SOURCE) != 0;
    if (SourceProcessHandle != NtCurrentProcess())
        return STATUS_INVALID_HANDLE;
    if (TargetProcessHandle != NtCurrentProcess()) {
        NTSTATUS closed = close_source ? NtClose(SourceHandle) : STATUS_INVALID_HANDLE;
        if (!TargetProcessHandle && close_source)
            return closed;
        return STATUS_INVALID_HANDLE;
    }
    union np_args args = {.duplicate = {
        .desired_access = DesiredAccess,
        .attributes = HandleAttributes,
        .options = Options,
    }};
    struct np_result res;
    NTSTATUS status = np_call(NP_OP_DUPLICATE, SourceHandle, &args, NULL, 0,
                              NULL, 0, &res);
    if (!NT_SUCCESS(status))
        return status;
    if (TargetHandle)
        *TargetHandle = res.handle;
    else
        NtClose(res.handle);
    return status;
}

NTSTATUS NpHandleFlags(HANDLE handle, ULONG mask, ULONG flags, PULONG old)
{
    union np_args args = {.handle_flags = {.mask = mask, .flags = flags}};
    struct np_result res;
    NTSTATUS status = np_call(NP_OP_HANDLE_FLAGS, handle, &args, NULL, 0,
                              NULL, 0, &res);
    if (NT_SUCCESS(status) && old)
        *old = (ULONG)res.information;
    return status;
}
