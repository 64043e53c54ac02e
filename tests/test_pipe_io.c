/*
 * test_pipe_io.c — quotas, FlushFileBuffers, closing and dying peers,
 * PIPE_NOWAIT; writer and reader always in different processes.
 *
 * Windows behaviour checked here (Wine's dlls/kernel32/tests/pipe.c, run on
 * Windows: test_blocking_rw, test_overlapped_transport, test_CloseHandle,
 * test_nowait; Microsoft Learn: CreateNamedPipe (buffer sizes are quotas; a
 * write that does not fit waits), FlushFileBuffers ("waits until the client
 * has read all buffered data"), PIPE_NOWAIT):
 *  - a write larger than the reader's quota blocks until the reader has read
 *    enough, then returns TRUE with every byte written; the bytes of the
 *    pending write are already visible to PeekNamedPipe; a message larger
 *    than the quota still arrives as one message;
 *  - FlushFileBuffers waits until the peer has read everything; it fails
 *    with ERROR_BROKEN_PIPE if the reader closes instead, as does a pending
 *    write; a disconnect fails them with ERROR_PIPE_NOT_CONNECTED;
 *  - data written before a peer closes (or exits, or is killed) stays
 *    readable; after it, ReadFile and PeekNamedPipe fail with
 *    ERROR_BROKEN_PIPE and WriteFile with ERROR_NO_DATA, on both ends;
 *  - a ReadFile pending when the peer process is killed, or the server
 *    closes, fails with ERROR_BROKEN_PIPE; when the server disconnects, with
 *    ERROR_PIPE_NOT_CONNECTED;
 *  - PIPE_NOWAIT: ConnectNamedPipe says ERROR_PIPE_LISTENING with no
 *    client, ERROR_PIPE_CONNECTED with one, ERROR_NO_DATA after the client
 *    closed; ReadFile with nothing to read says ERROR_NO_DATA; a write that
 *    does not fit the quota writes nothing and succeeds.
 */
#include "testlib.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ctx {
    const char *name;
    tl_rdv r;
    DWORD size;
    bool message;
};

enum { QUOTA = 1024, BIG = 256 * 1024 };

/* ---- Writes beyond the quota ------------------------------------------------ */

static int big_writer(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    unsigned char *buf = malloc(c->size);
    tl_fill(buf, c->size, 3);
    tl_signal(&c->r, 1); /* about to write */
    DWORD n = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    BOOL ok = WriteFile(h, buf, c->size, &n, NULL);
    DWORD e = GetLastError();
    TL_ASSERT_MSG(ok, "the big WriteFile failed: %lu (%s)", (unsigned long)e,
                  tl_errname(e));
    tl_signal(&c->r, (long long)n); /* done: how much was written */
    free(buf);
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

static void quota_case(bool message)
{
    struct ctx c = {.name = tl_pipe_name(message ? "quota-msg" : "quota"),
                    .size = BIG,
                    .message = message};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX,
                         message ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
                                 : PIPE_TYPE_BYTE,
                         1, QUOTA, QUOTA);
    pid_t pid = tl_spawn(big_writer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);

    /* The whole pending write becomes visible to a peek. */
    DWORD avail = 0, left = 0;
    uint64_t deadline = tl_now_ms() + 10000;
    while (avail == 0 && tl_now_ms() < deadline) {
        TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, &left));
        if (!avail)
            tl_sleep_ms(2);
    }
    TL_EQ(avail, BIG);
    if (message)
        TL_EQ(left, BIG);
    /* ...and the writer is still blocked: BIG does not fit in QUOTA. */
    long long v;
    TL_ASSERT_MSG(!tl_poll_signal(&c.r, 100, &v),
                  "WriteFile of %d bytes into a %d-byte quota returned (%lld "
                  "written) before anything was read",
                  BIG, QUOTA, v);

    unsigned char *buf = malloc(BIG);
    if (message) {
        /* One read takes the whole message. */
        DWORD n = 0xdeadbeef;
        TL_OK(ReadFile(s, buf, BIG, &n, NULL));
        TL_EQ(n, BIG);
        TL_ASSERT_MSG(tl_check_fill(buf, BIG, 3, 0), "message damaged");
    } else {
        /* Read in odd-sized pieces while the writer trickles in. */
        DWORD got = 0;
        while (got < BIG) {
            DWORD want = BIG - got < 3001 ? BIG - got : 3001;
            DWORD n = tl_read(s, buf + got, want);
            TL_ASSERT(n > 0);
            got += n;
        }
        TL_ASSERT_MSG(tl_check_fill(buf, BIG, 3, 0), "byte stream damaged");
    }
    free(buf);
    TL_EQ(tl_wait_signal(&c.r), BIG); /* the writer finished, all written */
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 0);
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

static void test_write_beyond_quota_blocks(void **state)
{
    quota_case(false);
}

static void test_message_beyond_quota_blocks(void **state)
{
    quota_case(true);
}

/* A quota of 0: every write waits for a reader. */
static void test_zero_quota(void **state)
{
    struct ctx c = {.name = tl_pipe_name("quota0"), .size = 5000};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    pid_t pid = tl_spawn(big_writer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    unsigned char buf[5000];
    tl_read_exact(s, buf, sizeof buf);
    TL_ASSERT(tl_check_fill(buf, sizeof buf, 3, 0));
    TL_EQ(tl_wait_signal(&c.r), 5000);
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- FlushFileBuffers ---------------------------------------------------------- */

static int flusher(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    TL_OK(FlushFileBuffers(h)); /* nothing written: returns at once */
    char buf[100];
    tl_fill(buf, sizeof buf, 5);
    tl_write(h, buf, sizeof buf);
    tl_signal(&c->r, 1); /* about to flush */
    TL_OK(FlushFileBuffers(h));
    tl_signal(&c->r, 2); /* flushed */
    tl_expect_signal(&c->r, 3);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_flush_waits_for_reader(void **state)
{
    struct ctx c = {.name = tl_pipe_name("flush")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(flusher, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    long long v;
    TL_ASSERT_MSG(!tl_poll_signal(&c.r, 150, &v),
                  "FlushFileBuffers returned while 100 bytes were unread");
    char buf[100];
    /* Reading part of it is not enough. */
    tl_read_exact(s, buf, 40);
    TL_ASSERT_MSG(!tl_poll_signal(&c.r, 100, &v),
                  "FlushFileBuffers returned while 60 bytes were unread");
    tl_read_exact(s, buf + 40, 60);
    TL_ASSERT(tl_check_fill(buf, sizeof buf, 5, 0));
    tl_expect_signal(&c.r, 2);
    tl_signal(&c.r, 3);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* Once the reader has read everything, flushing succeeds even if it has
 * closed its end since (Wine's serverThreadMain4: FlushFileBuffers on a
 * server whose client finished and closed returns TRUE). */
static int read_all_and_close(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_expect_str(h, "everything");
    TL_OK(CloseHandle(h));
    tl_signal(&c->r, 1);
    return 0;
}

static void test_flush_after_reader_read_and_closed(void **state)
{
    struct ctx c = {.name = tl_pipe_name("flushclosed")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(read_all_and_close, &c);
    tl_connect(s);
    tl_write_str(s, "everything");
    tl_expect_signal(&c.r, 1);
    tl_join(pid);
    TL_OK(FlushFileBuffers(s));
    TL_OK(DisconnectNamedPipe(s));
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

static int stuck_writer(void *arg)
{
    struct ctx *c = arg;
    /* c->size: bytes to write; c->message true = then flush instead of a big
     * write.  The reader gives up; our call must fail with the error the
     * parent sends. */
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    unsigned char *buf = malloc(c->size);
    tl_fill(buf, c->size, 9);
    DWORD n = 0xdeadbeef;
    BOOL ok;
    if (c->message) {
        tl_write(h, buf, c->size);
        tl_signal(&c->r, 1);
        SetLastError(0xdeadbeef);
        ok = FlushFileBuffers(h);
    } else {
        tl_signal(&c->r, 1);
        SetLastError(0xdeadbeef);
        ok = WriteFile(h, buf, c->size, &n, NULL);
    }
    DWORD e = GetLastError();
    long long expect = tl_wait_signal(&c->r);
    TL_ASSERT_MSG(!ok && e == (DWORD)expect,
                  "%s: %s with error %lu (%s); expected error %lld (%s)",
                  c->message ? "FlushFileBuffers" : "the blocked WriteFile",
                  ok ? "succeeded" : "failed", (unsigned long)e,
                  tl_errname(e), expect, tl_errname((DWORD)expect));
    free(buf);
    TL_OK(CloseHandle(h));
    return 0;
}

static void stuck_case(bool flush, bool disconnect)
{
    struct ctx c = {.name = tl_pipe_name("stuck"),
                    .size = flush ? 100 : BIG,
                    .message = flush};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(stuck_writer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    if (flush) {
        tl_sleep_ms(200); /* let the flush block */
    } else {
        /* The write is pending once all its bytes show in a peek. */
        DWORD avail = 0;
        uint64_t deadline = tl_now_ms() + 10000;
        while (avail < c.size && tl_now_ms() < deadline) {
            TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
            if (avail < c.size)
                tl_sleep_ms(2);
        }
        TL_EQ(avail, c.size);
    }
    if (disconnect) {
        TL_OK(DisconnectNamedPipe(s));
        tl_signal(&c.r, ERROR_PIPE_NOT_CONNECTED);
        tl_join(pid);
        TL_OK(CloseHandle(s));
    } else {
        TL_OK(CloseHandle(s));
        tl_signal(&c.r, ERROR_BROKEN_PIPE);
        tl_join(pid);
    }
    tl_rdv_close(&c.r);
}

static void test_flush_fails_when_reader_closes(void **state)
{
    stuck_case(true, false);
}

static void test_blocked_write_fails_when_reader_closes(void **state)
{
    stuck_case(false, false);
}

static void test_flush_fails_on_disconnect(void **state)
{
    stuck_case(true, true);
}

static void test_blocked_write_fails_on_disconnect(void **state)
{
    stuck_case(false, true);
}

/* ---- A closed peer leaves its data readable ---------------------------------------- */

static int survivor_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2); /* the server wrote and closed */
    char buf[32];
    DWORD n = 0xdeadbeef, avail = 0xdeadbeef;
    /* A 0-byte read with data waiting succeeds. */
    TL_OK(ReadFile(h, buf, 0, &n, NULL));
    TL_EQ(n, 0);
    TL_OK(PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 8);
    tl_expect_str(h, "abc");
    tl_expect_str(h, "def");
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_FAILS(ReadFile(h, buf, 0, &n, NULL), ERROR_BROKEN_PIPE);
    avail = 0xdeadbeef;
    TL_FAILS(PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL), ERROR_BROKEN_PIPE);
    TL_EQ(avail, 0xdeadbeef);
    TL_FAILS(WriteFile(h, "x", 1, &n, NULL), ERROR_NO_DATA);
    /* The handle itself is still fine. */
    DWORD st;
    TL_OK(GetNamedPipeHandleStateA(h, &st, NULL, NULL, NULL, NULL, 0));
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_server_closes_data_stays(void **state)
{
    struct ctx c = {.name = tl_pipe_name("srvclose")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(survivor_client, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    tl_write_str(s, "abc");
    tl_write_str(s, "def");
    TL_OK(CloseHandle(s));
    tl_signal(&c.r, 2);
    tl_join(pid);
    tl_rdv_close(&c.r);
}

static int leaving_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "last");
    tl_write_str(h, "words");
    if (c->size == 0)
        TL_OK(CloseHandle(h)); /* else: exit without closing */
    return 0;
}

static void client_leaves_case(int how)
{
    struct ctx c = {.name = tl_pipe_name("cltclose"), .size = (DWORD)how};
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(leaving_client, &c);
    tl_join(pid); /* the client opened, wrote and is gone */
    /* The data is there, then the end of the pipe.  (A client that exits
     * without closing is closed by the broker when it learns of the death,
     * which may come a moment after waitpid: the read that finds the pipe
     * empty waits for that.) */
    tl_expect_str(s, "last");
    tl_expect_str(s, "words");
    char buf[8];
    DWORD n, avail;
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_FAILS(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL), ERROR_BROKEN_PIPE);
    TL_FAILS(WriteFile(s, "x", 1, &n, NULL), ERROR_NO_DATA);
    /* It came and went before we called ConnectNamedPipe: the instance is
     * closing and must be disconnected first. */
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_NO_DATA);
    TL_OK(DisconnectNamedPipe(s));
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_PIPE_NOT_CONNECTED);
    TL_OK(CloseHandle(s));
}

static void test_client_closes_data_stays(void **state)
{
    client_leaves_case(0);
}

static void test_client_exits_data_stays(void **state)
{
    client_leaves_case(1);
}

/* The same in a message pipe, with a zero-length message last. */
static int zero_then_close(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    DWORD n;
    tl_write(h, "m1", 3);
    TL_OK(WriteFile(h, "", 0, &n, NULL));
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_message_pipe_close_keeps_messages(void **state)
{
    struct ctx c = {.name = tl_pipe_name("msgclose")};
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(zero_then_close, &c);
    tl_join(pid); /* opened, wrote, closed */
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_NO_DATA);
    char buf[16];
    DWORD n = 0xdeadbeef;
    TL_OK(ReadFile(s, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 3);
    TL_OK(ReadFile(s, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 0);
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_FAILS(WriteFile(s, "x", 1, &n, NULL), ERROR_NO_DATA);
    TL_OK(CloseHandle(s));
}

/* ---- A pending read when the server disconnects or closes ------------------------ */

static int pending_reader(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1); /* about to read */
    char buf[8];
    DWORD n = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    BOOL ok = ReadFile(h, buf, sizeof buf, &n, NULL);
    DWORD e = GetLastError();
    long long expect = tl_wait_signal(&c->r);
    TL_ASSERT_MSG(!ok && e == (DWORD)expect,
                  "the pending ReadFile: %s, error %lu (%s); expected %lld "
                  "(%s)",
                  ok ? "succeeded" : "failed", (unsigned long)e,
                  tl_errname(e), expect, tl_errname((DWORD)expect));
    TL_OK(CloseHandle(h));
    return 0;
}

static void pending_read_case(bool disconnect)
{
    struct ctx c = {.name = tl_pipe_name("pendread")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(pending_reader, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    tl_sleep_ms(100); /* let the read block */
    if (disconnect) {
        TL_OK(DisconnectNamedPipe(s));
        tl_signal(&c.r, ERROR_PIPE_NOT_CONNECTED);
        tl_join(pid);
        TL_OK(CloseHandle(s));
    } else {
        TL_OK(CloseHandle(s));
        tl_signal(&c.r, ERROR_BROKEN_PIPE);
        tl_join(pid);
    }
    tl_rdv_close(&c.r);
}

static void test_pending_read_fails_on_disconnect(void **state)
{
    pending_read_case(true);
}

static void test_pending_read_fails_on_server_close(void **state)
{
    pending_read_case(false);
}

/* ---- A killed peer ----------------------------------------------------------------- */

struct killer {
    pid_t pid;
    unsigned delay_ms;
};

static void *killer_thread(void *arg)
{
    struct killer *k = arg;
    tl_sleep_ms(k->delay_ms);
    kill(k->pid, SIGKILL);
    return NULL;
}

static int sleeping_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    if (c->size)
        tl_write_str(h, "before death");
    tl_signal(&c->r, 1);
    for (;;)
        pause();
    return 0;
}

static void test_pending_read_client_killed(void **state)
{
    struct ctx c = {.name = tl_pipe_name("killclient")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(sleeping_client, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    struct killer k = {.pid = pid, .delay_ms = 100};
    pthread_t th = tl_thread_start(killer_thread, &k);
    char buf[8];
    DWORD n = 0xdeadbeef;
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    tl_thread_join(th);
    tl_kill(pid); /* reap it */
    TL_FAILS(WriteFile(s, "x", 1, &n, NULL), ERROR_NO_DATA);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

static int sleeping_server(void *arg)
{
    struct ctx *c = arg;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    tl_signal(&c->r, 1);
    tl_connect(s);
    if (c->size)
        tl_write_str(s, "before death");
    tl_signal(&c->r, 2);
    for (;;)
        pause();
    return 0;
}

static void test_pending_read_server_killed(void **state)
{
    struct ctx c = {.name = tl_pipe_name("killserver")};
    tl_rdv_init(&c.r);
    pid_t pid = tl_spawn(sleeping_server, &c);
    tl_expect_signal(&c.r, 1);
    HANDLE h = tl_client(c.name, GENERIC_READ | GENERIC_WRITE);
    tl_expect_signal(&c.r, 2);
    struct killer k = {.pid = pid, .delay_ms = 100};
    pthread_t th = tl_thread_start(killer_thread, &k);
    char buf[8];
    DWORD n = 0xdeadbeef;
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    tl_thread_join(th);
    tl_kill(pid);
    TL_FAILS(WriteFile(h, "x", 1, &n, NULL), ERROR_NO_DATA);
    TL_OK(CloseHandle(h));
    tl_rdv_close(&c.r);
}

/* Data a peer wrote (and had acknowledged) before being killed is delivered. */
static void test_killed_writer_data_delivered(void **state)
{
    struct ctx c = {.name = tl_pipe_name("killdata"), .size = 1};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, QUOTA,
                         QUOTA);
    pid_t pid = tl_spawn(sleeping_client, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    tl_kill(pid);
    tl_expect_str(s, "before death");
    char buf[8];
    DWORD n;
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_OK(CloseHandle(s));

    /* And the other way round: the server dies. */
    c.name = tl_pipe_name("killdata2");
    pid = tl_spawn(sleeping_server, &c);
    tl_expect_signal(&c.r, 1);
    HANDLE h = tl_client(c.name, GENERIC_READ | GENERIC_WRITE);
    tl_expect_signal(&c.r, 2);
    tl_kill(pid);
    tl_expect_str(h, "before death");
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_OK(CloseHandle(h));
    tl_rdv_close(&c.r);
}

/* ---- PIPE_NOWAIT ----------------------------------------------------------------------- */

static int nowait_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2);
    tl_write(h, "bits", 5);
    tl_signal(&c->r, 3);
    /* Our end in nowait mode: nothing to read. */
    DWORD mode = PIPE_READMODE_BYTE | PIPE_NOWAIT, n, st;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    TL_OK(GetNamedPipeHandleStateA(h, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_NOWAIT);
    char buf[600];
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_NO_DATA);
    tl_signal(&c->r, 4);
    tl_expect_signal(&c->r, 5); /* the server wrote 512 bytes */
    TL_EQ(tl_read(h, buf, sizeof buf), 512);
    TL_OK(CloseHandle(h));
    tl_signal(&c->r, 6);
    return 0;
}

static void test_nowait(void **state)
{
    struct ctx c = {.name = tl_pipe_name("nowait")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_BYTE | PIPE_NOWAIT, 1, 512, 512);
    DWORD st;
    TL_OK(GetNamedPipeHandleStateA(s, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_NOWAIT);
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_LISTENING);
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_LISTENING);

    pid_t pid = tl_spawn(nowait_client, &c);
    tl_expect_signal(&c.r, 1);
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_CONNECTED);
    char buf[600];
    DWORD n = 0xdeadbeef;
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_NO_DATA);
    tl_signal(&c.r, 2);
    tl_expect_signal(&c.r, 3);
    TL_EQ(tl_read(s, buf, sizeof buf), 5);
    TL_MEMEQ(buf, "bits", 5);

    /* Writes that do not fit the 512-byte quota (nobody is reading): nothing
     * is written, and the call still succeeds. */
    tl_expect_signal(&c.r, 4);
    memset(buf, 'w', sizeof buf);
    n = 0xdeadbeef;
    TL_OK(WriteFile(s, buf, 513, &n, NULL));
    TL_EQ(n, 0);
    DWORD avail = 0xdeadbeef;
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 0);
    /* Exactly the quota fits. */
    TL_OK(WriteFile(s, buf, 512, &n, NULL));
    TL_EQ(n, 512);
    tl_signal(&c.r, 5);

    /* The client closes: Connect says ERROR_NO_DATA until we disconnect. */
    tl_expect_signal(&c.r, 6);
    tl_join(pid);
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_NO_DATA);
    TL_OK(DisconnectNamedPipe(s));
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_LISTENING);
    /* Listening again: a new client can open. */
    HANDLE h = tl_client(c.name, GENERIC_READ | GENERIC_WRITE);
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_CONNECTED);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* Switching a server to nowait and back with SetNamedPipeHandleState. */
static void test_nowait_switch(void **state)
{
    const char *name = tl_pipe_name("nowait-switch");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 512, 512);
    DWORD mode = PIPE_READMODE_MESSAGE | PIPE_NOWAIT, st;
    TL_OK(SetNamedPipeHandleState(s, &mode, NULL, NULL));
    TL_OK(GetNamedPipeHandleStateA(s, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_MESSAGE | PIPE_NOWAIT);
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_LISTENING);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    char buf[16];
    DWORD n;
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_NO_DATA);
    /* A message that does not fit: nothing written. */
    char big[600] = {0};
    TL_OK(WriteFile(s, big, sizeof big, &n, NULL));
    TL_EQ(n, 0);
    mode = PIPE_READMODE_MESSAGE | PIPE_WAIT;
    TL_OK(SetNamedPipeHandleState(s, &mode, NULL, NULL));
    TL_OK(GetNamedPipeHandleStateA(s, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_MESSAGE);
    tl_write(h, "m", 2);
    TL_EQ(tl_read(s, buf, sizeof buf), 2);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_write_beyond_quota_blocks),
        TL_TEST(test_message_beyond_quota_blocks),
        TL_TEST(test_zero_quota),
        TL_TEST(test_flush_waits_for_reader),
        TL_TEST(test_flush_after_reader_read_and_closed),
        TL_TEST(test_flush_fails_when_reader_closes),
        TL_TEST(test_blocked_write_fails_when_reader_closes),
        TL_TEST(test_flush_fails_on_disconnect),
        TL_TEST(test_blocked_write_fails_on_disconnect),
        TL_TEST(test_server_closes_data_stays),
        TL_TEST(test_client_closes_data_stays),
        TL_TEST(test_client_exits_data_stays),
        TL_TEST(test_message_pipe_close_keeps_messages),
        TL_TEST(test_pending_read_fails_on_disconnect),
        TL_TEST(test_pending_read_fails_on_server_close),
        TL_TEST(test_pending_read_client_killed),
        TL_TEST(test_pending_read_server_killed),
        TL_TEST(test_killed_writer_data_delivered),
        TL_TEST(test_nowait),
        TL_TEST(test_nowait_switch),
    };
    return TL_RUN(tests);
}
