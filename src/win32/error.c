/*
 * error.c — the thread's last error: GetLastError / SetLastError, and the
 * helpers the rest of the Win32 layer uses to fail with a Win32 error or
 * with the Win32 translation of an NTSTATUS.
 *
 * As on Windows the value is per thread and only changes when a function
 * says so: failures set it, and successes leave it alone except where
 * Windows documents otherwise (CreateFile, CreateNamedPipe).
 */
#include "win32/internal.h"

static __thread DWORD last_error;

NPIPE_API DWORD WINAPI GetLastError(void) { return last_error; }

NPIPE_API void WINAPI SetLastError(DWORD dwErrCode) { last_error = dwErrCode; }

BOOL np_fail(DWORD error)
{
    last_error = error;
    return FALSE;
}

BOOL np_fail_status(NTSTATUS status)
{
    last_error = RtlNtStatusToDosError(status);
    return FALSE;
}
