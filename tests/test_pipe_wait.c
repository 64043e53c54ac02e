/*
 * test_pipe_wait.c — WaitNamedPipe.
 *
 * Windows behaviour checked here (Microsoft Learn, WaitNamedPipe and
 * CreateNamedPipe's nDefaultTimeOut: "a value of zero will result in a
 * default time-out of 50 milliseconds"; Wine's dlls/kernel32/tests/pipe.c,
 * run on Windows: test_CreateNamedPipe, test_wait_pipe):
 *  - no such pipe: FALSE with ERROR_FILE_NOT_FOUND at once, whatever the
 *    time-out;
 *  - an instance is listening: TRUE at once (and nothing is consumed);
 *  - all instances busy: FALSE with ERROR_SEM_TIMEOUT when the time-out
 *    expires, NMPWAIT_USE_DEFAULT_WAIT using the pipe's default (50 ms for a
 *    default of 0);
 *  - a waiter is released when an instance starts listening again
 *    (Disconnect + Connect) or a new instance is created; all waiters are.
 * Tests that could hang on a broken implementation wait in a child process,
 * so that tl_join's 30 s limit reports them.
 */
#include "testlib.h"

#include <string.h>
#include <unistd.h>

struct ctx {
    const char *name;
    tl_rdv r;
    DWORD timeout;
};

static int holder(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

/* ---- Missing and listening ------------------------------------------------ */

static int wait_missing(void *arg)
{
    struct ctx *c = arg;
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WaitNamedPipeA(c->name, c->timeout));
    TL_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
    return 0;
}

static void test_wait_missing_pipe(void **state)
{
    struct ctx c = {.name = tl_pipe_name("nopipe")};
    static const DWORD timeouts[] = {0, 1, 2000, NMPWAIT_WAIT_FOREVER};
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        c.timeout = timeouts[i];
        tl_join(tl_spawn(wait_missing, &c)); /* must not wait */
    }
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WaitNamedPipeW(tl_wide(c.name), 1));
    TL_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
}

static int wait_listening(void *arg)
{
    struct ctx *c = arg;
    TL_OK(WaitNamedPipeA(c->name, 1));
    TL_OK(WaitNamedPipeA(c->name, NMPWAIT_WAIT_FOREVER));
    TL_OK(WaitNamedPipeA(c->name, NMPWAIT_USE_DEFAULT_WAIT));
    TL_OK(WaitNamedPipeW(tl_wide(c->name), 1));
    /* Waiting took nothing away: the instance is still there to open. */
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "after wait");
    tl_expect_str(h, "ok");
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_wait_listening_pipe(void **state)
{
    struct ctx c = {.name = tl_pipe_name("listen")};
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(wait_listening, &c);
    tl_connect(s);
    tl_expect_str(s, "after wait");
    tl_write_str(s, "ok");
    tl_join(pid);
    TL_OK(CloseHandle(s));
}

/* ---- Time-outs ---------------------------------------------------------------- */

static int wait_busy(void *arg)
{
    struct ctx *c = arg;
    SetLastError(0xdeadbeef);
    BOOL ok = WaitNamedPipeA(c->name, c->timeout);
    DWORD e = GetLastError();
    TL_ASSERT_MSG(!ok && e == ERROR_SEM_TIMEOUT,
                  "WaitNamedPipe(%lu ms) on a busy pipe: %s, error %lu (%s); "
                  "expected ERROR_SEM_TIMEOUT",
                  (unsigned long)c->timeout, ok ? "TRUE" : "FALSE",
                  (unsigned long)e, tl_errname(e));
    return 0;
}

static void busy_case(DWORD default_timeout, DWORD wait_timeout)
{
    struct ctx c = {.name = tl_pipe_name("busy"), .timeout = wait_timeout};
    tl_rdv_init(&c.r);
    HANDLE s = TL_HANDLE(CreateNamedPipeA(c.name, PIPE_ACCESS_DUPLEX,
                                          PIPE_TYPE_BYTE, 1, 1024, 1024,
                                          default_timeout, NULL));
    pid_t holder_pid = tl_spawn(holder, &c);
    tl_expect_signal(&c.r, 1);
    tl_join(tl_spawn(wait_busy, &c));
    tl_signal(&c.r, 2);
    tl_join(holder_pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

static void test_wait_busy_times_out(void **state)
{
    busy_case(0, 100);
    busy_case(0, 1);
    busy_case(0, NMPWAIT_NOWAIT);
}

static void test_wait_default_timeout(void **state)
{
    /* nDefaultTimeOut 0 means 50 ms: the wait ends with a time-out. */
    busy_case(0, NMPWAIT_USE_DEFAULT_WAIT);
    /* An explicit default is used too. */
    busy_case(150, NMPWAIT_USE_DEFAULT_WAIT);
}

/* ---- Waiters released ------------------------------------------------------------ */

static int waiter(void *arg)
{
    struct ctx *c = arg;
    tl_signal(&c->r, 10); /* about to wait */
    SetLastError(0xdeadbeef);
    BOOL ok = WaitNamedPipeA(c->name, 10000);
    DWORD e = GetLastError();
    TL_ASSERT_MSG(ok, "WaitNamedPipe was not released: error %lu (%s)",
                  (unsigned long)e, tl_errname(e));
    /* The instance that released us is listening: take it. */
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "waited");
    TL_OK(FlushFileBuffers(h));
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_waiter_released_by_relisten(void **state)
{
    struct ctx c = {.name = tl_pipe_name("relisten")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t a = tl_spawn(holder, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    pid_t w = tl_spawn(waiter, &c);
    tl_expect_signal(&c.r, 10);
    tl_sleep_ms(100); /* let the waiter block */
    TL_OK(DisconnectNamedPipe(s));
    tl_signal(&c.r, 2);
    tl_join(a);
    tl_connect(s); /* listen again: releases the waiter, which connects */
    tl_expect_str(s, "waited");
    tl_join(w);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

static void test_waiter_released_by_new_instance(void **state)
{
    struct ctx c = {.name = tl_pipe_name("newinst")};
    tl_rdv_init(&c.r);
    HANDLE s0 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    pid_t a = tl_spawn(holder, &c);
    tl_connect(s0);
    tl_expect_signal(&c.r, 1);
    pid_t w = tl_spawn(waiter, &c);
    tl_expect_signal(&c.r, 10);
    tl_sleep_ms(100);
    HANDLE s1 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    tl_connect(s1);
    tl_expect_str(s1, "waited");
    tl_join(w);
    tl_signal(&c.r, 2);
    tl_join(a);
    TL_OK(CloseHandle(s1));
    TL_OK(CloseHandle(s0));
    tl_rdv_close(&c.r);
}

/* Every waiter is released, though only one can then open the instance. */
static int plain_waiter(void *arg)
{
    struct ctx *c = arg;
    tl_signal(&c->r, 10);
    SetLastError(0xdeadbeef);
    BOOL ok = WaitNamedPipeA(c->name, 10000);
    DWORD e = GetLastError();
    TL_ASSERT_MSG(ok, "a waiter was not released: error %lu (%s)",
                  (unsigned long)e, tl_errname(e));
    return 0;
}

static void test_all_waiters_released(void **state)
{
    struct ctx c = {.name = tl_pipe_name("allwaiters")};
    tl_rdv_init(&c.r);
    HANDLE s0 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    pid_t a = tl_spawn(holder, &c);
    tl_connect(s0);
    tl_expect_signal(&c.r, 1);
    pid_t w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = tl_spawn(plain_waiter, &c);
        tl_expect_signal(&c.r, 10);
    }
    tl_sleep_ms(100);
    HANDLE s1 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    for (int i = 0; i < 3; i++)
        tl_join(w[i]);
    tl_signal(&c.r, 2);
    tl_join(a);
    TL_OK(CloseHandle(s1));
    TL_OK(CloseHandle(s0));
    tl_rdv_close(&c.r);
}

/* A waiter whose pipe disappears is told so (npfs completes the waiters of a
 * deleted pipe with STATUS_OBJECT_NAME_NOT_FOUND). */
static int vanishing_waiter(void *arg)
{
    struct ctx *c = arg;
    tl_signal(&c->r, 10);
    SetLastError(0xdeadbeef);
    BOOL ok = WaitNamedPipeA(c->name, 10000);
    DWORD e = GetLastError();
    TL_ASSERT_MSG(!ok && e == ERROR_FILE_NOT_FOUND,
                  "WaitNamedPipe on a pipe deleted while waiting: %s, error "
                  "%lu (%s); expected ERROR_FILE_NOT_FOUND",
                  ok ? "TRUE" : "FALSE", (unsigned long)e, tl_errname(e));
    return 0;
}

static void test_waiter_of_deleted_pipe(void **state)
{
    struct ctx c = {.name = tl_pipe_name("vanish")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t a = tl_spawn(holder, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    pid_t w = tl_spawn(vanishing_waiter, &c);
    tl_expect_signal(&c.r, 10);
    tl_sleep_ms(100);
    /* Close the last instance; the pipe is gone once its client closes too
     * (until then the instance lives on, closing). */
    TL_OK(CloseHandle(s));
    tl_signal(&c.r, 2);
    tl_join(a);
    tl_join(w);
    tl_rdv_close(&c.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_wait_missing_pipe),
        TL_TEST(test_wait_listening_pipe),
        TL_TEST(test_wait_busy_times_out),
        TL_TEST(test_wait_default_timeout),
        TL_TEST(test_waiter_released_by_relisten),
        TL_TEST(test_waiter_released_by_new_instance),
        TL_TEST(test_all_waiters_released),
        TL_TEST(test_waiter_of_deleted_pipe),
    };
    return TL_RUN(tests);
}
