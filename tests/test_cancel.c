/*
 * test_cancel.c — cancellation (issue 3, item 3): CancelIo (the calling
 * thread's I/O only), CancelIoEx (one operation or all, ERROR_NOT_FOUND),
 * CancelSynchronousIo; a cancelled write's unread data leaves the pipe;
 * closing the last handle to a file object ends its pending I/O while a
 * duplicate keeps it alive; a thread that exits has its I/O cancelled; a
 * process that exits with operations pending has them aborted.  And the
 * races: cancel against completion, close against a pending read.  Every
 * pending operation completes exactly once.
 */
#include "overlapped_util.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

/* Wine's test_blocking_rw, the CancelIoEx part: cancel the second of two
 * reads; the first still gets the data. */
static void test_cancel_one(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("cancelone"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char b1[4], b2[4];
    OVERLAPPED r1 = {0}, r2 = {0};
    r1.hEvent = ov_event(TRUE, FALSE);
    r2.hEvent = ov_event(TRUE, FALSE);
    ov_read_pending(server, b1, 1, &r1);
    ov_read_pending(server, b2, 1, &r2);
    TL_OK(CancelIoEx(server, &r2));
    ov_wait(r2.hEvent);
    TL_EQ(ov_status(&r2), OV_STATUS_CANCELLED);
    ov_result(server, &r2, 0, ERROR_OPERATION_ABORTED);
    ov_quiet(r1.hEvent);
    /* Nothing left to cancel with that OVERLAPPED. */
    TL_FAILS(CancelIoEx(server, &r2), ERROR_NOT_FOUND);
    tl_write(client, "1", 1);
    ov_wait(r1.hEvent);
    ov_result(server, &r1, 1, ERROR_SUCCESS);
    /* Nothing pending at all. */
    TL_FAILS(CancelIoEx(server, NULL), ERROR_NOT_FOUND);
    TL_OK(CancelIo(server)); /* CancelIo succeeds with nothing to cancel */
    TL_FAILS(CancelIoEx(INVALID_HANDLE_VALUE, NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(CancelIo(NULL), ERROR_INVALID_HANDLE);
    CloseHandle(r1.hEvent);
    CloseHandle(r2.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

static void test_cancel_all(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("cancelall"), PIPE_TYPE_BYTE, 1024, &server, &client);
    enum { N = 5 };
    OVERLAPPED ov[N];
    char buf[N];
    memset(ov, 0, sizeof ov);
    for (int i = 0; i < N; i++) {
        ov[i].hEvent = ov_event(TRUE, FALSE);
        ov_read_pending(server, &buf[i], 1, &ov[i]);
    }
    TL_OK(CancelIoEx(server, NULL));
    for (int i = 0; i < N; i++) {
        ov_wait(ov[i].hEvent);
        ov_result(server, &ov[i], 0, ERROR_OPERATION_ABORTED);
        CloseHandle(ov[i].hEvent);
    }
    TL_FAILS(CancelIoEx(server, NULL), ERROR_NOT_FOUND);
    /* The pipe still works. */
    tl_write(client, "ok", 2);
    char got[2];
    tl_read_exact(server, got, 2);
    CloseHandle(client);
    CloseHandle(server);
}

/* A pending ConnectNamedPipe can be cancelled; the instance can listen
 * again afterwards. */
static void test_cancel_connect(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("cancelconnect");
    HANDLE server = ov_server(name, PIPE_TYPE_BYTE, 1, 1024, 1024);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    TL_FAILS(ConnectNamedPipe(server, &ov), ERROR_IO_PENDING);
    TL_OK(CancelIoEx(server, &ov));
    ov_wait(ov.hEvent);
    ov_result(server, &ov, 0, ERROR_OPERATION_ABORTED);
    TL_FAILS(ConnectNamedPipe(server, &ov), ERROR_IO_PENDING);
    HANDLE client = ov_client(name);
    ov_result(server, &ov, 0, ERROR_SUCCESS);
    CloseHandle(client);
    CloseHandle(ov.hEvent);
    CloseHandle(server);
}

/* Wine: cancel a pending write, partly read or not; what the reader had
 * not taken leaves the pipe, the next write's data comes next. */
static void test_cancelled_write_leaves_pipe(void **state)
{
    (void)state;
    for (int msg = 0; msg < 2; msg++) {
        for (int partial = 0; partial < 2; partial++) {
            HANDLE server, client;
            DWORD mode = msg ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE : PIPE_TYPE_BYTE;
            ov_pair(tl_pipe_name("cancelwrite"), mode, 1024, &server, &client);
            static char big[5000];
            memset(big, 'B', sizeof big);
            OVERLAPPED w1 = {0}, w2 = {0};
            w1.hEvent = ov_event(TRUE, FALSE);
            w2.hEvent = ov_event(TRUE, FALSE);
            ov_write_pending(client, big, sizeof big, &w1);
            ov_write_pending(client, "s", 1, &w2);
            char buf[5000];
            DWORD n = 0;
            if (partial) {
                SetLastError(0xdeadbeef);
                BOOL ok = ReadFile(server, buf, 10, &n, NULL);
                TL_ASSERT(ok || GetLastError() == ERROR_MORE_DATA);
                TL_EQ(n, 10);
                ov_quiet(w1.hEvent);
            }
            TL_OK(CancelIoEx(client, &w1));
            ov_wait(w1.hEvent);
            DWORD done = 0xdeadbeef;
            SetLastError(0xdeadbeef);
            BOOL ok = GetOverlappedResult(client, &w1, &done, TRUE);
            TL_ASSERT_MSG(!ok && GetLastError() == ERROR_OPERATION_ABORTED,
                          "msg %d partial %d: %d, error %lu", msg, partial, ok,
                          (unsigned long)GetLastError());
            n = 0;
            TL_OK(ReadFile(server, buf, sizeof buf, &n, NULL));
            TL_EQ(n, 1);
            TL_EQ(buf[0], 's');
            ov_wait(w2.hEvent);
            ov_result(client, &w2, 1, ERROR_SUCCESS);
            CloseHandle(w1.hEvent);
            CloseHandle(w2.hEvent);
            CloseHandle(client);
            CloseHandle(server);
        }
    }
}

/* CancelIo cancels only the calling thread's operations. */
struct other {
    HANDLE h;
    OVERLAPPED ov;
    char buf[4];
    HANDLE issued, done;
};

static void *other_thread(void *arg)
{
    struct other *o = arg;
    ov_read_pending(o->h, o->buf, 1, &o->ov);
    TL_ASSERT(SetEvent(o->issued));
    /* Stay alive (a thread's exit would cancel it) until told. */
    TL_ASSERT(WaitForSingleObject(o->done, 10000) == WAIT_OBJECT_0);
    return NULL;
}

static void test_cancel_io_this_thread_only(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("thisthread"), PIPE_TYPE_BYTE, 1024, &server, &client);
    struct other o = {.h = server, .issued = ov_event(TRUE, FALSE),
                      .done = ov_event(TRUE, FALSE)};
    o.ov.hEvent = ov_event(TRUE, FALSE);
    pthread_t t = tl_thread_start(other_thread, &o);
    ov_wait(o.issued);
    char buf[4];
    OVERLAPPED mine = {0};
    mine.hEvent = ov_event(TRUE, FALSE);
    ov_read_pending(server, buf, 1, &mine);
    TL_OK(CancelIo(server));
    ov_wait(mine.hEvent);
    ov_result(server, &mine, 0, ERROR_OPERATION_ABORTED);
    ov_quiet(o.ov.hEvent); /* the other thread's read is still pending */
    tl_write(client, "o", 1);
    ov_wait(o.ov.hEvent);
    ov_result(server, &o.ov, 1, ERROR_SUCCESS);
    TL_OK(SetEvent(o.done));
    tl_thread_join(t);
    CloseHandle(o.issued);
    CloseHandle(o.done);
    CloseHandle(o.ov.hEvent);
    CloseHandle(mine.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* CancelIoEx from another thread ends a synchronous call blocked on the
 * same file; CancelSynchronousIo on the caller itself finds nothing. */
struct blocked {
    HANDLE h;
    BOOL ok;
    DWORD err;
    volatile int started;
};

static void *blocked_read(void *arg)
{
    struct blocked *b = arg;
    char buf[4];
    DWORD n;
    b->started = 1;
    SetLastError(0xdeadbeef);
    b->ok = ReadFile(b->h, buf, sizeof buf, &n, NULL);
    b->err = GetLastError();
    return NULL;
}

static void test_cancel_synchronous(void **state)
{
    (void)state;
    TL_FAILS(CancelSynchronousIo(GetCurrentThread()), ERROR_NOT_FOUND);
    TL_FAILS(CancelSynchronousIo(NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(CancelSynchronousIo(INVALID_HANDLE_VALUE), ERROR_INVALID_HANDLE);

    const char *name = tl_pipe_name("cancelsync");
    HANDLE server = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024, 1024);
    HANDLE client = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    struct blocked b = {.h = server};
    pthread_t t = tl_thread_start(blocked_read, &b);
    while (!b.started)
        tl_sleep_ms(1);
    uint64_t end = tl_now_ms() + OV_SOON_MS;
    BOOL ok;
    /* The read may not have reached the broker yet: retry until it has. */
    while (!(ok = CancelIoEx(server, NULL)) && tl_now_ms() < end) {
        TL_EQ(GetLastError(), ERROR_NOT_FOUND);
        tl_sleep_ms(5);
    }
    TL_ASSERT(ok);
    tl_thread_join(t);
    TL_ASSERT(!b.ok);
    TL_EQ(b.err, ERROR_OPERATION_ABORTED);
    CloseHandle(client);
    CloseHandle(server);
}

/* Closing the last handle ends the file's pending I/O; a duplicate handle
 * keeps the file, and its I/O, alive (Wine's test_cancelio). */
static void test_close_last_handle(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("closelast"), PIPE_TYPE_BYTE, 1024, &server, &client);
    char buf[4];
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);

    HANDLE dup;
    TL_OK(DuplicateHandle(GetCurrentProcess(), server, GetCurrentProcess(), &dup, 0,
                          FALSE, DUPLICATE_SAME_ACCESS));
    ov_read_pending(server, buf, 1, &ov);
    TL_OK(CloseHandle(server));
    ov_quiet(ov.hEvent); /* the duplicate keeps it */
    TL_FAILS(CancelIoEx(server, &ov), ERROR_INVALID_HANDLE);
    tl_write(client, "d", 1);
    ov_wait(ov.hEvent);
    ov_result(dup, &ov, 1, ERROR_SUCCESS);

    ov_read_pending(dup, buf, 1, &ov);
    TL_OK(CloseHandle(dup)); /* the last one */
    ov_wait(ov.hEvent);
    DWORD n = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    TL_ASSERT(!GetOverlappedResult(NULL, &ov, &n, FALSE));
    TL_ASSERT_MSG(GetLastError() == ERROR_BROKEN_PIPE ||
                      GetLastError() == ERROR_OPERATION_ABORTED,
                  "error %lu (%s)", (unsigned long)GetLastError(),
                  tl_errname(GetLastError()));
    print_message("a read pending when its last handle closed ends with %s\n",
                  tl_errname(GetLastError()));
    CloseHandle(ov.hEvent);
    CloseHandle(client);
}

/* A thread that exits has its overlapped I/O cancelled. */
static void *read_and_exit(void *arg)
{
    OVERLAPPED *ov = arg;
    static char buf[4];
    HANDLE h = ov->Pointer; /* smuggled in */
    ov->Pointer = NULL;
    ov_read_pending(h, buf, 1, ov);
    return NULL;
}

static void test_thread_exit_cancels(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("threadexit"), PIPE_TYPE_BYTE, 1024, &server, &client);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    ov.Pointer = server;
    tl_thread_join(tl_thread_start(read_and_exit, &ov));
    ov_wait(ov.hEvent);
    ov_result(server, &ov, 0, ERROR_OPERATION_ABORTED);
    /* The data that comes later is not lost. */
    tl_write(client, "late", 4);
    char buf[4];
    tl_read_exact(server, buf, 4);
    TL_MEMEQ(buf, "late", 4);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* A process that exits with operations pending: they are aborted with it.
 * Here a child client has a write pending (more than the quota) and a
 * read pending; the server reads part of the write, the child dies, and
 * the rest of its write is gone (Wine's "terminate process with pending
 * write"). */
struct exiter {
    const char *name;
    tl_rdv r;
    int how; /* 0: _exit, 1: SIGKILL */
};

static int pending_child(void *arg)
{
    struct exiter *e = arg;
    HANDLE c = ov_client(e->name);
    static char data[10000];
    memset(data, 'x', sizeof data);
    static OVERLAPPED w, r;
    static char buf[16];
    ov_write_pending(c, data, sizeof data, &w);
    ov_read_pending(c, buf, sizeof buf, &r);
    tl_signal(&e->r, 1);
    tl_expect_signal(&e->r, 2); /* the server has read a part */
    if (e->how == 0)
        _exit(0);
    pause();
    return 0;
}

static void test_process_exit_aborts(void **state)
{
    (void)state;
    for (int how = 0; how < 2; how++) {
        struct exiter e = {.name = tl_pipe_name("procexit"), .how = how};
        HANDLE server = ov_server(e.name, PIPE_TYPE_BYTE, 1, 1024, 1024);
        tl_rdv_init(&e.r);
        pid_t pid = tl_spawn(pending_child, &e);
        OVERLAPPED ov = {0};
        ov.hEvent = ov_event(TRUE, FALSE);
        SetLastError(0xdeadbeef);
        if (!ConnectNamedPipe(server, &ov)) {
            if (GetLastError() == ERROR_IO_PENDING)
                ov_result(server, &ov, 0, ERROR_SUCCESS);
            else
                TL_EQ(GetLastError(), ERROR_PIPE_CONNECTED);
        }
        tl_expect_signal(&e.r, 1);
        char buf[10];
        DWORD n = 0;
        TL_OK(ReadFile(server, buf, sizeof buf, &n, NULL));
        TL_EQ(n, 10);
        tl_signal(&e.r, 2);
        if (how == 1)
            tl_kill(pid);
        else
            TL_EQ(tl_wait(pid), 0);
        /* Its pending write went with it: only the end of the pipe is left. */
        char rest[16];
        OVERLAPPED r = {0};
        r.hEvent = ov_event(TRUE, FALSE);
        SetLastError(0xdeadbeef);
        BOOL ok = ReadFile(server, rest, sizeof rest, &n, &r);
        if (!ok && GetLastError() == ERROR_IO_PENDING)
            ok = GetOverlappedResult(server, &r, &n, TRUE);
        TL_ASSERT_MSG(!ok && GetLastError() == ERROR_BROKEN_PIPE,
                      "after the writer died: %d, %lu bytes, error %lu", ok,
                      (unsigned long)n, (unsigned long)GetLastError());
        CloseHandle(r.hEvent);
        CloseHandle(ov.hEvent);
        CloseHandle(server);
        tl_rdv_close(&e.r);
    }
}

/* A child's own pipe with a ConnectNamedPipe pending: when the child dies,
 * its instance goes. */
static int listening_child(void *arg)
{
    struct exiter *e = arg;
    HANDLE s = ov_server(e->name, PIPE_TYPE_BYTE, 1, 1024, 1024);
    static OVERLAPPED ov;
    TL_ASSERT(!ConnectNamedPipe(s, &ov) && GetLastError() == ERROR_IO_PENDING);
    tl_signal(&e->r, 1);
    _exit(0);
}

static void test_process_exit_listening(void **state)
{
    (void)state;
    struct exiter e = {.name = tl_pipe_name("childlisten")};
    tl_rdv_init(&e.r);
    pid_t pid = tl_spawn(listening_child, &e);
    tl_expect_signal(&e.r, 1);
    TL_EQ(tl_wait(pid), 0);
    /* The broker learns of the death from the pidfd; give it a moment. */
    uint64_t end = tl_now_ms() + OV_SOON_MS;
    HANDLE c;
    while ((c = CreateFileA(e.name, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL)) !=
               INVALID_HANDLE_VALUE &&
           tl_now_ms() < end) {
        CloseHandle(c);
        tl_sleep_ms(10);
    }
    TL_ASSERT(c == INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
    tl_rdv_close(&e.r);
}

/* ---- Races ------------------------------------------------------------------ */

struct racer {
    HANDLE h;
    HANDLE go, ready, written;
    int rounds;
};

static void *race_writer(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < r->rounds; i++) {
        TL_ASSERT(SetEvent(r->ready));
        TL_ASSERT(WaitForSingleObject(r->go, 10000) == WAIT_OBJECT_0);
        DWORD n;
        TL_ASSERT(WriteFile(r->h, "r", 1, &n, NULL) && n == 1);
        TL_ASSERT(SetEvent(r->written));
    }
    return NULL;
}

/* CancelIoEx racing the completion of the read it cancels: either the
 * read got the byte, or it was cancelled and the byte is still in the
 * pipe.  No byte is lost or read twice; every read completes once. */
static void test_race_cancel_completion(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("racecancel"), PIPE_TYPE_BYTE, 4096, &server, &client);
    struct racer r = {.h = client, .go = ov_event(FALSE, FALSE),
                      .ready = ov_event(FALSE, FALSE),
                      .written = ov_event(FALSE, FALSE), .rounds = 300};
    pthread_t t = tl_thread_start(race_writer, &r);
    int got = 0, cancelled = 0, not_found = 0;
    for (int i = 0; i < r.rounds; i++) {
        char b = 0;
        OVERLAPPED ov = {0};
        ov.hEvent = ov_event(TRUE, FALSE);
        SetLastError(0xdeadbeef);
        DWORD n = 0;
        BOOL ok = ReadFile(server, &b, 1, &n, &ov);
        TL_ASSERT(ok || GetLastError() == ERROR_IO_PENDING);
        ov_wait(r.ready);
        TL_OK(SetEvent(r.go));
        if (i & 1)
            tl_sleep_ms(0);
        SetLastError(0xdeadbeef);
        if (!CancelIoEx(server, &ov)) {
            TL_EQ(GetLastError(), ERROR_NOT_FOUND);
            not_found++;
        }
        ov_wait(ov.hEvent);
        SetLastError(0xdeadbeef);
        ok = GetOverlappedResult(server, &ov, &n, TRUE);
        ov_wait(r.written);
        if (ok) {
            TL_EQ(n, 1);
            TL_EQ(b, 'r');
            got++;
        } else {
            TL_EQ(GetLastError(), ERROR_OPERATION_ABORTED);
            TL_EQ(n, 0);
            cancelled++;
            n = 0;
            TL_OK(ReadFile(server, &b, 1, &n, &ov)); /* the byte is still there */
            TL_EQ(n, 1);
        }
        TL_EQ(WaitForSingleObject(ov.hEvent, 0), WAIT_OBJECT_0);
        CloseHandle(ov.hEvent);
    }
    tl_thread_join(t);
    DWORD avail = 1;
    TL_OK(PeekNamedPipe(server, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 0);
    print_message("cancel race: %d completed, %d cancelled, %d found nothing to cancel\n",
                  got, cancelled, not_found);
    CloseHandle(r.go);
    CloseHandle(r.ready);
    CloseHandle(r.written);
    CloseHandle(client);
    CloseHandle(server);
}

/* Closing the handle while its read is pending and data is arriving: the
 * read completes exactly once, with the byte or with an error. */
struct close_writer {
    HANDLE client, go;
};

static void *close_race_thread(void *arg)
{
    struct close_writer *w = arg;
    TL_ASSERT(WaitForSingleObject(w->go, 10000) == WAIT_OBJECT_0);
    DWORD n;
    WriteFile(w->client, "c", 1, &n, NULL); /* may find the server closed */
    return NULL;
}

static void test_race_close_pending_read(void **state)
{
    (void)state;
    int with_data = 0, ended = 0;
    for (int i = 0; i < 150; i++) {
        HANDLE server, client;
        ov_pair(tl_pipe_name("raceclose"), PIPE_TYPE_BYTE, 1024, &server, &client);
        char b = 0;
        OVERLAPPED ov = {0};
        ov.hEvent = ov_event(TRUE, FALSE);
        ov_read_pending(server, &b, 1, &ov);
        struct close_writer w = {client, ov_event(FALSE, FALSE)};
        pthread_t t = tl_thread_start(close_race_thread, &w);
        TL_OK(SetEvent(w.go));
        if (i & 1)
            tl_sleep_ms(0);
        TL_OK(CloseHandle(server));
        tl_thread_join(t);
        ov_wait(ov.hEvent);
        TL_ASSERT(HasOverlappedIoCompleted(&ov));
        unsigned st = ov_status(&ov);
        if (st == OV_STATUS_SUCCESS) {
            TL_EQ(ov.InternalHigh, 1);
            TL_EQ(b, 'c');
            with_data++;
        } else {
            TL_ASSERT_MSG(st == OV_STATUS_PIPE_BROKEN || st == OV_STATUS_CANCELLED,
                          "round %d: status %#x", i, st);
            ended++;
        }
        CloseHandle(w.go);
        CloseHandle(ov.hEvent);
        CloseHandle(client);
    }
    print_message("close race: %d got the byte, %d ended without it\n", with_data, ended);
}

/* The same with the write from another process, truly concurrent with the
 * close. */
struct close_child {
    const char *name;
    tl_rdv r;
    int rounds;
};

static int close_race_writer(void *arg)
{
    struct close_child *c = arg;
    for (int i = 0; i < c->rounds; i++) {
        tl_expect_signal(&c->r, i);
        HANDLE h = ov_client(c->name);
        tl_signal(&c->r, 1000 + i);
        tl_expect_signal(&c->r, 2000 + i);
        DWORD n;
        WriteFile(h, "w", 1, &n, NULL); /* may find the server closed */
        CloseHandle(h);
    }
    return 0;
}

static void test_race_close_cross_process(void **state)
{
    (void)state;
    struct close_child c = {.name = tl_pipe_name("raceclosex"), .rounds = 100};
    tl_rdv_init(&c.r);
    pid_t pid = tl_spawn(close_race_writer, &c);
    for (int i = 0; i < c.rounds; i++) {
        HANDLE server = ov_server(c.name, PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES,
                                  1024, 1024);
        OVERLAPPED ov = {0};
        ov.hEvent = ov_event(TRUE, FALSE);
        tl_signal(&c.r, i);
        tl_expect_signal(&c.r, 1000 + i);
        SetLastError(0xdeadbeef);
        if (!ConnectNamedPipe(server, &ov)) {
            if (GetLastError() == ERROR_IO_PENDING)
                ov_result(server, &ov, 0, ERROR_SUCCESS);
            else
                TL_EQ(GetLastError(), ERROR_PIPE_CONNECTED);
        }
        char b;
        ResetEvent(ov.hEvent);
        ov_read_pending(server, &b, 1, &ov);
        tl_signal(&c.r, 2000 + i);
        if (i & 1)
            tl_sleep_ms(0);
        TL_OK(CloseHandle(server));
        ov_wait(ov.hEvent);
        DWORD s = ov_status(&ov);
        TL_ASSERT_MSG(s == OV_STATUS_SUCCESS || s == OV_STATUS_PIPE_BROKEN ||
                          s == OV_STATUS_CANCELLED,
                      "round %d: status %#x", i, s);
        CloseHandle(ov.hEvent);
    }
    tl_join(pid);
    tl_rdv_close(&c.r);
}

/* CancelSynchronousIo(thread): the blocking ReadFile of a CreateThread
 * thread ends with ERROR_OPERATION_ABORTED; a thread with nothing in
 * flight is ERROR_NOT_FOUND. */
struct sync_reader {
    HANDLE h;
    BOOL ok;
    DWORD err;
    volatile int started;
};

static DWORD WINAPI sync_reader_main(LPVOID arg)
{
    struct sync_reader *r = arg;
    char buf[4];
    DWORD n;
    r->started = 1;
    SetLastError(0xdeadbeef);
    r->ok = ReadFile(r->h, buf, sizeof buf, &n, NULL);
    r->err = GetLastError();
    return 0;
}

static DWORD WINAPI idle_main(LPVOID arg)
{
    Sleep(300);
    (void)arg;
    return 0;
}

static void test_cancel_synchronous_other_thread(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("cancelsyncthread");
    HANDLE server = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024, 1024);
    HANDLE client = tl_client(name, GENERIC_READ | GENERIC_WRITE);

    HANDLE idle = CreateThread(NULL, 0, idle_main, NULL, 0, NULL);
    TL_ASSERT_MSG(idle != NULL, "CreateThread: %lu", (unsigned long)GetLastError());
    TL_FAILS(CancelSynchronousIo(idle), ERROR_NOT_FOUND);

    struct sync_reader r = {.h = server};
    HANDLE t = CreateThread(NULL, 0, sync_reader_main, &r, 0, NULL);
    TL_ASSERT_MSG(t != NULL, "CreateThread: %lu", (unsigned long)GetLastError());
    while (!r.started)
        tl_sleep_ms(1);
    /* The read may not have reached the broker yet: retry until it has. */
    uint64_t end = tl_now_ms() + OV_SOON_MS;
    BOOL ok;
    while (!(ok = CancelSynchronousIo(t)) && GetLastError() == ERROR_NOT_FOUND &&
           tl_now_ms() < end)
        tl_sleep_ms(2);
    TL_OK(ok);
    TL_EQ(WaitForSingleObject(t, 5000), WAIT_OBJECT_0);
    TL_ASSERT_MSG(!r.ok && r.err == ERROR_OPERATION_ABORTED,
                  "the cancelled read: %d, error %lu", r.ok, (unsigned long)r.err);
    /* The pipe is still good. */
    tl_write_str(client, "ok");
    char buf[4];
    TL_EQ(tl_read(server, buf, sizeof buf), 3); /* "ok" and its NUL */
    TL_EQ(WaitForSingleObject(idle, 5000), WAIT_OBJECT_0);
    CloseHandle(idle);
    CloseHandle(t);
    CloseHandle(client);
    CloseHandle(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_cancel_synchronous_other_thread),
        TL_TEST(test_cancel_one),
        TL_TEST(test_cancel_all),
        TL_TEST(test_cancel_connect),
        TL_TEST(test_cancelled_write_leaves_pipe),
        TL_TEST(test_cancel_io_this_thread_only),
        TL_TEST(test_cancel_synchronous),
        TL_TEST(test_close_last_handle),
        TL_TEST(test_thread_exit_cancels),
        TL_TEST(test_process_exit_aborts),
        TL_TEST(test_process_exit_listening),
        TL_TEST(test_race_cancel_completion),
        TL_TEST(test_race_close_pending_read),
        TL_TEST(test_race_close_cross_process),
    };
    return TL_RUN(tests);
}
