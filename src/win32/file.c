/*
 * file.c — CreateFileA/W, ReadFile, WriteFile and FlushFileBuffers for
 * pipe handles.
 *
 * npipe has no file system: CreateFile opens pipe clients (and the pipe
 * root, \\.\pipe\) and nothing else.  Any other path fails with
 * ERROR_PATH_NOT_FOUND, a pipe on another machine (\\server\pipe\x) with
 * ERROR_BAD_NETPATH, a pipe name over 256 characters with
 * ERROR_FILENAME_EXCED_RANGE.
 *
 * Overlapped I/O works as kernel32 does it: with an OVERLAPPED, Internal
 * is set to STATUS_PENDING and the NT call gets hEvent as its event, the
 * OVERLAPPED as its IO_STATUS_BLOCK and — unless hEvent's low bit is set,
 * which means "no completion packet" — as its APC context (the port's
 * value).  STATUS_PENDING is FALSE with ERROR_IO_PENDING; an immediate
 * result fills Internal/InternalHigh (an immediate failure leaves them,
 * Internal still STATUS_PENDING, as on Windows), and the byte count
 * returned through lpNumberOf... is 0 unless the status is
 * STATUS_SUCCESS.  On a handle opened without FILE_FLAG_OVERLAPPED the
 * broker completes the call before answering, so it is synchronous and
 * still fills the OVERLAPPED and sets its event.  Without an OVERLAPPED
 * the call is synchronous on any handle.
 */
#include "win32/internal.h"
#include "win32/objects.h"

#include <stdlib.h>

#define FILE_ATTRIBUTE_VALID_FLAGS 0x00007FA7

/* ---- CreateFile -------------------------------------------------------------- */

static bool map_disposition(DWORD disposition, ULONG *nt)
{
    switch (disposition) {
    case CREATE_NEW: *nt = FILE_CREATE; return true;
    case CREATE_ALWAYS: *nt = FILE_OVERWRITE_IF; return true;
    case OPEN_EXISTING: *nt = FILE_OPEN; return true;
    case OPEN_ALWAYS: *nt = FILE_OPEN_IF; return true;
    case TRUNCATE_EXISTING: *nt = FILE_OVERWRITE; return true;
    default: return false;
    }
}

static ULONG create_options(DWORD flags)
{
    ULONG options = flags & FILE_FLAG_OVERLAPPED ? 0 : FILE_SYNCHRONOUS_IO_NONALERT;
    if (!(flags & FILE_FLAG_BACKUP_SEMANTICS))
        options |= FILE_NON_DIRECTORY_FILE;
    if (flags & FILE_FLAG_WRITE_THROUGH)
        options |= FILE_WRITE_THROUGH;
    if (flags & FILE_FLAG_NO_BUFFERING)
        options |= FILE_NO_INTERMEDIATE_BUFFERING;
    if (flags & FILE_FLAG_SEQUENTIAL_SCAN)
        options |= FILE_SEQUENTIAL_ONLY;
    return options;
}

/* Which pipe the path names, or the error CreateFile gives for it. */
static DWORD name_error(LPCWSTR path, struct np_pipe_name *name)
{
    switch (np_parse_pipe_name(path, name)) {
    case NP_NAME_LOCAL_PIPE: return ERROR_SUCCESS;
    case NP_NAME_REMOTE_PIPE: return ERROR_BAD_NETPATH;
    case NP_NAME_TOO_LONG: return ERROR_FILENAME_EXCED_RANGE;
    default: return ERROR_PATH_NOT_FOUND;
    }
}

static HANDLE fail_handle(DWORD error)
{
    np_fail(error);
    return INVALID_HANDLE_VALUE;
}

/* On success CreateFile sets the last error: ERROR_ALREADY_EXISTS when
 * OPEN_ALWAYS opened or CREATE_ALWAYS overwrote something, else 0. */
static void set_create_error(DWORD disposition, ULONG_PTR information)
{
    bool existed = (disposition == OPEN_ALWAYS && information == FILE_OPENED) ||
                   (disposition == CREATE_ALWAYS && information == FILE_OVERWRITTEN);
    SetLastError(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
}

/*
 * As kernel32: the handle always gets SYNCHRONIZE | FILE_READ_ATTRIBUTES
 * on top of what is asked; the name is opened case-insensitively; a
 * security descriptor is ignored (opening never applies one); the
 * template handle means nothing for a pipe.
 */
NPIPE_API HANDLE WINAPI CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess,
                                    DWORD dwShareMode,
                                    LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                    DWORD dwCreationDisposition,
                                    DWORD dwFlagsAndAttributes,
                                    HANDLE hTemplateFile)
{
    (void)hTemplateFile;
    if (!lpFileName)
        return fail_handle(ERROR_PATH_NOT_FOUND);
    ULONG disposition;
    if (!map_disposition(dwCreationDisposition, &disposition) ||
        (dwCreationDisposition == TRUNCATE_EXISTING &&
         !(dwDesiredAccess & GENERIC_WRITE)))
        return fail_handle(ERROR_INVALID_PARAMETER);
    struct np_pipe_name name;
    DWORD error = name_error(lpFileName, &name);
    if (error == ERROR_PATH_NOT_FOUND) /* not a pipe: a local file (localfile.c) */
        return np_local_create_file_w(lpFileName, dwDesiredAccess, dwShareMode,
                                      lpSecurityAttributes, dwCreationDisposition,
                                      dwFlagsAndAttributes);
    if (error)
        return fail_handle(error);
    UNICODE_STRING us;
    np_nt_string(&name, name.nt_chars, &us);
    OBJECT_ATTRIBUTES oa;
    ULONG attributes = OBJ_CASE_INSENSITIVE;
    if (lpSecurityAttributes && lpSecurityAttributes->bInheritHandle)
        attributes |= OBJ_INHERIT;
    InitializeObjectAttributes(&oa, &us, attributes, NULL, NULL);
    HANDLE handle;
    IO_STATUS_BLOCK iosb;
    NTSTATUS status = NtCreateFile(
        &handle, dwDesiredAccess | SYNCHRONIZE | FILE_READ_ATTRIBUTES, &oa,
        &iosb, NULL, dwFlagsAndAttributes & FILE_ATTRIBUTE_VALID_FLAGS,
        dwShareMode, disposition, create_options(dwFlagsAndAttributes), NULL, 0);
    if (status == STATUS_OBJECT_NAME_COLLISION)
        return fail_handle(ERROR_FILE_EXISTS);
    if (!NT_SUCCESS(status)) {
        np_fail_status(status);
        return INVALID_HANDLE_VALUE;
    }
    set_create_error(dwCreationDisposition, iosb.Information);
    return handle;
}

NPIPE_API HANDLE WINAPI CreateFileA(LPCSTR lpFileName, DWORD dwDesiredAccess,
                                    DWORD dwShareMode,
                                    LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                    DWORD dwCreationDisposition,
                                    DWORD dwFlagsAndAttributes,
                                    HANDLE hTemplateFile)
{
    LPWSTR name;
    if (!np_a_to_w(lpFileName, &name))
        return INVALID_HANDLE_VALUE;
    HANDLE h = CreateFileW(name, dwDesiredAccess, dwShareMode,
                           lpSecurityAttributes, dwCreationDisposition,
                           dwFlagsAndAttributes, hTemplateFile);
    free(name);
    return h;
}

/* ---- ReadFile, WriteFile ------------------------------------------------------- */

/* Before the NT call: the byte count is zeroed "before doing any work or
 * error checking" (Microsoft's ReadFile page), and an OVERLAPPED starts
 * out pending. */
void np_begin_io(LPDWORD count, LPOVERLAPPED ov, LARGE_INTEGER *offset)
{
    if (count)
        *count = 0;
    if (ov) {
        ov->Internal = (ULONG_PTR)STATUS_PENDING;
        offset->LowPart = ov->Offset;
        offset->HighPart = (LONG)ov->OffsetHigh;
    }
}

PIO_STATUS_BLOCK np_io_block(LPOVERLAPPED ov, IO_STATUS_BLOCK *local)
{
    return ov ? (PIO_STATUS_BLOCK)ov : local;
}

PVOID np_io_context(LPOVERLAPPED ov)
{
    return ov && !((ULONG_PTR)ov->hEvent & 1) ? ov : NULL;
}

BOOL np_finish_io(NTSTATUS status, const IO_STATUS_BLOCK *iosb,
                  LPDWORD count, LPOVERLAPPED ov)
{
    if (status == STATUS_PENDING)
        return np_fail(ERROR_IO_PENDING);
    bool filled = !NT_ERROR(status);
    if (count)
        *count = filled && !(ov && status) ? (DWORD)iosb->Information : 0;
    if (status == STATUS_SUCCESS)
        return TRUE;
    return np_fail_status(status); /* STATUS_BUFFER_OVERFLOW: ERROR_MORE_DATA */
}

/*
 * lpNumberOfBytesRead may be NULL only with an OVERLAPPED (Microsoft's
 * ReadFile page); with neither, Windows crashes writing the count.  npipe
 * fails with ERROR_NOACCESS instead — the error a bad pointer gets from
 * the kernel — before doing any I/O, so no data is lost.
 */
NPIPE_API BOOL WINAPI ReadFile(HANDLE hFile, LPVOID lpBuffer,
                               DWORD nNumberOfBytesToRead,
                               LPDWORD lpNumberOfBytesRead,
                               LPOVERLAPPED lpOverlapped)
{
    if (np_is_local_handle(hFile)) /* console, local file (console.c) */
        return np_local_read(hFile, lpBuffer, nNumberOfBytesToRead,
                             lpNumberOfBytesRead, lpOverlapped);
    LARGE_INTEGER offset;
    np_begin_io(lpNumberOfBytesRead, lpOverlapped, &offset);
    if (!lpNumberOfBytesRead && !lpOverlapped)
        return np_fail(ERROR_NOACCESS);
    IO_STATUS_BLOCK local = {0};
    PIO_STATUS_BLOCK iosb = np_io_block(lpOverlapped, &local);
    NTSTATUS status = NtReadFile(hFile, lpOverlapped ? lpOverlapped->hEvent : NULL,
                                 NULL, np_io_context(lpOverlapped), iosb,
                                 lpBuffer, nNumberOfBytesToRead,
                                 lpOverlapped ? &offset : NULL, NULL);
    return np_finish_io(status, iosb, lpNumberOfBytesRead, lpOverlapped);
}

/* The same rule for lpNumberOfBytesWritten as for ReadFile's count. */
NPIPE_API BOOL WINAPI WriteFile(HANDLE hFile, LPCVOID lpBuffer,
                                DWORD nNumberOfBytesToWrite,
                                LPDWORD lpNumberOfBytesWritten,
                                LPOVERLAPPED lpOverlapped)
{
    if (np_is_local_handle(hFile)) /* console, local file (console.c) */
        return np_local_write(hFile, lpBuffer, nNumberOfBytesToWrite,
                              lpNumberOfBytesWritten, lpOverlapped);
    LARGE_INTEGER offset;
    np_begin_io(lpNumberOfBytesWritten, lpOverlapped, &offset);
    if (!lpNumberOfBytesWritten && !lpOverlapped)
        return np_fail(ERROR_NOACCESS);
    IO_STATUS_BLOCK local = {0};
    PIO_STATUS_BLOCK iosb = np_io_block(lpOverlapped, &local);
    NTSTATUS status = NtWriteFile(hFile, lpOverlapped ? lpOverlapped->hEvent : NULL,
                                  NULL, np_io_context(lpOverlapped), iosb,
                                  lpBuffer, nNumberOfBytesToWrite,
                                  lpOverlapped ? &offset : NULL, NULL);
    return np_finish_io(status, iosb, lpNumberOfBytesWritten, lpOverlapped);
}

/* ---- ReadFileEx, WriteFileEx --------------------------------------------------- */

/* The APC kernel32 queues for ReadFileEx/WriteFileEx: it calls the
 * caller's routine with the Win32 error, the byte count and the
 * OVERLAPPED. */
static VOID NTAPI file_ex_apc(PVOID context, PIO_STATUS_BLOCK iosb, ULONG reserved)
{
    (void)reserved;
    LPOVERLAPPED_COMPLETION_ROUTINE routine =
        (LPOVERLAPPED_COMPLETION_ROUTINE)(uintptr_t)context;
    routine(RtlNtStatusToDosError(iosb->Status), (DWORD)iosb->Information,
            (LPOVERLAPPED)iosb);
}

/*
 * As kernel32: Internal = STATUS_PENDING, the offset from the OVERLAPPED,
 * and the NT call with the completion routine as an APC (hEvent is the
 * caller's to use: it is not an event here).  Pending or done at once:
 * TRUE, and the routine runs in a later alertable wait of this thread
 * (SleepEx, WaitFor...Ex, GetQueuedCompletionStatusEx, GetOverlappedResultEx
 * with bAlertable) — never inside this call.  A partial message read done
 * at once is FALSE with ERROR_MORE_DATA, and its routine still runs, as on
 * Windows.  Failed at once: FALSE and no routine.  A NULL OVERLAPPED or
 * routine, which Windows would crash on, is ERROR_INVALID_PARAMETER.
 */
static BOOL file_ex(bool write, HANDLE file, void *buffer, DWORD length,
                    LPOVERLAPPED ov, LPOVERLAPPED_COMPLETION_ROUTINE routine)
{
    if (!ov || !routine)
        return np_fail(ERROR_INVALID_PARAMETER);
    LARGE_INTEGER offset;
    np_begin_io(NULL, ov, &offset);
    PVOID context = (PVOID)(uintptr_t)routine;
    NTSTATUS status =
        write ? NtWriteFile(file, NULL, file_ex_apc, context, (PIO_STATUS_BLOCK)ov,
                            buffer, length, &offset, NULL)
              : NtReadFile(file, NULL, file_ex_apc, context, (PIO_STATUS_BLOCK)ov,
                           buffer, length, &offset, NULL);
    if (status == STATUS_PENDING || status == STATUS_SUCCESS)
        return TRUE;
    return np_fail_status(status);
}

NPIPE_API BOOL WINAPI ReadFileEx(HANDLE hFile, LPVOID lpBuffer,
                                 DWORD nNumberOfBytesToRead,
                                 LPOVERLAPPED lpOverlapped,
                                 LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    return file_ex(false, hFile, lpBuffer, nNumberOfBytesToRead, lpOverlapped,
                   lpCompletionRoutine);
}

NPIPE_API BOOL WINAPI WriteFileEx(HANDLE hFile, LPCVOID lpBuffer,
                                  DWORD nNumberOfBytesToWrite,
                                  LPOVERLAPPED lpOverlapped,
                                  LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
    return file_ex(true, hFile, (void *)lpBuffer, nNumberOfBytesToWrite,
                   lpOverlapped, lpCompletionRoutine);
}

/* On a pipe: waits until the other end has read everything this end
 * wrote (npfs's flush). */
NPIPE_API BOOL WINAPI FlushFileBuffers(HANDLE hFile)
{
    if (np_is_local_handle(hFile)) /* console, local file (console.c) */
        return np_local_flush(hFile);
    IO_STATUS_BLOCK iosb;
    NTSTATUS status = NtFlushBuffersFile(hFile, &iosb);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}
