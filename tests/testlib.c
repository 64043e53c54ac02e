/*
 * testlib.c — helpers for npipe's integration tests (see testlib.h).
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TL_WAIT_MS 30000     /* how long tl_wait / tl_wait_signal wait */
#define TL_WATCHDOG_S 60     /* a test that runs longer than this hangs */
#define TL_MAX_CHILDREN 64

/* ---- State -------------------------------------------------------------- */

static bool tl_child;                 /* this process came from tl_spawn */
static pthread_t tl_main_thread;      /* the thread running the cmocka test */
static bool tl_main_thread_set;
static volatile int tl_thread_failures; /* failed checks in helper threads */
static const char *tl_current_test = "?";
static pid_t tl_children[TL_MAX_CHILDREN];
static int tl_nchildren;

static void tl_forget_child(pid_t pid)
{
    for (int i = 0; i < tl_nchildren; i++) {
        if (tl_children[i] == pid) {
            tl_children[i] = tl_children[--tl_nchildren];
            return;
        }
    }
}

/* ---- Setup, teardown, watchdog ------------------------------------------ */

static void tl_watchdog(int sig)
{
    (void)sig;
    char msg[256];
    int n = snprintf(msg, sizeof msg,
                     "\n[testlib] TIMEOUT: %s still running after %d s; "
                     "killing its children and giving up\n",
                     tl_current_test, TL_WATCHDOG_S);
    if (n > 0)
        (void)!write(2, msg, (size_t)n);
    for (int i = 0; i < tl_nchildren; i++)
        kill(tl_children[i], SIGKILL);
    _exit(124);
}

void tl_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tl_watchdog;
    sigaction(SIGALRM, &sa, NULL);
    tl_main_thread = pthread_self();
    tl_main_thread_set = true;
}

int tl_setup(void **state)
{
    if (!tl_main_thread_set)
        tl_init();
    tl_current_test = *state ? (const char *)*state : "?";
    tl_main_thread = pthread_self();
    tl_thread_failures = 0;
    alarm(TL_WATCHDOG_S);
    return 0;
}

int tl_teardown(void **state)
{
    (void)state;
    alarm(0);
    /* A test that failed half-way may leave children behind. */
    while (tl_nchildren > 0) {
        pid_t pid = tl_children[tl_nchildren - 1];
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        tl_nchildren--;
    }
    return 0;
}

bool tl_in_child(void)
{
    return tl_child;
}

/* ---- Failing ------------------------------------------------------------- */

void tl_fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    if (tl_child) {
        fprintf(stderr, "[child %d] %s:%d: %s\n", (int)getpid(), file, line,
                msg);
        _exit(1);
    }
    if (tl_main_thread_set && !pthread_equal(pthread_self(), tl_main_thread)) {
        fprintf(stderr, "[thread] %s:%d: %s\n", file, line, msg);
        __atomic_add_fetch(&tl_thread_failures, 1, __ATOMIC_SEQ_CST);
        pthread_exit(NULL);
    }
    print_error("%s:%d: %s\n", file, line, msg);
    _fail(file, line);
    abort(); /* _fail does not return */
}

HANDLE tl_handle_ok(HANDLE h, const char *what, const char *file, int line)
{
    if (h == INVALID_HANDLE_VALUE || h == NULL) {
        DWORD e = GetLastError();
        tl_fail_at(file, line, "%s failed: error %lu (%s)", what,
                   (unsigned long)e, tl_errname(e));
    }
    return h;
}

const char *tl_errname(DWORD err)
{
#define E(x) {x, #x}
    static const struct {
        DWORD code;
        const char *name;
    } names[] = {
        E(ERROR_SUCCESS),
        E(ERROR_INVALID_FUNCTION),
        E(ERROR_FILE_NOT_FOUND),
        E(ERROR_PATH_NOT_FOUND),
        E(ERROR_ACCESS_DENIED),
        E(ERROR_INVALID_HANDLE),
        E(ERROR_NOT_ENOUGH_MEMORY),
        E(ERROR_INVALID_ACCESS),
        E(ERROR_INVALID_DATA),
        E(ERROR_OUTOFMEMORY),
        E(ERROR_BAD_LENGTH),
        E(ERROR_GEN_FAILURE),
        E(ERROR_SHARING_VIOLATION),
        E(ERROR_HANDLE_EOF),
        E(ERROR_NOT_SUPPORTED),
        E(ERROR_FILE_EXISTS),
        E(ERROR_INVALID_PARAMETER),
        E(ERROR_BROKEN_PIPE),
        E(ERROR_CALL_NOT_IMPLEMENTED),
        E(ERROR_SEM_TIMEOUT),
        E(ERROR_INSUFFICIENT_BUFFER),
        E(ERROR_INVALID_NAME),
        E(ERROR_BAD_PATHNAME),
        E(ERROR_ALREADY_EXISTS),
        E(ERROR_FILENAME_EXCED_RANGE),
        E(ERROR_PIPE_LOCAL),
        E(ERROR_BAD_PIPE),
        E(ERROR_PIPE_BUSY),
        E(ERROR_NO_DATA),
        E(ERROR_PIPE_NOT_CONNECTED),
        E(ERROR_MORE_DATA),
        E(ERROR_PIPE_CONNECTED),
        E(ERROR_PIPE_LISTENING),
        E(ERROR_MR_MID_NOT_FOUND),
        E(ERROR_OPERATION_ABORTED),
        E(ERROR_IO_INCOMPLETE),
        E(ERROR_IO_PENDING),
        E(ERROR_NOACCESS),
        E(ERROR_INVALID_FLAGS),
        E(ERROR_NOT_FOUND),
        E(ERROR_PRIVILEGE_NOT_HELD),
        E(ERROR_CANNOT_IMPERSONATE),
        E(ERROR_NO_SYSTEM_RESOURCES),
        E(ERROR_TIMEOUT),
        E(ERROR_INVALID_USER_BUFFER),
        E(ERROR_INVALID_STATE),
    };
#undef E
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == err)
            return names[i].name;
    if (err == 0xdeadbeef)
        return "last error not set";
    return "?";
}

/* ---- Names ---------------------------------------------------------------- */

#define TL_RING 64
static char tl_names[TL_RING][320];
static WCHAR tl_wnames[TL_RING][320];
static unsigned tl_name_next, tl_wname_next, tl_name_counter;
static pthread_mutex_t tl_name_lock = PTHREAD_MUTEX_INITIALIZER;

char *tl_pipe_name(const char *tag)
{
    pthread_mutex_lock(&tl_name_lock);
    char *s = tl_names[tl_name_next++ % TL_RING];
    snprintf(s, sizeof tl_names[0], "\\\\.\\pipe\\npipe-test-%s-%d-%u", tag,
             (int)getpid(), ++tl_name_counter);
    pthread_mutex_unlock(&tl_name_lock);
    return s;
}

WCHAR *tl_wide(const char *s)
{
    pthread_mutex_lock(&tl_name_lock);
    WCHAR *w = tl_wnames[tl_wname_next++ % TL_RING];
    pthread_mutex_unlock(&tl_name_lock);
    size_t i = 0;
    /* ASCII only; UTF-8 sequences are decoded for 2- and 3-byte forms. */
    const unsigned char *p = (const unsigned char *)s;
    while (*p && i < 319) {
        unsigned c = *p++;
        if (c >= 0xe0 && p[0] && p[1]) {
            c = ((c & 0x0f) << 12) | ((p[0] & 0x3f) << 6) | (p[1] & 0x3f);
            p += 2;
        } else if (c >= 0xc0 && p[0]) {
            c = ((c & 0x1f) << 6) | (p[0] & 0x3f);
            p += 1;
        }
        w[i++] = (WCHAR)c;
    }
    w[i] = 0;
    return w;
}

/* ---- Pipe wrappers ------------------------------------------------------- */

HANDLE tl_server(const char *name, DWORD open_mode, DWORD pipe_mode,
                 DWORD max_instances, DWORD out_size, DWORD in_size)
{
    SetLastError(0xdeadbeef);
    HANDLE h = CreateNamedPipeA(name, open_mode, pipe_mode, max_instances,
                                out_size, in_size, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        TL_FAIL("CreateNamedPipeA(%s) failed: %lu (%s)", name,
                (unsigned long)GetLastError(), tl_errname(GetLastError()));
    return h;
}

HANDLE tl_client(const char *name, DWORD access)
{
    SetLastError(0xdeadbeef);
    HANDLE h = CreateFileA(name, access, 0, NULL, OPEN_EXISTING, 0, NULL);
    /* As every Windows client does: an instance that is busy (say, a server
     * between DisconnectNamedPipe and its next ConnectNamedPipe) is waited
     * for, not treated as failure. */
    for (int tries = 0; h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_PIPE_BUSY &&
                        tries < 20;
         tries++) {
        WaitNamedPipeA(name, 1000);
        SetLastError(0xdeadbeef);
        h = CreateFileA(name, access, 0, NULL, OPEN_EXISTING, 0, NULL);
    }
    if (h == INVALID_HANDLE_VALUE)
        TL_FAIL("CreateFileA(%s) failed: %lu (%s)", name,
                (unsigned long)GetLastError(), tl_errname(GetLastError()));
    return h;
}

void tl_connect(HANDLE server)
{
    SetLastError(0xdeadbeef);
    if (!ConnectNamedPipe(server, NULL) &&
        GetLastError() != ERROR_PIPE_CONNECTED)
        TL_FAIL("ConnectNamedPipe failed: %lu (%s)",
                (unsigned long)GetLastError(), tl_errname(GetLastError()));
}

void tl_write(HANDLE h, const void *buf, DWORD n)
{
    DWORD done = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    if (!WriteFile(h, buf, n, &done, NULL))
        TL_FAIL("WriteFile(%lu bytes) failed: %lu (%s)", (unsigned long)n,
                (unsigned long)GetLastError(), tl_errname(GetLastError()));
    TL_EQ(done, n);
}

DWORD tl_read(HANDLE h, void *buf, DWORD n)
{
    DWORD done = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    if (!ReadFile(h, buf, n, &done, NULL))
        TL_FAIL("ReadFile(%lu bytes) failed: %lu (%s)", (unsigned long)n,
                (unsigned long)GetLastError(), tl_errname(GetLastError()));
    TL_ASSERT(done <= n);
    return done;
}

void tl_read_exact(HANDLE h, void *buf, DWORD n)
{
    DWORD got = 0;
    while (got < n) {
        DWORD done = 0xdeadbeef;
        SetLastError(0xdeadbeef);
        BOOL ok = ReadFile(h, (char *)buf + got, n - got, &done, NULL);
        if (!ok && GetLastError() != ERROR_MORE_DATA)
            TL_FAIL("ReadFile after %lu of %lu bytes failed: %lu (%s)",
                    (unsigned long)got, (unsigned long)n,
                    (unsigned long)GetLastError(), tl_errname(GetLastError()));
        TL_ASSERT(done <= n - got);
        got += done;
    }
}

void tl_write_str(HANDLE h, const char *s)
{
    tl_write(h, s, (DWORD)strlen(s) + 1);
}

void tl_expect_str(HANDLE h, const char *s)
{
    char buf[512];
    DWORD n = (DWORD)strlen(s) + 1;
    TL_ASSERT(n <= sizeof buf);
    tl_read_exact(h, buf, n);
    TL_ASSERT_MSG(memcmp(buf, s, n) == 0, "read \"%.*s\", expected \"%s\"",
                  (int)n, buf, s);
}

void tl_fill(void *buf, size_t n, unsigned seed)
{
    unsigned char *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 131u + seed * 7u + (i >> 8)) & 0xff);
}

bool tl_check_fill(const void *buf, size_t n, unsigned seed, size_t offset)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < n; i++) {
        size_t k = i + offset;
        if (p[i] != (unsigned char)((k * 131u + seed * 7u + (k >> 8)) & 0xff))
            return false;
    }
    return true;
}

/* ---- Processes ------------------------------------------------------------ */

pid_t tl_spawn(int (*fn)(void *), void *arg)
{
    fflush(stdout);
    fflush(stderr);
    TL_ASSERT_MSG(tl_nchildren < TL_MAX_CHILDREN, "too many children");
    pid_t pid = fork();
    TL_ASSERT_MSG(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        tl_child = true;
        tl_nchildren = 0; /* the parent's children are not ours */
        alarm(0);
        signal(SIGALRM, SIG_DFL);
        int rc = fn(arg);
        fflush(stdout);
        fflush(stderr);
        _exit(rc & 0xff);
    }
    tl_children[tl_nchildren++] = pid;
    return pid;
}

static int tl_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int tl_wait(pid_t pid)
{
    int status = 0;
    pid_t r;
    int pfd = tl_pidfd_open(pid);
    if (pfd >= 0) {
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        uint64_t deadline = tl_now_ms() + TL_WAIT_MS;
        int n;
        for (;;) {
            uint64_t now = tl_now_ms();
            int left = now >= deadline ? 0 : (int)(deadline - now);
            n = poll(&p, 1, left);
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        close(pfd);
        if (n == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            tl_forget_child(pid);
            TL_FAIL("child %d did not exit within %d ms (killed)", (int)pid,
                    TL_WAIT_MS);
        }
        do
            r = waitpid(pid, &status, 0);
        while (r < 0 && errno == EINTR);
    } else {
        /* No pidfd: poll with WNOHANG. */
        uint64_t deadline = tl_now_ms() + TL_WAIT_MS;
        for (;;) {
            r = waitpid(pid, &status, WNOHANG);
            if (r != 0 && !(r < 0 && errno == EINTR))
                break;
            if (tl_now_ms() > deadline) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                tl_forget_child(pid);
                TL_FAIL("child %d did not exit within %d ms (killed)",
                        (int)pid, TL_WAIT_MS);
            }
            tl_sleep_ms(2);
        }
    }
    tl_forget_child(pid);
    TL_ASSERT_MSG(r == pid, "waitpid(%d): %s", (int)pid, strerror(errno));
    if (WIFSIGNALED(status))
        TL_FAIL("child %d was killed by signal %d (%s)", (int)pid,
                WTERMSIG(status), strsignal(WTERMSIG(status)));
    TL_ASSERT_MSG(WIFEXITED(status), "child %d: odd wait status 0x%x",
                  (int)pid, status);
    return WEXITSTATUS(status);
}

void tl_join(pid_t pid)
{
    int rc = tl_wait(pid);
    if (rc == TL_SKIP_STATUS && !tl_child && tl_main_thread_set &&
        pthread_equal(pthread_self(), tl_main_thread)) {
        print_message("[testlib] child %d asked to skip this test (see its "
                      "message above)\n",
                      (int)pid);
        skip();
    }
    TL_ASSERT_MSG(rc == 0, "child %d exited with status %d (a check failed "
                  "in it; see its message above)",
                  (int)pid, rc);
}

void tl_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    tl_forget_child(pid);
}

/* ---- Rendezvous ---------------------------------------------------------- */

void tl_rdv_init(tl_rdv *r)
{
    int sv[2];
    TL_ASSERT_MSG(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) ==
                      0,
                  "socketpair: %s", strerror(errno));
    r->end[0] = sv[0];
    r->end[1] = sv[1];
}

void tl_rdv_close(tl_rdv *r)
{
    if (r->end[0] >= 0)
        close(r->end[0]);
    if (r->end[1] >= 0)
        close(r->end[1]);
    r->end[0] = r->end[1] = -1;
}

void tl_send_fd(int fd, long long value)
{
    int64_t v = value;
    ssize_t n;
    do
        n = send(fd, &v, sizeof v, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    TL_ASSERT_MSG(n == (ssize_t)sizeof v, "rendezvous send: %s",
                  n < 0 ? strerror(errno) : "short");
}

static bool tl_recv_timeout(int fd, int timeout_ms, long long *value)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    uint64_t deadline = tl_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        uint64_t now = tl_now_ms();
        int left = now >= deadline ? 0 : (int)(deadline - now);
        int n = poll(&p, 1, left);
        if (n < 0 && errno == EINTR)
            continue;
        TL_ASSERT_MSG(n >= 0, "rendezvous poll: %s", strerror(errno));
        if (n == 0)
            return false;
        break;
    }
    int64_t v;
    ssize_t n;
    do
        n = recv(fd, &v, sizeof v, 0);
    while (n < 0 && errno == EINTR);
    TL_ASSERT_MSG(n != 0, "rendezvous: the other side is gone (it exited "
                  "before signalling; did a check fail in it?)");
    TL_ASSERT_MSG(n == (ssize_t)sizeof v, "rendezvous recv: %s",
                  n < 0 ? strerror(errno) : "short");
    *value = v;
    return true;
}

long long tl_recv_fd(int fd)
{
    long long v = 0;
    if (!tl_recv_timeout(fd, TL_WAIT_MS, &v))
        TL_FAIL("no rendezvous signal within %d ms", TL_WAIT_MS);
    return v;
}

static int tl_my_end(tl_rdv *r)
{
    return r->end[tl_child ? 1 : 0];
}

void tl_signal(tl_rdv *r, long long value)
{
    tl_send_fd(tl_my_end(r), value);
}

long long tl_wait_signal(tl_rdv *r)
{
    return tl_recv_fd(tl_my_end(r));
}

void tl_expect_signal(tl_rdv *r, long long expect)
{
    long long v = tl_wait_signal(r);
    TL_ASSERT_MSG(v == expect, "rendezvous: got signal %lld, expected %lld",
                  v, expect);
}

bool tl_poll_signal(tl_rdv *r, int timeout_ms, long long *value)
{
    long long v;
    bool got = tl_recv_timeout(tl_my_end(r), timeout_ms, &v);
    if (got && value)
        *value = v;
    return got;
}

/* ---- Threads -------------------------------------------------------------- */

pthread_t tl_thread_start(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int e = pthread_create(&t, NULL, fn, arg);
    TL_ASSERT_MSG(e == 0, "pthread_create: %s", strerror(e));
    return t;
}

void *tl_thread_join(pthread_t t)
{
    void *ret = NULL;
    int e = pthread_join(t, &ret);
    TL_ASSERT_MSG(e == 0, "pthread_join: %s", strerror(e));
    int f = __atomic_load_n(&tl_thread_failures, __ATOMIC_SEQ_CST);
    TL_ASSERT_MSG(f == 0, "%d check(s) failed in helper threads (see above)",
                  f);
    return ret;
}

/* ---- Time ------------------------------------------------------------------- */

void tl_sleep_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

uint64_t tl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- Sessions --------------------------------------------------------------- */

long long tl_read_sessionid_raw(pid_t pid)
{
    char path[64], buf[32];
    snprintf(path, sizeof path, "/proc/%d/sessionid", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *end;
    unsigned long long v = strtoull(buf, &end, 10);
    if (end == buf)
        return -1;
    return (long long)v;
}

ULONG tl_read_sessionid(pid_t pid)
{
    long long v = tl_read_sessionid_raw(pid);
    TL_ASSERT_MSG(v >= 0, "cannot read /proc/%d/sessionid", (int)pid);
    if (v == 4294967295LL)
        return 0;
    return (ULONG)v;
}

long long tl_new_audit_session(const char **why)
{
    static char reason[256];
    if (why)
        *why = NULL;
    if (tl_read_sessionid_raw(getpid()) < 0) {
        snprintf(reason, sizeof reason,
                 "cannot create an audit session here: /proc/self/sessionid "
                 "is missing (kernel built without CONFIG_AUDIT?)");
        if (why)
            *why = reason;
        return -1;
    }
    int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(reason, sizeof reason,
                 "cannot create an audit session here: open "
                 "/proc/self/loginuid: %s (needs root with CAP_AUDIT_CONTROL, "
                 "or a process whose session is unset)",
                 strerror(errno));
        if (why)
            *why = reason;
        return -1;
    }
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%u", (unsigned)getuid());
    ssize_t n = write(fd, buf, (size_t)len);
    int err = errno;
    close(fd);
    if (n != len) {
        snprintf(reason, sizeof reason,
                 "cannot create an audit session here: write "
                 "/proc/self/loginuid: %s (needs root with CAP_AUDIT_CONTROL, "
                 "or a process whose session is unset)",
                 n < 0 ? strerror(err) : "short write");
        if (why)
            *why = reason;
        return -1;
    }
    long long s = tl_read_sessionid_raw(getpid());
    if (s < 0 || s == 4294967295LL) {
        snprintf(reason, sizeof reason,
                 "cannot create an audit session here: the kernel accepted "
                 "the loginuid but assigned no session (sessionid %lld)",
                 s);
        if (why)
            *why = reason;
        return -1;
    }
    return s;
}

const char *tl_broker_path(void)
{
    const char *p = getenv("NPIPE_BROKER");
    return (p && *p) ? p : NULL;
}

/* ---- The test's own broker ---------------------------------------------- */

/* The pid of the npiped serving `path`, or 0: the listener's credentials,
 * which the kernel hands to whoever connects (SO_PEERCRED).  Looking for
 * "npiped --socket PATH" in /proc could find an older broker that is
 * draining after an idle exit, or one whose socket was replaced. */
pid_t tl_find_broker(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        close(fd);
        return 0;
    }
    strcpy(sa.sun_path, path);
    pid_t pid = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
            pid = cred.pid;
    }
    close(fd);
    if (pid <= 0)
        return 0;
    /* Make sure it is an npiped. */
    char file[64], buf[4096];
    snprintf(file, sizeof file, "/proc/%d/cmdline", (int)pid);
    int cf = open(file, O_RDONLY | O_CLOEXEC);
    if (cf < 0)
        return 0;
    ssize_t n = read(cf, buf, sizeof buf - 1);
    close(cf);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    size_t l0 = strlen(buf);
    return l0 >= 6 && strcmp(buf + l0 - 6, "npiped") == 0 ? pid : 0;
}

/* Kill the broker and wait until it is really gone: its pidfd turns
 * readable only after the kernel has closed all its files (its cmdline
 * empties earlier, while its sockets may still be open). */
void tl_kill_broker(pid_t pid)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    TL_ASSERT_MSG(pfd >= 0, "pidfd_open(%d): %s", (int)pid, strerror(errno));
    TL_ASSERT_MSG(kill(pid, SIGKILL) == 0, "kill broker %d: %s", (int)pid,
                  strerror(errno));
    struct pollfd p = {.fd = pfd, .events = POLLIN};
    int n;
    do
        n = poll(&p, 1, 10000);
    while (n < 0 && errno == EINTR);
    close(pfd);
    TL_ASSERT_MSG(n == 1, "the broker did not die within 10 s");
}
