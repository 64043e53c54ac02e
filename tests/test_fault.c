/*
 * test_fault.c — a client (or server) that dies at the worst moment.
 *
 * Each test kill -9s a peer in the middle of something — a write stalled
 * beyond the pipe's quota, a read, a connect, a transaction — and checks
 * three things:
 *   1. the survivor gets the error Windows gives: reading from a pipe whose
 *      other end is gone fails with ERROR_BROKEN_PIPE (after the data that
 *      was written and acknowledged has been read), writing to it with
 *      ERROR_NO_DATA, connecting to an instance whose client already left
 *      with ERROR_NO_DATA;
 *   2. the instance is reusable: DisconnectNamedPipe, ConnectNamedPipe, and
 *      a new client talks to it;
 *   3. nothing is left in the broker: its own counts of processes, threads,
 *      handles, pending requests, objects, pipes, instances and charged
 *      bytes (NP_OP_BROKER_STATS) return to what they were before the
 *      test, and its heap does not grow.
 * And a thread that exits (pthread_cancel) while blocked in a call has that
 * call cancelled: the broker sees its channel close.
 *
 * Killing the broker itself is tested in test_broker_loss.c.
 */
#include "robustlib.h"

#include <pthread.h>

#include <npipe/winternl.h>

#define QUOTA 4096
#define BIG (1024 * 1024)
#define HEAP_SLACK (512 * 1024)

struct ctx {
    const char *name;
    tl_rdv r;
    DWORD mode;
};

static struct np_broker_stats base;

/* The broker's counts with this process attached and nothing else of the
 * test's making. */
static void baseline(void)
{
    DWORD session;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session)); /* our channel */
    rb_stats(&base);
}

/* A new client for an instance the test wants to reuse: it connects, says
 * "again", expects "ok". */
static int second_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = rb_open(c->name, GENERIC_READ | GENERIC_WRITE);
    if (c->mode & PIPE_READMODE_MESSAGE) {
        DWORD mode = PIPE_READMODE_MESSAGE;
        TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    }
    tl_write_str(h, "again");
    tl_expect_str(h, "ok");
    TL_OK(CloseHandle(h));
    return 0;
}

/* The survivor's side: the instance works again after a disconnect. */
static void reuse_instance(struct ctx *c, HANDLE server)
{
    TL_OK(DisconnectNamedPipe(server));
    pid_t pid = tl_spawn(second_client, c);
    tl_connect(server);
    tl_expect_str(server, "again");
    tl_write_str(server, "ok");
    tl_join(pid);
    TL_OK(FlushFileBuffers(server));
}

/* ---- A writer stalled beyond the quota ------------------------------------ */

static int stalled_writer(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write(h, "hello", 5); /* fits the quota: done, acknowledged */
    char *big = malloc(BIG);
    tl_fill(big, BIG, 5);
    tl_signal(&c->r, 1);
    DWORD n;
    WriteFile(h, big, BIG, &n, NULL); /* stalls: nobody reads 1 MiB */
    TL_FAIL("the stalled write returned");
    return 1;
}

static void test_kill_stalled_writer(void **state)
{
    baseline();
    struct ctx c = {.name = tl_pipe_name("fault-write"), .mode = PIPE_TYPE_BYTE};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA, QUOTA);
    pid_t pid = tl_spawn(stalled_writer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    /* The stalled write's bytes are visible before it completes. */
    DWORD avail = 0;
    uint64_t deadline = tl_now_ms() + 10000;
    do {
        TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
        if (avail == 5 + BIG)
            break;
        tl_sleep_ms(2);
    } while (tl_now_ms() < deadline);
    TL_EQ(avail, 5 + BIG);
    char buf[1000];
    tl_read_exact(s, buf, 5);
    TL_MEMEQ(buf, "hello", 5);
    tl_read_exact(s, buf, sizeof buf); /* part of the stalled write */
    TL_ASSERT(tl_check_fill(buf, sizeof buf, 5, 0));

    tl_kill(pid);
    rb_wait_processes(base.processes);
    /* The acknowledged bytes were read; the rest of the write that never
     * completed went with its writer. */
    DWORD n = 0;
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_FAILS(WriteFile(s, "x", 1, &n, NULL), ERROR_NO_DATA);
    reuse_instance(&c, s);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
    rb_expect_baseline(&base, HEAP_SLACK);
}

/* Completed writes survive their writer: everything acknowledged is read,
 * then ERROR_BROKEN_PIPE. */
static int writer_then_die(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    if (c->mode & PIPE_READMODE_MESSAGE) {
        DWORD mode = PIPE_READMODE_MESSAGE;
        TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    }
    for (int i = 0; i < 10; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "message %d", i);
        tl_write_str(h, msg);
    }
    tl_signal(&c->r, 1);
    pause();
    return 1;
}

static void test_kill_after_writes(void **state)
{
    for (int message = 0; message < 2; message++) {
        baseline();
        DWORD mode = message ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE : PIPE_TYPE_BYTE;
        struct ctx c = {.name = tl_pipe_name("fault-acked"), .mode = mode};
        tl_rdv_init(&c.r);
        HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, mode, 1, QUOTA, QUOTA);
        pid_t pid = tl_spawn(writer_then_die, &c);
        tl_connect(s);
        tl_expect_signal(&c.r, 1);
        tl_kill(pid);
        rb_wait_processes(base.processes);
        for (int i = 0; i < 10; i++) {
            char msg[64];
            snprintf(msg, sizeof msg, "message %d", i);
            tl_expect_str(s, msg);
        }
        char buf[16];
        DWORD n = 0;
        TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
        reuse_instance(&c, s);
        TL_OK(CloseHandle(s));
        tl_rdv_close(&c.r);
        rb_expect_baseline(&base, HEAP_SLACK);
    }
}

/* ---- A reader ------------------------------------------------------------- */

static int blocked_reader(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    char buf[64];
    DWORD n;
    ReadFile(h, buf, sizeof buf, &n, NULL); /* nobody writes */
    TL_FAIL("the read returned");
    return 1;
}

static void test_kill_reader(void **state)
{
    baseline();
    struct ctx c = {.name = tl_pipe_name("fault-read"), .mode = PIPE_TYPE_BYTE};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA, QUOTA);
    pid_t pid = tl_spawn(blocked_reader, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    rb_wait_irps(base.pending_irps + 1); /* the read is parked in npfs */
    tl_kill(pid);
    rb_wait_processes(base.processes);
    DWORD n = 0;
    char buf[8];
    TL_FAILS(WriteFile(s, "late", 4, &n, NULL), ERROR_NO_DATA);
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    reuse_instance(&c, s);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
    rb_expect_baseline(&base, HEAP_SLACK);
}

/* ---- A connect --------------------------------------------------------------- */

static int open_and_hang(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    (void)h;
    tl_signal(&c->r, 1);
    pause(); /* between CreateFile and anything else */
    return 1;
}

/* The client opens and dies before the server called ConnectNamedPipe:
 * the instance is closing, and ConnectNamedPipe says so with
 * ERROR_NO_DATA, as on Windows. */
static void test_kill_client_before_connect(void **state)
{
    baseline();
    struct ctx c = {.name = tl_pipe_name("fault-conn1"), .mode = PIPE_TYPE_BYTE};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA, QUOTA);
    pid_t pid = tl_spawn(open_and_hang, &c);
    tl_expect_signal(&c.r, 1);
    tl_kill(pid);
    rb_wait_processes(base.processes);
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_NO_DATA);
    DWORD n;
    char buf[4];
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    reuse_instance(&c, s);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
    rb_expect_baseline(&base, HEAP_SLACK);
}

struct op {
    HANDLE h;
    BOOL ret;
    DWORD err, n;
    char buf[64];
    const char *request;
};

static void *connect_thread(void *arg)
{
    struct op *o = arg;
    SetLastError(0xdeadbeef);
    o->ret = ConnectNamedPipe(o->h, NULL);
    o->err = GetLastError();
    return NULL;
}

/* The server waits in ConnectNamedPipe; the client opens (which completes
 * the connect) and dies at once. */
static void test_kill_client_during_connect(void **state)
{
    baseline();
    struct ctx c = {.name = tl_pipe_name("fault-conn2"), .mode = PIPE_TYPE_BYTE};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA, QUOTA);
    struct op o = {.h = s};
    pthread_t t = tl_thread_start(connect_thread, &o);
    rb_wait_irps(base.pending_irps + 1); /* the connect is waiting */
    pid_t pid = tl_spawn(open_and_hang, &c);
    tl_expect_signal(&c.r, 1);
    tl_kill(pid);
    tl_thread_join(t);
    TL_ASSERT_MSG(o.ret, "ConnectNamedPipe: %lu", (unsigned long)o.err);
    rb_wait_processes(base.processes);
    DWORD n;
    char buf[4];
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_FAILS(WriteFile(s, "x", 1, &n, NULL), ERROR_NO_DATA);
    reuse_instance(&c, s);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
    /* The helper thread's channel closed when it exited. */
    rb_expect_baseline(&base, HEAP_SLACK);
}

/* ---- A transaction ----------------------------------------------------------- */

static int transacting_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    DWORD mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    tl_signal(&c->r, 1);
    char reply[64];
    DWORD n;
    TransactNamedPipe(h, (void *)"request", 8, reply, sizeof reply, &n, NULL);
    TL_FAIL("the transaction returned");
    return 1;
}

/* The client dies waiting for the answer to its transaction: its request
 * stays readable (it was written), the answer has nowhere to go. */
static void test_kill_transacting_client(void **state)
{
    baseline();
    DWORD mode = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE;
    struct ctx c = {.name = tl_pipe_name("fault-tx1"), .mode = mode};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, mode, 1, QUOTA, QUOTA);
    pid_t pid = tl_spawn(transacting_client, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    rb_wait_irps(base.pending_irps + 1);
    tl_kill(pid);
    rb_wait_processes(base.processes);
    tl_expect_str(s, "request");
    DWORD n;
    TL_FAILS(WriteFile(s, "answer", 7, &n, NULL), ERROR_NO_DATA);
    char buf[8];
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    reuse_instance(&c, s);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
    rb_expect_baseline(&base, HEAP_SLACK);
}

static int serve_then_hang(void *arg)
{
    struct ctx *c = arg;
    DWORD mode = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, mode, 1, QUOTA, QUOTA);
    tl_signal(&c->r, 1);
    tl_connect(s);
    tl_expect_str(s, "request");
    tl_signal(&c->r, 2); /* read the request; never answers */
    pause();
    return 1;
}

static void *transact_thread(void *arg)
{
    struct op *o = arg;
    SetLastError(0xdeadbeef);
    o->ret = TransactNamedPipe(o->h, (void *)o->request, (DWORD)strlen(o->request) + 1,
                               o->buf, sizeof o->buf, &o->n, NULL);
    o->err = GetLastError();
    return NULL;
}

/* The server dies while the client waits for its answer:
 * ERROR_BROKEN_PIPE. */
static void test_kill_server_during_transaction(void **state)
{
    baseline();
    struct ctx c = {.name = tl_pipe_name("fault-tx2")};
    tl_rdv_init(&c.r);
    pid_t pid = tl_spawn(serve_then_hang, &c);
    tl_expect_signal(&c.r, 1);
    HANDLE h = tl_client(c.name, GENERIC_READ | GENERIC_WRITE);
    DWORD mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    struct op o = {.h = h, .request = "request"};
    pthread_t t = tl_thread_start(transact_thread, &o);
    tl_expect_signal(&c.r, 2);
    tl_kill(pid);
    tl_thread_join(t);
    TL_ASSERT_MSG(!o.ret, "the transaction succeeded");
    TL_EQ(o.err, ERROR_BROKEN_PIPE);
    DWORD n;
    TL_FAILS(WriteFile(h, "x", 2, &n, NULL), ERROR_NO_DATA);
    TL_OK(CloseHandle(h));
    tl_rdv_close(&c.r);
    rb_expect_baseline(&base, HEAP_SLACK);
}

/* ---- A thread that exits with a call pending ------------------------------ */

static void *read_forever(void *arg)
{
    struct op *o = arg;
    ReadFile(o->h, o->buf, sizeof o->buf, &o->n, NULL);
    return NULL;
}

static void *connect_forever(void *arg)
{
    struct op *o = arg;
    ConnectNamedPipe(o->h, NULL);
    return NULL;
}

static int write_one(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_expect_signal(&c->r, 1);
    tl_write_str(h, "for the live reader");
    tl_expect_str(h, "bye");
    TL_OK(CloseHandle(h));
    return 0;
}

/* pthread_cancel ends a thread blocked in ReadFile, and then another in
 * ConnectNamedPipe.  Their channels close, the broker cancels their
 * IRPs: the listening instance still takes a client, and data written
 * afterwards goes to the live reader, not to a ghost read.
 * (AddressSanitizer reports a false stack underflow when a cancelled
 * thread exits — its unwinding leaves stale stack poison — so under ASan
 * only the raw variant below runs.) */
static void test_thread_exit_cancels(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    baseline();
    struct ctx c = {.name = tl_pipe_name("fault-thread"), .mode = PIPE_TYPE_BYTE};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA, QUOTA);

    struct op co = {.h = s};
    pthread_t t = tl_thread_start(connect_forever, &co);
    rb_wait_irps(base.pending_irps + 1);
    TL_ASSERT(pthread_cancel(t) == 0);
    tl_thread_join(t);
    struct np_broker_stats now;
    uint64_t deadline = tl_now_ms() + 10000;
    do {
        rb_stats(&now);
        if (now.pending_irps == base.pending_irps && now.threads == base.threads)
            break;
        tl_sleep_ms(2);
    } while (tl_now_ms() < deadline);
    TL_EQ(now.pending_irps, base.pending_irps);
    TL_EQ(now.threads, base.threads);

    pid_t pid = tl_spawn(write_one, &c);
    tl_connect(s); /* the client may already be there: ERROR_PIPE_CONNECTED */

    struct op ro = {.h = s};
    t = tl_thread_start(read_forever, &ro);
    rb_wait_irps(base.pending_irps + 1);
    TL_ASSERT(pthread_cancel(t) == 0);
    tl_thread_join(t);
    deadline = tl_now_ms() + 10000;
    do {
        rb_stats(&now);
        if (now.pending_irps == base.pending_irps)
            break;
        tl_sleep_ms(2);
    } while (tl_now_ms() < deadline);
    TL_EQ(now.pending_irps, base.pending_irps);

    tl_signal(&c.r, 1);
    tl_expect_str(s, "for the live reader");
    tl_write_str(s, "bye");
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
    rb_expect_baseline(&base, HEAP_SLACK);
}

/* The same at the wire: a channel of this process (a thread, to the
 * broker) sends a ReadFile and a ConnectNamedPipe on this process's
 * handles and closes with both pending.  Both IRPs are cancelled. */
static void test_channel_close_cancels(void **state)
{
    baseline();
    struct ctx c = {.name = tl_pipe_name("fault-chan"), .mode = PIPE_TYPE_BYTE};
    tl_rdv_init(&c.r);
    HANDLE listening = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, QUOTA, QUOTA);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, QUOTA, QUOTA);
    pid_t pid = tl_spawn(write_one, &c); /* takes the first instance */
    tl_connect(listening);
    int fd = rb_connect(tl_broker_path());
    struct np_request q;
    rb_header(&q, NP_OP_READ, 1);
    q.handle = (uint32_t)(uintptr_t)listening & 0xFFFFFF;
    q.out_len = 64;
    TL_ASSERT(rb_send(fd, &q, NULL, 0));
    rb_header(&q, NP_OP_FSCTL, 2);
    q.handle = (uint32_t)(uintptr_t)s & 0xFFFFFF;
    q.args.io.code = FSCTL_PIPE_LISTEN;
    TL_ASSERT(rb_send(fd, &q, NULL, 0));
    rb_wait_irps(base.pending_irps + 2);
    close(fd);
    struct np_broker_stats now;
    uint64_t deadline = tl_now_ms() + 10000;
    do {
        rb_stats(&now);
        if (now.pending_irps == base.pending_irps)
            break;
        tl_sleep_ms(2);
    } while (tl_now_ms() < deadline);
    TL_EQ(now.pending_irps, base.pending_irps);
    tl_signal(&c.r, 1);
    tl_expect_str(listening, "for the live reader");
    tl_write_str(listening, "bye");
    tl_join(pid);
    TL_OK(CloseHandle(s));
    TL_OK(CloseHandle(listening));
    tl_rdv_close(&c.r);
    rb_expect_baseline(&base, HEAP_SLACK);
}

/* ---- Many deaths in a row ----------------------------------------------------- */

static int die_randomly(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = rb_open(c->name, GENERIC_READ | GENERIC_WRITE);
    char buf[256];
    tl_fill(buf, sizeof buf, (unsigned)getpid());
    for (;;) {
        DWORD n;
        if (!WriteFile(h, buf, sizeof buf, &n, NULL))
            return 0;
    }
}

/* Twenty clients killed at arbitrary moments of a write stream, one after
 * another on the same instance: every time the server sees
 * ERROR_BROKEN_PIPE after at most what was written, and reuses the
 * instance. */
static void test_kill_many(void **state)
{
    baseline();
    struct ctx c = {.name = tl_pipe_name("fault-many"), .mode = PIPE_TYPE_BYTE};
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA, QUOTA);
    for (int round = 0; round < 20; round++) {
        pid_t pid = tl_spawn(die_randomly, &c);
        tl_connect(s);
        unsigned char pattern[256], buf[700];
        tl_fill(pattern, sizeof pattern, (unsigned)pid);
        DWORD got = 0, n;
        /* Read a little, then kill it wherever it is.  The stream is a
         * prefix of the writer's repeated pattern. */
        while (got < (DWORD)(round * 300)) {
            TL_OK(ReadFile(s, buf, sizeof buf, &n, NULL));
            for (DWORD i = 0; i < n; i++)
                TL_EQ(buf[i], pattern[(got + i) % 256]);
            got += n;
        }
        tl_kill(pid);
        rb_wait_processes(base.processes);
        for (;;) {
            SetLastError(0xdeadbeef);
            if (!ReadFile(s, buf, sizeof buf, &n, NULL)) {
                TL_EQ(GetLastError(), ERROR_BROKEN_PIPE);
                break;
            }
            for (DWORD i = 0; i < n; i++)
                TL_EQ(buf[i], pattern[(got + i) % 256]);
            got += n;
        }
        TL_OK(DisconnectNamedPipe(s));
    }
    TL_OK(CloseHandle(s));
    rb_expect_baseline(&base, HEAP_SLACK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_kill_stalled_writer),
        TL_TEST(test_kill_after_writes),
        TL_TEST(test_kill_reader),
        TL_TEST(test_kill_client_before_connect),
        TL_TEST(test_kill_client_during_connect),
        TL_TEST(test_kill_transacting_client),
        TL_TEST(test_kill_server_during_transaction),
        TL_TEST(test_thread_exit_cancels),
        TL_TEST(test_channel_close_cancels),
        TL_TEST(test_kill_many),
    };
    int rc = TL_RUN(tests);
    rb_stats_close();
    return rc;
}
