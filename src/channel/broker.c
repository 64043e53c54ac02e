/*
 * broker.c — finding the broker, and starting one when nobody answers.
 *
 * Windows has one pipe namespace per machine; npipe has one per broker, so
 * every process must find the same broker.  The rules (DESIGN.md, "Names
 * and discovery"):
 *
 *   1. $NPIPE_BROKER, if set and not empty, is the socket to use.  If
 *      nothing answers there, npiped is started on it (missing directories
 *      are created, mode 0700).  This is how tests and tools get a private
 *      broker.
 *   2. Otherwise the system broker, /run/npipe/broker (npiped --system),
 *      if something answers there.  The library never starts that one.
 *   3. Otherwise the per-user broker, $XDG_RUNTIME_DIR/npipe/broker, or
 *      /tmp/npipe-UID/broker without XDG_RUNTIME_DIR.  Its directory is
 *      created 0700 if missing and must be a real directory owned by the
 *      user (or root) with mode 0700, else the library refuses it
 *      (STATUS_ACCESS_DENIED): on a shared /tmp anyone could have made it.
 *      If nothing answers, npiped is started there.
 *
 * Starting, like wineserver: take an flock on "<socket>.lock" (a second
 * process blocks here until the first is done), try to connect again (the
 * first may have started it meanwhile), remove a socket nobody listens on,
 * then fork; the child calls setsid() and forks again so that npiped is
 * nobody's child, and the grandchild execs
 *     npiped --socket PATH --idle-exit 30
 * with stdin, stdout and stderr on /dev/null (stderr is kept when
 * $NPIPE_DEBUG is set), an empty signal mask and no inherited descriptors.
 * The starter polls connect() for up to 5 seconds, then drops the lock.
 * An idle per-user broker exits by itself after 30 seconds.
 *
 * npiped is found through $NPIPE_NPIPED if set, else next to the library
 * (the directory of the shared object or program that contains this code,
 * or ../bin from there — the build tree and the installed layout), else
 * in NPIPE_BINDIR (the install prefix's bin, set by CMake), else on $PATH.
 *
 * Whatever answers must be trusted too: after connect() the broker's uid
 * (SO_PEERCRED) must be ours or root's, else the socket is closed and the
 * call fails with STATUS_ACCESS_DENIED.  Environment variables are read
 * with secure_getenv, so a set-uid program ignores them.
 */
#include "channel/channel.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef NPIPE_BINDIR
#define NPIPE_BINDIR "/usr/local/bin"
#endif

#define SYSTEM_BROKER "/run/npipe/broker"
#define START_TIMEOUT_NS (5LL * 1000 * 1000 * 1000)
#define POLL_INTERVAL_NS (10LL * 1000 * 1000)

/* try_connect's answer when something answered that we must not trust. */
#define UNTRUSTED (-1)

/* ---- Connecting ---------------------------------------------------------- */

static bool peer_trusted(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    if (cred.uid == geteuid() || cred.uid == 0)
        return true;
    np_debug("the broker runs as uid %u: refused", (unsigned)cred.uid);
    return false;
}

/* 0 with a connected, trusted socket in *slot; else an errno or UNTRUSTED
 * and *slot stays -1. */
static int try_connect(int *slot, const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if (n >= sizeof sa.sun_path)
        return ENAMETOOLONG;
    memcpy(sa.sun_path, path, n + 1);
    for (;;) {
        int err = np_socket_open(slot);
        if (err)
            return err;
        if (connect(*slot, (struct sockaddr *)&sa, sizeof sa) == 0)
            break;
        err = errno;
        np_socket_close(slot);
        if (err != EINTR) /* interrupted: the state is unclear, start over */
            return err;
    }
    if (!peer_trusted(*slot)) {
        np_socket_close(slot);
        return UNTRUSTED;
    }
    return 0;
}

/* ---- Paths and directories ----------------------------------------------- */

/* The directory part of a socket path ("." for a bare name). */
static bool dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return snprintf(dir, size, ".") < (int)size;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= size)
        return false;
    memcpy(dir, path, n);
    dir[n] = 0;
    return true;
}

/* mkdir -p, new directories 0700.  Errors on the way are left for the
 * final check (a parent may exist without being writable). */
static void make_dirs(char *dir)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        mkdir(dir, 0700);
        *p = '/';
    }
    mkdir(dir, 0700);
}

/* A per-user socket directory must be ours (or root's) and 0700. */
static NTSTATUS check_private_dir(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return STATUS_OBJECT_PATH_NOT_FOUND;
    if (!S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) ||
        (st.st_mode & 07777) != 0700) {
        np_debug("%s: not a private directory (owner %u, mode %o): refused",
                 dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        return STATUS_ACCESS_DENIED;
    }
    return STATUS_SUCCESS;
}

static bool per_user_path(char *buf, size_t size)
{
    const char *xdg = secure_getenv("XDG_RUNTIME_DIR");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, size, "%s/npipe/broker", xdg);
    else
        n = snprintf(buf, size, "/tmp/npipe-%u/broker", (unsigned)geteuid());
    return n > 0 && (size_t)n < size;
}

/* ---- Finding npiped -------------------------------------------------------- */

static bool try_candidate(char *out, size_t size, const char *dir,
                          const char *rel)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (n <= 0 || (size_t)n >= sizeof path || access(path, X_OK) != 0)
        return false;
    if (!realpath(path, out)) /* absolute, so the daemon may chdir("/") */
        return snprintf(out, size, "%s", path) < (int)size;
    return true;
}

/* Next to the object that holds this code: the shared library, or the
 * program when linked statically. */
static bool find_beside_library(char *out, size_t size)
{
    Dl_info info;
    char dir[PATH_MAX];
    const char *sources[2] = {NULL, "/proc/self/exe"};
    char exe[PATH_MAX];
    if (dladdr((const void *)np_broker_connect, &info) && info.dli_fname)
        sources[0] = info.dli_fname;
    for (int i = 0; i < 2; i++) {
        const char *file = sources[i];
        if (i == 1) {
            ssize_t n = readlink(sources[1], exe, sizeof exe - 1);
            if (n <= 0)
                continue;
            exe[n] = 0;
            file = exe;
        }
        if (!file || !strchr(file, '/') || !dir_of(file, dir, sizeof dir))
            continue;
        if (try_candidate(out, size, dir, "npiped") ||
            try_candidate(out, size, dir, "../bin/npiped"))
            return true;
    }
    return false;
}

static bool find_on_path(char *out, size_t size)
{
    const char *path = getenv("PATH");
    char dir[PATH_MAX];
    while (path && *path) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        if (n < sizeof dir) {
            memcpy(dir, path, n);
            dir[n] = 0;
            if (try_candidate(out, size, n ? dir : ".", "npiped"))
                return true;
        }
        path = end ? end + 1 : NULL;
    }
    return false;
}

static bool find_npiped(char *out, size_t size)
{
    const char *env = secure_getenv("NPIPE_NPIPED");
    if (env && *env) {
        if (!realpath(env, out))
            return snprintf(out, size, "%s", env) < (int)size;
        return true;
    }
    return find_beside_library(out, size) ||
           try_candidate(out, size, NPIPE_BINDIR, "npiped") ||
           find_on_path(out, size);
}

/* ---- Starting npiped ------------------------------------------------------- */

static void close_from(int first, int limit)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first, ~0u, 0u) == 0)
        return;
#endif
    for (int fd = first; fd < limit; fd++)
        close(fd);
}

/* Runs in the forked child: only async-signal-safe calls from here on. */
__attribute__((noreturn)) static void daemon_child(char *const argv[],
                                                   bool keep_stderr,
                                                   bool may_chdir, int fd_limit)
{
    setsid();
    pid_t pid = fork();
    if (pid != 0)
        _exit(pid < 0 ? 1 : 0); /* npiped is reparented to init */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0) {
        dup2(nul, 0);
        dup2(nul, 1);
        if (!keep_stderr)
            dup2(nul, 2);
        if (nul > 2)
            close(nul);
    }
    close_from(3, fd_limit);
    if (may_chdir && chdir("/") != 0)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

static bool spawn_npiped(const char *npiped, const char *path)
{
    char *argv[] = {(char *)npiped, "--socket", (char *)path,
                    "--idle-exit", "30", NULL};
    bool keep_stderr = secure_getenv("NPIPE_DEBUG") != NULL;
    long max = sysconf(_SC_OPEN_MAX);
    int fd_limit = max > 0 && max < 65536 ? (int)max : 65536;
    np_debug("starting %s --socket %s --idle-exit 30", npiped, path);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0)
        daemon_child(argv, keep_stderr, path[0] == '/', fd_limit);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return true;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static NTSTATUS connect_status(int err)
{
    if (err == 0)
        return STATUS_SUCCESS;
    if (err == UNTRUSTED)
        return STATUS_ACCESS_DENIED;
    return STATUS_OBJECT_PATH_NOT_FOUND;
}

/* Called with the start lock held: nobody answered `path`. */
static NTSTATUS start_broker(int *slot, const char *path, int connect_err)
{
    char npiped[PATH_MAX];
    if (!find_npiped(npiped, sizeof npiped)) {
        np_debug("cannot find npiped (set NPIPE_NPIPED)");
        return STATUS_OBJECT_PATH_NOT_FOUND;
    }
    if (connect_err == ECONNREFUSED) /* a dead broker's socket */
        unlink(path);
    if (!spawn_npiped(npiped, path))
        return STATUS_OBJECT_PATH_NOT_FOUND;
    long long deadline = now_ns() + START_TIMEOUT_NS;
    for (;;) {
        int err = try_connect(slot, path);
        if (err == 0 || err == UNTRUSTED)
            return connect_status(err);
        if (now_ns() >= deadline)
            break;
        struct timespec pause = {0, POLL_INTERVAL_NS};
        nanosleep(&pause, NULL);
    }
    np_debug("npiped did not answer on %s within 5 seconds", path);
    return STATUS_OBJECT_PATH_NOT_FOUND;
}

/* Nothing answered at `path`: start npiped there, one starter at a time. */
static NTSTATUS locked_start(int *slot, const char *path)
{
    char lock_path[PATH_MAX];
    int n = snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    if (n <= 0 || (size_t)n >= sizeof lock_path)
        return STATUS_OBJECT_PATH_NOT_FOUND;
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0) {
        np_debug("%s: %s", lock_path, strerror(errno));
        return STATUS_OBJECT_PATH_NOT_FOUND;
    }
    while (flock(lock, LOCK_EX) < 0 && errno == EINTR)
        ;
    int err = try_connect(slot, path); /* someone else may have started it */
    NTSTATUS status = err == 0 || err == UNTRUSTED
                          ? connect_status(err)
                          : start_broker(slot, path, err);
    flock(lock, LOCK_UN);
    close(lock);
    return status;
}

static NTSTATUS connect_or_start(int *slot, const char *path, bool per_user)
{
    char dir[PATH_MAX];
    if (!dir_of(path, dir, sizeof dir))
        return STATUS_OBJECT_PATH_NOT_FOUND;
    if (per_user) {
        mkdir(dir, 0700);
        NTSTATUS status = check_private_dir(dir);
        if (!NT_SUCCESS(status))
            return status;
    }
    int err = try_connect(slot, path);
    if (err == 0 || err == UNTRUSTED)
        return connect_status(err);
    if (err == EACCES || err == EPERM) /* someone else's socket: keep off */
        return STATUS_ACCESS_DENIED;
    if (err == ENAMETOOLONG) {
        np_debug("%s: too long for a socket address", path);
        return STATUS_OBJECT_PATH_NOT_FOUND;
    }
    if (!per_user)
        make_dirs(dir);
    return locked_start(slot, path);
}

NTSTATUS np_broker_connect(int *slot)
{
    const char *env = secure_getenv("NPIPE_BROKER");
    if (env && *env)
        return connect_or_start(slot, env, false);
    int err = try_connect(slot, SYSTEM_BROKER);
    if (err == 0 || err == UNTRUSTED)
        return connect_status(err);
    char path[PATH_MAX];
    if (!per_user_path(path, sizeof path))
        return STATUS_OBJECT_PATH_NOT_FOUND;
    return connect_or_start(slot, path, true);
}
