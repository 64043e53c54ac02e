/*
 * test_threads.c — threads of one process blocked in different calls at
 * once, and several threads each driving its own pipe.
 *
 * Windows lets every thread block in its own synchronous call (issue 2,
 * item 4: "Threads of one process may block in different calls at once";
 * npipe gives each thread its own channel to the broker).  Calls on one
 * synchronous handle are serialised by Windows itself, so each thread here
 * uses handles of its own.
 */
#include "testlib.h"

#include <string.h>
#include <unistd.h>

struct ctx {
    const char *name_a;
    const char *name_b;
    tl_rdv r;
    int rounds;
};

struct op {
    HANDLE h;
    volatile int entered, done;
    BOOL ret;
    DWORD err, n;
    char buf[32];
};

static void *reader(void *arg)
{
    struct op *o = arg;
    __atomic_store_n(&o->entered, 1, __ATOMIC_SEQ_CST);
    SetLastError(0xdeadbeef);
    o->ret = ReadFile(o->h, o->buf, sizeof o->buf, &o->n, NULL);
    o->err = GetLastError();
    __atomic_store_n(&o->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *connector(void *arg)
{
    struct op *o = arg;
    __atomic_store_n(&o->entered, 1, __ATOMIC_SEQ_CST);
    SetLastError(0xdeadbeef);
    o->ret = ConnectNamedPipe(o->h, NULL);
    o->err = GetLastError();
    __atomic_store_n(&o->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static int helper(void *arg)
{
    struct ctx *c = arg;
    /* Serve pipe A: we are its server, the parent its client. */
    HANDLE a = tl_server(c->name_a, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1,
                         1024, 1024);
    tl_signal(&c->r, 1);
    tl_connect(a);
    tl_expect_signal(&c->r, 2); /* both parent threads are blocked */
    tl_write_str(a, "for the reader");
    HANDLE b = tl_client(c->name_b, GENERIC_READ | GENERIC_WRITE);
    tl_expect_str(b, "for the connector");
    TL_OK(CloseHandle(b));
    TL_OK(FlushFileBuffers(a));
    TL_OK(CloseHandle(a));
    return 0;
}

static void test_two_threads_blocked(void **state)
{
    struct ctx c = {.name_a = tl_pipe_name("thread-a"),
                    .name_b = tl_pipe_name("thread-b")};
    tl_rdv_init(&c.r);
    HANDLE b = tl_server(c.name_b, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(helper, &c);
    tl_expect_signal(&c.r, 1);
    HANDLE a = tl_client(c.name_a, GENERIC_READ | GENERIC_WRITE);

    struct op rd = {.h = a}, cn = {.h = b};
    pthread_t t1 = tl_thread_start(reader, &rd);
    pthread_t t2 = tl_thread_start(connector, &cn);
    while (!__atomic_load_n(&rd.entered, __ATOMIC_SEQ_CST) ||
           !__atomic_load_n(&cn.entered, __ATOMIC_SEQ_CST))
        tl_sleep_ms(1);
    tl_sleep_ms(100);
    TL_ASSERT_MSG(!rd.done, "ReadFile returned with nothing written (%d, %lu)",
                  (int)rd.ret, (unsigned long)rd.err);
    TL_ASSERT_MSG(!cn.done,
                  "ConnectNamedPipe returned with no client (%d, %lu)",
                  (int)cn.ret, (unsigned long)cn.err);

    /* While both are blocked, this thread still gets work done. */
    const char *other = tl_pipe_name("thread-main");
    HANDLE s = tl_server(other, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 512, 512);
    HANDLE h = tl_client(other, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "main thread");
    tl_expect_str(s, "main thread");
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));

    tl_signal(&c.r, 2);
    tl_thread_join(t1);
    tl_thread_join(t2);
    TL_ASSERT_MSG(rd.ret, "ReadFile failed: %lu (%s)", (unsigned long)rd.err,
                  tl_errname(rd.err));
    TL_EQ(rd.n, strlen("for the reader") + 1);
    TL_ASSERT(strcmp(rd.buf, "for the reader") == 0);
    TL_ASSERT_MSG(cn.ret || cn.err == ERROR_PIPE_CONNECTED,
                  "ConnectNamedPipe failed: %lu (%s)", (unsigned long)cn.err,
                  tl_errname(cn.err));
    tl_write_str(b, "for the connector");
    tl_join(pid);
    TL_OK(CloseHandle(a));
    TL_OK(CloseHandle(b));
    tl_rdv_close(&c.r);
}

/* ---- Several threads, each with its own pipe and peer process ---------------- */

enum { THREADS = 6, ROUNDS = 50 };

struct worker {
    const char *name;
    HANDLE s;
    int index;
};

static int echo_peer(void *arg)
{
    struct worker *w = arg;
    TL_OK(WaitNamedPipeA(w->name, 10000));
    HANDLE h = tl_client(w->name, GENERIC_READ | GENERIC_WRITE);
    for (int i = 0; i < ROUNDS; i++) {
        char msg[32];
        DWORD n = tl_read(h, msg, sizeof msg);
        TL_ASSERT(n > 0);
        tl_write(h, msg, n);
    }
    TL_OK(CloseHandle(h));
    return 0;
}

static void *echo_driver(void *arg)
{
    struct worker *w = arg;
    tl_connect(w->s);
    for (int i = 0; i < ROUNDS; i++) {
        char msg[32], back[32];
        int len = snprintf(msg, sizeof msg, "t%d r%d", w->index, i) + 1;
        tl_write(w->s, msg, (DWORD)len);
        DWORD n = tl_read(w->s, back, sizeof back);
        TL_EQ(n, (DWORD)len);
        TL_ASSERT(memcmp(msg, back, (size_t)len) == 0);
    }
    return NULL;
}

static void test_threads_each_with_a_pipe(void **state)
{
    struct worker w[THREADS];
    char names[THREADS][300];
    pid_t pids[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        snprintf(names[i], sizeof names[i], "%s", tl_pipe_name("worker"));
        w[i].name = names[i];
        w[i].index = i;
        w[i].s = tl_server(w[i].name, PIPE_ACCESS_DUPLEX,
                           PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 256,
                           256);
    }
    for (int i = 0; i < THREADS; i++)
        pids[i] = tl_spawn(echo_peer, &w[i]);
    for (int i = 0; i < THREADS; i++)
        th[i] = tl_thread_start(echo_driver, &w[i]);
    for (int i = 0; i < THREADS; i++)
        tl_thread_join(th[i]);
    for (int i = 0; i < THREADS; i++) {
        tl_join(pids[i]);
        TL_OK(CloseHandle(w[i].s));
    }
}

/* A thread that exits while others keep using the library; and handles are
 * the process's, not the thread's. */
static void *make_pipe(void *arg)
{
    HANDLE *out = arg;
    const char *name = tl_pipe_name("thread-made");
    out[0] = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 512, 512);
    out[1] = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    return NULL;
}

static void test_handles_outlive_their_thread(void **state)
{
    HANDLE hs[2];
    tl_thread_join(tl_thread_start(make_pipe, hs));
    tl_write_str(hs[1], "made elsewhere");
    tl_expect_str(hs[0], "made elsewhere");
    ULONG pid = 0;
    TL_OK(GetNamedPipeClientProcessId(hs[0], &pid));
    TL_EQ(pid, (ULONG)getpid());
    TL_OK(CloseHandle(hs[1]));
    TL_OK(CloseHandle(hs[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_two_threads_blocked),
        TL_TEST(test_threads_each_with_a_pipe),
        TL_TEST(test_handles_outlive_their_thread),
    };
    return TL_RUN(tests);
}
