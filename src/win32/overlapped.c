/*
 * overlapped.c — the results of overlapped operations and their
 * cancellation: GetOverlappedResult(Ex), CancelIo, CancelIoEx,
 * CancelSynchronousIo.
 *
 * An OVERLAPPED's Internal is the operation's NTSTATUS (STATUS_PENDING
 * until it completes) and InternalHigh its byte count.  The library writes
 * them — InternalHigh first, then Internal with release ordering — before
 * the broker sets the event or queues the packet, so a thread that wakes
 * finds them written; the reads here use acquire ordering.
 */
#include "win32/internal.h"

#include "channel/channel.h"

static NTSTATUS read_status(const OVERLAPPED *ov)
{
    return (NTSTATUS)(ULONG)__atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE);
}

/*
 * As kernelbase: still pending and no time to wait is ERROR_IO_INCOMPLETE;
 * otherwise wait for hEvent (its low bit masked) or, without one, for the
 * file handle — which any I/O on the handle signals, so with several
 * operations in flight on one handle each needs its own event (Microsoft
 * says the same).  A wait that times out fails with WAIT_TIMEOUT (258) as
 * the error, one ended by completion routines with WAIT_IO_COMPLETION.
 * Then *lpNumberOfBytesTransferred = InternalHigh and the status decides:
 * success TRUE, a warning or an error FALSE with its Win32 error
 * (STATUS_BUFFER_OVERFLOW: ERROR_MORE_DATA, STATUS_CANCELLED:
 * ERROR_OPERATION_ABORTED).
 *
 * npipe's additions: a NULL OVERLAPPED or count pointer, which Windows
 * would crash on, is ERROR_NOACCESS; and when the wait itself fails (the
 * broker was lost, so its event is gone) an operation whose OVERLAPPED is
 * no longer pending is reported all the same — the library completed it
 * with STATUS_PIPE_BROKEN (ERROR_BROKEN_PIPE).
 */
NPIPE_API BOOL WINAPI GetOverlappedResultEx(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                            LPDWORD lpNumberOfBytesTransferred,
                                            DWORD dwMilliseconds, BOOL bAlertable)
{
    if (!lpOverlapped || !lpNumberOfBytesTransferred)
        return np_fail(ERROR_NOACCESS);
    NTSTATUS status = read_status(lpOverlapped);
    if (status == STATUS_PENDING) {
        if (!dwMilliseconds)
            return np_fail(ERROR_IO_INCOMPLETE);
        HANDLE event = (HANDLE)((ULONG_PTR)lpOverlapped->hEvent & ~(ULONG_PTR)1);
        DWORD ret = WaitForSingleObjectEx(event ? event : hFile, dwMilliseconds,
                                          bAlertable);
        status = read_status(lpOverlapped);
        if (ret == WAIT_FAILED && status == STATUS_PENDING && np_last_call_lost()) {
            DWORD error = GetLastError();
            np_async_await_loss(1000); /* the library completes it now */
            status = read_status(lpOverlapped);
            SetLastError(error);
        }
        if (ret == WAIT_FAILED && status == STATUS_PENDING)
            return FALSE; /* the wait's error */
        if (ret != WAIT_FAILED && ret != WAIT_OBJECT_0)
            return np_fail(ret); /* WAIT_TIMEOUT, WAIT_IO_COMPLETION */
        /* Signaled while still pending: someone else set the event.
         * Windows reports success then; so does npipe. */
        if (status == STATUS_PENDING)
            status = STATUS_SUCCESS;
    }
    *lpNumberOfBytesTransferred = (DWORD)lpOverlapped->InternalHigh;
    return status == STATUS_SUCCESS ? TRUE : np_fail_status(status);
}

NPIPE_API BOOL WINAPI GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
                                          LPDWORD lpNumberOfBytesTransferred,
                                          BOOL bWait)
{
    return GetOverlappedResultEx(hFile, lpOverlapped, lpNumberOfBytesTransferred,
                                 bWait ? INFINITE : 0, FALSE);
}

/* ---- Cancellation ----------------------------------------------------------------- */

/*
 * Cancelled operations complete the usual way — their OVERLAPPED gets
 * STATUS_CANCELLED (ERROR_OPERATION_ABORTED) or, if they finished first,
 * their real result — and their events, packets and routines follow.
 * Neither call waits for that (Microsoft: "CancelIoEx does not wait for
 * all canceled operations to complete"): wait on the event or use
 * GetOverlappedResult(..., TRUE) before reusing the OVERLAPPED.  A
 * cancelled write's bytes that the reader has not taken leave the pipe.
 */

/* CancelIoEx: every operation of this process on the handle's file, or
 * only the one whose OVERLAPPED this is; nothing to cancel is
 * ERROR_NOT_FOUND.  It also cancels synchronous calls other threads are
 * blocked in on that file, as Windows does. */
NPIPE_API BOOL WINAPI CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped)
{
    union np_args args = {.cancel = {
        .match_cookie = lpOverlapped != NULL,
        .cookie = (uint64_t)(uintptr_t)lpOverlapped,
    }};
    NTSTATUS status = np_call(NP_OP_CANCEL, hFile, &args, NULL, 0, NULL, 0, NULL);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}

/* CancelIo: the calling thread's operations on the handle's file.  Nothing
 * to cancel is still success (NtCancelIoFile succeeds then). */
NPIPE_API BOOL WINAPI CancelIo(HANDLE hFile)
{
    union np_args args = {.cancel = {.only_this_thread = 1}};
    NTSTATUS status = np_call(NP_OP_CANCEL, hFile, &args, NULL, 0, NULL, 0, NULL);
    if (status == STATUS_NOT_FOUND)
        status = STATUS_SUCCESS;
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}

/*
 * CancelSynchronousIo names a thread by its handle (CreateThread's, or
 * GetCurrentThread()); the broker knows each thread of the process by the
 * id its channel reported and cancels the blocking I/O that thread has in
 * flight: that call then fails with ERROR_OPERATION_ABORTED.  Nothing in
 * flight (or the caller itself, which cannot be blocked in I/O while it
 * runs this) is FALSE with ERROR_NOT_FOUND, as on Windows.
 */
NPIPE_API BOOL WINAPI CancelSynchronousIo(HANDLE hThread)
{
    DWORD tid = GetThreadId(hThread);
    if (tid == 0)
        return np_fail(ERROR_INVALID_HANDLE);
    if (tid == GetCurrentThreadId())
        return np_fail(ERROR_NOT_FOUND);
    union np_args args = {.cancel = {.thread_id = tid}};
    NTSTATUS status = np_call(NP_OP_CANCEL_SYNC, NULL, &args, NULL, 0, NULL, 0, NULL);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}
