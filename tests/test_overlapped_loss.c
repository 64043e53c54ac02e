/*
 * test_overlapped_loss.c — DESIGN.md invariant 7 for overlapped I/O: when
 * the broker dies, an operation that was pending can never complete, so
 * the library completes it itself with STATUS_PIPE_BROKEN
 * (ERROR_BROKEN_PIPE) and 0 bytes.  Its event was a broker object and is
 * gone: a wait on it fails with ERROR_INVALID_HANDLE, while
 * GetOverlappedResult still reports the broken pipe.  Completion routines
 * that were due are never run.  The next overlapped call reaches a new
 * broker through a new completion channel.
 */
#include "overlapped_util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void kill_my_broker(void)
{
    pid_t pid = tl_find_broker(tl_broker_path());
    TL_ASSERT_MSG(pid > 0, "no broker found at %s", tl_broker_path());
    tl_kill_broker(pid);
}

struct blocked {
    HANDLE h;
    OVERLAPPED *ov;
    BOOL ok;
    DWORD err, n;
    volatile int started;
};

static void *wait_result(void *arg)
{
    struct blocked *b = arg;
    b->started = 1;
    SetLastError(0xdeadbeef);
    b->ok = GetOverlappedResult(b->h, b->ov, &b->n, TRUE);
    b->err = GetLastError();
    return NULL;
}

static int g_routines;

static VOID WINAPI routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    (void)error;
    (void)bytes;
    (void)ov;
    g_routines++;
}

static void test_pending_ops_at_broker_loss(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("loss"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char b1[8], b2[8], b3[8];
    OVERLAPPED r1 = {0}, r2 = {0}, r3 = {0};
    r1.hEvent = ov_event(TRUE, FALSE);
    r1.InternalHigh = 77;
    ov_read_pending(server, b1, sizeof b1, &r1);
    ov_read_pending(client, b2, sizeof b2, &r2); /* no event: waits on the handle */
    g_routines = 0;
    TL_OK(ReadFileEx(client, b3, sizeof b3, &r3, routine));
    struct blocked bl = {.h = client, .ov = &r2};
    pthread_t t = tl_thread_start(wait_result, &bl);
    while (!bl.started)
        tl_sleep_ms(1);
    tl_sleep_ms(50); /* into its wait */

    kill_my_broker();

    ov_wait_done(&r1);
    TL_EQ(ov_status(&r1), OV_STATUS_PIPE_BROKEN);
    TL_EQ(r1.InternalHigh, 0);
    ov_result(server, &r1, 0, ERROR_BROKEN_PIPE);
    SetLastError(0xdeadbeef);
    TL_EQ(WaitForSingleObject(r1.hEvent, 0), WAIT_FAILED);
    TL_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    tl_thread_join(t);
    TL_ASSERT(!bl.ok);
    TL_EQ(bl.err, ERROR_BROKEN_PIPE);
    TL_EQ(bl.n, 0);
    ov_wait_done(&r3);
    TL_EQ(ov_status(&r3), OV_STATUS_PIPE_BROKEN);
    TL_EQ(SleepEx(50, TRUE), 0);
    TL_EQ(g_routines, 0);
    /* Old handles are void. */
    TL_FAILS(CloseHandle(server), ERROR_INVALID_HANDLE);

    /* A new broker, a new completion channel: overlapped I/O works. */
    HANDLE s2, c2;
    ov_pair(tl_pipe_name("after"), PIPE_TYPE_BYTE, 1024, &s2, &c2);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    ov_read_pending(s2, b1, sizeof b1, &ov);
    tl_write(c2, "new", 3);
    ov_wait(ov.hEvent);
    ov_result(s2, &ov, 3, ERROR_SUCCESS);
    OVERLAPPED ex = {0};
    TL_OK(WriteFileEx(c2, "r", 1, &ex, routine));
    uint64_t end = tl_now_ms() + OV_SOON_MS;
    while (!g_routines && tl_now_ms() < end)
        SleepEx(50, TRUE);
    TL_EQ(g_routines, 1);
    CloseHandle(ov.hEvent);
    CloseHandle(s2);
    CloseHandle(c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_pending_ops_at_broker_loss),
    };
    return TL_RUN(tests);
}
