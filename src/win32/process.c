/*
 * process.c — GetCurrentProcessId, GetCurrentProcess, GetCurrentThreadId,
 * GetCurrentThread and ProcessIdToSessionId.
 *
 * Process ids are Linux pids.  Sessions are Linux audit sessions, read by
 * the broker from the kernel (DESIGN.md, invariant 2): a process outside
 * any login is in session 0, as Windows services are.
 */
#include "win32/internal.h"

#include <unistd.h>

NPIPE_API DWORD WINAPI GetCurrentProcessId(void) { return (DWORD)getpid(); }

/* The pseudo-handle Windows uses for "this process"; it equals
 * INVALID_HANDLE_VALUE, and npipe accepts it only where a process handle
 * is expected (DuplicateHandle). */
NPIPE_API HANDLE WINAPI GetCurrentProcess(void) { return NtCurrentProcess(); }

/* Linux thread ids. */
NPIPE_API DWORD WINAPI GetCurrentThreadId(void) { return (DWORD)gettid(); }

/* Windows' pseudo-handle for "this thread", (HANDLE)-2.  npipe has no
 * thread objects yet: it is accepted only by CancelSynchronousIo. */
NPIPE_API HANDLE WINAPI GetCurrentThread(void) { return (HANDLE)(LONG_PTR)-2; }

/*
 * Windows: a NULL pSessionId is ERROR_INVALID_PARAMETER (checked before
 * anything else), and so is a process id that names no process (the
 * NtOpenProcess underneath fails with STATUS_INVALID_CID).  The broker
 * answers the same way for a pid it cannot find.
 */
NPIPE_API BOOL WINAPI ProcessIdToSessionId(DWORD dwProcessId, DWORD *pSessionId)
{
    if (!pSessionId)
        return np_fail(ERROR_INVALID_PARAMETER);
    ULONG session;
    NTSTATUS status = NpQueryProcessSession(dwProcessId, &session);
    if (!NT_SUCCESS(status))
        return np_fail_status(status);
    *pSessionId = session;
    return TRUE;
}
