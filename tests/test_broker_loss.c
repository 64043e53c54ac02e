/*
 * test_broker_loss.c — DESIGN.md invariant 7, "broker loss is loud": when
 * the broker dies, calls in flight fail (ERROR_BROKEN_PIPE for pipe I/O),
 * handles from before are invalid (ERROR_INVALID_HANDLE), and new calls
 * reach a new broker, which the library starts by itself.
 *
 * The broker killed here is this test program's private one (the npiped
 * process serving $NPIPE_BROKER).
 */
#include "testlib.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

struct pending_read {
    HANDLE h;
    volatile int entered;
    BOOL ret;
    DWORD err;
};

static void *blocked_reader(void *arg)
{
    struct pending_read *p = arg;
    char buf[8];
    DWORD n;
    __atomic_store_n(&p->entered, 1, __ATOMIC_SEQ_CST);
    SetLastError(0xdeadbeef);
    p->ret = ReadFile(p->h, buf, sizeof buf, &n, NULL);
    p->err = GetLastError();
    return NULL;
}

struct ctx {
    const char *name;
    tl_rdv r;
};

static int new_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "new broker");
    ULONG pid = 0;
    TL_OK(GetNamedPipeClientProcessId(h, &pid));
    TL_EQ(pid, getpid());
    tl_expect_str(h, "ok");
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_broker_loss_is_loud(void **state)
{
    const char *path = tl_broker_path();
    if (!path) {
        print_message("NPIPE_BROKER is not set: not killing a shared "
                      "broker; skipping\n");
        skip();
    }
    const char *name = tl_pipe_name("loss");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    pid_t broker = tl_find_broker(path);
    if (!broker) {
        print_message("cannot find the npiped serving %s; skipping\n", path);
        skip();
    }

    struct pending_read p = {.h = s};
    pthread_t th = tl_thread_start(blocked_reader, &p);
    while (!__atomic_load_n(&p.entered, __ATOMIC_SEQ_CST))
        tl_sleep_ms(1);
    tl_sleep_ms(200); /* the read is in the broker */
    tl_kill_broker(broker);
    tl_thread_join(th);
    TL_ASSERT_MSG(!p.ret && p.err == ERROR_BROKEN_PIPE,
                  "a ReadFile in flight when the broker died: %s, error %lu "
                  "(%s); expected ERROR_BROKEN_PIPE",
                  p.ret ? "succeeded" : "failed", (unsigned long)p.err,
                  tl_errname(p.err));

    /* New calls reach a new broker, started by the library. */
    struct ctx c = {.name = tl_pipe_name("loss-after")};
    HANDLE s2 = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                          1024);
    pid_t broker2 = tl_find_broker(path);
    TL_ASSERT_MSG(broker2 != 0 && broker2 != broker,
                  "no new broker on %s (old %d, now %d)", path, (int)broker,
                  (int)broker2);
    pid_t pid = tl_spawn(new_client, &c);
    tl_connect(s2);
    tl_expect_str(s2, "new broker");
    tl_write_str(s2, "ok");
    tl_join(pid);
    ULONG sv = 0;
    TL_OK(GetNamedPipeServerProcessId(s2, &sv));
    TL_EQ(sv, getpid());

    /* Handles from before mean nothing now. */
    char buf[4];
    DWORD n;
    TL_FAILS(WriteFile(h, "x", 1, &n, NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(ReadFile(s, buf, sizeof buf, &n, NULL), ERROR_INVALID_HANDLE);
    ULONG v;
    TL_FAILS(GetNamedPipeServerProcessId(s, &v), ERROR_INVALID_HANDLE);
    TL_FAILS(CloseHandle(h), ERROR_INVALID_HANDLE);
    TL_FAILS(CloseHandle(s), ERROR_INVALID_HANDLE);
    /* ...and they did not close anything of the new broker's. */
    TL_OK(GetNamedPipeServerProcessId(s2, &sv));
    TL_OK(CloseHandle(s2));
    /* The old pipe died with the old broker. */
    TL_HANDLE_FAILS(CreateFileA(name, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_FILE_NOT_FOUND);
}

/* The broker dies while this process is idle: the first call afterwards,
 * on a handle from before, is not a call in flight; the handle is simply
 * invalid. */
static void test_stale_handle_after_idle_loss(void **state)
{
    const char *path = tl_broker_path();
    if (!path) {
        print_message("NPIPE_BROKER is not set; skipping\n");
        skip();
    }
    const char *name = tl_pipe_name("idle-loss");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    pid_t broker = tl_find_broker(path);
    if (!broker) {
        print_message("cannot find the npiped serving %s; skipping\n", path);
        skip();
    }
    tl_kill_broker(broker);
    DWORD n;
    TL_FAILS(WriteFile(h, "x", 1, &n, NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(CloseHandle(s), ERROR_INVALID_HANDLE);
}

/* A child blocked in the broker when the broker dies fails the same way, and
 * its next call works (every process finds the new broker). */
static int child_reader(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1); /* about to read */
    char buf[4];
    DWORD n;
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_FAILS(CloseHandle(h), ERROR_INVALID_HANDLE);
    const char *mine = tl_pipe_name("child-after");
    HANDLE s = tl_server(mine, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 512, 512);
    TL_OK(CloseHandle(s));
    return 0;
}

static void test_broker_loss_in_another_process(void **state)
{
    const char *path = tl_broker_path();
    if (!path) {
        print_message("NPIPE_BROKER is not set; skipping\n");
        skip();
    }
    struct ctx c = {.name = tl_pipe_name("loss2")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(child_reader, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    pid_t broker = tl_find_broker(path);
    if (!broker) {
        tl_kill(pid);
        print_message("cannot find the npiped serving %s; skipping\n", path);
        skip();
    }
    tl_sleep_ms(200); /* the child is blocked in ReadFile */
    tl_kill_broker(broker);
    tl_join(pid);
    TL_FAILS(CloseHandle(s), ERROR_INVALID_HANDLE);
    tl_rdv_close(&c.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_broker_loss_is_loud),
        TL_TEST(test_broker_loss_in_another_process),
        TL_TEST(test_stale_handle_after_idle_loss),
    };
    return TL_RUN(tests);
}
