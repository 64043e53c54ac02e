/*
 * pipe.c — the named-pipe functions of kernel32: creating pipes (named and
 * anonymous), connecting, waiting, peeking, transactions, pipe state and
 * the connection attributes (process and session ids of both ends).
 *
 * Each function does what kernel32 does on Windows — the same native
 * calls, FSCTLs and information classes with the same arguments (the
 * reference is nt-pipes.md §3 and Wine's kernel32 tests, which run on real
 * Windows) — so that the driver in the broker sees what Windows' npfs
 * would.  Where npipe differs on purpose, the function's comment says so:
 *   - a security descriptor is refused with ERROR_NOT_SUPPORTED until
 *     SDDL security exists (DESIGN.md);
 *   - a NULL output pointer that Windows would write through (and crash)
 *     fails with ERROR_NOACCESS, the error the kernel gives a bad pointer.
 */
#include "win32/internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The most one request brings back (proto.h's NP_MAX_TRANSFER). */
#define MAX_TRANSFER (16u * 1024u * 1024u)

#define PEEK_HEADER ((ULONG)offsetof(FILE_PIPE_PEEK_BUFFER, Data))

static HANDLE fail_handle(DWORD error)
{
    np_fail(error);
    return INVALID_HANDLE_VALUE;
}

static BOOL done(NTSTATUS status)
{
    return status == STATUS_SUCCESS ? TRUE : np_fail_status(status);
}

static NTSTATUS pipe_fsctl(HANDLE pipe, ULONG code, const void *in, ULONG in_len,
                           void *out, ULONG out_len, IO_STATUS_BLOCK *iosb)
{
    return NtFsControlFile(pipe, NULL, NULL, NULL, iosb, code, (PVOID)in,
                           in_len, out, out_len);
}

/* ---- CreateNamedPipe ---------------------------------------------------------- */

#define OPEN_MODE_VALID                                                        \
    (PIPE_ACCESS_DUPLEX | FILE_FLAG_WRITE_THROUGH | FILE_FLAG_OVERLAPPED |     \
     FILE_FLAG_FIRST_PIPE_INSTANCE | WRITE_DAC | WRITE_OWNER |                \
     ACCESS_SYSTEM_SECURITY)
#define PIPE_MODE_VALID                                                        \
    (PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_NOWAIT |                 \
     PIPE_REJECT_REMOTE_CLIENTS)

/* Microsoft: the function fails if the modes hold anything but the listed
 * flags; instances must be 1..PIPE_UNLIMITED_INSTANCES; a byte pipe cannot
 * be read in message mode (npfs checks that too). */
static DWORD check_pipe_arguments(DWORD open_mode, DWORD pipe_mode,
                                  DWORD instances,
                                  const SECURITY_ATTRIBUTES *sa)
{
    if (instances == 0 || instances > PIPE_UNLIMITED_INSTANCES)
        return ERROR_INVALID_PARAMETER;
    if ((open_mode & ~(DWORD)OPEN_MODE_VALID) || !(open_mode & PIPE_ACCESS_DUPLEX))
        return ERROR_INVALID_PARAMETER;
    if ((pipe_mode & ~(DWORD)PIPE_MODE_VALID) ||
        ((pipe_mode & PIPE_READMODE_MESSAGE) && !(pipe_mode & PIPE_TYPE_MESSAGE)))
        return ERROR_INVALID_PARAMETER;
    if (sa && sa->lpSecurityDescriptor)
        return ERROR_NOT_SUPPORTED; /* SDDL security: later */
    return ERROR_SUCCESS;
}

/* kernel32's mapping: the server's access and its share mode follow the
 * direction; the share mode is what npfs reads the pipe's direction from. */
static void pipe_access(DWORD open_mode, ACCESS_MASK *access, ULONG *share)
{
    *access = SYNCHRONIZE |
              (open_mode & (WRITE_DAC | WRITE_OWNER | ACCESS_SYSTEM_SECURITY));
    *share = 0;
    if (open_mode & PIPE_ACCESS_INBOUND) {
        *access |= GENERIC_READ;
        *share |= FILE_SHARE_WRITE;
    }
    if (open_mode & PIPE_ACCESS_OUTBOUND) {
        *access |= GENERIC_WRITE;
        *share |= FILE_SHARE_READ;
    }
}

static ULONG pipe_type(DWORD pipe_mode)
{
    ULONG type = pipe_mode & PIPE_TYPE_MESSAGE ? FILE_PIPE_MESSAGE_TYPE
                                               : FILE_PIPE_BYTE_STREAM_TYPE;
    if (pipe_mode & PIPE_REJECT_REMOTE_CLIENTS)
        type |= FILE_PIPE_REJECT_REMOTE_CLIENTS;
    return type;
}

/* The native call behind CreateNamedPipe, with kernel32's arguments. */
static NTSTATUS create_instance(struct np_pipe_name *name, DWORD open_mode,
                                DWORD pipe_mode, DWORD instances,
                                DWORD out_size, DWORD in_size, DWORD timeout_ms,
                                const SECURITY_ATTRIBUTES *sa, HANDLE *handle,
                                ULONG_PTR *information)
{
    ACCESS_MASK access;
    ULONG share;
    pipe_access(open_mode, &access, &share);
    ULONG options = open_mode & FILE_FLAG_OVERLAPPED ? 0 : FILE_SYNCHRONOUS_IO_NONALERT;
    if (open_mode & FILE_FLAG_WRITE_THROUGH)
        options |= FILE_WRITE_THROUGH;
    ULONG attributes = OBJ_CASE_INSENSITIVE;
    if (sa && sa->bInheritHandle)
        attributes |= OBJ_INHERIT;
    LARGE_INTEGER timeout;
    timeout.QuadPart = timeout_ms ? -(LONGLONG)timeout_ms * 10000
                                  : -500000; /* 0 means 50 ms */
    UNICODE_STRING us;
    np_nt_string(name, name->nt_chars, &us);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, attributes, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    NTSTATUS status = NtCreateNamedPipeFile(
        handle, access, &oa, &iosb, share,
        open_mode & FILE_FLAG_FIRST_PIPE_INSTANCE ? FILE_CREATE : FILE_OPEN_IF,
        options, pipe_type(pipe_mode),
        pipe_mode & PIPE_READMODE_MESSAGE ? FILE_PIPE_MESSAGE_MODE
                                          : FILE_PIPE_BYTE_STREAM_MODE,
        pipe_mode & PIPE_NOWAIT ? FILE_PIPE_COMPLETE_OPERATION
                                : FILE_PIPE_QUEUE_OPERATION,
        instances == PIPE_UNLIMITED_INSTANCES ? 0xFFFFFFFFu : instances,
        in_size, out_size, &timeout);
    *information = iosb.Information;
    return status;
}

/*
 * Errors, checked in this order: NULL name ERROR_PATH_NOT_FOUND; a pipe
 * name over 256 characters ERROR_FILENAME_EXCED_RANGE; bad instances or
 * modes ERROR_INVALID_PARAMETER; a security descriptor ERROR_NOT_SUPPORTED
 * (for now); a name that is not a
 * local pipe name ERROR_INVALID_NAME (a server cannot create a remote
 * pipe).  Then npfs: ERROR_PIPE_BUSY when all instances exist,
 * ERROR_ACCESS_DENIED for another direction than the first instance's or
 * a FILE_FLAG_FIRST_PIPE_INSTANCE that is not first.
 *
 * On success the last error is ERROR_ALREADY_EXISTS if the pipe existed
 * (this is another instance) and 0 if this call created it — what Windows'
 * kernelbase does according to Wine's (test-driven) implementation;
 * ReactOS' older kernel32 leaves it alone.
 */
NPIPE_API HANDLE WINAPI CreateNamedPipeW(LPCWSTR lpName, DWORD dwOpenMode,
                                         DWORD dwPipeMode, DWORD nMaxInstances,
                                         DWORD nOutBufferSize,
                                         DWORD nInBufferSize,
                                         DWORD nDefaultTimeOut,
                                         LPSECURITY_ATTRIBUTES lpSecurityAttributes)
{
    if (!lpName)
        return fail_handle(ERROR_PATH_NOT_FOUND);
    struct np_pipe_name name;
    enum np_name_kind kind = np_parse_pipe_name(lpName, &name);
    if (kind == NP_NAME_TOO_LONG)
        return fail_handle(ERROR_FILENAME_EXCED_RANGE);
    DWORD error = check_pipe_arguments(dwOpenMode, dwPipeMode, nMaxInstances,
                                       lpSecurityAttributes);
    if (error)
        return fail_handle(error);
    if (kind != NP_NAME_LOCAL_PIPE)
        return fail_handle(ERROR_INVALID_NAME);
    HANDLE handle;
    ULONG_PTR information;
    NTSTATUS status = create_instance(&name, dwOpenMode, dwPipeMode,
                                      nMaxInstances, nOutBufferSize,
                                      nInBufferSize, nDefaultTimeOut,
                                      lpSecurityAttributes, &handle,
                                      &information);
    /* As kernel32: "not a pipe device" reads as a bad name. */
    if (status == STATUS_INVALID_DEVICE_REQUEST || status == STATUS_NOT_SUPPORTED)
        status = STATUS_OBJECT_NAME_INVALID;
    if (!NT_SUCCESS(status)) {
        np_fail_status(status);
        return INVALID_HANDLE_VALUE;
    }
    SetLastError(information == FILE_CREATED ? ERROR_SUCCESS
                                             : ERROR_ALREADY_EXISTS);
    return handle;
}

NPIPE_API HANDLE WINAPI CreateNamedPipeA(LPCSTR lpName, DWORD dwOpenMode,
                                         DWORD dwPipeMode, DWORD nMaxInstances,
                                         DWORD nOutBufferSize,
                                         DWORD nInBufferSize,
                                         DWORD nDefaultTimeOut,
                                         LPSECURITY_ATTRIBUTES lpSecurityAttributes)
{
    LPWSTR name;
    if (!np_a_to_w(lpName, &name))
        return INVALID_HANDLE_VALUE;
    HANDLE h = CreateNamedPipeW(name, dwOpenMode, dwPipeMode, nMaxInstances,
                                nOutBufferSize, nInBufferSize, nDefaultTimeOut,
                                lpSecurityAttributes);
    free(name);
    return h;
}

/* ---- CreatePipe ------------------------------------------------------------------ */

/* Writes "\??\pipe\Win32Pipes.PPPPPPPP.NNNNNNNN" (pid and a per-process
 * counter in hex, as Windows names anonymous pipes); returns its length. */
static USHORT anonymous_name(WCHAR *out, unsigned pid, unsigned counter)
{
    static const char prefix[] = "\\??\\pipe\\Win32Pipes.";
    static const char hex[] = "0123456789abcdef";
    USHORT n = 0;
    for (; prefix[n]; n++)
        out[n] = (WCHAR)prefix[n];
    unsigned values[2] = {pid, counter};
    for (int v = 0; v < 2; v++) {
        if (v)
            out[n++] = '.';
        for (int shift = 28; shift >= 0; shift -= 4)
            out[n++] = (WCHAR)hex[(values[v] >> shift) & 15];
    }
    return n;
}

/*
 * As kernel32: a one-instance byte pipe with a unique name, created
 * FILE_CREATE (so a name someone else took is never joined), in and out
 * quota nSize (0: 4096), default timeout 120 s; then its client end is
 * opened for writing.  The read handle is the server end.  A security
 * descriptor is refused with ERROR_NOT_SUPPORTED for now; a NULL handle
 * pointer, which Windows would crash on, is ERROR_NOACCESS.
 */
NPIPE_API BOOL WINAPI CreatePipe(PHANDLE hReadPipe, PHANDLE hWritePipe,
                                 LPSECURITY_ATTRIBUTES lpPipeAttributes,
                                 DWORD nSize)
{
    static _Atomic unsigned counter;
    if (!hReadPipe || !hWritePipe)
        return np_fail(ERROR_NOACCESS);
    if (lpPipeAttributes && lpPipeAttributes->lpSecurityDescriptor)
        return np_fail(ERROR_NOT_SUPPORTED);
    if (!nSize)
        nSize = 4096;
    ULONG attributes = OBJ_CASE_INSENSITIVE;
    if (lpPipeAttributes && lpPipeAttributes->bInheritHandle)
        attributes |= OBJ_INHERIT;
    LARGE_INTEGER timeout = {.QuadPart = -1200000000LL}; /* 120 s */
    WCHAR buffer[64];
    UNICODE_STRING us = {.Buffer = buffer};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, attributes, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    HANDLE read_end, write_end;
    NTSTATUS status;
    for (int tries = 0; tries < 16; tries++) { /* a taken name: the next one */
        us.Length = us.MaximumLength = (USHORT)(
            anonymous_name(buffer, (unsigned)GetCurrentProcessId(),
                           atomic_fetch_add(&counter, 1) + 1) * sizeof(WCHAR));
        status = NtCreateNamedPipeFile(
            &read_end, GENERIC_READ | FILE_WRITE_ATTRIBUTES | SYNCHRONIZE, &oa,
            &iosb, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_CREATE,
            FILE_SYNCHRONOUS_IO_NONALERT, FILE_PIPE_BYTE_STREAM_TYPE,
            FILE_PIPE_BYTE_STREAM_MODE, FILE_PIPE_QUEUE_OPERATION, 1, nSize,
            nSize, &timeout);
        if (status != STATUS_ACCESS_DENIED && status != STATUS_OBJECT_NAME_COLLISION)
            break;
    }
    if (!NT_SUCCESS(status))
        return np_fail_status(status);
    status = NtOpenFile(&write_end, GENERIC_WRITE | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
                        &oa, &iosb, FILE_SHARE_READ,
                        FILE_SYNCHRONOUS_IO_NONALERT | FILE_NON_DIRECTORY_FILE);
    if (!NT_SUCCESS(status)) {
        NtClose(read_end);
        return np_fail_status(status);
    }
    *hReadPipe = read_end;
    *hWritePipe = write_end;
    return TRUE;
}

/* ---- Connecting and disconnecting -------------------------------------------- */

/*
 * FSCTL_PIPE_LISTEN: waits for a client.  A client that came between
 * CreateNamedPipe and this call gives FALSE with ERROR_PIPE_CONNECTED (a
 * success in disguise); one that came and left, ERROR_NO_DATA.  With an
 * OVERLAPPED, Internal/InternalHigh start as STATUS_PENDING/0 (and stay so
 * when the call fails at once — ERROR_PIPE_CONNECTED included, as Wine's
 * tests show on Windows); on an overlapped handle a wait for a client is
 * FALSE with ERROR_IO_PENDING and completes later.
 */
NPIPE_API BOOL WINAPI ConnectNamedPipe(HANDLE hNamedPipe, LPOVERLAPPED lpOverlapped)
{
    IO_STATUS_BLOCK local = {0};
    if (lpOverlapped) {
        lpOverlapped->Internal = (ULONG_PTR)STATUS_PENDING;
        lpOverlapped->InternalHigh = 0;
    }
    NTSTATUS status = NtFsControlFile(hNamedPipe,
                                      lpOverlapped ? lpOverlapped->hEvent : NULL,
                                      NULL, np_io_context(lpOverlapped),
                                      np_io_block(lpOverlapped, &local),
                                      FSCTL_PIPE_LISTEN, NULL, 0, NULL, 0);
    if (status == STATUS_PENDING)
        return np_fail(ERROR_IO_PENDING);
    return done(status);
}

NPIPE_API BOOL WINAPI DisconnectNamedPipe(HANDLE hNamedPipe)
{
    IO_STATUS_BLOCK iosb;
    return done(pipe_fsctl(hNamedPipe, FSCTL_PIPE_DISCONNECT, NULL, 0, NULL, 0,
                           &iosb));
}

/* ---- WaitNamedPipe ----------------------------------------------------------------- */

/* A handle to the pipe root, \??\pipe\, which FSCTL_PIPE_WAIT goes to. */
static NTSTATUS open_pipe_root(struct np_pipe_name *name, HANDLE *root)
{
    UNICODE_STRING us;
    np_nt_string(name, name->name_start, &us);
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    return NtOpenFile(root, FILE_READ_ATTRIBUTES | SYNCHRONIZE, &oa, &iosb,
                      FILE_SHARE_READ | FILE_SHARE_WRITE,
                      FILE_SYNCHRONOUS_IO_NONALERT);
}

/*
 * As kernel32: open the pipe root and send it FSCTL_PIPE_WAIT with the
 * name (without its leading backslash).  NMPWAIT_USE_DEFAULT_WAIT lets the
 * pipe's own default timeout apply; NMPWAIT_WAIT_FOREVER is the largest
 * relative timeout.  No such pipe: ERROR_FILE_NOT_FOUND at once; timeout:
 * ERROR_SEM_TIMEOUT.  A path that is not \\.\pipe\NAME is
 * ERROR_BAD_PATHNAME, a remote one ERROR_BAD_NETPATH, NULL
 * ERROR_PATH_NOT_FOUND.
 */
NPIPE_API BOOL WINAPI WaitNamedPipeW(LPCWSTR lpNamedPipeName, DWORD nTimeOut)
{
    if (!lpNamedPipeName)
        return np_fail(ERROR_PATH_NOT_FOUND);
    struct np_pipe_name name;
    switch (np_parse_pipe_name(lpNamedPipeName, &name)) {
    case NP_NAME_LOCAL_PIPE:
        if (name.has_separator)
            break;
        return np_fail(ERROR_BAD_PATHNAME);
    case NP_NAME_REMOTE_PIPE:
        return np_fail(ERROR_BAD_NETPATH);
    case NP_NAME_TOO_LONG:
        return np_fail(ERROR_FILENAME_EXCED_RANGE);
    default:
        return np_fail(ERROR_BAD_PATHNAME);
    }
    ULONG name_bytes = (ULONG)(name.nt_chars - name.name_start) * sizeof(WCHAR);
    ULONG size = (ULONG)offsetof(FILE_PIPE_WAIT_FOR_BUFFER, Name) + name_bytes;
    if (size < sizeof(FILE_PIPE_WAIT_FOR_BUFFER))
        size = sizeof(FILE_PIPE_WAIT_FOR_BUFFER);
    _Alignas(FILE_PIPE_WAIT_FOR_BUFFER) unsigned char
        buffer[sizeof(FILE_PIPE_WAIT_FOR_BUFFER) + NP_MAX_PIPE_PATH * sizeof(WCHAR)];
    memset(buffer, 0, size);
    FILE_PIPE_WAIT_FOR_BUFFER *wait = (FILE_PIPE_WAIT_FOR_BUFFER *)buffer;
    wait->TimeoutSpecified = nTimeOut != NMPWAIT_USE_DEFAULT_WAIT;
    wait->Timeout.QuadPart = nTimeOut == NMPWAIT_WAIT_FOREVER
                                 ? INT64_MIN
                                 : -(LONGLONG)nTimeOut * 10000;
    wait->NameLength = name_bytes;
    memcpy(buffer + offsetof(FILE_PIPE_WAIT_FOR_BUFFER, Name),
           name.nt_path + name.name_start, name_bytes);

    HANDLE root;
    NTSTATUS status = open_pipe_root(&name, &root);
    if (!NT_SUCCESS(status))
        return np_fail_status(status);
    IO_STATUS_BLOCK iosb;
    status = pipe_fsctl(root, FSCTL_PIPE_WAIT, buffer, size, NULL, 0, &iosb);
    NtClose(root);
    return done(status);
}

NPIPE_API BOOL WINAPI WaitNamedPipeA(LPCSTR lpNamedPipeName, DWORD nTimeOut)
{
    LPWSTR name;
    if (!np_a_to_w(lpNamedPipeName, &name))
        return FALSE;
    BOOL ok = WaitNamedPipeW(name, nTimeOut);
    free(name);
    return ok;
}

/* ---- PeekNamedPipe, TransactNamedPipe, CallNamedPipe ---------------------------- */

/*
 * FSCTL_PIPE_PEEK into a FILE_PIPE_PEEK_BUFFER with nBufferSize bytes of
 * room; STATUS_BUFFER_OVERFLOW (more data than room) is success.
 * *lpBytesLeftThisMessage is the first message's length minus the bytes
 * peeked, as Windows computes it — so on a byte pipe, where the length is
 * 0, it is minus the bytes peeked (Wine's tests: -4 after peeking 4).
 * Nothing is written when the call fails.  Buffers over 16 MiB are used
 * up to 16 MiB, the most one request returns.
 */
NPIPE_API BOOL WINAPI PeekNamedPipe(HANDLE hNamedPipe, LPVOID lpBuffer,
                                    DWORD nBufferSize, LPDWORD lpBytesRead,
                                    LPDWORD lpTotalBytesAvail,
                                    LPDWORD lpBytesLeftThisMessage)
{
    if (nBufferSize > MAX_TRANSFER - PEEK_HEADER)
        nBufferSize = MAX_TRANSFER - PEEK_HEADER;
    FILE_PIPE_PEEK_BUFFER local, *peek = &local;
    if (nBufferSize && !(peek = malloc(PEEK_HEADER + nBufferSize)))
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    IO_STATUS_BLOCK iosb = {0};
    NTSTATUS status = pipe_fsctl(hNamedPipe, FSCTL_PIPE_PEEK, NULL, 0, peek,
                                 PEEK_HEADER + nBufferSize, &iosb);
    if (status == STATUS_BUFFER_OVERFLOW)
        status = STATUS_SUCCESS;
    if (status == STATUS_SUCCESS) {
        ULONG count = iosb.Information > PEEK_HEADER
                          ? (ULONG)(iosb.Information - PEEK_HEADER)
                          : 0;
        if (count > nBufferSize)
            count = nBufferSize;
        if (lpTotalBytesAvail)
            *lpTotalBytesAvail = peek->ReadDataAvailable;
        if (lpBytesRead)
            *lpBytesRead = count;
        if (lpBytesLeftThisMessage)
            *lpBytesLeftThisMessage = peek->MessageLength - count;
        if (lpBuffer && count)
            memcpy(lpBuffer, (const char *)peek + PEEK_HEADER, count);
    }
    if (peek != &local)
        free(peek);
    return done(status);
}

/*
 * FSCTL_PIPE_TRANSCEIVE: writes lpInBuffer as one message and reads the
 * reply.  The pipe must be a message pipe read in message mode
 * (ERROR_BAD_PIPE) with nothing unread (ERROR_PIPE_BUSY).  A reply longer
 * than nOutBufferSize: FALSE, ERROR_MORE_DATA, *lpBytesRead =
 * nOutBufferSize.  lpBytesRead may be NULL only with an OVERLAPPED
 * (Microsoft); without either Windows crashes, npipe says ERROR_NOACCESS
 * before sending anything.
 */
NPIPE_API BOOL WINAPI TransactNamedPipe(HANDLE hNamedPipe, LPVOID lpInBuffer,
                                        DWORD nInBufferSize, LPVOID lpOutBuffer,
                                        DWORD nOutBufferSize, LPDWORD lpBytesRead,
                                        LPOVERLAPPED lpOverlapped)
{
    LARGE_INTEGER unused;
    np_begin_io(lpBytesRead, lpOverlapped, &unused);
    if (!lpBytesRead && !lpOverlapped)
        return np_fail(ERROR_NOACCESS);
    IO_STATUS_BLOCK local = {0};
    PIO_STATUS_BLOCK iosb = np_io_block(lpOverlapped, &local);
    NTSTATUS status = NtFsControlFile(
        hNamedPipe, lpOverlapped ? lpOverlapped->hEvent : NULL, NULL,
        np_io_context(lpOverlapped), iosb, FSCTL_PIPE_TRANSCEIVE, lpInBuffer,
        nInBufferSize, lpOutBuffer, nOutBufferSize);
    return np_finish_io(status, iosb, lpBytesRead, lpOverlapped);
}

static HANDLE open_client(LPCWSTR name)
{
    return CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                       OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
}

/*
 * As kernel32: open the pipe; if that fails, WaitNamedPipe(nTimeOut) and
 * try once more; switch to message read mode; transact; close.  The error
 * is the failing step's.  A NULL lpBytesRead is ERROR_NOACCESS up front
 * (Windows would crash after the exchange).
 */
NPIPE_API BOOL WINAPI CallNamedPipeW(LPCWSTR lpNamedPipeName, LPVOID lpInBuffer,
                                     DWORD nInBufferSize, LPVOID lpOutBuffer,
                                     DWORD nOutBufferSize, LPDWORD lpBytesRead,
                                     DWORD nTimeOut)
{
    if (!lpBytesRead)
        return np_fail(ERROR_NOACCESS);
    HANDLE pipe = open_client(lpNamedPipeName);
    if (pipe == INVALID_HANDLE_VALUE) {
        if (!WaitNamedPipeW(lpNamedPipeName, nTimeOut))
            return FALSE;
        pipe = open_client(lpNamedPipeName);
        if (pipe == INVALID_HANDLE_VALUE)
            return FALSE;
    }
    DWORD mode = PIPE_READMODE_MESSAGE | PIPE_WAIT;
    BOOL ok = SetNamedPipeHandleState(pipe, &mode, NULL, NULL) &&
              TransactNamedPipe(pipe, lpInBuffer, nInBufferSize, lpOutBuffer,
                                nOutBufferSize, lpBytesRead, NULL);
    DWORD error = GetLastError();
    CloseHandle(pipe);
    SetLastError(error);
    return ok;
}

NPIPE_API BOOL WINAPI CallNamedPipeA(LPCSTR lpNamedPipeName, LPVOID lpInBuffer,
                                     DWORD nInBufferSize, LPVOID lpOutBuffer,
                                     DWORD nOutBufferSize, LPDWORD lpBytesRead,
                                     DWORD nTimeOut)
{
    LPWSTR name;
    if (!np_a_to_w(lpNamedPipeName, &name))
        return FALSE;
    BOOL ok = CallNamedPipeW(name, lpInBuffer, nInBufferSize, lpOutBuffer,
                             nOutBufferSize, lpBytesRead, nTimeOut);
    free(name);
    return ok;
}

/* ---- Pipe information and state ----------------------------------------------------- */

static NTSTATUS query_local(HANDLE pipe, FILE_PIPE_LOCAL_INFORMATION *info)
{
    IO_STATUS_BLOCK iosb;
    return NtQueryInformationFile(pipe, &iosb, info, sizeof *info,
                                  FilePipeLocalInformation);
}

static DWORD cap_instances(ULONG n)
{
    return n > PIPE_UNLIMITED_INSTANCES ? PIPE_UNLIMITED_INSTANCES : n;
}

/* FilePipeLocalInformation: the end, the type, the quotas, the instance
 * limit (unlimited reads as PIPE_UNLIMITED_INSTANCES). */
NPIPE_API BOOL WINAPI GetNamedPipeInfo(HANDLE hNamedPipe, LPDWORD lpFlags,
                                       LPDWORD lpOutBufferSize,
                                       LPDWORD lpInBufferSize,
                                       LPDWORD lpMaxInstances)
{
    FILE_PIPE_LOCAL_INFORMATION info;
    NTSTATUS status = query_local(hNamedPipe, &info);
    if (!NT_SUCCESS(status))
        return np_fail_status(status);
    if (lpFlags)
        *lpFlags = (info.NamedPipeEnd == FILE_PIPE_SERVER_END ? PIPE_SERVER_END
                                                              : PIPE_CLIENT_END) |
                   (info.NamedPipeType & FILE_PIPE_MESSAGE_TYPE ? PIPE_TYPE_MESSAGE
                                                                : PIPE_TYPE_BYTE);
    if (lpOutBufferSize)
        *lpOutBufferSize = info.OutboundQuota;
    if (lpInBufferSize)
        *lpInBufferSize = info.InboundQuota;
    if (lpMaxInstances)
        *lpMaxInstances = cap_instances(info.MaximumInstances);
    return TRUE;
}

/*
 * lpState from FilePipeInformation, lpCurInstances from
 * FilePipeLocalInformation, filled in that order.  lpMaxCollectionCount and
 * lpCollectDataTimeout exist only for the client end of a remote pipe:
 * every npipe pipe is local, so asking for them is ERROR_INVALID_PARAMETER
 * (as Windows answers on a local pipe, Wine's tests).  lpUserName on the
 * client end is ERROR_INVALID_PARAMETER (Microsoft); on the server end
 * Windows impersonates the client to get its name, which npipe cannot do
 * yet: ERROR_NOT_SUPPORTED.  With every pointer NULL the call succeeds
 * without looking at the handle.
 */
NPIPE_API BOOL WINAPI GetNamedPipeHandleStateW(HANDLE hNamedPipe, LPDWORD lpState,
                                               LPDWORD lpCurInstances,
                                               LPDWORD lpMaxCollectionCount,
                                               LPDWORD lpCollectDataTimeout,
                                               LPWSTR lpUserName,
                                               DWORD nMaxUserNameSize)
{
    (void)nMaxUserNameSize;
    NTSTATUS status;
    if (lpState) {
        FILE_PIPE_INFORMATION info;
        IO_STATUS_BLOCK iosb;
        status = NtQueryInformationFile(hNamedPipe, &iosb, &info, sizeof info,
                                        FilePipeInformation);
        if (!NT_SUCCESS(status))
            return np_fail_status(status);
        *lpState = (info.ReadMode == FILE_PIPE_MESSAGE_MODE ? PIPE_READMODE_MESSAGE
                                                             : PIPE_READMODE_BYTE) |
                   (info.CompletionMode == FILE_PIPE_COMPLETE_OPERATION ? PIPE_NOWAIT
                                                                        : PIPE_WAIT);
    }
    if (!lpCurInstances && !lpMaxCollectionCount && !lpCollectDataTimeout &&
        !lpUserName)
        return TRUE;
    FILE_PIPE_LOCAL_INFORMATION local;
    status = query_local(hNamedPipe, &local);
    if (!NT_SUCCESS(status))
        return np_fail_status(status);
    if (lpCurInstances)
        *lpCurInstances = cap_instances(local.CurrentInstances);
    if (lpMaxCollectionCount || lpCollectDataTimeout)
        return np_fail(ERROR_INVALID_PARAMETER);
    if (lpUserName)
        return np_fail(local.NamedPipeEnd == FILE_PIPE_SERVER_END
                           ? ERROR_NOT_SUPPORTED
                           : ERROR_INVALID_PARAMETER);
    return TRUE;
}

NPIPE_API BOOL WINAPI GetNamedPipeHandleStateA(HANDLE hNamedPipe, LPDWORD lpState,
                                               LPDWORD lpCurInstances,
                                               LPDWORD lpMaxCollectionCount,
                                               LPDWORD lpCollectDataTimeout,
                                               LPSTR lpUserName,
                                               DWORD nMaxUserNameSize)
{
    LPWSTR user = NULL;
    if (lpUserName &&
        !(user = malloc(((size_t)nMaxUserNameSize + 1) * sizeof(WCHAR))))
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    BOOL ok = GetNamedPipeHandleStateW(hNamedPipe, lpState, lpCurInstances,
                                       lpMaxCollectionCount, lpCollectDataTimeout,
                                       user, nMaxUserNameSize);
    if (ok && user &&
        np_w_to_a(user, -1, lpUserName, nMaxUserNameSize) > nMaxUserNameSize)
        ok = np_fail(ERROR_INSUFFICIENT_BUFFER);
    free(user);
    return ok;
}

/*
 * lpMode sets FilePipeInformation: PIPE_READMODE_MESSAGE and PIPE_NOWAIT
 * are read from it and other bits are ignored, as kernel32 does (a byte
 * pipe refuses message read mode: ERROR_INVALID_PARAMETER, from npfs).
 * lpMaxCollectionCount / lpCollectDataTimeout only apply to the client end
 * of a remote pipe: on npipe's local pipes they are
 * ERROR_INVALID_PARAMETER, after the mode is set (kernel32's order).
 */
NPIPE_API BOOL WINAPI SetNamedPipeHandleState(HANDLE hNamedPipe, LPDWORD lpMode,
                                              LPDWORD lpMaxCollectionCount,
                                              LPDWORD lpCollectDataTimeout)
{
    NTSTATUS status;
    if (lpMode) {
        FILE_PIPE_INFORMATION info = {
            .ReadMode = *lpMode & PIPE_READMODE_MESSAGE ? FILE_PIPE_MESSAGE_MODE
                                                        : FILE_PIPE_BYTE_STREAM_MODE,
            .CompletionMode = *lpMode & PIPE_NOWAIT ? FILE_PIPE_COMPLETE_OPERATION
                                                    : FILE_PIPE_QUEUE_OPERATION,
        };
        IO_STATUS_BLOCK iosb;
        status = NtSetInformationFile(hNamedPipe, &iosb, &info, sizeof info,
                                      FilePipeInformation);
        if (!NT_SUCCESS(status))
            return np_fail_status(status);
    }
    if (lpMaxCollectionCount || lpCollectDataTimeout) {
        FILE_PIPE_LOCAL_INFORMATION local; /* a bad handle still says so */
        status = query_local(hNamedPipe, &local);
        return np_fail(NT_SUCCESS(status) ? ERROR_INVALID_PARAMETER
                                          : RtlNtStatusToDosError(status));
    }
    return TRUE;
}

/* ---- Who is at the other end ----------------------------------------------------- */

/* FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE with the attribute's ASCII name,
 * NUL included, as input and the caller's buffer as output. */
static NTSTATUS get_attribute(HANDLE pipe, const char *name, size_t name_size,
                              void *out, ULONG out_size)
{
    IO_STATUS_BLOCK iosb;
    return pipe_fsctl(pipe, FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE, name,
                      (ULONG)name_size, out, out_size, &iosb);
}

/*
 * The four id queries work on either end (Wine's tests on Windows).  A
 * NULL pointer is passed down as a zero-length output, which the driver
 * answers with STATUS_BUFFER_TOO_SMALL: ERROR_INSUFFICIENT_BUFFER — also
 * for GetNamedPipeClientSessionId(h, NULL), where recent Windows crashes.
 */
static BOOL get_id(HANDLE pipe, const char *name, size_t name_size, PULONG id)
{
    NTSTATUS status = get_attribute(pipe, name, name_size, id,
                                    id ? sizeof *id : 0);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}

#define ATTRIBUTE(s) s, sizeof(s) /* the name and its size with the NUL */

NPIPE_API BOOL WINAPI GetNamedPipeClientProcessId(HANDLE Pipe, PULONG ClientProcessId)
{
    return get_id(Pipe, ATTRIBUTE("ClientProcessId"), ClientProcessId);
}

NPIPE_API BOOL WINAPI GetNamedPipeServerProcessId(HANDLE Pipe, PULONG ServerProcessId)
{
    return get_id(Pipe, ATTRIBUTE("ServerProcessId"), ServerProcessId);
}

NPIPE_API BOOL WINAPI GetNamedPipeClientSessionId(HANDLE Pipe, PULONG ClientSessionId)
{
    return get_id(Pipe, ATTRIBUTE("ClientSessionId"), ClientSessionId);
}

NPIPE_API BOOL WINAPI GetNamedPipeServerSessionId(HANDLE Pipe, PULONG ServerSessionId)
{
    return get_id(Pipe, ATTRIBUTE("ServerSessionId"), ServerSessionId);
}

/*
 * The "ClientComputerName" attribute; the length is in bytes.  A local
 * client has no computer name: the driver answers STATUS_NOT_FOUND and the
 * function fails with ERROR_PIPE_LOCAL, as Windows does for local clients.
 * Every npipe client is local for now.
 */
NPIPE_API BOOL WINAPI GetNamedPipeClientComputerNameW(HANDLE Pipe,
                                                      LPWSTR ClientComputerName,
                                                      ULONG ClientComputerNameLength)
{
    NTSTATUS status = get_attribute(Pipe, ATTRIBUTE("ClientComputerName"),
                                    ClientComputerName, ClientComputerNameLength);
    if (status == STATUS_NOT_FOUND)
        return np_fail(ERROR_PIPE_LOCAL);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}

/* The W call with room for as many characters, converted to UTF-8; a
 * name that does not fit is ERROR_INSUFFICIENT_BUFFER. */
NPIPE_API BOOL WINAPI GetNamedPipeClientComputerNameA(HANDLE Pipe,
                                                      LPSTR ClientComputerName,
                                                      ULONG ClientComputerNameLength)
{
    if (!ClientComputerName && ClientComputerNameLength)
        return np_fail(ERROR_NOACCESS);
    ULONG chars = ClientComputerNameLength > 1024 ? 1024 : ClientComputerNameLength;
    LPWSTR wide = malloc(((size_t)chars + 1) * sizeof(WCHAR));
    if (!wide)
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    wide[chars] = 0;
    BOOL ok = GetNamedPipeClientComputerNameW(Pipe, chars ? wide : NULL,
                                              chars * (ULONG)sizeof(WCHAR));
    if (ok && np_w_to_a(wide, -1, ClientComputerName, ClientComputerNameLength) >
                  ClientComputerNameLength)
        ok = np_fail(ERROR_INSUFFICIENT_BUFFER);
    free(wide);
    return ok;
}
