/*
 * test_win32_thread.c — CreateThread and thread handles.
 *
 * Windows behaviour checked (Microsoft Learn: CreateThread,
 * GetExitCodeThread, ExitThread, ResumeThread, WaitForMultipleObjects):
 *  - the handle is signaled when the thread ends (its routine returns or it
 *    calls ExitThread), so WaitForSingleObject / WaitForMultipleObjects
 *    (any or all) wait for threads;
 *  - GetExitCodeThread gives STILL_ACTIVE (259) while it runs, then the
 *    routine's return value or ExitThread's code;
 *  - lpThreadId receives the id GetCurrentThreadId returns in the thread;
 *  - CREATE_SUSPENDED threads run only after ResumeThread, which returns
 *    the previous suspend count;
 *  - closing the handle does not stop the thread.
 * And npipe's documented difference: the exit code is known through the
 * handle CreateThread returned; once that is closed it is gone
 * (ERROR_INVALID_HANDLE).
 */
#include "testlib.h"

#include <stdatomic.h>
#include <unistd.h>

struct gate {
    HANDLE go;        /* a manual-reset event the thread waits for */
    DWORD tid;        /* what the thread saw */
    DWORD code;       /* what it returns */
    atomic_int ran;
};

static DWORD WINAPI wait_then_return(LPVOID p)
{
    struct gate *g = p;
    atomic_store(&g->ran, 1);
    g->tid = GetCurrentThreadId();
    if (g->go)
        WaitForSingleObject(g->go, INFINITE);
    return g->code;
}

static DWORD WINAPI exit_thread_early(LPVOID p)
{
    struct gate *g = p;
    ExitThread(g->code);
}

static void test_wait_and_exit_code(void **state)
{
    (void)state;
    struct gate g = {.code = 1234};
    g.go = CreateEventA(NULL, TRUE, FALSE, NULL);
    TL_ASSERT(g.go != NULL);
    DWORD tid = 0;
    HANDLE t = CreateThread(NULL, 0, wait_then_return, &g, 0, &tid);
    TL_ASSERT(t != NULL);
    TL_NE(tid, 0);
    TL_NE(tid, GetCurrentThreadId());
    TL_EQ(WaitForSingleObject(t, 50), WAIT_TIMEOUT);
    DWORD code = 0;
    TL_OK(GetExitCodeThread(t, &code));
    TL_EQ(code, STILL_ACTIVE);
    TL_EQ(GetThreadId(t), tid);
    TL_OK(SetEvent(g.go));
    TL_EQ(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
    TL_EQ(g.tid, tid);
    TL_OK(GetExitCodeThread(t, &code));
    TL_EQ(code, 1234);
    /* Stays signaled. */
    TL_EQ(WaitForSingleObject(t, 0), WAIT_OBJECT_0);
    TL_OK(CloseHandle(t));
    TL_FAILS(GetExitCodeThread(t, &code), ERROR_INVALID_HANDLE);
    TL_OK(CloseHandle(g.go));

    TL_OK(GetExitCodeThread(GetCurrentThread(), &code));
    TL_EQ(code, STILL_ACTIVE);
    TL_FAILS(GetExitCodeThread(NULL, &code), ERROR_INVALID_HANDLE);
}

static void test_exit_thread(void **state)
{
    (void)state;
    struct gate g = {.code = 77};
    HANDLE t = CreateThread(NULL, 0, exit_thread_early, &g, 0, NULL);
    TL_ASSERT(t != NULL);
    TL_EQ(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
    DWORD code;
    TL_OK(GetExitCodeThread(t, &code));
    TL_EQ(code, 77);
    TL_OK(CloseHandle(t));
}

static void test_wait_multiple(void **state)
{
    (void)state;
    enum { N = 5 };
    struct gate g[N];
    HANDLE t[N];
    HANDLE go = CreateEventA(NULL, TRUE, FALSE, NULL);
    for (int i = 0; i < N; i++) {
        g[i] = (struct gate){.go = go, .code = (DWORD)(100 + i)};
        t[i] = CreateThread(NULL, 64 * 1024, wait_then_return, &g[i], 0, NULL);
        TL_ASSERT(t[i] != NULL);
    }
    TL_EQ(WaitForMultipleObjects(N, t, FALSE, 50), WAIT_TIMEOUT);
    TL_OK(SetEvent(go));
    TL_EQ(WaitForMultipleObjects(N, t, TRUE, 10000), WAIT_OBJECT_0);
    for (int i = 0; i < N; i++) {
        DWORD code;
        TL_OK(GetExitCodeThread(t[i], &code));
        TL_EQ(code, 100 + i);
        TL_OK(CloseHandle(t[i]));
    }
    TL_OK(CloseHandle(go));
}

static void test_suspended(void **state)
{
    (void)state;
    struct gate g = {.code = 5};
    HANDLE t = CreateThread(NULL, 0, wait_then_return, &g, CREATE_SUSPENDED, NULL);
    TL_ASSERT(t != NULL);
    tl_sleep_ms(50);
    TL_EQ(atomic_load(&g.ran), 0);
    TL_EQ(SuspendThread(t), 1); /* still before its start: counts */
    TL_EQ(ResumeThread(t), 2);
    tl_sleep_ms(20);
    TL_EQ(atomic_load(&g.ran), 0);
    TL_EQ(ResumeThread(t), 1);
    TL_EQ(WaitForSingleObject(t, 10000), WAIT_OBJECT_0);
    TL_EQ(atomic_load(&g.ran), 1);
    TL_EQ(ResumeThread(t), 0);
    TL_OK(CloseHandle(t));
}

static void test_close_early(void **state)
{
    (void)state;
    struct gate g = {.code = 9};
    g.go = CreateEventA(NULL, TRUE, FALSE, NULL);
    HANDLE t = CreateThread(NULL, 0, wait_then_return, &g, 0, NULL);
    TL_ASSERT(t != NULL);
    TL_OK(CloseHandle(t)); /* the thread keeps running */
    /* A new object may now get the old value; the thread must not touch
     * it when it ends. */
    HANDLE other = CreateEventA(NULL, TRUE, FALSE, NULL);
    TL_OK(SetEvent(g.go));
    for (int i = 0; i < 200 && !atomic_load(&g.ran); i++)
        tl_sleep_ms(5);
    tl_sleep_ms(50);
    TL_EQ(WaitForSingleObject(other, 0), WAIT_TIMEOUT);
    TL_OK(CloseHandle(other));
    TL_OK(CloseHandle(g.go));
}

/* Threads doing pipe I/O at the same time: each has its own channel. */
struct pipe_job {
    const char *name;
    int index;
};

static DWORD WINAPI serve_one(LPVOID p)
{
    struct pipe_job *j = p;
    HANDLE s = CreateNamedPipeA(j->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 8, 512,
                                512, 0, NULL);
    if (s == INVALID_HANDLE_VALUE)
        return 1000 + GetLastError();
    if (!ConnectNamedPipe(s, NULL) && GetLastError() != ERROR_PIPE_CONNECTED)
        return 2000 + GetLastError();
    char buf[16];
    DWORD n;
    if (!ReadFile(s, buf, sizeof buf, &n, NULL) || !WriteFile(s, buf, n, &n, NULL))
        return 3000 + GetLastError();
    FlushFileBuffers(s);
    DisconnectNamedPipe(s);
    CloseHandle(s);
    return 0;
}

static void test_threads_with_pipes(void **state)
{
    (void)state;
    enum { N = 4 };
    const char *name = tl_pipe_name("threads");
    struct pipe_job jobs[N];
    HANDLE t[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (struct pipe_job){name, i};
        t[i] = CreateThread(NULL, 0, serve_one, &jobs[i], 0, NULL);
        TL_ASSERT(t[i] != NULL);
    }
    for (int i = 0; i < N; i++) {
        /* The threads may not have created the pipe yet: WaitNamedPipe on a
         * name that does not exist fails at once, as on Windows. */
        BOOL ok;
        for (int tries = 0; !(ok = WaitNamedPipeA(name, 10000)) &&
                            GetLastError() == ERROR_FILE_NOT_FOUND && tries < 1000;
             tries++)
            Sleep(5);
        TL_OK(ok);
        HANDLE c = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                               0, NULL);
        if (c == INVALID_HANDLE_VALUE && GetLastError() == ERROR_PIPE_BUSY) {
            i--;
            continue;
        }
        TL_ASSERT(c != INVALID_HANDLE_VALUE);
        char msg[8] = "hello";
        msg[5] = (char)('0' + i);
        tl_write(c, msg, 6);
        char back[8] = {0};
        tl_read_exact(c, back, 6);
        TL_MEMEQ(back, msg, 6);
        TL_OK(CloseHandle(c));
    }
    TL_EQ(WaitForMultipleObjects(N, t, TRUE, 20000), WAIT_OBJECT_0);
    for (int i = 0; i < N; i++) {
        DWORD code;
        TL_OK(GetExitCodeThread(t[i], &code));
        TL_EQ(code, 0);
        TL_OK(CloseHandle(t[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_wait_and_exit_code),
        TL_TEST(test_exit_thread),
        TL_TEST(test_wait_multiple),
        TL_TEST(test_suspended),
        TL_TEST(test_close_early),
        TL_TEST(test_threads_with_pipes),
    };
    return TL_RUN(tests);
}
