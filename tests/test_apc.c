/*
 * test_apc.c — completion routines (issue 3, item 5): ReadFileEx,
 * WriteFileEx, SleepEx and the alertable waits.  A routine runs only in an
 * alertable wait of the thread that issued the operation — never inside
 * another call, never in another thread — with the Win32 error, the byte
 * count and the OVERLAPPED.
 */
#include "overlapped_util.h"

#include <string.h>

static __thread int t_calls;
static __thread DWORD t_error, t_bytes;
static __thread LPOVERLAPPED t_ov;
static _Atomic int g_calls_any_thread;

static VOID WINAPI routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    t_calls++;
    g_calls_any_thread++;
    t_error = error;
    t_bytes = bytes;
    t_ov = ov;
}

static void reset(void)
{
    t_calls = 0;
    t_error = t_bytes = 0xdeadbeef;
    t_ov = NULL;
}

/* Alertable sleeps until `want` routines have run in this thread. */
static void run_routines(int want)
{
    uint64_t end = tl_now_ms() + OV_SOON_MS;
    while (t_calls < want && tl_now_ms() < end) {
        DWORD r = SleepEx(50, TRUE);
        TL_ASSERT(r == 0 || r == WAIT_IO_COMPLETION);
    }
    TL_EQ(t_calls, want);
}

/* Wine's test_readfileex_pending: the routine waits for an alertable
 * wait, whatever else the thread does meanwhile. */
static void test_read_ex_pending(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("readex"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char buf[32];
    OVERLAPPED ov = {0};
    ov.hEvent = (HANDLE)(uintptr_t)0x1234; /* the caller's to use */
    reset();
    TL_OK(ReadFileEx(server, buf, sizeof buf, &ov, routine));
    TL_EQ(t_calls, 0);
    TL_EQ(ov_status(&ov), OV_STATUS_PENDING);
    tl_write(client, "test", 4);
    TL_EQ(t_calls, 0);
    ov_wait_done(&ov); /* written by the library... */
    HANDLE ev = ov_event(TRUE, TRUE);
    TL_EQ(WaitForSingleObject(ev, 100), WAIT_OBJECT_0); /* ...not alertable */
    Sleep(50);
    TL_EQ(SleepEx(50, FALSE), 0);
    DWORD n;
    TL_OK(GetOverlappedResult(server, &ov, &n, FALSE));
    TL_EQ(n, 4);
    TL_EQ(t_calls, 0);
    /* An alertable wait on a signaled object is satisfied by the object,
     * as NT checks the objects before the APCs; the routine stays due. */
    TL_EQ(WaitForSingleObjectEx(ev, 0, TRUE), WAIT_OBJECT_0);
    /* With nothing signaled, the alertable wait runs it. */
    TL_OK(ResetEvent(ev));
    uint64_t end = tl_now_ms() + OV_SOON_MS;
    DWORD r;
    while ((r = WaitForSingleObjectEx(ev, 20, TRUE)) == WAIT_TIMEOUT && tl_now_ms() < end)
        ;
    TL_EQ(r, WAIT_IO_COMPLETION);
    TL_EQ(t_calls, 1);
    TL_EQ(t_error, 0);
    TL_EQ(t_bytes, 4);
    TL_ASSERT(t_ov == &ov);
    TL_MEMEQ(buf, "test", 4);
    TL_EQ((uintptr_t)ov.hEvent, 0x1234);
    TL_EQ(WaitForSingleObjectEx(ev, 0, TRUE), WAIT_TIMEOUT); /* nothing more due */
    CloseHandle(ev);
    CloseHandle(client);
    CloseHandle(server);
}

/* Done at once: TRUE, and the routine still waits for an alertable wait. */
static void test_write_ex_immediate(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("writeex"), PIPE_TYPE_BYTE, 1024, &server, &client);
    OVERLAPPED ov = {0};
    reset();
    TL_OK(WriteFileEx(client, "immediate", 9, &ov, routine));
    TL_EQ(t_calls, 0);
    TL_EQ(ov_status(&ov), OV_STATUS_SUCCESS);
    TL_EQ(ov.InternalHigh, 9);
    run_routines(1);
    TL_EQ(t_error, 0);
    TL_EQ(t_bytes, 9);
    TL_ASSERT(t_ov == &ov);
    char buf[9];
    tl_read_exact(server, buf, 9);
    CloseHandle(client);
    CloseHandle(server);
}

/* Failed at once: FALSE, and no routine ever. */
static void test_ex_immediate_failure(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("exfail");
    HANDLE server = ov_server(name, PIPE_TYPE_BYTE, 1, 1024, 1024);
    char buf[8];
    OVERLAPPED ov = {0};
    reset();
    SetLastError(0xdeadbeef);
    TL_ASSERT(!ReadFileEx(server, buf, sizeof buf, &ov, routine));
    TL_ASSERT(GetLastError() != ERROR_IO_PENDING);
    TL_EQ(ov_status(&ov), OV_STATUS_PENDING);
    TL_EQ(SleepEx(OV_QUIET_MS, TRUE), 0);
    TL_EQ(t_calls, 0);
    TL_FAILS(ReadFileEx(INVALID_HANDLE_VALUE, buf, 1, &ov, routine), ERROR_INVALID_HANDLE);
    TL_FAILS(ReadFileEx(server, buf, 1, NULL, routine), ERROR_INVALID_PARAMETER);
    TL_FAILS(WriteFileEx(server, buf, 1, &ov, NULL), ERROR_INVALID_PARAMETER);
    CloseHandle(server);
}

/* A partial message read at once: FALSE with ERROR_MORE_DATA, and the
 * routine runs with ERROR_MORE_DATA and the bytes read. */
static void test_read_ex_partial(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("exmore"), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1024,
            &server, &client);
    tl_write(server, "0123456789", 10);
    char buf[4];
    OVERLAPPED ov = {0};
    reset();
    TL_FAILS(ReadFileEx(client, buf, sizeof buf, &ov, routine), ERROR_MORE_DATA);
    run_routines(1);
    TL_EQ(t_error, ERROR_MORE_DATA);
    TL_EQ(t_bytes, 4);
    CloseHandle(client);
    CloseHandle(server);
}

/* Every alertable wait delivers: WaitForMultipleObjectsEx,
 * GetOverlappedResultEx (fails with WAIT_IO_COMPLETION),
 * GetQueuedCompletionStatusEx (likewise). */
static void test_alertable_waits(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("alertable"), PIPE_TYPE_BYTE, 1024, &server, &client);
    HANDLE ev = ov_event(TRUE, FALSE);
    OVERLAPPED ov = {0};
    reset();

    TL_OK(WriteFileEx(client, "1", 1, &ov, routine));
    HANDLE hs[2] = {ev, ev};
    TL_EQ(WaitForMultipleObjectsEx(2, hs, FALSE, OV_SOON_MS, TRUE), WAIT_IO_COMPLETION);
    TL_EQ(t_calls, 1);
    char one;
    tl_read_exact(server, &one, 1);

    OVERLAPPED pending = {0};
    pending.hEvent = ev;
    char buf[8];
    ov_read_pending(server, buf, sizeof buf, &pending);
    TL_OK(WriteFileEx(client, "2", 1, &ov, routine));
    tl_sleep_ms(100); /* let the routine become due */
    DWORD n;
    SetLastError(0xdeadbeef);
    BOOL ok = GetOverlappedResultEx(server, &pending, &n, OV_SOON_MS, TRUE);
    /* The write's data may already have completed the read too. */
    if (!ok) {
        TL_EQ(GetLastError(), WAIT_IO_COMPLETION);
        TL_EQ(t_calls, 2);
        TL_OK(GetOverlappedResultEx(server, &pending, &n, OV_SOON_MS, FALSE));
    } else {
        run_routines(2);
    }
    TL_EQ(n, 1);

    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    TL_OK(WriteFileEx(client, "3", 1, &ov, routine));
    OVERLAPPED_ENTRY e[1];
    ULONG count = 7;
    TL_FAILS(GetQueuedCompletionStatusEx(port, e, 1, &count, OV_SOON_MS, TRUE),
             WAIT_IO_COMPLETION);
    TL_EQ(count, 0);
    TL_EQ(t_calls, 3);
    /* And nothing due: the Ex wait times out normally. */
    TL_FAILS(GetQueuedCompletionStatusEx(port, e, 1, &count, 20, TRUE), WAIT_TIMEOUT);
    CloseHandle(port);
    CloseHandle(ev);
    CloseHandle(client);
    CloseHandle(server);
}

/* The routine belongs to the issuing thread: another thread's alertable
 * waits never run it. */
struct issuer {
    HANDLE h;
    HANDLE issued, go;
    OVERLAPPED ov;
    char buf[8];
    int calls;
    LPOVERLAPPED seen;
};

static void *issue_then_wait(void *arg)
{
    struct issuer *s = arg;
    reset();
    TL_ASSERT(ReadFileEx(s->h, s->buf, sizeof s->buf, &s->ov, routine));
    TL_ASSERT(SetEvent(s->issued));
    TL_ASSERT(WaitForSingleObject(s->go, OV_SOON_MS) == WAIT_OBJECT_0);
    run_routines(1);
    s->calls = t_calls;
    s->seen = t_ov;
    return NULL;
}

static void test_only_issuing_thread(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("ownthread"), PIPE_TYPE_BYTE, 1024, &server, &client);
    struct issuer s = {.h = server, .issued = ov_event(TRUE, FALSE),
                       .go = ov_event(TRUE, FALSE)};
    g_calls_any_thread = 0;
    pthread_t t = tl_thread_start(issue_then_wait, &s);
    ov_wait(s.issued);
    tl_write(client, "x", 1);
    ov_wait_done(&s.ov);
    reset();
    TL_EQ(SleepEx(300, TRUE), 0); /* not ours: nothing runs here */
    TL_EQ(t_calls, 0);
    TL_EQ(g_calls_any_thread, 0);
    TL_OK(SetEvent(s.go));
    tl_thread_join(t);
    TL_EQ(s.calls, 1);
    TL_ASSERT(s.seen == &s.ov);
    CloseHandle(s.issued);
    CloseHandle(s.go);
    CloseHandle(client);
    CloseHandle(server);
}

/* Many routines due at once all run; a routine may issue the next
 * operation (the usual ReadFileEx loop). */
static HANDLE g_loop_pipe;
static char g_loop_buf[4];
static int g_loop_left;

static VOID WINAPI loop_routine(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    TL_EQ(error, 0);
    TL_EQ(bytes, 1);
    if (--g_loop_left > 0)
        TL_ASSERT(ReadFileEx(g_loop_pipe, g_loop_buf, 1, ov, loop_routine));
}

static void test_many_and_chained(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("many"), PIPE_TYPE_BYTE, 4096, &server, &client);
    enum { N = 100 };
    static OVERLAPPED ovs[N];
    static char bufs[N];
    memset(ovs, 0, sizeof ovs);
    reset();
    for (int i = 0; i < N; i++)
        TL_OK(ReadFileEx(server, &bufs[i], 1, &ovs[i], routine));
    char data[N];
    memset(data, 'm', N);
    tl_write(client, data, N);
    run_routines(N);

    g_loop_pipe = server;
    g_loop_left = 20;
    OVERLAPPED ov = {0};
    TL_OK(ReadFileEx(server, g_loop_buf, 1, &ov, loop_routine));
    for (int i = 0; i < 20; i++)
        tl_write(client, "z", 1);
    uint64_t end = tl_now_ms() + OV_SOON_MS;
    while (g_loop_left > 0 && tl_now_ms() < end)
        SleepEx(50, TRUE);
    TL_EQ(g_loop_left, 0);
    CloseHandle(client);
    CloseHandle(server);
}

/* A routine for a cancelled operation gets ERROR_OPERATION_ABORTED. */
static void test_cancelled_routine(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("excancel"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char buf[8];
    OVERLAPPED ov = {0};
    reset();
    TL_OK(ReadFileEx(server, buf, sizeof buf, &ov, routine));
    TL_OK(CancelIo(server));
    run_routines(1);
    TL_EQ(t_error, ERROR_OPERATION_ABORTED);
    TL_EQ(t_bytes, 0);
    CloseHandle(client);
    CloseHandle(server);
}

/* A thread that exits with a routine due: nothing runs, nothing breaks. */
static void *issue_and_exit(void *arg)
{
    HANDLE client = arg;
    static OVERLAPPED ov;
    TL_ASSERT(WriteFileEx(client, "bye", 3, &ov, routine));
    return NULL;
}

static void test_thread_exits_with_routine_due(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("exitdue"), PIPE_TYPE_BYTE, 1024, &server, &client);
    g_calls_any_thread = 0;
    tl_thread_join(tl_thread_start(issue_and_exit, client));
    char buf[3];
    tl_read_exact(server, buf, 3);
    reset();
    TL_EQ(SleepEx(OV_QUIET_MS, TRUE), 0);
    TL_EQ(g_calls_any_thread, 0);
    CloseHandle(client);
    CloseHandle(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_read_ex_pending),
        TL_TEST(test_write_ex_immediate),
        TL_TEST(test_ex_immediate_failure),
        TL_TEST(test_read_ex_partial),
        TL_TEST(test_alertable_waits),
        TL_TEST(test_only_issuing_thread),
        TL_TEST(test_many_and_chained),
        TL_TEST(test_cancelled_routine),
        TL_TEST(test_thread_exits_with_routine_due),
    };
    return TL_RUN(tests);
}
