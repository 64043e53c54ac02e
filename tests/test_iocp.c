/*
 * test_iocp.c — I/O completion ports (issue 3, item 4):
 * CreateIoCompletionPort (create, associate with a key, both at once,
 * errors), GetQueuedCompletionStatus(Ex), PostQueuedCompletionStatus,
 * SetFileCompletionNotificationModes.  Packets carry the key and the exact
 * OVERLAPPED pointer; an immediate failure queues none; an immediate
 * success queues one unless FILE_SKIP_COMPLETION_PORT_ON_SUCCESS; hEvent
 * with its low bit set queues none.
 */
#include "overlapped_util.h"

#include <string.h>

static HANDLE new_port(void)
{
    SetLastError(0xdeadbeef);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    TL_ASSERT_MSG(port != NULL, "CreateIoCompletionPort: %lu",
                  (unsigned long)GetLastError());
    return port;
}

/* The next packet: must come within OV_SOON_MS and be a success. */
static void expect_packet(HANDLE port, ULONG_PTR key, LPOVERLAPPED ov, DWORD bytes)
{
    DWORD n = 0xdeadbeef;
    ULONG_PTR k = 0xdeadbeef;
    LPOVERLAPPED got = (LPOVERLAPPED)(uintptr_t)0xdeadbeef;
    SetLastError(0xdeadbeef);
    BOOL ok = GetQueuedCompletionStatus(port, &n, &k, &got, OV_SOON_MS);
    TL_ASSERT_MSG(ok, "GetQueuedCompletionStatus failed: %lu (%s)",
                  (unsigned long)GetLastError(), tl_errname(GetLastError()));
    TL_EQ(k, key);
    TL_EQ((uintptr_t)got, (uintptr_t)ov);
    TL_EQ(n, bytes);
}

static void expect_no_packet(HANDLE port)
{
    DWORD n = 0xdeadbeef;
    ULONG_PTR k = 0xdeadbeef;
    LPOVERLAPPED got = (LPOVERLAPPED)(uintptr_t)0xdeadbeef;
    SetLastError(0xdeadbeef);
    BOOL ok = GetQueuedCompletionStatus(port, &n, &k, &got, OV_QUIET_MS);
    TL_ASSERT_MSG(!ok, "an unexpected packet: key %lu, overlapped %p, %lu bytes",
                  (unsigned long)k, (void *)got, (unsigned long)n);
    TL_EQ(GetLastError(), WAIT_TIMEOUT);
    TL_ASSERT(got == NULL);
    TL_EQ(n, 0xdeadbeef); /* untouched */
}

static void test_post_and_get(void **state)
{
    (void)state;
    HANDLE port = new_port();
    expect_no_packet(port);
    uint64_t t0 = tl_now_ms();
    DWORD n;
    ULONG_PTR key;
    LPOVERLAPPED ov = (LPOVERLAPPED)(uintptr_t)1;
    TL_FAILS(GetQueuedCompletionStatus(port, &n, &key, &ov, 0), WAIT_TIMEOUT);
    TL_ASSERT(ov == NULL);
    TL_ASSERT(tl_now_ms() - t0 < 1000);

    OVERLAPPED a, b;
    TL_OK(PostQueuedCompletionStatus(port, 11, 1, &a));
    TL_OK(PostQueuedCompletionStatus(port, 22, 2, &b));
    TL_OK(PostQueuedCompletionStatus(port, 0, 0, NULL));
    expect_packet(port, 1, &a, 11); /* first in, first out */
    expect_packet(port, 2, &b, 22);
    expect_packet(port, 0, NULL, 0);
    expect_no_packet(port);

    TL_FAILS(PostQueuedCompletionStatus(NULL, 0, 0, NULL), ERROR_INVALID_HANDLE);
    HANDLE ev = ov_event(TRUE, FALSE);
    TL_FAILS(PostQueuedCompletionStatus(ev, 0, 0, NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(GetQueuedCompletionStatus(ev, &n, &key, &ov, 0), ERROR_INVALID_HANDLE);
    CloseHandle(ev);
    CloseHandle(port);
}

static void test_get_ex(void **state)
{
    (void)state;
    HANDLE port = new_port();
    OVERLAPPED ovs[5];
    for (int i = 0; i < 5; i++)
        TL_OK(PostQueuedCompletionStatus(port, 100 + i, 10 + i, &ovs[i]));
    OVERLAPPED_ENTRY e[8];
    ULONG got = 0xdeadbeef;
    TL_OK(GetQueuedCompletionStatusEx(port, e, 3, &got, 0, FALSE));
    TL_EQ(got, 3);
    for (int i = 0; i < 3; i++) {
        TL_EQ(e[i].lpCompletionKey, 10 + i);
        TL_EQ((uintptr_t)e[i].lpOverlapped, (uintptr_t)&ovs[i]);
        TL_EQ(e[i].dwNumberOfBytesTransferred, 100 + i);
        TL_EQ(e[i].Internal, 0);
    }
    TL_OK(GetQueuedCompletionStatusEx(port, e, 8, &got, OV_SOON_MS, FALSE));
    TL_EQ(got, 2);
    TL_EQ(e[1].lpCompletionKey, 14);
    got = 0xdeadbeef;
    TL_FAILS(GetQueuedCompletionStatusEx(port, e, 8, &got, 30, FALSE), WAIT_TIMEOUT);
    TL_EQ(got, 0);
    TL_FAILS(GetQueuedCompletionStatusEx(port, e, 0, &got, 0, FALSE),
             ERROR_INVALID_PARAMETER);
    CloseHandle(port);
}

static void test_associate_and_complete(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("assoc"), PIPE_TYPE_BYTE, 1024, &server, &client);
    HANDLE port = new_port();
    TL_ASSERT(CreateIoCompletionPort(server, port, 0x5e, 0) == port);
    TL_ASSERT(CreateIoCompletionPort(client, port, 0xc1, 0) == port);
    char sbuf[16], cbuf[16];
    OVERLAPPED rs = {0}, rc = {0}, w = {0};
    ov_read_pending(server, sbuf, sizeof sbuf, &rs);
    ov_read_pending(client, cbuf, sizeof cbuf, &rc);
    expect_no_packet(port);
    DWORD n;
    /* An immediate success queues a packet too (no skip mode). */
    TL_OK(WriteFile(client, "to-server", 9, &n, &w));
    TL_EQ(n, 9);
    /* Two packets, in some order: the write's and the server read's. */
    bool saw_w = false, saw_rs = false;
    for (int i = 0; i < 2; i++) {
        DWORD bytes;
        ULONG_PTR key;
        LPOVERLAPPED ov;
        TL_OK(GetQueuedCompletionStatus(port, &bytes, &key, &ov, OV_SOON_MS));
        TL_EQ(bytes, 9);
        if (ov == &w) {
            TL_EQ(key, 0xc1);
            saw_w = true;
        } else {
            TL_ASSERT(ov == &rs);
            TL_EQ(key, 0x5e);
            TL_EQ(ov_status(&rs), OV_STATUS_SUCCESS); /* written before queued */
            TL_EQ(rs.InternalHigh, 9);
            TL_MEMEQ(sbuf, "to-server", 9);
            saw_rs = true;
        }
    }
    TL_ASSERT(saw_w && saw_rs);
    tl_write(server, "back", 4);
    expect_packet(port, 0xc1, &rc, 4);
    TL_MEMEQ(cbuf, "back", 4);
    expect_no_packet(port);
    CloseHandle(client);
    CloseHandle(server);
    CloseHandle(port);
}

static void test_create_and_associate_at_once(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("once"), PIPE_TYPE_BYTE, 1024, &server, &client);
    HANDLE port = CreateIoCompletionPort(server, NULL, 77, 1);
    TL_ASSERT(port != NULL && port != INVALID_HANDLE_VALUE);
    char buf[8];
    OVERLAPPED ov = {0};
    ov_read_pending(server, buf, sizeof buf, &ov);
    tl_write(client, "k", 1);
    expect_packet(port, 77, &ov, 1);

    /* Errors. */
    SetLastError(0xdeadbeef);
    TL_ASSERT(CreateIoCompletionPort(server, port, 1, 0) == NULL); /* already */
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0xdeadbeef);
    TL_ASSERT(CreateIoCompletionPort(INVALID_HANDLE_VALUE, port, 1, 0) == NULL);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    HANDLE ev = ov_event(TRUE, FALSE);
    SetLastError(0xdeadbeef);
    TL_ASSERT(CreateIoCompletionPort(client, ev, 1, 0) == NULL); /* not a port */
    TL_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0xdeadbeef);
    TL_ASSERT(CreateIoCompletionPort(NULL, NULL, 1, 0) == NULL);
    TL_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    /* The client is still free to join a port. */
    HANDLE port2 = CreateIoCompletionPort(client, NULL, 5, 0);
    TL_ASSERT(port2 != NULL);
    CloseHandle(ev);
    CloseHandle(client);
    CloseHandle(server);
    CloseHandle(port);
    CloseHandle(port2);
}

/* No packet for: an immediate failure, an OVERLAPPED whose hEvent has its
 * low bit set, and — with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS — an
 * immediate success; a pended operation still queues one. */
static void test_no_packet_cases(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("nopacket"), PIPE_TYPE_BYTE, 1024, &server, &client);
    HANDLE port = CreateIoCompletionPort(client, NULL, 9, 0);
    TL_ASSERT(port != NULL);
    char buf[16];
    DWORD n;
    OVERLAPPED ov = {0};

    /* An immediate failure: the server end is closed below, so a write
     * fails at once. */
    HANDLE ev = ov_event(TRUE, FALSE);
    OVERLAPPED low = {0};
    low.hEvent = (HANDLE)((ULONG_PTR)ev | 1);
    ov_read_pending(client, buf, sizeof buf, &low);
    tl_write(server, "lowbit", 6);
    ov_wait(ev);
    TL_EQ(low.InternalHigh, 6);
    expect_no_packet(port);

    TL_FAILS(SetFileCompletionNotificationModes(client, 4), ERROR_INVALID_PARAMETER);
    TL_OK(SetFileCompletionNotificationModes(client, FILE_SKIP_COMPLETION_PORT_ON_SUCCESS));
    TL_OK(WriteFile(client, "skip", 4, &n, &ov));
    TL_EQ(n, 4);
    TL_EQ(ov.InternalHigh, 4);
    expect_no_packet(port);
    tl_read_exact(server, buf, 4);
    /* Pending, then done: a packet even in skip mode. */
    ov_read_pending(client, buf, sizeof buf, &ov);
    tl_write(server, "pend", 4);
    expect_packet(port, 9, &ov, 4);

    CloseHandle(server);
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WriteFile(client, "x", 1, &n, &ov));
    TL_ASSERT(GetLastError() != ERROR_IO_PENDING);
    expect_no_packet(port);
    CloseHandle(ev);
    CloseHandle(client);
    CloseHandle(port);
}

/* A failed (cancelled) operation's packet: GetQueuedCompletionStatus is
 * FALSE with the OVERLAPPED and the error; the Ex form returns it in
 * Internal. */
static void test_failed_packet(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("failed"), PIPE_TYPE_BYTE, 1024, &server, &client);
    HANDLE port = CreateIoCompletionPort(server, NULL, 3, 0);
    char buf[8];
    OVERLAPPED a = {0}, b = {0};
    ov_read_pending(server, buf, sizeof buf, &a);
    TL_OK(CancelIoEx(server, &a));
    DWORD n = 0xdeadbeef;
    ULONG_PTR key = 0;
    LPOVERLAPPED got = NULL;
    TL_FAILS(GetQueuedCompletionStatus(port, &n, &key, &got, OV_SOON_MS),
             ERROR_OPERATION_ABORTED);
    TL_ASSERT(got == &a);
    TL_EQ(key, 3);
    TL_EQ(n, 0);
    ov_read_pending(server, buf, sizeof buf, &b);
    TL_OK(CancelIoEx(server, &b));
    OVERLAPPED_ENTRY e[2];
    ULONG count = 0;
    TL_OK(GetQueuedCompletionStatusEx(port, e, 2, &count, OV_SOON_MS, FALSE));
    TL_EQ(count, 1);
    TL_ASSERT(e[0].lpOverlapped == &b);
    TL_EQ((DWORD)e[0].Internal, OV_STATUS_CANCELLED);
    CloseHandle(client);
    CloseHandle(server);
    CloseHandle(port);
}

/* Closing a port's last handle ends a wait on it: FALSE, no OVERLAPPED,
 * ERROR_ABANDONED_WAIT_0. */
struct port_waiter {
    HANDLE port;
    BOOL ok;
    DWORD err;
    LPOVERLAPPED ov;
    ULONG_PTR key;
    int order;
};

static _Atomic int g_order;

static void *port_wait(void *arg)
{
    struct port_waiter *w = arg;
    DWORD n;
    w->ov = (LPOVERLAPPED)(uintptr_t)1;
    SetLastError(0xdeadbeef);
    w->ok = GetQueuedCompletionStatus(w->port, &n, &w->key, &w->ov, 10000);
    w->err = GetLastError();
    w->order = ++g_order;
    return NULL;
}

static void test_close_port_while_waiting(void **state)
{
    (void)state;
    HANDLE port = new_port();
    struct port_waiter w = {.port = port};
    pthread_t t = tl_thread_start(port_wait, &w);
    tl_sleep_ms(200);
    TL_OK(CloseHandle(port));
    tl_thread_join(t);
    TL_ASSERT(!w.ok);
    TL_EQ(w.err, ERROR_ABANDONED_WAIT_0);
    TL_ASSERT(w.ov == NULL);
}

/* Waiting threads are woken last in, first out. */
static void test_lifo_waiters(void **state)
{
    (void)state;
    HANDLE port = new_port();
    struct port_waiter first = {.port = port}, second = {.port = port};
    pthread_t t1 = tl_thread_start(port_wait, &first);
    tl_sleep_ms(200);
    pthread_t t2 = tl_thread_start(port_wait, &second);
    tl_sleep_ms(200);
    TL_OK(PostQueuedCompletionStatus(port, 1, 111, NULL));
    tl_sleep_ms(200);
    TL_OK(PostQueuedCompletionStatus(port, 2, 222, NULL));
    tl_thread_join(t1);
    tl_thread_join(t2);
    TL_ASSERT(first.ok && second.ok);
    TL_EQ(second.key, 111);
    TL_EQ(first.key, 222);
    CloseHandle(port);
}

/* FILE_SKIP_SET_EVENT_ON_HANDLE: completions leave the handle alone. */
static void test_skip_set_event_on_handle(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("skipevent"), PIPE_TYPE_BYTE, 1024, &server, &client);
    HANDLE port = CreateIoCompletionPort(server, NULL, 1, 0);
    char buf[8];
    OVERLAPPED ov = {0};
    ov_read_pending(server, buf, sizeof buf, &ov);
    tl_write(client, "a", 1);
    expect_packet(port, 1, &ov, 1);
    TL_EQ(WaitForSingleObject(server, 0), WAIT_OBJECT_0);
    TL_OK(SetFileCompletionNotificationModes(server, FILE_SKIP_SET_EVENT_ON_HANDLE));
    ov_read_pending(server, buf, sizeof buf, &ov);
    tl_write(client, "b", 1);
    expect_packet(port, 1, &ov, 1);
    /* Still signaled from before: skip mode neither sets nor clears it. */
    TL_EQ(WaitForSingleObject(server, 0), WAIT_OBJECT_0);
    CloseHandle(client);
    CloseHandle(server);
    CloseHandle(port);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_post_and_get),
        TL_TEST(test_get_ex),
        TL_TEST(test_associate_and_complete),
        TL_TEST(test_create_and_associate_at_once),
        TL_TEST(test_no_packet_cases),
        TL_TEST(test_failed_packet),
        TL_TEST(test_close_port_while_waiting),
        TL_TEST(test_lifo_waiters),
        TL_TEST(test_skip_set_event_on_handle),
    };
    return TL_RUN(tests);
}
