/*
 * thread.c — CreateThread, ExitThread, GetExitCodeThread, GetThreadId,
 * ResumeThread, SuspendThread, SwitchToThread.  (GetCurrentThreadId and
 * GetCurrentThread are in process.c.)
 *
 * A thread is a POSIX thread.  Its handle is what makes it Windows-like:
 * a manual-reset broker event that the library sets when the thread's
 * routine returns or the thread calls ExitThread, so the handle works with
 * WaitForSingleObject, WaitForMultipleObjects and friends like any other
 * object.  The library keeps its own handle to the event and gives the
 * caller a duplicate, so closing the caller's handle early (common: many
 * programs close it at once) never leaves the thread setting a handle value
 * that now names something else.  The exit code and thread id are kept in
 * a record found by the caller's handle value (objects.c); the record goes
 * when the thread has ended and that handle is closed.
 *
 * Where npipe differs from Windows:
 *   - GetExitCodeThread, GetThreadId and ResumeThread know the handle
 *     CreateThread returned (and GetCurrentThread()); a duplicate of it
 *     waits like the original but is ERROR_INVALID_HANDLE to them;
 *   - the handle is an event to the broker, so SetEvent/ResetEvent on it
 *     succeed where Windows would refuse a thread handle;
 *   - SuspendThread works only on a thread that has not started running
 *     (created with CREATE_SUSPENDED); any other is ERROR_NOT_SUPPORTED —
 *     Linux cannot stop one thread of a process from outside;
 *   - a thread security descriptor is ignored (nothing else can open a
 *     thread by name or id); bInheritHandle is honoured;
 *   - the default stack is the C library's (8 MiB, not 1 MiB); a requested
 *     size is rounded up to the page size and to PTHREAD_STACK_MIN;
 *   - ExitThread in a thread CreateThread did not make (the main thread,
 *     say) ends it with pthread_exit; the process ends with its last thread,
 *     as on Windows.
 */
#include "win32/internal.h"
#include "win32/objects.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

struct np_thread {
    struct np_obj obj;
    HANDLE event; /* the library's own handle to the thread's event */
    LPTHREAD_START_ROUTINE routine;
    LPVOID param;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    DWORD tid;        /* 0 until the thread has started */
    DWORD exit_code;  /* STILL_ACTIVE until it ends */
    DWORD suspended;  /* suspend count before it first runs */
    bool running;     /* past the start: SuspendThread no longer works */
};

static __thread struct np_thread *t_self;

static void release_thread(struct np_obj *obj)
{
    struct np_thread *t = (struct np_thread *)obj;
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t);
}

/* The end of a CreateThread thread: record the code, set the event (the
 * handle becomes signaled), let go of the library's handle and record. */
static void thread_finished(struct np_thread *t, DWORD code)
{
    pthread_mutex_lock(&t->lock);
    t->exit_code = code;
    pthread_mutex_unlock(&t->lock);
    SetEvent(t->event);
    CloseHandle(t->event);
    t_self = NULL;
    np_obj_put(&t->obj);
}

static void *thread_start(void *arg)
{
    struct np_thread *t = arg;
    t_self = t;
    pthread_mutex_lock(&t->lock);
    t->tid = (DWORD)gettid();
    pthread_cond_broadcast(&t->cond);
    while (t->suspended)
        pthread_cond_wait(&t->cond, &t->lock);
    t->running = true;
    pthread_mutex_unlock(&t->lock);
    DWORD code = t->routine(t->param);
    thread_finished(t, code);
    return NULL;
}

static size_t stack_size(SIZE_T requested)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t size = requested;
    if (size < (size_t)PTHREAD_STACK_MIN)
        size = (size_t)PTHREAD_STACK_MIN;
    if (page > 0)
        size = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
    return size;
}

/*
 * Failures return NULL with the last error set.  A NULL start routine is
 * ERROR_INVALID_PARAMETER (Windows would start a thread that crashes).
 */
NPIPE_API HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes,
                                     SIZE_T dwStackSize,
                                     LPTHREAD_START_ROUTINE lpStartAddress,
                                     LPVOID lpParameter, DWORD dwCreationFlags,
                                     LPDWORD lpThreadId)
{
    if (!lpStartAddress) {
        np_fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    struct np_thread *t = calloc(1, sizeof *t);
    if (!t) {
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    t->obj.type = NP_OBJ_THREAD;
    t->obj.release = release_thread;
    t->obj.refs = 1; /* the thread's own, dropped when it ends */
    t->routine = lpStartAddress;
    t->param = lpParameter;
    t->exit_code = STILL_ACTIVE;
    t->suspended = (dwCreationFlags & CREATE_SUSPENDED) ? 1 : 0;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);

    HANDLE user = NULL;
    t->event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!t->event)
        goto fail; /* last error from CreateEvent */
    BOOL inherit = lpThreadAttributes && lpThreadAttributes->bInheritHandle;
    if (!DuplicateHandle(GetCurrentProcess(), t->event, GetCurrentProcess(), &user,
                         0, inherit, DUPLICATE_SAME_ACCESS))
        goto fail;
    if (!np_obj_insert(user, &t->obj)) {
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        goto fail;
    }

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (dwStackSize)
        pthread_attr_setstacksize(&attr, stack_size(dwStackSize));
    pthread_t pt;
    int err = pthread_create(&pt, &attr, thread_start, t);
    pthread_attr_destroy(&attr);
    if (err) {
        np_obj_forget(user); /* drops the table's reference */
        np_fail(err == EAGAIN ? ERROR_NOT_ENOUGH_MEMORY : ERROR_INVALID_PARAMETER);
        goto fail;
    }
    /* The thread id is known once the thread has started. */
    pthread_mutex_lock(&t->lock);
    while (!t->tid)
        pthread_cond_wait(&t->cond, &t->lock);
    DWORD tid = t->tid;
    pthread_mutex_unlock(&t->lock);
    if (lpThreadId)
        *lpThreadId = tid;
    return user;

fail:;
    DWORD error = GetLastError();
    if (user)
        CloseHandle(user);
    if (t->event)
        CloseHandle(t->event);
    np_obj_put(&t->obj);
    SetLastError(error);
    return NULL;
}

NPIPE_API DECLSPEC_NORETURN VOID WINAPI ExitThread(DWORD dwExitCode)
{
    struct np_thread *t = t_self;
    if (t)
        thread_finished(t, dwExitCode);
    pthread_exit(NULL);
}

/* A NULL lpExitCode is ERROR_NOACCESS (Windows would crash writing it). */
NPIPE_API BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
    if (!lpExitCode)
        return np_fail(ERROR_NOACCESS);
    if (hThread == GetCurrentThread()) {
        *lpExitCode = STILL_ACTIVE;
        return TRUE;
    }
    struct np_thread *t = (struct np_thread *)np_obj_get(hThread, NP_OBJ_THREAD);
    if (!t) /* a PROCESS_INFORMATION's hThread: the process's code */
        return np_process_exit_code(hThread, lpExitCode) ? TRUE
                                                         : np_fail(ERROR_INVALID_HANDLE);
    pthread_mutex_lock(&t->lock);
    *lpExitCode = t->exit_code;
    pthread_mutex_unlock(&t->lock);
    np_obj_put(&t->obj);
    return TRUE;
}

/* 0 with ERROR_INVALID_HANDLE for a handle the library does not know. */
NPIPE_API DWORD WINAPI GetThreadId(HANDLE Thread)
{
    if (Thread == GetCurrentThread())
        return GetCurrentThreadId();
    struct np_thread *t = (struct np_thread *)np_obj_get(Thread, NP_OBJ_THREAD);
    if (!t) {
        np_fail(ERROR_INVALID_HANDLE);
        return 0;
    }
    DWORD tid = t->tid; /* set before CreateThread returned the handle */
    np_obj_put(&t->obj);
    return tid;
}

/* Returns the previous suspend count, or (DWORD)-1 on failure. */
NPIPE_API DWORD WINAPI ResumeThread(HANDLE hThread)
{
    struct np_thread *t = (struct np_thread *)np_obj_get(hThread, NP_OBJ_THREAD);
    if (!t) {
        np_fail(ERROR_INVALID_HANDLE);
        return (DWORD)-1;
    }
    pthread_mutex_lock(&t->lock);
    DWORD previous = t->suspended;
    if (t->suspended && --t->suspended == 0)
        pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&t->lock);
    np_obj_put(&t->obj);
    return previous;
}

NPIPE_API DWORD WINAPI SuspendThread(HANDLE hThread)
{
    struct np_thread *t = (struct np_thread *)np_obj_get(hThread, NP_OBJ_THREAD);
    if (!t) {
        np_fail(hThread == GetCurrentThread() ? ERROR_NOT_SUPPORTED
                                              : ERROR_INVALID_HANDLE);
        return (DWORD)-1;
    }
    pthread_mutex_lock(&t->lock);
    DWORD previous = t->suspended;
    bool ok = !t->running && t->suspended < MAXIMUM_SUSPEND_COUNT;
    if (ok)
        t->suspended++;
    pthread_mutex_unlock(&t->lock);
    np_obj_put(&t->obj);
    if (!ok) {
        np_fail(ERROR_NOT_SUPPORTED);
        return (DWORD)-1;
    }
    return previous;
}

NPIPE_API BOOL WINAPI SwitchToThread(void) { return sched_yield() == 0; }
