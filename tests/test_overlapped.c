/*
 * test_overlapped.c — overlapped ConnectNamedPipe, ReadFile, WriteFile and
 * TransactNamedPipe (issue 3, item 1) and GetOverlappedResult(Ex) (item
 * 3): ERROR_IO_PENDING when the IRP pends, Internal/InternalHigh written
 * as Windows writes them and left alone on an immediate failure, partial
 * message reads, ERROR_PIPE_CONNECTED for a client that came first, and
 * the race of a client connecting while the server's ConnectNamedPipe is
 * being issued.
 *
 * The expectations are Windows' (Wine's kernel32 and ntdll pipe tests,
 * their non-todo parts, which run on Windows).
 */
#include "overlapped_util.h"

#include <stdlib.h>
#include <string.h>

static void test_flag_accepted(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("flag");
    HANDLE server = ov_server(name, PIPE_TYPE_BYTE, 1, 1024, 1024);
    HANDLE client = ov_client(name);
    /* Overlapped handles still do synchronous I/O without an OVERLAPPED. */
    tl_write_str(client, "hello");
    tl_expect_str(server, "hello");
    TL_OK(CloseHandle(client));
    TL_OK(CloseHandle(server));
}

/* Wine's test_overlapped_error, first half: the connect pends, the event
 * is set when the client comes. */
static void test_connect_pending(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("connect");
    HANDLE server = ov_server(name, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1,
                              1024, 1024);
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.InternalHigh = 0xdead;
    ov.hEvent = ov_event(TRUE, FALSE);
    SetLastError(0xdeadbeef);
    TL_FAILS(ConnectNamedPipe(server, &ov), ERROR_IO_PENDING);
    TL_EQ(ov_status(&ov), OV_STATUS_PENDING);
    TL_EQ(ov.InternalHigh, 0); /* kernel32 zeroes it for ConnectNamedPipe */
    TL_ASSERT(!HasOverlappedIoCompleted(&ov));
    ov_quiet(ov.hEvent);
    DWORD n = 0xdeadbeef;
    TL_FAILS(GetOverlappedResult(server, &ov, &n, FALSE), ERROR_IO_INCOMPLETE);

    HANDLE client = ov_client(name);
    ov_wait(ov.hEvent);
    TL_ASSERT(HasOverlappedIoCompleted(&ov));
    n = 0xdeadbeef;
    TL_OK(GetOverlappedResult(server, &ov, &n, TRUE));
    TL_EQ(n, 0);
    TL_EQ(ov_status(&ov), OV_STATUS_SUCCESS);

    tl_write_str(client, "ping");
    tl_expect_str(server, "ping");
    CloseHandle(client);
    CloseHandle(server);
    CloseHandle(ov.hEvent);
}

/* Second half: the client came first.  FALSE with ERROR_PIPE_CONNECTED,
 * Internal still STATUS_PENDING, and nothing signaled (an immediate
 * failure makes nothing visible). */
static void test_connect_after_client(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("connected");
    HANDLE server = ov_server(name, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1,
                              1024, 1024);
    HANDLE client = ov_client(name);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    TL_FAILS(ConnectNamedPipe(server, &ov), ERROR_PIPE_CONNECTED);
    TL_EQ(ov_status(&ov), OV_STATUS_PENDING);
    ov_quiet(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
    CloseHandle(ov.hEvent);
}

/* A read that pends: ERROR_IO_PENDING, the byte count 0, Internal
 * STATUS_PENDING and InternalHigh untouched until the data comes
 * (Wine's test_readfileex_pending, last part). */
static void test_read_pending(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("readp"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char buf[64];
    OVERLAPPED ov = {0};
    ov.Internal = (ULONG_PTR)-1;
    ov.InternalHigh = (ULONG_PTR)-1;
    ov.hEvent = ov_event(TRUE, TRUE); /* set: issuing the read clears it */
    ov_read_pending(server, buf, sizeof buf, &ov);
    TL_EQ(ov_status(&ov), OV_STATUS_PENDING);
    TL_EQ(ov.InternalHigh, (ULONG_PTR)-1);
    ov_quiet(ov.hEvent);

    tl_write(client, "abcdef", 6);
    ov_wait(ov.hEvent);
    TL_EQ(ov_status(&ov), OV_STATUS_SUCCESS);
    TL_EQ(ov.InternalHigh, 6);
    TL_MEMEQ(buf, "abcdef", 6);
    ov_result(server, &ov, 6, ERROR_SUCCESS);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* A zero-byte read pends until data arrives and completes with 0 bytes. */
static void test_read_zero_pending(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("read0"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char buf[8];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    ov_read_pending(server, buf, 0, &ov);
    ov_quiet(ov.hEvent);
    tl_write(client, "x", 1);
    ov_wait(ov.hEvent);
    ov_result(server, &ov, 0, ERROR_SUCCESS);
    /* the byte is still there */
    DWORD n = 0;
    TL_OK(ReadFile(server, buf, 1, &n, &ov));
    TL_EQ(n, 1);
    TL_EQ(buf[0], 'x');
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* Data already there: TRUE at once, with the count, the OVERLAPPED filled
 * and the event set. */
static void test_read_immediate(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("readi"), PIPE_TYPE_BYTE, 1024, &server, &client);
    tl_write(client, "hello", 5);
    char buf[64];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    DWORD n = 0xdeadbeef;
    TL_OK(ReadFile(server, buf, sizeof buf, &n, &ov));
    TL_EQ(n, 5);
    TL_EQ(ov_status(&ov), OV_STATUS_SUCCESS);
    TL_EQ(ov.InternalHigh, 5);
    TL_MEMEQ(buf, "hello", 5);
    ov_wait(ov.hEvent);
    ov_result(server, &ov, 5, ERROR_SUCCESS);

    /* lpNumberOfBytesRead may be NULL with an OVERLAPPED. */
    tl_write(client, "again", 5);
    TL_OK(ReadFile(server, buf, sizeof buf, NULL, &ov));
    TL_EQ(ov.InternalHigh, 5);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* A partial message read done at once: FALSE with ERROR_MORE_DATA, the
 * count 0 (an OVERLAPPED was given), InternalHigh the bytes read, Internal
 * STATUS_BUFFER_OVERFLOW; GetOverlappedResult says the same. */
static void test_read_partial_immediate(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("partiali"), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE,
            1024, &server, &client);
    tl_write(server, "0123456789", 10);
    char buf[16];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    DWORD n = 0xdeadbeef;
    TL_FAILS(ReadFile(client, buf, 4, &n, &ov), ERROR_MORE_DATA);
    TL_EQ(n, 0);
    TL_EQ(ov_status(&ov), OV_STATUS_BUFFER_OVERFLOW);
    TL_EQ(ov.InternalHigh, 4);
    TL_MEMEQ(buf, "0123", 4);
    ov_wait(ov.hEvent);
    ov_result(client, &ov, 4, ERROR_MORE_DATA);
    n = 0;
    TL_OK(ReadFile(client, buf, sizeof buf, &n, &ov));
    TL_EQ(n, 6);
    TL_MEMEQ(buf, "456789", 6);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* The same for a read that pended: the message is longer than the buffer
 * when it comes. */
static void test_read_partial_pending(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("partialp"), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE,
            1024, &server, &client);
    char buf[16];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    ov_read_pending(client, buf, 3, &ov);
    tl_write(server, "abcdefgh", 8);
    ov_wait(ov.hEvent);
    TL_EQ(ov_status(&ov), OV_STATUS_BUFFER_OVERFLOW);
    ov_result(client, &ov, 3, ERROR_MORE_DATA);
    TL_MEMEQ(buf, "abc", 3);
    DWORD n = 0;
    TL_OK(ReadFile(client, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 5);
    TL_MEMEQ(buf, "defgh", 5);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* Writes: done at once when the data fits the quota; pending when it does
 * not, until the reader makes room (Wine's test_blocking_rw). */
static void test_write(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("write"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char big[4000], got[4000];
    tl_fill(big, sizeof big, 7);
    OVERLAPPED w1 = {0}, w2 = {0};
    w1.hEvent = ov_event(TRUE, FALSE);
    w2.hEvent = ov_event(TRUE, FALSE);
    DWORD n = 0xdeadbeef;
    TL_OK(WriteFile(client, big, 10, &n, &w1));
    TL_EQ(n, 10);
    TL_EQ(ov_status(&w1), OV_STATUS_SUCCESS);
    TL_EQ(w1.InternalHigh, 10);
    ov_wait(w1.hEvent);
    tl_read_exact(server, got, 10);
    TL_ASSERT(tl_check_fill(got, 10, 7, 0));

    ov_write_pending(client, big, sizeof big, &w1);
    ov_write_pending(client, big, 1, &w2);
    ov_quiet(w1.hEvent);
    TL_FAILS(GetOverlappedResult(client, &w1, &n, FALSE), ERROR_IO_INCOMPLETE);
    tl_read_exact(server, got, sizeof got);
    TL_ASSERT(tl_check_fill(got, sizeof got, 7, 0));
    ov_wait(w1.hEvent);
    ov_result(client, &w1, sizeof big, ERROR_SUCCESS);
    tl_read_exact(server, got, 1);
    ov_wait(w2.hEvent);
    ov_result(client, &w2, 1, ERROR_SUCCESS);
    CloseHandle(w1.hEvent);
    CloseHandle(w2.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* An immediate failure: FALSE with the error, the count 0, the OVERLAPPED
 * left as kernel32 set it (Internal STATUS_PENDING, InternalHigh as it
 * was) and no event. */
static void test_immediate_failure(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("fail");
    HANDLE server = ov_server(name, PIPE_TYPE_BYTE, 1, 1024, 1024);
    char buf[8];
    OVERLAPPED ov = {0};
    ov.InternalHigh = 12345;
    ov.hEvent = ov_event(TRUE, FALSE);
    DWORD n = 0xdeadbeef;
    /* Never connected: a listening-state read fails at once. */
    SetLastError(0xdeadbeef);
    BOOL ok = ReadFile(server, buf, sizeof buf, &n, &ov);
    TL_ASSERT(!ok);
    TL_ASSERT_MSG(GetLastError() == ERROR_PIPE_LISTENING ||
                      GetLastError() == ERROR_BAD_PIPE,
                  "error %lu (%s)", (unsigned long)GetLastError(),
                  tl_errname(GetLastError()));
    TL_EQ(n, 0);
    TL_EQ(ov_status(&ov), OV_STATUS_PENDING);
    TL_EQ(ov.InternalHigh, 12345);
    ov_quiet(ov.hEvent);

    /* A bad handle, and a bad event. */
    n = 0xdeadbeef;
    TL_FAILS(ReadFile(INVALID_HANDLE_VALUE, buf, 1, &n, &ov), ERROR_INVALID_HANDLE);
    TL_EQ(n, 0);
    TL_EQ(ov_status(&ov), OV_STATUS_PENDING);
    OVERLAPPED bad = {0};
    bad.hEvent = (HANDLE)(uintptr_t)0x7777770;
    TL_FAILS(WriteFile(server, "x", 1, &n, &bad), ERROR_INVALID_HANDLE);
    /* A pipe handle is not an event. */
    HANDLE client = ov_client(name);
    OVERLAPPED wrong = {0};
    wrong.hEvent = client;
    TL_FAILS(WriteFile(server, "x", 1, &n, &wrong), ERROR_INVALID_HANDLE);
    CloseHandle(client);
    CloseHandle(ov.hEvent);
    CloseHandle(server);
}

/* Without an event, GetOverlappedResult waits on the file handle. */
static void test_no_event(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("noevent"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char buf[16];
    OVERLAPPED ov = {0};
    ov_read_pending(server, buf, sizeof buf, &ov);
    tl_write(client, "data", 4);
    ov_result(server, &ov, 4, ERROR_SUCCESS);
    TL_MEMEQ(buf, "data", 4);
    CloseHandle(client);
    CloseHandle(server);
}

/* hEvent with its low bit set is still the event (the bit only says "no
 * completion packet"). */
static void test_event_low_bit(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("lowbit"), PIPE_TYPE_BYTE, 1024, &server, &client);
    HANDLE ev = ov_event(TRUE, FALSE);
    char buf[16];
    OVERLAPPED ov = {0};
    ov.hEvent = (HANDLE)((ULONG_PTR)ev | 1);
    ov_read_pending(server, buf, sizeof buf, &ov);
    ov_quiet(ev);
    tl_write(client, "bit", 3);
    ov_wait(ev);
    ov_result(server, &ov, 3, ERROR_SUCCESS);
    CloseHandle(ev);
    CloseHandle(client);
    CloseHandle(server);
}

/* GetOverlappedResultEx: no time is ERROR_IO_INCOMPLETE, a timeout is
 * WAIT_TIMEOUT as the error, INFINITE waits. */
static void test_result_ex(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("resultex"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char buf[16];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    ov_read_pending(server, buf, sizeof buf, &ov);
    DWORD n = 0xdeadbeef;
    TL_FAILS(GetOverlappedResultEx(server, &ov, &n, 0, FALSE), ERROR_IO_INCOMPLETE);
    uint64_t t0 = tl_now_ms();
    TL_FAILS(GetOverlappedResultEx(server, &ov, &n, 50, FALSE), WAIT_TIMEOUT);
    TL_ASSERT(tl_now_ms() - t0 >= 40);
    TL_FAILS(GetOverlappedResultEx(server, &ov, &n, 50, TRUE), WAIT_TIMEOUT);
    tl_write(client, "ex", 2);
    n = 0;
    TL_OK(GetOverlappedResultEx(server, &ov, &n, INFINITE, FALSE));
    TL_EQ(n, 2);
    /* Already complete: no waiting at all, whatever the timeout. */
    n = 0;
    TL_OK(GetOverlappedResultEx(server, &ov, &n, 0, FALSE));
    TL_EQ(n, 2);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* TransactNamedPipe with an OVERLAPPED pends until the reply comes. */
static void test_transact(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("transact"), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE,
            1024, &server, &client);
    char reply[32];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    DWORD n = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    BOOL ok = TransactNamedPipe(client, "question", 8, reply, sizeof reply, &n, &ov);
    TL_ASSERT_MSG(!ok && GetLastError() == ERROR_IO_PENDING, "%d %lu", ok,
                  (unsigned long)GetLastError());
    TL_EQ(n, 0);
    char q[16];
    TL_EQ(tl_read(server, q, sizeof q), 8);
    TL_MEMEQ(q, "question", 8);
    ov_quiet(ov.hEvent);
    tl_write(server, "answer!", 7);
    ov_wait(ov.hEvent);
    ov_result(client, &ov, 7, ERROR_SUCCESS);
    TL_MEMEQ(reply, "answer!", 7);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* fork() with an operation pending: the child has none of it (no
 * completion thread, channel or records of its parent) and does its own
 * overlapped I/O; the parent's operation completes as usual. */
static int forked_child(void *arg)
{
    (void)arg;
    HANDLE s, c;
    ov_pair(tl_pipe_name("child"), PIPE_TYPE_BYTE, 1024, &s, &c);
    char buf[8];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    ov_read_pending(s, buf, sizeof buf, &ov);
    tl_write(c, "kid", 3);
    ov_wait(ov.hEvent);
    ov_result(s, &ov, 3, ERROR_SUCCESS);
    CloseHandle(ov.hEvent);
    CloseHandle(s);
    CloseHandle(c);
    return 0;
}

static void test_fork_with_pending(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("fork"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char buf[8];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    ov_read_pending(server, buf, sizeof buf, &ov);
    tl_join(tl_spawn(forked_child, NULL));
    tl_join(tl_spawn(forked_child, NULL));
    ov_quiet(ov.hEvent);
    tl_write(client, "dad", 3);
    ov_wait(ov.hEvent);
    ov_result(server, &ov, 3, ERROR_SUCCESS);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* ---- The race: a client connecting while ConnectNamedPipe is issued ---- */

struct racer {
    const char *name;
    tl_rdv go;
    int rounds;
};

static int race_client(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < r->rounds; i++) {
        tl_expect_signal(&r->go, i); /* the server's instance exists */
        HANDLE c = INVALID_HANDLE_VALUE;
        for (int tries = 0; c == INVALID_HANDLE_VALUE && tries < 1000; tries++) {
            c = CreateFileA(r->name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                            OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
            if (c == INVALID_HANDLE_VALUE) {
                TL_ASSERT_MSG(GetLastError() == ERROR_PIPE_BUSY,
                              "round %d: CreateFile error %lu", i,
                              (unsigned long)GetLastError());
                WaitNamedPipeA(r->name, 1000);
            }
        }
        TL_ASSERT(c != INVALID_HANDLE_VALUE);
        char msg[32];
        int len = snprintf(msg, sizeof msg, "round %d", i) + 1;
        tl_write(c, msg, (DWORD)len);
        tl_expect_str(c, "ok");
        CloseHandle(c);
    }
    return 0;
}

static void test_race_connect(void **state)
{
    (void)state;
    struct racer r = {.name = tl_pipe_name("race"), .rounds = 200};
    tl_rdv_init(&r.go);
    pid_t pid = tl_spawn(race_client, &r);
    HANDLE ev = ov_event(TRUE, FALSE);
    int pending = 0, connected = 0;
    for (int i = 0; i < r.rounds; i++) {
        /* Unlimited instances: the last round's client may still hold its
         * end of the old instance. */
        HANDLE server = ov_server(r.name, PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES,
                                  1024, 1024);
        tl_signal(&r.go, i);
        if (i & 1)
            tl_sleep_ms(0); /* vary who comes first */
        OVERLAPPED ov = {0};
        ov.hEvent = ev;
        SetLastError(0xdeadbeef);
        BOOL ok = ConnectNamedPipe(server, &ov);
        DWORD err = GetLastError();
        if (!ok && err == ERROR_IO_PENDING) {
            pending++;
            DWORD n;
            TL_OK(GetOverlappedResult(server, &ov, &n, TRUE));
        } else if (!ok) {
            TL_ASSERT_MSG(err == ERROR_PIPE_CONNECTED, "round %d: error %lu (%s)", i,
                          (unsigned long)err, tl_errname(err));
            TL_EQ(ov_status(&ov), OV_STATUS_PENDING);
            connected++;
        }
        char want[32];
        snprintf(want, sizeof want, "round %d", i);
        tl_expect_str(server, want);
        tl_write_str(server, "ok");
        TL_OK(FlushFileBuffers(server));
        CloseHandle(server);
    }
    tl_join(pid);
    tl_rdv_close(&r.go);
    CloseHandle(ev);
    print_message("connect race: %d pended, %d found the client first\n", pending,
                  connected);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_flag_accepted),
        TL_TEST(test_connect_pending),
        TL_TEST(test_connect_after_client),
        TL_TEST(test_read_pending),
        TL_TEST(test_read_zero_pending),
        TL_TEST(test_read_immediate),
        TL_TEST(test_read_partial_immediate),
        TL_TEST(test_read_partial_pending),
        TL_TEST(test_write),
        TL_TEST(test_immediate_failure),
        TL_TEST(test_no_event),
        TL_TEST(test_event_low_bit),
        TL_TEST(test_result_ex),
        TL_TEST(test_transact),
        TL_TEST(test_fork_with_pending),
        TL_TEST(test_race_connect),
    };
    return TL_RUN(tests);
}
