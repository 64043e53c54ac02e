/*
 * sync.c — events, waits and sleeping: CreateEvent(Ex)A/W, SetEvent,
 * ResetEvent, PulseEvent, WaitForSingleObject(Ex),
 * WaitForMultipleObjects(Ex), Sleep, SleepEx.
 *
 * Events, pipe handles and completion ports are broker objects in one
 * handle space, so a wait is a request to the broker (NP_OP_WAIT) that
 * pends until an object is signaled, the timeout passes or — for an
 * alertable wait — a completion routine of this thread is due.  The reply
 * of the last case carries the ids of the due routines; they run here, in
 * the waiting thread, before the wait returns WAIT_IO_COMPLETION.  That is
 * the only place completion routines run (np_run_apcs).
 *
 * Where npipe differs from Windows:
 *   - named events are not supported yet: a non-empty lpName is
 *     ERROR_NOT_SUPPORTED (an empty name is an unnamed event, as on
 *     Windows), and so is a security descriptor;
 *   - the pseudo-handles (GetCurrentProcess(), GetCurrentThread()) are not
 *     waitable: ERROR_INVALID_HANDLE;
 *   - if the broker is lost during a wait, the wait fails with
 *     ERROR_INVALID_HANDLE (its objects were the broker's);
 *   - a NULL lpHandles with a nonzero count, which Windows would crash
 *     on, is ERROR_NOACCESS.
 */
#include "win32/internal.h"

#include "channel/channel.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>

/* ---- Events ---------------------------------------------------------------- */

static HANDLE create_event(LPSECURITY_ATTRIBUTES sa, bool manual, bool initial,
                           bool named)
{
    if (named || (sa && sa->lpSecurityDescriptor)) {
        np_fail(ERROR_NOT_SUPPORTED);
        return NULL;
    }
    union np_args args = {.event = {
        .manual_reset = manual,
        .initial_state = initial,
        .attributes = sa && sa->bInheritHandle ? OBJ_INHERIT : 0,
    }};
    struct np_result res;
    NTSTATUS status = np_call(NP_OP_CREATE_EVENT, NULL, &args, NULL, 0, NULL, 0,
                              &res);
    if (!NT_SUCCESS(status)) {
        np_fail_status(status);
        return NULL;
    }
    SetLastError(ERROR_SUCCESS); /* as kernelbase: 0 for a new event */
    return res.handle;
}

/* Failures return NULL, not INVALID_HANDLE_VALUE, as on Windows. */
NPIPE_API HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                     BOOL bManualReset, BOOL bInitialState,
                                     LPCWSTR lpName)
{
    return create_event(lpEventAttributes, bManualReset, bInitialState,
                        lpName && lpName[0]);
}

NPIPE_API HANDLE WINAPI CreateEventA(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                     BOOL bManualReset, BOOL bInitialState,
                                     LPCSTR lpName)
{
    return create_event(lpEventAttributes, bManualReset, bInitialState,
                        lpName && lpName[0]);
}

/* Flags other than CREATE_EVENT_MANUAL_RESET and CREATE_EVENT_INITIAL_SET
 * are ERROR_INVALID_PARAMETER.  dwDesiredAccess is not checked: the handle
 * gets full access to the event. */
NPIPE_API HANDLE WINAPI CreateEventExW(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                       LPCWSTR lpName, DWORD dwFlags,
                                       DWORD dwDesiredAccess)
{
    (void)dwDesiredAccess;
    if (dwFlags & ~(DWORD)(CREATE_EVENT_MANUAL_RESET | CREATE_EVENT_INITIAL_SET)) {
        np_fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    return create_event(lpEventAttributes, dwFlags & CREATE_EVENT_MANUAL_RESET,
                        dwFlags & CREATE_EVENT_INITIAL_SET, lpName && lpName[0]);
}

NPIPE_API HANDLE WINAPI CreateEventExA(LPSECURITY_ATTRIBUTES lpEventAttributes,
                                       LPCSTR lpName, DWORD dwFlags,
                                       DWORD dwDesiredAccess)
{
    (void)dwDesiredAccess;
    if (dwFlags & ~(DWORD)(CREATE_EVENT_MANUAL_RESET | CREATE_EVENT_INITIAL_SET)) {
        np_fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    return create_event(lpEventAttributes, dwFlags & CREATE_EVENT_MANUAL_RESET,
                        dwFlags & CREATE_EVENT_INITIAL_SET, lpName && lpName[0]);
}

/* NP_OP_EVENT_SET actions. */
enum { EVENT_SET, EVENT_RESET, EVENT_PULSE };

/* Anything but an event handle is ERROR_INVALID_HANDLE. */
static BOOL event_action(HANDLE event, uint32_t action)
{
    union np_args args = {.event = {.action = action}};
    NTSTATUS status = np_call(NP_OP_EVENT_SET, event, &args, NULL, 0, NULL, 0,
                              NULL);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}

NPIPE_API BOOL WINAPI SetEvent(HANDLE hEvent) { return event_action(hEvent, EVENT_SET); }

NPIPE_API BOOL WINAPI ResetEvent(HANDLE hEvent)
{
    return event_action(hEvent, EVENT_RESET);
}

/* Releases the threads waiting now (all of them for a manual-reset event,
 * one for an auto-reset event) and leaves the event reset.  Microsoft
 * calls it unreliable and so it is here: a thread that is between waits
 * misses the pulse. */
NPIPE_API BOOL WINAPI PulseEvent(HANDLE hEvent)
{
    return event_action(hEvent, EVENT_PULSE);
}

/* ---- Waits ------------------------------------------------------------------------ */

NTSTATUS np_wait(DWORD count, const HANDLE *handles, bool wait_all,
                 DWORD timeout_ms, bool alertable)
{
    if (count > MAXIMUM_WAIT_OBJECTS)
        return STATUS_INVALID_PARAMETER;
    if (count && !handles)
        return STATUS_ACCESS_VIOLATION;
    uint32_t wire[MAXIMUM_WAIT_OBJECTS];
    uint32_t epoch = 0;
    for (DWORD i = 0; i < count; i++) {
        uint32_t e;
        if (!np_handle_decode(handles[i], &wire[i], &e) || (epoch && e != epoch))
            return STATUS_INVALID_HANDLE;
        epoch = e;
    }
    union np_args args = {.wait = {
        .count = count,
        .wait_all = wait_all,
        .alertable = alertable,
        .timeout_ms = timeout_ms,
    }};
    uint64_t *ids = NULL;
    if (alertable && !(ids = malloc(NP_APC_BUFFER)))
        return STATUS_NO_MEMORY;
    struct np_result res;
    NTSTATUS status = np_call_epoch(NP_OP_WAIT, 0, NULL, epoch, &args, wire,
                                    count * (uint32_t)sizeof wire[0], ids,
                                    alertable ? NP_APC_BUFFER : 0, &res);
    if (status == STATUS_USER_APC)
        np_run_apcs(ids, res.data_len / sizeof *ids);
    free(ids);
    return status;
}

static DWORD wait_result(NTSTATUS status, DWORD count)
{
    if ((ULONG)status < (ULONG)STATUS_WAIT_0 + count)
        return WAIT_OBJECT_0 + (DWORD)status;
    if ((ULONG)status >= (ULONG)STATUS_ABANDONED_WAIT_0 &&
        (ULONG)status < (ULONG)STATUS_ABANDONED_WAIT_0 + count)
        return WAIT_ABANDONED_0 + (DWORD)(status - STATUS_ABANDONED_WAIT_0);
    if (status == STATUS_TIMEOUT)
        return WAIT_TIMEOUT;
    if (status == STATUS_USER_APC)
        return WAIT_IO_COMPLETION;
    if (NT_SUCCESS(status)) /* nothing else is meant to come back */
        status = STATUS_INTERNAL_ERROR;
    np_fail_status(status);
    return WAIT_FAILED;
}

/*
 * nCount must be 1..MAXIMUM_WAIT_OBJECTS (else ERROR_INVALID_PARAMETER);
 * every handle must be waitable (events, pipe handles; ports are not:
 * ERROR_INVALID_HANDLE); a wait-all may not name one object twice
 * (ERROR_INVALID_PARAMETER).  WAIT_OBJECT_0 + i is the lowest index that
 * satisfied a wait-any; an auto-reset event that satisfies a wait is reset
 * by it.  An alertable wait that no object satisfies at once runs the
 * thread's due completion routines and returns WAIT_IO_COMPLETION; as in
 * NT's kernel, an object that is already signaled wins and the routines
 * stay due for the next alertable wait.
 */
NPIPE_API DWORD WINAPI WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles,
                                                BOOL bWaitAll, DWORD dwMilliseconds,
                                                BOOL bAlertable)
{
    if (nCount == 0 || nCount > MAXIMUM_WAIT_OBJECTS) {
        np_fail(ERROR_INVALID_PARAMETER);
        return WAIT_FAILED;
    }
    if (!lpHandles) {
        np_fail(ERROR_NOACCESS);
        return WAIT_FAILED;
    }
    return wait_result(np_wait(nCount, lpHandles, bWaitAll, dwMilliseconds,
                               bAlertable),
                       nCount);
}

NPIPE_API DWORD WINAPI WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles,
                                              BOOL bWaitAll, DWORD dwMilliseconds)
{
    return WaitForMultipleObjectsEx(nCount, lpHandles, bWaitAll, dwMilliseconds,
                                    FALSE);
}

NPIPE_API DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds,
                                             BOOL bAlertable)
{
    return WaitForMultipleObjectsEx(1, &hHandle, FALSE, dwMilliseconds, bAlertable);
}

NPIPE_API DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
    return WaitForMultipleObjectsEx(1, &hHandle, FALSE, dwMilliseconds, FALSE);
}

/* ---- Sleeping ------------------------------------------------------------------- */

/* A plain sleep needs no broker: nanosleep, restarted after signals;
 * INFINITE sleeps forever; 0 gives up the processor. */
static void local_sleep(DWORD ms)
{
    if (ms == 0) {
        sched_yield();
        return;
    }
    for (;;) {
        struct timespec ts = {.tv_sec = 3600, .tv_nsec = 0};
        if (ms != INFINITE) {
            ts.tv_sec = ms / 1000;
            ts.tv_nsec = (long)(ms % 1000) * 1000000L;
        }
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        if (ms != INFINITE)
            return;
    }
}

NPIPE_API VOID WINAPI Sleep(DWORD dwMilliseconds) { local_sleep(dwMilliseconds); }

/*
 * Not alertable: Sleep.  Alertable: a wait for nothing in the broker, which
 * ends early when a completion routine of this thread is due; those run
 * here and SleepEx returns WAIT_IO_COMPLETION, else 0 when the time is up.
 * Without a broker to ask (none answers), it just sleeps.
 */
NPIPE_API DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable)
{
    if (!bAlertable) {
        local_sleep(dwMilliseconds);
        return 0;
    }
    NTSTATUS status = np_wait(0, NULL, false, dwMilliseconds, true);
    if (status == STATUS_USER_APC)
        return WAIT_IO_COMPLETION;
    if (status != STATUS_TIMEOUT)
        local_sleep(dwMilliseconds);
    return 0;
}
