/*
 * test_tool_npiped.c — npiped as a service, each test with a broker of its
 * own on a private socket:
 *
 *  - SIGTERM while clients are blocked in ConnectNamedPipe and ReadFile:
 *    both calls fail with ERROR_BROKEN_PIPE at once, nothing hangs, and
 *    the broker exits 0 having said why in its log;
 *  - systemd socket activation: the broker takes the listening socket it
 *    is given (LISTEN_FDS, LISTEN_PID), tells NOTIFY_SOCKET "READY=1",
 *    logs for the journal (JOURNAL_STREAM: syslog priorities, no
 *    timestamps) and leaves the socket to its owner when it stops;
 *  - its options: --version, --help, bad values (exit 2).
 */
#include "tool_helpers.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

struct broker {
    char dir[48];
    char socket[64];
    struct th_proc proc;
};

static void wait_for_path(const char *path)
{
    struct stat st;
    uint64_t deadline = tl_now_ms() + 5000;
    while (stat(path, &st) < 0) {
        TL_ASSERT_MSG(tl_now_ms() < deadline, "%s never appeared", path);
        tl_sleep_ms(10);
    }
}

static void broker_dir(struct broker *b)
{
    snprintf(b->dir, sizeof b->dir, "/tmp/npipe-tool-npiped-XXXXXX");
    TL_ASSERT(mkdtemp(b->dir));
    snprintf(b->socket, sizeof b->socket, "%s/broker", b->dir);
}

/* ---- SIGTERM fails what is pending ---------------------------------------- */

struct blocked_ctx {
    const char *broker;
    const char *listen_name, *read_name;
    tl_rdv rdv;
};

static void *connect_and_report(void *arg)
{
    HANDLE s = arg;
    SetLastError(0);
    BOOL ok = ConnectNamedPipe(s, NULL);
    return (void *)(uintptr_t)(ok ? 0 : GetLastError());
}

/* A process with one thread in ConnectNamedPipe and one in ReadFile. */
static int blocked_client(void *arg)
{
    struct blocked_ctx *c = arg;
    setenv("NPIPE_BROKER", c->broker, 1);
    setenv("NPIPE_NPIPED", "/bin/false", 1); /* never start another */
    HANDLE listener = tl_server(c->listen_name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    HANDLE server = tl_server(c->read_name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    HANDLE client = tl_client(c->read_name, GENERIC_READ | GENERIC_WRITE);
    pthread_t t;
    TL_ASSERT(pthread_create(&t, NULL, connect_and_report, listener) == 0);
    tl_signal(&c->rdv, 1); /* about to block */
    char buf[16];
    DWORD n = 0;
    SetLastError(0);
    BOOL ok = ReadFile(client, buf, sizeof buf, &n, NULL);
    DWORD read_error = ok ? 0 : GetLastError();
    void *connect_error;
    pthread_join(t, &connect_error);
    tl_signal(&c->rdv, (long long)read_error);
    tl_signal(&c->rdv, (long long)(uintptr_t)connect_error);
    (void)server;
    return 0;
}

static void test_sigterm_fails_pending_operations(void **state)
{
    (void)state;
    struct broker b;
    broker_dir(&b);
    th_start(&b.proc, (char *const[]){(char *)th_npiped(), "--socket", b.socket,
                                      "--log-level", "info", NULL});
    wait_for_path(b.socket);
    struct blocked_ctx c = {.broker = b.socket, .listen_name = tl_pipe_name("stl"),
                            .read_name = tl_pipe_name("str")};
    tl_rdv_init(&c.rdv);
    pid_t pid = tl_spawn(blocked_client, &c);
    tl_expect_signal(&c.rdv, 1);
    tl_sleep_ms(200); /* both calls are in the broker now */
    uint64_t start = tl_now_ms();
    TL_ASSERT(kill(b.proc.pid, SIGTERM) == 0);
    TL_EQ(tl_wait_signal(&c.rdv), ERROR_BROKEN_PIPE); /* ReadFile */
    TL_EQ(tl_wait_signal(&c.rdv), ERROR_BROKEN_PIPE); /* ConnectNamedPipe */
    TL_ASSERT_MSG(tl_now_ms() - start < 3000, "the calls took %llu ms to fail",
                  (unsigned long long)(tl_now_ms() - start));
    tl_join(pid);
    tl_rdv_close(&c.rdv);
    char *out, *err;
    TL_EQ(th_finish(&b.proc, &out, &err, 5000), 0);
    TH_CONTAINS(err, "info: npiped ");
    TH_CONTAINS(err, "SIGTERM: stopping; pending operations fail");
    TH_CONTAINS(err, "stopped");
    free(out);
    free(err);
    struct stat st;
    TL_ASSERT(stat(b.socket, &st) < 0); /* it removed its socket */
    rmdir(b.dir);
}

/* ---- systemd ------------------------------------------------------------------- */

static int listening_socket(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    TL_ASSERT(strlen(path) < sizeof addr.sun_path);
    memcpy(addr.sun_path, path, strlen(path));
    TL_ASSERT(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
              listen(fd, 16) == 0);
    return fd;
}

static int notify_socket(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    TL_ASSERT(strlen(path) < sizeof addr.sun_path);
    memcpy(addr.sun_path, path, strlen(path));
    TL_ASSERT(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0);
    return fd;
}

/* Starts npiped as systemd would: the socket as fd 3, LISTEN_PID naming
 * the broker itself, NOTIFY_SOCKET, and stderr that is "the journal". */
static void start_activated(struct broker *b, int listen_fd, const char *notify)
{
    int out[2], err[2], in[2];
    TL_ASSERT(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0 &&
              pipe2(in, O_CLOEXEC) == 0);
    char unused[160];
    snprintf(unused, sizeof unused, "%s/not-this-one", b->dir);
    const char *npiped = th_npiped();
    pid_t pid = fork();
    TL_ASSERT(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (listen_fd == 3) /* SD_LISTEN_FDS_START, without close-on-exec */
            fcntl(3, F_SETFD, 0);
        else
            dup2(listen_fd, 3);
        char value[64];
        snprintf(value, sizeof value, "%d", (int)getpid());
        setenv("LISTEN_PID", value, 1);
        setenv("LISTEN_FDS", "1", 1);
        setenv("NOTIFY_SOCKET", notify, 1);
        struct stat st;
        fstat(2, &st);
        snprintf(value, sizeof value, "%llu:%llu", (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino);
        setenv("JOURNAL_STREAM", value, 1);
        execl(npiped, npiped, "--system", "--socket", unused, "--log-level", "info",
              (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    b->proc = (struct th_proc){.pid = pid, .in = in[1], .out = out[0], .err = err[0]};
}

struct activated_client {
    const char *broker, *name;
};

static int use_activated_broker(void *arg)
{
    struct activated_client *c = arg;
    setenv("NPIPE_BROKER", c->broker, 1);
    setenv("NPIPE_NPIPED", "/bin/false", 1);
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 1, 4096, 4096);
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write(h, "hi", 2);
    char buf[4];
    TL_EQ(tl_read(s, buf, sizeof buf), 2);
    CloseHandle(h);
    CloseHandle(s);
    return 0;
}

static void test_socket_activation_and_notify(void **state)
{
    (void)state;
    struct broker b;
    broker_dir(&b);
    char notify[128];
    snprintf(notify, sizeof notify, "%s/notify", b.dir);
    int listen_fd = listening_socket(b.socket);
    int notify_fd = notify_socket(notify);
    start_activated(&b, listen_fd, notify);
    close(listen_fd); /* "systemd" keeps its own copy: the file stays */

    /* READY=1 once it serves. */
    struct pollfd p = {notify_fd, POLLIN, 0};
    TL_ASSERT_MSG(poll(&p, 1, 5000) == 1, "no sd_notify message from npiped");
    char msg[256] = {0};
    TL_ASSERT(recv(notify_fd, msg, sizeof msg - 1, 0) > 0);
    TH_CONTAINS(msg, "READY=1");

    struct activated_client c = {.broker = b.socket, .name = tl_pipe_name("activated")};
    tl_join(tl_spawn(use_activated_broker, &c));

    TL_ASSERT(kill(b.proc.pid, SIGTERM) == 0);
    TL_ASSERT_MSG(poll(&p, 1, 5000) == 1, "no STOPPING=1");
    memset(msg, 0, sizeof msg);
    TL_ASSERT(recv(notify_fd, msg, sizeof msg - 1, 0) > 0);
    TH_CONTAINS(msg, "STOPPING=1");
    char *out, *err;
    TL_EQ(th_finish(&b.proc, &out, &err, 5000), 0);
    /* For the journal: a priority, no timestamp, and where it serves. */
    TL_ASSERT_MSG(!strncmp(err, "<6>npiped ", 10), "log: %s", err);
    TH_CONTAINS(err, "a socket from systemd");
    TH_CONTAINS(err, "system broker: every user");
    TH_CONTAINS(err, "\n<6>SIGTERM: stopping");
    TH_CONTAINS(err, "\n<6>process ");
    free(out);
    free(err);
    struct stat st;
    TL_ASSERT_MSG(stat(b.socket, &st) == 0, "npiped removed the socket systemd owns");
    close(notify_fd);
    unlink(notify);
    unlink(b.socket);
    rmdir(b.dir);
}

/* A socket that is not what npiped serves on is refused, loudly. */
static void test_activation_with_a_wrong_socket(void **state)
{
    (void)state;
    struct broker b;
    broker_dir(&b);
    char notify[128];
    snprintf(notify, sizeof notify, "%s/notify", b.dir);
    int dgram = notify_socket(notify); /* not a listening SEQPACKET socket */
    start_activated(&b, dgram, notify);
    char *out, *err;
    TL_EQ(th_finish(&b.proc, &out, &err, 5000), 1);
    TH_CONTAINS(err, "<3>the socket systemd passed is not a listening AF_UNIX");
    free(out);
    free(err);
    close(dgram);
    unlink(notify);
    rmdir(b.dir);
}

static void test_options(void **state)
{
    (void)state;
    char *out, *err;
    TL_EQ(th_run(NULL, &out, &err, (char *const[]){(char *)th_npiped(), "--version", NULL}),
          0);
    TL_ASSERT_MSG(!strncmp(out, "npiped ", 7), "%s", out);
    free(out);
    free(err);
    TL_EQ(th_run(NULL, &out, &err, (char *const[]){(char *)th_npiped(), "--help", NULL}), 0);
    TH_CONTAINS(out, "--system");
    TH_CONTAINS(out, "--idle-exit");
    TH_CONTAINS(out, "SIGTERM");
    free(out);
    free(err);
    TL_EQ(th_run(NULL, &out, &err,
                 (char *const[]){(char *)th_npiped(), "--log-level", "loud", NULL}),
          2);
    TH_CONTAINS(err, "bad --log-level");
    free(out);
    free(err);
    TL_EQ(th_run(NULL, &out, &err,
                 (char *const[]){(char *)th_npiped(), "--idle-exit", "-1", NULL}),
          2);
    free(out);
    free(err);
    /* A second broker on a served socket refuses to start. */
    struct broker b;
    broker_dir(&b);
    th_start(&b.proc, (char *const[]){(char *)th_npiped(), "--socket", b.socket, NULL});
    wait_for_path(b.socket);
    TL_EQ(th_run(NULL, &out, &err,
                 (char *const[]){(char *)th_npiped(), "--socket", b.socket, NULL}),
          1);
    TH_CONTAINS(err, "a broker is already serving");
    free(out);
    free(err);
    TL_EQ(th_stop(&b.proc, NULL, NULL), 0);
    rmdir(b.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_sigterm_fails_pending_operations),
        TL_TEST(test_socket_activation_and_notify),
        TL_TEST(test_activation_with_a_wrong_socket),
        TL_TEST(test_options),
    };
    return TL_RUN(tests);
}
