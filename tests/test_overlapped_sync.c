/*
 * test_overlapped_sync.c — what NT's I/O manager does with a file object
 * in the middle of overlapped I/O (issue 3, items 1 and 2): an OVERLAPPED
 * passed with a handle opened without FILE_FLAG_OVERLAPPED, and when a
 * pipe handle itself is signaled.
 *
 * An OVERLAPPED with a synchronous handle: on Windows the I/O manager
 * waits inside the call for such a handle
 * (FO_SYNCHRONOUS_IO): ReadFile, WriteFile, ConnectNamedPipe and
 * TransactNamedPipe block until the operation is done and never report
 * ERROR_IO_PENDING, yet the OVERLAPPED is still filled in and its event
 * set, as kernel32 passes them down.  npipe sends the request as an
 * overlapped one (so that the event is set after the library wrote the
 * OVERLAPPED); the broker, which knows the file object is synchronous,
 * must then complete it before answering the issuing thread.
 *
 * The file object's own event (what a wait on the pipe handle waits for):
 * signaled from the start, cleared when an I/O is issued, and set when one
 * completes — but only for an operation that has no event of its own
 * (Wine's ntdll test_completion: "event with no APC nor completion:
 * signals only event").
 */
#include "overlapped_util.h"

#include <string.h>

struct late {
    const char *name; /* connect a client to this pipe... */
    HANDLE h;         /* ...or write to this handle */
    const char *data;
    DWORD len;
    unsigned delay_ms;
    HANDLE client;    /* the client it opened */
};

static void *late_thread(void *arg)
{
    struct late *l = arg;
    tl_sleep_ms(l->delay_ms);
    if (l->name)
        l->client = tl_client(l->name, GENERIC_READ | GENERIC_WRITE);
    else
        tl_write(l->h, l->data, l->len);
    return NULL;
}

static void sync_pair(const char *name, DWORD pipe_mode, HANDLE *server, HANDLE *client)
{
    *server = tl_server(name, PIPE_ACCESS_DUPLEX, pipe_mode, 1, 1024, 1024);
    *client = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    if (pipe_mode & PIPE_READMODE_MESSAGE) {
        DWORD mode = PIPE_READMODE_MESSAGE;
        TL_OK(SetNamedPipeHandleState(*client, &mode, NULL, NULL));
    }
}

static void test_read_blocks(void **state)
{
    (void)state;
    HANDLE server, client;
    sync_pair(tl_pipe_name("sread"), PIPE_TYPE_BYTE, &server, &client);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    struct late l = {.h = client, .data = "late", .len = 4, .delay_ms = 100};
    pthread_t t = tl_thread_start(late_thread, &l);
    char buf[16];
    DWORD n = 0xdeadbeef;
    uint64_t t0 = tl_now_ms();
    TL_OK(ReadFile(server, buf, sizeof buf, &n, &ov));
    TL_ASSERT(tl_now_ms() - t0 >= 80);
    TL_EQ(n, 4);
    TL_MEMEQ(buf, "late", 4);
    TL_EQ(ov_status(&ov), OV_STATUS_SUCCESS);
    TL_EQ(ov.InternalHigh, 4);
    ov_wait(ov.hEvent);
    tl_thread_join(t);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

static void test_write_sets_event(void **state)
{
    (void)state;
    HANDLE server, client;
    sync_pair(tl_pipe_name("swrite"), PIPE_TYPE_BYTE, &server, &client);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    DWORD n = 0xdeadbeef;
    TL_OK(WriteFile(server, "back", 4, &n, &ov));
    TL_EQ(n, 4);
    TL_EQ(ov_status(&ov), OV_STATUS_SUCCESS);
    TL_EQ(ov.InternalHigh, 4);
    ov_wait(ov.hEvent);
    char buf[4];
    tl_read_exact(client, buf, 4);
    TL_MEMEQ(buf, "back", 4);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

static void test_connect_blocks(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("sconnect");
    HANDLE server = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024, 1024);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    struct late l = {.name = name, .delay_ms = 100};
    pthread_t t = tl_thread_start(late_thread, &l);
    TL_OK(ConnectNamedPipe(server, &ov));
    TL_EQ(ov_status(&ov), OV_STATUS_SUCCESS);
    ov_wait(ov.hEvent);
    tl_thread_join(t);
    CloseHandle(l.client);
    CloseHandle(ov.hEvent);
    CloseHandle(server);
}

static void test_transact_blocks(void **state)
{
    (void)state;
    HANDLE server, client;
    sync_pair(tl_pipe_name("stransact"), PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE,
              &server, &client);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    struct late l = {.h = server, .data = "reply", .len = 5, .delay_ms = 100};
    pthread_t t = tl_thread_start(late_thread, &l);
    char buf[16];
    DWORD n = 0xdeadbeef;
    TL_OK(TransactNamedPipe(client, "ask", 3, buf, sizeof buf, &n, &ov));
    TL_EQ(n, 5);
    TL_MEMEQ(buf, "reply", 5);
    TL_EQ(ov.InternalHigh, 5);
    ov_wait(ov.hEvent);
    tl_thread_join(t);
    char q[8];
    TL_EQ(tl_read(server, q, sizeof q), 3);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

/* Windows: a pipe handle is signaled from the start, and an overlapped
 * operation that has its own event does not signal the handle (the I/O
 * manager sets the file object's event only when there is no other). */
static void test_pipe_handle_signal_rules(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("sigrules");
    HANDLE server = ov_server(name, PIPE_TYPE_BYTE, 1, 1024, 1024);
    TL_EQ(WaitForSingleObject(server, 0), WAIT_OBJECT_0);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    TL_FAILS(ConnectNamedPipe(server, &ov), ERROR_IO_PENDING);
    TL_EQ(WaitForSingleObject(server, 0), WAIT_TIMEOUT);
    HANDLE client = ov_client(name);
    TL_EQ(WaitForSingleObject(client, 0), WAIT_OBJECT_0);
    ov_wait(ov.hEvent);
    TL_EQ(WaitForSingleObject(server, OV_QUIET_MS), WAIT_TIMEOUT);
    CloseHandle(ov.hEvent);
    CloseHandle(client);
    CloseHandle(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_read_blocks),
        TL_TEST(test_write_sets_event),
        TL_TEST(test_connect_blocks),
        TL_TEST(test_transact_blocks),
        TL_TEST(test_pipe_handle_signal_rules),
    };
    return TL_RUN(tests);
}
