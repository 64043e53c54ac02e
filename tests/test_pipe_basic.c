/*
 * test_pipe_basic.c — connecting, byte-pipe I/O and disconnecting, with the
 * server and its clients in separate processes.
 *
 * Windows behaviour checked here (Wine's dlls/kernel32/tests/pipe.c, run on
 * Windows: test_CreateNamedPipe, test_DisconnectNamedPipe, test_NamedPipe_2;
 * Microsoft Learn, ConnectNamedPipe):
 *  - a client may open before ConnectNamedPipe, which then fails with
 *    ERROR_PIPE_CONNECTED; otherwise ConnectNamedPipe waits for a client;
 *  - ConnectNamedPipe / DisconnectNamedPipe on a client handle fail with
 *    ERROR_INVALID_FUNCTION;
 *  - ReadFile / WriteFile on a listening server fail with
 *    ERROR_PIPE_LISTENING;
 *  - after DisconnectNamedPipe, I/O on the server and on the old client
 *    handle fails with ERROR_PIPE_NOT_CONNECTED, a second Disconnect too,
 *    and unread data in both directions is discarded;
 *  - ConnectNamedPipe after the client closed (but before a disconnect)
 *    fails with ERROR_NO_DATA;
 *  - the server can serve one client after another with Disconnect +
 *    Connect.
 */
#include "testlib.h"

#include <string.h>
#include <unistd.h>

struct ctx {
    const char *name;
    tl_rdv r;
    int n;
};

/* ---- Echo both ways across processes --------------------------------- */

static int echo_client(void *arg)
{
    struct ctx *c = arg;
    tl_expect_signal(&c->r, 1); /* the server exists */
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    for (int i = 0; i < 5; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "ping %d from %d", i, (int)getpid());
        tl_write_str(h, msg);
        snprintf(msg, sizeof msg, "pong %d to %d", i, (int)getpid());
        tl_expect_str(h, msg);
    }
    /* A bulk transfer larger than the pipe's quota and than one packet. */
    static unsigned char big[200000];
    tl_fill(big, sizeof big, 7);
    tl_write(h, big, sizeof big);
    memset(big, 0, sizeof big);
    tl_read_exact(h, big, sizeof big);
    TL_ASSERT_MSG(tl_check_fill(big, sizeof big, 8, 0),
                  "bulk data from the server arrived damaged");
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_byte_echo_cross_process(void **state)
{
    struct ctx c = {.name = tl_pipe_name("echo")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE | PIPE_WAIT,
                         1, 4096, 4096);
    pid_t pid = tl_spawn(echo_client, &c);
    tl_signal(&c.r, 1);
    tl_connect(s);
    for (int i = 0; i < 5; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "ping %d from %d", i, (int)pid);
        tl_expect_str(s, msg);
        snprintf(msg, sizeof msg, "pong %d to %d", i, (int)pid);
        tl_write_str(s, msg);
    }
    static unsigned char big[200000];
    tl_read_exact(s, big, sizeof big);
    TL_ASSERT_MSG(tl_check_fill(big, sizeof big, 7, 0),
                  "bulk data from the client arrived damaged");
    tl_fill(big, sizeof big, 8);
    tl_write(s, big, sizeof big);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- Client opens before ConnectNamedPipe ------------------------------ */

static int early_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1); /* opened */
    tl_expect_str(h, "hello");
    tl_write_str(h, "world");
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_client_opens_before_connect(void **state)
{
    struct ctx c = {.name = tl_pipe_name("early")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(early_client, &c);
    tl_expect_signal(&c.r, 1);
    /* The instance is already connected: Windows says so with an error. */
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_CONNECTED);
    /* ...and saying it again changes nothing. */
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_CONNECTED);
    tl_write_str(s, "hello");
    tl_expect_str(s, "world");
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- ConnectNamedPipe waits for a client --------------------------------- */

struct connect_thread {
    HANDLE h;
    volatile int entered, done;
    BOOL ret;
    DWORD err;
};

static void *connect_thread(void *arg)
{
    struct connect_thread *t = arg;
    __atomic_store_n(&t->entered, 1, __ATOMIC_SEQ_CST);
    SetLastError(0xdeadbeef);
    t->ret = ConnectNamedPipe(t->h, NULL);
    t->err = GetLastError();
    __atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static int late_client(void *arg)
{
    struct ctx *c = arg;
    tl_expect_signal(&c->r, 1);
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "late");
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_connect_waits_for_client(void **state)
{
    struct ctx c = {.name = tl_pipe_name("wait4client")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(late_client, &c);
    struct connect_thread t = {.h = s};
    pthread_t th = tl_thread_start(connect_thread, &t);
    while (!__atomic_load_n(&t.entered, __ATOMIC_SEQ_CST))
        tl_sleep_ms(1);
    tl_sleep_ms(200); /* time for the thread's request to reach the broker */
    TL_ASSERT_MSG(!__atomic_load_n(&t.done, __ATOMIC_SEQ_CST),
                  "ConnectNamedPipe returned (ret %d, error %lu) before any "
                  "client opened the pipe",
                  (int)t.ret, (unsigned long)t.err);
    tl_signal(&c.r, 1); /* now open */
    tl_thread_join(th);
    TL_ASSERT_MSG(t.ret, "ConnectNamedPipe failed with %lu (%s); a client "
                  "opening while it waits makes it succeed",
                  (unsigned long)t.err, tl_errname(t.err));
    tl_expect_str(s, "late");
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- Server-only calls on a client handle -------------------------------- */

static void test_server_calls_on_client_handle(void **state)
{
    const char *name = tl_pipe_name("clientfn");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    TL_FAILS(ConnectNamedPipe(h, NULL), ERROR_INVALID_FUNCTION);
    TL_FAILS(DisconnectNamedPipe(h), ERROR_INVALID_FUNCTION);
    /* The failed calls did nothing to the connection. */
    tl_write_str(h, "still here");
    tl_expect_str(s, "still here");
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- I/O on a listening server -------------------------------------------- */

static void test_io_on_listening_server(void **state)
{
    const char *name = tl_pipe_name("listening");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    char buf[16];
    DWORD n = 0xdeadbeef;
    TL_FAILS(WriteFile(s, "abc", 3, &n, NULL), ERROR_PIPE_LISTENING);
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_PIPE_LISTENING);
    /* Same for a message pipe. */
    const char *name2 = tl_pipe_name("listening-msg");
    HANDLE m = tl_server(name2, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 1024,
                         1024);
    TL_FAILS(WriteFile(m, "abc", 3, &n, NULL), ERROR_PIPE_LISTENING);
    TL_FAILS(ReadFile(m, buf, sizeof buf, &n, NULL), ERROR_PIPE_LISTENING);
    TL_OK(CloseHandle(m));
    TL_OK(CloseHandle(s));
}

/* ---- DisconnectNamedPipe: errors on both ends ------------------------------ */

static int disconnected_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "never read");
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2); /* the server disconnected us */
    char buf[32];
    DWORD n = 0xdeadbeef, avail = 0xdeadbeef;
    /* The server wrote to us before disconnecting: that data is gone too. */
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_PIPE_NOT_CONNECTED);
    TL_FAILS(WriteFile(h, "x", 1, &n, NULL), ERROR_PIPE_NOT_CONNECTED);
    TL_FAILS(PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL),
             ERROR_PIPE_NOT_CONNECTED);
    TL_FAILS(FlushFileBuffers(h), ERROR_PIPE_NOT_CONNECTED);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_disconnect_errors(void **state)
{
    struct ctx c = {.name = tl_pipe_name("disc")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(disconnected_client, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    tl_write_str(s, "also never read");
    TL_OK(DisconnectNamedPipe(s));
    char buf[32];
    DWORD n = 0xdeadbeef, avail = 0xdeadbeef;
    TL_FAILS(WriteFile(s, "x", 1, &n, NULL), ERROR_PIPE_NOT_CONNECTED);
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_PIPE_NOT_CONNECTED);
    TL_FAILS(DisconnectNamedPipe(s), ERROR_PIPE_NOT_CONNECTED);
    TL_FAILS(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL), ERROR_BAD_PIPE);
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- Disconnect discards data; the next client starts clean ---------------- */

static int first_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "from A");
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2);
    char buf[32];
    DWORD n = 0xdeadbeef;
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_PIPE_NOT_CONNECTED);
    TL_OK(CloseHandle(h));
    return 0;
}

static int second_client(void *arg)
{
    struct ctx *c = arg;
    /* Wait until the server listens again, then open. */
    TL_OK(WaitNamedPipeA(c->name, 10000));
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    DWORD avail = 0xdeadbeef;
    TL_OK(PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 0); /* nothing left over from A's connection */
    tl_write_str(h, "from B");
    tl_expect_str(h, "to B"); /* not "to A" */
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_disconnect_discards_data(void **state)
{
    struct ctx c = {.name = tl_pipe_name("discard")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 4096,
                         4096);
    pid_t a = tl_spawn(first_client, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    tl_write_str(s, "to A"); /* A never reads this */
    DWORD avail = 0;
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, strlen("from A") + 1); /* and we never read A's */
    TL_OK(DisconnectNamedPipe(s));
    tl_signal(&c.r, 2);
    tl_join(a);

    pid_t b = tl_spawn(second_client, &c);
    tl_connect(s);
    tl_expect_str(s, "from B");
    tl_write_str(s, "to B");
    tl_join(b);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- ConnectNamedPipe after the client closed ------------------------------- */

static int open_and_close(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    TL_OK(CloseHandle(h));
    tl_signal(&c->r, 1);
    return 0;
}

static void test_connect_after_client_closed(void **state)
{
    struct ctx c = {.name = tl_pipe_name("closedclient")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(open_and_close, &c);
    tl_expect_signal(&c.r, 1);
    tl_join(pid);
    /* The instance is closing: it must be disconnected before it can listen
     * again, and no other client can open it meanwhile. */
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_NO_DATA);
    TL_HANDLE_FAILS(CreateFileA(c.name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_PIPE_BUSY);
    TL_OK(DisconnectNamedPipe(s));
    /* Disconnected but not listening: still busy for clients. */
    TL_HANDLE_FAILS(CreateFileA(c.name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_PIPE_BUSY);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- One server, a sequence of clients ------------------------------------- */

static int serial_client(void *arg)
{
    struct ctx *c = arg;
    TL_OK(WaitNamedPipeA(c->name, 10000));
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    char msg[32], reply[32];
    snprintf(msg, sizeof msg, "client %d", c->n);
    snprintf(reply, sizeof reply, "served %d", c->n);
    tl_write_str(h, msg);
    tl_expect_str(h, reply);
    tl_expect_signal(&c->r, 5); /* the server's flush returned */
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_serve_clients_in_turn(void **state)
{
    struct ctx c = {.name = tl_pipe_name("serial")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    for (int i = 0; i < 4; i++) {
        c.n = i;
        pid_t pid = tl_spawn(serial_client, &c);
        tl_connect(s);
        char msg[32], reply[32];
        snprintf(msg, sizeof msg, "client %d", i);
        snprintf(reply, sizeof reply, "served %d", i);
        tl_expect_str(s, msg);
        tl_write_str(s, reply);
        TL_OK(FlushFileBuffers(s)); /* the client has read the reply */
        tl_signal(&c.r, 5);
        TL_OK(DisconnectNamedPipe(s));
        tl_join(pid);
    }
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- The pipe disappears with its last instance ----------------------------- */

static void test_pipe_gone_after_last_close(void **state)
{
    const char *name = tl_pipe_name("gone");
    HANDLE s1 = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    HANDLE s2 = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 1024,
                          1024);
    TL_OK(CloseHandle(s1));
    /* One instance is left: the name still exists. */
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s2));
    TL_HANDLE_FAILS(CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_FILE_NOT_FOUND);
    /* ...and a new first instance may be created again. */
    HANDLE s3 = TL_HANDLE(CreateNamedPipeA(
        name, PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
        PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL));
    TL_OK(CloseHandle(s3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_byte_echo_cross_process),
        TL_TEST(test_client_opens_before_connect),
        TL_TEST(test_connect_waits_for_client),
        TL_TEST(test_server_calls_on_client_handle),
        TL_TEST(test_io_on_listening_server),
        TL_TEST(test_disconnect_errors),
        TL_TEST(test_disconnect_discards_data),
        TL_TEST(test_connect_after_client_closed),
        TL_TEST(test_serve_clients_in_turn),
        TL_TEST(test_pipe_gone_after_last_close),
    };
    return TL_RUN(tests);
}
