/*
 * robustlib.h — helpers shared by the robustness tests (test_fault,
 * test_limits, test_load, test_security): the broker's own counts
 * (NP_OP_BROKER_STATS) over a raw channel, waiting for them to settle, and
 * starting a private npiped with chosen options.
 *
 * Header-only (static functions) so that each test program stays one file
 * plus testlib, as tests/CMakeLists.txt builds them.
 */
#ifndef NPIPE_ROBUSTLIB_H
#define NPIPE_ROBUSTLIB_H

#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

#include "testlib.h"

#include "proto/proto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long the broker may take to finish a dead process's rundown or a
 * test's cleanup before a test calls it a leak (generous: CI machines are
 * loaded). */
#define RB_SETTLE_MS 30000

/* ---- A raw channel to the broker ----------------------------------------- */

static int rb_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    TL_ASSERT_MSG(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    TL_ASSERT(strlen(path) < sizeof sa.sun_path);
    strcpy(sa.sun_path, path);
    TL_ASSERT_MSG(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
                  "connect(%s): %s", path, strerror(errno));
    return fd;
}

/* Sends one request (header and up to 64 KiB - 96 of payload); false if the
 * broker has hung up. */
static bool rb_send(int fd, const struct np_request *q, const void *payload,
                    size_t plen)
{
    struct iovec iov[2] = {{(void *)q, sizeof *q}, {(void *)payload, plen}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = plen ? 2 : 1};
    ssize_t n;
    do
        n = sendmsg(fd, &m, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)(sizeof *q + plen);
}

static void rb_header(struct np_request *q, uint16_t op, uint64_t id)
{
    memset(q, 0, sizeof *q);
    q->magic = NP_MAGIC;
    q->version = NP_VERSION;
    q->op = op;
    q->id = id;
}

/* Receives one packet (waiting up to timeout_ms): its length, 0 on EOF, -1
 * on timeout. */
static ssize_t rb_recv(int fd, void *buf, size_t len, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return -1;
    ssize_t n;
    do
        n = recv(fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == ECONNRESET || errno == EPIPE))
        return 0;
    return n;
}

/* ---- Broker statistics ----------------------------------------------------- */

/* One persistent stats channel per process: opening a new one for each
 * query would count the previous one until the broker notices its EOF. */
static int rb_stats_fd = -1;
static pid_t rb_stats_pid;
static uint64_t rb_stats_id = 1;

static void rb_stats_close(void)
{
    if (rb_stats_fd >= 0 && rb_stats_pid == getpid())
        close(rb_stats_fd);
    rb_stats_fd = -1;
}

static void rb_stats(struct np_broker_stats *s)
{
    if (rb_stats_fd >= 0 && rb_stats_pid != getpid())
        rb_stats_fd = -1; /* inherited across fork: the parent's */
    if (rb_stats_fd < 0) {
        const char *path = tl_broker_path();
        TL_ASSERT_MSG(path, "NPIPE_BROKER is not set");
        rb_stats_fd = rb_connect(path);
        rb_stats_pid = getpid();
    }
    struct np_request q;
    rb_header(&q, NP_OP_BROKER_STATS, rb_stats_id++);
    q.out_len = sizeof *s;
    TL_ASSERT_MSG(rb_send(rb_stats_fd, &q, NULL, 0), "stats request: %s",
                  strerror(errno));
    unsigned char buf[sizeof(struct np_reply) + sizeof *s];
    for (;;) {
        ssize_t n = rb_recv(rb_stats_fd, buf, sizeof buf, 10000);
        TL_ASSERT_MSG(n > 0, "no answer to NP_OP_BROKER_STATS (%zd)", n);
        struct np_reply r;
        TL_ASSERT((size_t)n >= sizeof r);
        memcpy(&r, buf, sizeof r);
        if (r.id != q.id)
            continue;
        TL_ASSERT_MSG(r.status == 0, "NP_OP_BROKER_STATS: 0x%08x",
                      (unsigned)r.status);
        TL_EQ((size_t)n, sizeof r + sizeof *s);
        memcpy(s, buf + sizeof r, sizeof *s);
        return;
    }
}

static void rb_print_stats(const char *what, const struct np_broker_stats *s)
{
    fprintf(stderr,
            "[broker %s] users %u processes %u threads %u handles %u irps %u "
            "objects %u pipes %u instances %u pool %llu heap %llu\n",
            what, s->users, s->processes, s->threads, s->handles,
            s->pending_irps, s->objects, s->pipes, s->instances,
            (unsigned long long)s->pool_bytes,
            (unsigned long long)s->heap_bytes);
}

static bool rb_same_state(const struct np_broker_stats *a,
                          const struct np_broker_stats *b)
{
    return a->processes == b->processes && a->threads == b->threads &&
           a->handles == b->handles && a->pending_irps == b->pending_irps &&
           a->objects == b->objects && a->pipes == b->pipes &&
           a->instances == b->instances && a->pool_bytes == b->pool_bytes;
}

/* Waits (up to RB_SETTLE_MS) until the broker holds exactly what it held at
 * `base`: nothing a dead process or a finished test had is left.  The heap
 * may keep some slack (malloc caches), but not more than heap_slack bytes. */
static void rb_expect_baseline(const struct np_broker_stats *base,
                               uint64_t heap_slack)
{
    struct np_broker_stats now;
    uint64_t deadline = tl_now_ms() + RB_SETTLE_MS;
    for (;;) {
        rb_stats(&now);
        if (rb_same_state(&now, base))
            break;
        if (tl_now_ms() > deadline) {
            rb_print_stats("baseline", base);
            rb_print_stats("now", &now);
            TL_FAIL("the broker still holds state from the test");
        }
        tl_sleep_ms(5);
    }
    if (base->heap_bytes && now.heap_bytes > base->heap_bytes + heap_slack) {
        rb_print_stats("baseline", base);
        rb_print_stats("now", &now);
        TL_FAIL("the broker's heap grew by %llu bytes",
                (unsigned long long)(now.heap_bytes - base->heap_bytes));
    }
}

/* Waits until the broker counts `n` live processes (a killed child's
 * rundown is done). */
static void rb_wait_processes(uint32_t n)
{
    struct np_broker_stats s;
    uint64_t deadline = tl_now_ms() + RB_SETTLE_MS;
    for (;;) {
        rb_stats(&s);
        if (s.processes == n)
            return;
        TL_ASSERT_MSG(tl_now_ms() < deadline,
                      "the broker counts %u processes, expected %u",
                      s.processes, n);
        tl_sleep_ms(2);
    }
}

/* Waits until the broker counts at least `n` pending requests. */
static void rb_wait_irps(uint32_t n)
{
    struct np_broker_stats s;
    uint64_t deadline = tl_now_ms() + RB_SETTLE_MS;
    for (;;) {
        rb_stats(&s);
        if (s.pending_irps >= n)
            return;
        TL_ASSERT_MSG(tl_now_ms() < deadline,
                      "the broker counts %u pending requests, expected %u",
                      s.pending_irps, n);
        tl_sleep_ms(2);
    }
}

/* ---- Clients that wait for an instance ------------------------------------ */

/* CreateFile, waiting (WaitNamedPipe) while every instance is busy or not
 * yet listening again — the way Windows clients open a pipe whose server
 * reuses its instances. */
static HANDLE rb_open(const char *name, DWORD access)
{
    uint64_t deadline = tl_now_ms() + 20000;
    for (;;) {
        SetLastError(0xdeadbeef);
        HANDLE h = CreateFileA(name, access, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE)
            return h;
        DWORD err = GetLastError();
        TL_ASSERT_MSG(err == ERROR_PIPE_BUSY && tl_now_ms() < deadline,
                      "CreateFileA(%s): %lu (%s)", name, (unsigned long)err,
                      tl_errname(err));
        if (!WaitNamedPipeA(name, 1000)) {
            err = GetLastError();
            TL_ASSERT_MSG(err == ERROR_SEM_TIMEOUT || err == ERROR_PIPE_BUSY,
                          "WaitNamedPipeA(%s): %lu (%s)", name,
                          (unsigned long)err, tl_errname(err));
        }
    }
}

/* ---- A private npiped -------------------------------------------------------- */

/* npiped: $NPIPED_BIN (set by ctest), else next to this program. */
static const char *rb_npiped_path(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("NPIPED_BIN");
    if (env && *env && access(env, X_OK) == 0)
        return env;
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
    TL_ASSERT(n > 0);
    path[n] = 0;
    char *slash = strrchr(path, '/');
    TL_ASSERT(slash);
    strcpy(slash + 1, "npiped");
    return path;
}

/* A fresh private directory for a broker socket (mode 0755, so that other
 * users may reach a --system broker in it). */
static char *rb_private_dir(const char *tag)
{
    static char dir[128];
    snprintf(dir, sizeof dir, "/tmp/npipe-%s-XXXXXX", tag);
    TL_ASSERT_MSG(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    chmod(dir, 0755);
    return dir;
}

/* Removes a broker's private directory and what is left in it (the broker
 * unlinks its socket when it stops cleanly; a killed one does not). */
static void rb_remove_dir_of(const char *socket_path)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s", socket_path);
    char *slash = strrchr(dir, '/');
    if (!slash || strncmp(dir, "/tmp/npipe-", 11) != 0)
        return; /* only what rb_private_dir made */
    unlink(socket_path);
    *slash = 0;
    rmdir(dir);
}

/* Starts npiped on `socket` with extra arguments (NULL-terminated) and
 * waits until it answers.  Returns its pid. */
static pid_t rb_start_broker(const char *socket_path, const char *const *extra)
{
    const char *argv[32];
    int argc = 0;
    argv[argc++] = rb_npiped_path();
    argv[argc++] = "--socket";
    argv[argc++] = socket_path;
    argv[argc++] = "--idle-exit";
    argv[argc++] = "0";
    for (; extra && *extra && argc < 31; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    TL_ASSERT_MSG(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    for (int i = 0; i < 1000; i++) {
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, socket_path);
        bool up = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
        close(fd);
        if (up)
            return pid;
        int status;
        TL_ASSERT_MSG(waitpid(pid, &status, WNOHANG) == 0,
                      "npiped exited at start (status %#x)", status);
        tl_sleep_ms(10);
    }
    kill(pid, SIGKILL);
    TL_FAIL("npiped did not start on %s", socket_path);
    return -1;
}

/* SIGTERM (the clean shutdown path) and reap; the broker must exit 0. */
static void rb_stop_broker(pid_t pid)
{
    kill(pid, SIGTERM);
    int status = 0;
    uint64_t deadline = tl_now_ms() + RB_SETTLE_MS;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (tl_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            TL_FAIL("npiped did not stop on SIGTERM");
        }
        tl_sleep_ms(10);
    }
    TL_ASSERT_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "npiped ended with status %#x", status);
}

#endif /* NPIPE_ROBUSTLIB_H */
