/*
 * test_pipe_instances.c — pipe instances: limits, which instance a client
 * gets, FILE_FLAG_FIRST_PIPE_INSTANCE, access modes of instances and
 * clients.
 *
 * Windows behaviour checked here (Wine's dlls/kernel32/tests/pipe.c, run on
 * Windows: test_CreateNamedPipe_instances_must_match, test_multiple_instances,
 * test_CreateNamedPipe; Microsoft Learn, CreateNamedPipe / "Named Pipe
 * Security and Access Rights"; ntdll pipe tests for FILE_CREATE):
 *  - nMaxInstances is enforced: one more CreateNamedPipe fails with
 *    ERROR_PIPE_BUSY, from any process;
 *  - a client with no listening instance gets ERROR_PIPE_BUSY;
 *  - a client gets the instance that entered the listening state first; an
 *    instance that is disconnected and listens again goes to the back;
 *  - FILE_FLAG_FIRST_PIPE_INSTANCE on an existing pipe: ERROR_ACCESS_DENIED;
 *  - a further instance with a different access mode: ERROR_ACCESS_DENIED
 *    (type, counts, buffer sizes and timeout need not match);
 *  - opening a missing pipe: ERROR_FILE_NOT_FOUND;
 *  - a client asking for write access to an outbound pipe, or read access to
 *    an inbound one: ERROR_ACCESS_DENIED; I/O a handle was not opened for:
 *    ERROR_ACCESS_DENIED.
 */
#include "testlib.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct ctx {
    const char *name;
    tl_rdv r;
    DWORD open_mode;
    int n;
};

/* ---- nMaxInstances ------------------------------------------------------- */

static int create_one_more(void *arg)
{
    struct ctx *c = arg;
    TL_HANDLE_FAILS(CreateNamedPipeA(c->name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE, 2, 1024, 1024, 0, NULL),
                    ERROR_PIPE_BUSY);
    return 0;
}

static void test_max_instances(void **state)
{
    struct ctx c = {.name = tl_pipe_name("max")};
    HANDLE s1 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    HANDLE s2 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    TL_HANDLE_FAILS(CreateNamedPipeA(c.name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE, 2, 1024, 1024, 0, NULL),
                    ERROR_PIPE_BUSY);
    /* The limit is the pipe's, not the process's. */
    tl_join(tl_spawn(create_one_more, &c));
    DWORD inst = 0;
    TL_OK(GetNamedPipeHandleStateA(s1, NULL, &inst, NULL, NULL, NULL, 0));
    TL_EQ(inst, 2);
    /* Closing one makes room again. */
    TL_OK(CloseHandle(s1));
    TL_OK(GetNamedPipeHandleStateA(s2, NULL, &inst, NULL, NULL, NULL, 0));
    TL_EQ(inst, 1);
    HANDLE s3 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    TL_OK(CloseHandle(s2));
    TL_OK(CloseHandle(s3));

    /* nMaxInstances 1. */
    const char *one = tl_pipe_name("max1");
    HANDLE t = tl_server(one, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    TL_HANDLE_FAILS(CreateNamedPipeA(one, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     1, 1024, 1024, 0, NULL),
                    ERROR_PIPE_BUSY);
    TL_OK(CloseHandle(t));
}

static void test_unlimited_instances(void **state)
{
    const char *name = tl_pipe_name("unlimited");
    enum { N = 20 };
    HANDLE s[N];
    for (int i = 0; i < N; i++)
        s[i] = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                         PIPE_UNLIMITED_INSTANCES, 1024, 1024);
    DWORD flags, out, in, max = 0;
    TL_OK(GetNamedPipeInfo(s[0], &flags, &out, &in, &max));
    TL_EQ(max, PIPE_UNLIMITED_INSTANCES);
    DWORD inst = 0;
    TL_OK(GetNamedPipeHandleStateA(s[N - 1], NULL, &inst, NULL, NULL, NULL,
                                   0));
    TL_EQ(inst, N);
    for (int i = 0; i < N; i++)
        TL_OK(CloseHandle(s[i]));
}

/* ---- No listening instance ---------------------------------------------- */

static int holder(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_busy_without_listener(void **state)
{
    struct ctx c = {.name = tl_pipe_name("busy")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                         1024);
    pid_t pid = tl_spawn(holder, &c);
    tl_expect_signal(&c.r, 1);
    TL_HANDLE_FAILS(CreateFileA(c.name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_PIPE_BUSY);
    TL_HANDLE_FAILS(CreateFileW(tl_wide(c.name), GENERIC_READ | GENERIC_WRITE,
                                0, NULL, OPEN_EXISTING, 0, NULL),
                    ERROR_PIPE_BUSY);
    /* A second instance takes the next client. */
    HANDLE s2 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    HANDLE h = tl_client(c.name, GENERIC_READ | GENERIC_WRITE);
    TL_FAILS(ConnectNamedPipe(s2, NULL), ERROR_PIPE_CONNECTED);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s2));
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- Which instance a client gets ----------------------------------------- */

static int tagged_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    char tag[16] = {0};
    tl_read_exact(h, tag, 8);
    int n = -1;
    TL_ASSERT_MSG(sscanf(tag, "inst %d", &n) == 1, "odd tag \"%.8s\"", tag);
    tl_signal(&c->r, n);
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

/* A client (another process) opens the pipe: check that instance `expected`
 * of s[] got it, from both ends. */
static void expect_instance(struct ctx *c, HANDLE *s, int count, int expected)
{
    pid_t pid = tl_spawn(tagged_client, c);
    tl_expect_signal(&c->r, 1);
    /* Only a connected instance can be peeked successfully (listening and
     * disconnected ones give ERROR_BAD_PIPE, closing ones ERROR_BROKEN_PIPE),
     * and peeking changes nothing. */
    int connected = -1;
    for (int i = 0; i < count; i++) {
        DWORD avail;
        if (PeekNamedPipe(s[i], NULL, 0, NULL, &avail, NULL)) {
            TL_ASSERT_MSG(connected < 0, "instances %d and %d are both "
                          "connected", connected, i);
            connected = i;
        }
    }
    TL_ASSERT_MSG(connected == expected, "the client got instance %d; "
                  "expected instance %d", connected, expected);
    TL_FAILS(ConnectNamedPipe(s[expected], NULL), ERROR_PIPE_CONNECTED);
    char tag[9];
    snprintf(tag, sizeof tag, "inst %02d", expected);
    tl_write(s[expected], tag, 8);
    TL_EQ(tl_wait_signal(&c->r), expected); /* what the client read */
    tl_signal(&c->r, 2);
    tl_join(pid);
}

static void test_listen_order(void **state)
{
    struct ctx c = {.name = tl_pipe_name("order")};
    tl_rdv_init(&c.r);
    enum { N = 4 };
    HANDLE s[N];
    /* PIPE_NOWAIT lets one thread put instances into the listening state in
     * an order of its choosing: ConnectNamedPipe then returns at once with
     * ERROR_PIPE_LISTENING. */
    for (int i = 0; i < N; i++)
        s[i] = tl_server(c.name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_BYTE | PIPE_NOWAIT, N, 1024, 1024);
    /* New instances listen in creation order. */
    expect_instance(&c, s, N, 0);
    expect_instance(&c, s, N, 1);
    expect_instance(&c, s, N, 2);
    /* Disconnect 0 and 2, then listen again: 2 first, then 0. */
    TL_OK(DisconnectNamedPipe(s[0]));
    TL_OK(DisconnectNamedPipe(s[2]));
    TL_FAILS(ConnectNamedPipe(s[2], NULL), ERROR_PIPE_LISTENING);
    TL_FAILS(ConnectNamedPipe(s[0], NULL), ERROR_PIPE_LISTENING);
    /* 3 has listened since it was created: it is first in line. */
    expect_instance(&c, s, N, 3);
    expect_instance(&c, s, N, 2);
    expect_instance(&c, s, N, 0);
    /* Nothing listens any more. */
    TL_OK(DisconnectNamedPipe(s[0]));
    TL_HANDLE_FAILS(CreateFileA(c.name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_PIPE_BUSY);
    for (int i = 0; i < N; i++)
        TL_OK(CloseHandle(s[i]));
    tl_rdv_close(&c.r);
}

/* The same with blocking handles: an instance that was disconnected and
 * listens again (ConnectNamedPipe blocking in a thread) queues behind one
 * that has been listening since its creation. */
struct listen_thread {
    HANDLE h;
    volatile int entered;
    BOOL ret;
    DWORD err;
};

static void *listen_thread(void *arg)
{
    struct listen_thread *t = arg;
    __atomic_store_n(&t->entered, 1, __ATOMIC_SEQ_CST);
    SetLastError(0xdeadbeef);
    t->ret = ConnectNamedPipe(t->h, NULL);
    t->err = GetLastError();
    return NULL;
}

static int pid_client(void *arg)
{
    struct ctx *c = arg;
    TL_OK(WaitNamedPipeA(c->name, 10000));
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    DWORD me = GetCurrentProcessId();
    tl_write(h, &me, sizeof me);
    tl_expect_signal(&c->r, 9);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_relisten_goes_to_back(void **state)
{
    struct ctx c = {.name = tl_pipe_name("back")};
    tl_rdv_init(&c.r);
    HANDLE s0 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    HANDLE s1 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    /* Client A takes s0 (the first to listen). */
    pid_t a = tl_spawn(pid_client, &c);
    tl_expect_signal(&c.r, 1);
    DWORD avail;
    TL_ASSERT_MSG(PeekNamedPipe(s0, NULL, 0, NULL, &avail, NULL),
                  "the first client did not get the first instance");
    tl_connect(s0);
    DWORD got;
    tl_read_exact(s0, &got, sizeof got);
    TL_EQ(got, (DWORD)a);
    tl_signal(&c.r, 9);
    tl_join(a);
    TL_OK(DisconnectNamedPipe(s0));
    /* s0 listens again, blocking in a thread (the thread owns s0 until a
     * client comes: we do not touch s0 meanwhile). */
    struct listen_thread t = {.h = s0};
    pthread_t th = tl_thread_start(listen_thread, &t);
    while (!__atomic_load_n(&t.entered, __ATOMIC_SEQ_CST))
        tl_sleep_ms(1);
    tl_sleep_ms(100);
    /* Client B: s1 has been listening longer than s0. */
    pid_t b = tl_spawn(pid_client, &c);
    tl_expect_signal(&c.r, 1);
    TL_ASSERT_MSG(PeekNamedPipe(s1, NULL, 0, NULL, &avail, NULL),
                  "the client got the re-listening instance, not the one "
                  "listening since its creation (peek on it: %lu)",
                  (unsigned long)GetLastError());
    tl_connect(s1);
    tl_read_exact(s1, &got, sizeof got);
    TL_EQ(got, (DWORD)b);
    /* Client C gets s0. */
    pid_t cc = tl_spawn(pid_client, &c);
    tl_expect_signal(&c.r, 1);
    tl_thread_join(th);
    TL_ASSERT_MSG(t.ret || t.err == ERROR_PIPE_CONNECTED,
                  "ConnectNamedPipe(s0) failed: %lu", (unsigned long)t.err);
    tl_read_exact(s0, &got, sizeof got);
    TL_EQ(got, (DWORD)cc);
    tl_signal(&c.r, 9);
    tl_signal(&c.r, 9);
    tl_join(b);
    tl_join(cc);
    TL_OK(CloseHandle(s0));
    TL_OK(CloseHandle(s1));
    tl_rdv_close(&c.r);
}

/* ---- FILE_FLAG_FIRST_PIPE_INSTANCE ----------------------------------------- */

static int first_instance_elsewhere(void *arg)
{
    struct ctx *c = arg;
    TL_HANDLE_FAILS(CreateNamedPipeA(c->name,
                                     PIPE_ACCESS_DUPLEX |
                                         FILE_FLAG_FIRST_PIPE_INSTANCE,
                                     PIPE_TYPE_BYTE, 4, 1024, 1024, 0, NULL),
                    ERROR_ACCESS_DENIED);
    /* Without the flag this process may add an instance. */
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 4, 1024,
                         1024);
    TL_OK(CloseHandle(s));
    return 0;
}

static void test_first_pipe_instance(void **state)
{
    struct ctx c = {.name = tl_pipe_name("first")};
    HANDLE s1 = TL_HANDLE(CreateNamedPipeA(
        c.name, PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
        PIPE_TYPE_BYTE, 4, 1024, 1024, 0, NULL));
    HANDLE s2 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 4, 1024,
                          1024);
    TL_HANDLE_FAILS(CreateNamedPipeA(c.name,
                                     PIPE_ACCESS_DUPLEX |
                                         FILE_FLAG_FIRST_PIPE_INSTANCE,
                                     PIPE_TYPE_BYTE, 4, 1024, 1024, 0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateNamedPipeW(tl_wide(c.name),
                                     PIPE_ACCESS_DUPLEX |
                                         FILE_FLAG_FIRST_PIPE_INSTANCE,
                                     PIPE_TYPE_BYTE, 4, 1024, 1024, 0, NULL),
                    ERROR_ACCESS_DENIED);
    tl_join(tl_spawn(first_instance_elsewhere, &c));
    TL_OK(CloseHandle(s1));
    TL_OK(CloseHandle(s2));
    /* All gone: the flag succeeds again. */
    HANDLE s3 = TL_HANDLE(CreateNamedPipeA(
        c.name, PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
        PIPE_TYPE_BYTE, 4, 1024, 1024, 0, NULL));
    TL_OK(CloseHandle(s3));
}

/* ---- Instances must agree on the access mode, and only on that ------------- */

static void test_instances_must_match_access(void **state)
{
    static const DWORD modes[] = {PIPE_ACCESS_DUPLEX, PIPE_ACCESS_INBOUND,
                                  PIPE_ACCESS_OUTBOUND};
    for (int i = 0; i < 3; i++) {
        const char *name = tl_pipe_name("match");
        HANDLE s = tl_server(name, modes[i], PIPE_TYPE_BYTE, 4, 1024, 1024);
        for (int j = 0; j < 3; j++) {
            if (j == i)
                continue;
            SetLastError(0xdeadbeef);
            HANDLE t = CreateNamedPipeA(name, modes[j], PIPE_TYPE_BYTE, 4,
                                        1024, 1024, 0, NULL);
            DWORD e = GetLastError();
            if (t != INVALID_HANDLE_VALUE)
                CloseHandle(t);
            TL_ASSERT_MSG(t == INVALID_HANDLE_VALUE && e == ERROR_ACCESS_DENIED,
                          "instance with access mode %lu after one with %lu: "
                          "%s, error %lu; expected ERROR_ACCESS_DENIED",
                          (unsigned long)modes[j], (unsigned long)modes[i],
                          t == INVALID_HANDLE_VALUE ? "failed" : "succeeded",
                          (unsigned long)e);
        }
        HANDLE same = tl_server(name, modes[i], PIPE_TYPE_BYTE, 4, 1024, 1024);
        TL_OK(CloseHandle(same));
        TL_OK(CloseHandle(s));
    }
    /* Everything else may differ. */
    const char *name = tl_pipe_name("match-other");
    HANDLE a = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT,
                         4, 1024, 1024);
    HANDLE b = TL_HANDLE(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX,
                                          PIPE_TYPE_MESSAGE, 3, 102, 24, 1234,
                                          NULL));
    TL_OK(CloseHandle(a));
    TL_OK(CloseHandle(b));
}

/* ---- Opening ------------------------------------------------------------------ */

static void test_open_missing_pipe(void **state)
{
    const char *name = tl_pipe_name("missing");
    TL_HANDLE_FAILS(CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_FILE_NOT_FOUND);
    TL_HANDLE_FAILS(CreateFileW(tl_wide(name), GENERIC_READ, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_FILE_NOT_FOUND);
    TL_HANDLE_FAILS(CreateFileA(name, 0, 0, NULL, OPEN_EXISTING, 0, NULL),
                    ERROR_FILE_NOT_FOUND);
}

static int outbound_reader(void *arg)
{
    struct ctx *c = arg;
    /* Write access to a pipe the server only writes to: refused. */
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                                0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_ACCESS_DENIED);
    /* The refusals did not use up the instance. */
    HANDLE h = tl_client(c->name, GENERIC_READ);
    tl_expect_str(h, "downstream");
    DWORD n;
    TL_FAILS(WriteFile(h, "up", 2, &n, NULL), ERROR_ACCESS_DENIED);
    TL_OK(CloseHandle(h));
    return 0;
}

static int inbound_writer(void *arg)
{
    struct ctx *c = arg;
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_READ, 0, NULL, OPEN_EXISTING,
                                0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_ACCESS_DENIED);
    HANDLE h = tl_client(c->name, GENERIC_WRITE);
    tl_write_str(h, "upstream");
    char buf[4];
    DWORD n;
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_ACCESS_DENIED);
    TL_OK(FlushFileBuffers(h));
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_open_access_mismatch(void **state)
{
    struct ctx c = {.name = tl_pipe_name("outbound")};
    HANDLE s = tl_server(c.name, PIPE_ACCESS_OUTBOUND, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(outbound_reader, &c);
    tl_connect(s);
    char buf[8];
    DWORD n;
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_ACCESS_DENIED);
    tl_write_str(s, "downstream");
    tl_join(pid);
    TL_OK(CloseHandle(s));

    c.name = tl_pipe_name("inbound");
    s = tl_server(c.name, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE, 1, 1024, 1024);
    pid = tl_spawn(inbound_writer, &c);
    tl_connect(s);
    TL_FAILS(WriteFile(s, "down", 4, &n, NULL), ERROR_ACCESS_DENIED);
    tl_expect_str(s, "upstream");
    tl_join(pid);
    TL_OK(CloseHandle(s));
}

/* A client may open with no data access at all; it still takes the instance. */
static void test_open_without_data_access(void **state)
{
    const char *name = tl_pipe_name("noaccess");
    HANDLE s = tl_server(name, PIPE_ACCESS_OUTBOUND, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = TL_HANDLE(CreateFileA(name, 0, 0, NULL, OPEN_EXISTING, 0, NULL));
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_CONNECTED);
    TL_HANDLE_FAILS(CreateFileA(name, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_PIPE_BUSY);
    char buf[4];
    DWORD n;
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_ACCESS_DENIED);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- Many clients at once -------------------------------------------------------- */

static int racing_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h;
    for (;;) {
        SetLastError(0xdeadbeef);
        h = CreateFileA(c->name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                        OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE)
            break;
        TL_ASSERT_MSG(GetLastError() == ERROR_PIPE_BUSY,
                      "CreateFile: %lu (%s)", (unsigned long)GetLastError(),
                      tl_errname(GetLastError()));
        SetLastError(0xdeadbeef);
        if (!WaitNamedPipeA(c->name, 10000))
            TL_ASSERT_MSG(GetLastError() == ERROR_SEM_TIMEOUT,
                          "WaitNamedPipe: %lu", (unsigned long)GetLastError());
    }
    DWORD me = GetCurrentProcessId();
    tl_write(h, &me, sizeof me);
    char bye[4];
    tl_read_exact(h, bye, 4);
    TL_MEMEQ(bye, "bye", 4);
    tl_write(h, "ack", 4);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_many_clients_at_once(void **state)
{
    struct ctx c = {.name = tl_pipe_name("crowd")};
    enum { N = 4, CLIENTS = 8 };
    HANDLE s[N];
    for (int i = 0; i < N; i++)
        s[i] = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, N, 1024,
                         1024);
    pid_t pids[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        pids[i] = tl_spawn(racing_client, &c);
    int served = 0;
    while (served < CLIENTS) {
        for (int i = 0; i < N && served < CLIENTS; i++) {
            tl_connect(s[i]);
            DWORD pid = 0, recorded = 0;
            tl_read_exact(s[i], &pid, sizeof pid);
            TL_OK(GetNamedPipeClientProcessId(s[i], &recorded));
            TL_EQ(recorded, pid);
            bool ours = false;
            for (int k = 0; k < CLIENTS; k++)
                ours |= (DWORD)pids[k] == pid;
            TL_ASSERT_MSG(ours, "pid %lu is not one of our clients",
                          (unsigned long)pid);
            tl_write(s[i], "bye", 4);
            char ack[4];
            tl_read_exact(s[i], ack, 4);
            TL_MEMEQ(ack, "ack", 4);
            TL_OK(DisconnectNamedPipe(s[i]));
            served++;
        }
    }
    for (int i = 0; i < CLIENTS; i++)
        tl_join(pids[i]);
    for (int i = 0; i < N; i++)
        TL_OK(CloseHandle(s[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_max_instances),
        TL_TEST(test_unlimited_instances),
        TL_TEST(test_busy_without_listener),
        TL_TEST(test_listen_order),
        TL_TEST(test_relisten_goes_to_back),
        TL_TEST(test_first_pipe_instance),
        TL_TEST(test_instances_must_match_access),
        TL_TEST(test_open_missing_pipe),
        TL_TEST(test_open_access_mismatch),
        TL_TEST(test_open_without_data_access),
        TL_TEST(test_many_clients_at_once),
    };
    return TL_RUN(tests);
}
