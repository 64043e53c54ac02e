/*
 * listener.c — the broker's socket, its event loop, and who is connected.
 *
 * One epoll set holds the listening socket, every channel, and one pidfd
 * per client process.  Accepting a channel asks the kernel who is on the
 * other end (SO_PEERCRED for pid/uid/gid, SO_PEERPIDFD for a pidfd that
 * cannot be fooled by pid reuse; on kernels before 6.5 pidfd_open on the
 * reported pid, with the small race that leaves documented in
 * docs/decisions.md).  A process is torn down when its pidfd says it
 * exited — not when a channel closes, since a process may have handles and
 * no thread talking to us.
 */
#include "transport/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

int npiped_log_level = 1;

/* Is stderr the systemd journal?  Then lines carry a syslog priority
 * ("<3>") instead of a time and pid, which the journal records itself
 * (sd-daemon(3)); JOURNAL_STREAM names the journal's stream. */
static bool log_to_journal(void)
{
    static int journal = -1;
    if (journal < 0) {
        const char *stream = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        journal = stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 &&
                  fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
                  (unsigned long long)st.st_ino == ino;
    }
    return journal;
}

void npiped_log(int level, const char *fmt, ...)
{
    if (level > npiped_log_level)
        return;
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (log_to_journal()) {
        static const int priority[] = {3, 4, 6, 7}; /* LOG_ERR ... LOG_DEBUG */
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        fprintf(stderr, "<%d>%s\n", priority[level < 0 ? 0 : level > 3 ? 3 : level], line);
        return;
    }
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
    fprintf(stderr, "%s npiped[%d] %s: ", when, (int)getpid(),
            names[level < 0 ? 0 : level > 3 ? 3 : level]);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static struct {
    struct transport_options options;
    int epoll_fd;
    int listen_fd;
    struct event_source listener;
    struct channel *all;
    struct channel *to_free;
    size_t channel_count;
    time_t idle_since;
    ino_t socket_inode;  /* what we bound, to unlink only our own socket */
    bool draining;       /* idle: socket unlinked, serving what was queued */
    struct timespec drain_started;
} tp = {.epoll_fd = -1, .listen_fd = -1};

/* ---- Channel bookkeeping ------------------------------------------------- */

void channel_list_remove(struct channel *ch)
{
    if (ch->prev_all)
        ch->prev_all->next_all = ch->next_all;
    else if (tp.all == ch)
        tp.all = ch->next_all;
    if (ch->next_all)
        ch->next_all->prev_all = ch->prev_all;
    ch->next_all = ch->prev_all = NULL;
    tp.channel_count--;
}

void channel_defer_free(struct channel *ch)
{
    ch->next_free = tp.to_free;
    tp.to_free = ch;
}

static void reap_channels(void)
{
    while (tp.to_free) {
        struct channel *ch = tp.to_free;
        tp.to_free = ch->next_free;
        channel_free(ch);
    }
}

/* ---- Processes ------------------------------------------------------------ */

struct process_source {
    struct event_source source;
    PEPROCESS process;
    LIST_ENTRY link; /* in tp.watches */
};

static LIST_ENTRY watches = {&watches, &watches};

static void unwatch(struct process_source *ps)
{
    if (ps->process->pidfd >= 0)
        epoll_ctl(tp.epoll_fd, EPOLL_CTL_DEL, ps->process->pidfd, NULL);
    RemoveEntryList(&ps->link);
    ps_dereference_process(ps->process);
    free(ps);
}

/* Rundown of a process: its channels die with it (nothing more can come
 * from them), then its handles and IRPs. */
static void rundown(PEPROCESS process)
{
    for (struct channel *ch = tp.all, *next; ch; ch = next) {
        next = ch->next_all;
        if (ch->thread && ch->thread->process == process)
            channel_kill(ch);
    }
    for (PLIST_ENTRY e = watches.Flink; e != &watches; e = e->Flink) {
        struct process_source *ps = CONTAINING_RECORD(e, struct process_source, link);
        if (ps->process == process) {
            unwatch(ps);
            break;
        }
    }
    ps_terminate_process(process);
}

static void watch_process(PEPROCESS process)
{
    struct process_source *ps = malloc(sizeof *ps);
    if (!ps)
        return; /* rundown then happens when its last channel closes */
    ps->source.kind = SOURCE_PROCESS;
    ps->source.ptr = ps;
    ps->process = process;
    ps_reference_process(process);
    InsertTailList(&watches, &ps->link);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &ps->source};
    if (epoll_ctl(tp.epoll_fd, EPOLL_CTL_ADD, process->pidfd, &ev) < 0)
        unwatch(ps);
}

void transport_watch_process(PEPROCESS process) { watch_process(process); } /* ps/inherit.c */

/* A watch may have ended earlier in the same batch (a pid reused by a new
 * peer runs the old process down): its event must not be used then. */
static bool is_watched(struct process_source *ps)
{
    for (PLIST_ENTRY e = watches.Flink; e != &watches; e = e->Flink)
        if (CONTAINING_RECORD(e, struct process_source, link) == ps)
            return true;
    return false;
}

static void process_exited(struct process_source *ps)
{
    npiped_log(2, "process %d exited", (int)ps->process->pid);
    rundown(ps->process);
}

static int peer_pidfd(int fd, pid_t pid)
{
    int pidfd = -1;
    socklen_t len = sizeof pidfd;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0) {
        fcntl(pidfd, F_SETFD, FD_CLOEXEC);
        return pidfd;
    }
    /* Before Linux 6.5: pin the pid we were told.  It could in principle
     * have been recycled between connect() and here. */
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* The process object for a newly accepted peer. */
static PEPROCESS process_for_peer(int fd, const struct ucred *cred)
{
    PEPROCESS process = ps_lookup_process(cred->pid);
    if (process && ps_process_alive(process) &&
        (process->uid == cred->uid || !IsListEmpty(&process->threads))) /* ps/inherit.c */
        return process;
    if (process) /* it exited and its pid is in use again: finish the old
                    one's rundown before the new one moves in */
        rundown(process);
    int pidfd = peer_pidfd(fd, cred->pid);
    if (pidfd < 0)
        return NULL;
    if (!NT_SUCCESS(ps_create_process(cred->pid, cred->uid, cred->gid, pidfd,
                                      &process))) {
        close(pidfd);
        return NULL;
    }
    watch_process(process);
    npiped_log(2, "process %d (uid %d) attached", (int)cred->pid, (int)cred->uid);
    return process;
}

static void accept_channels(void)
{
    for (;;) {
        int fd = accept4(tp.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                npiped_log(1, "accept: %s", strerror(errno));
            return;
        }
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
            cred.pid <= 0) {
            close(fd);
            continue;
        }
        if (!tp.options.system && cred.uid != geteuid() && cred.uid != 0) {
            npiped_log(1, "refusing uid %d on a per-user broker", (int)cred.uid);
            close(fd);
            continue;
        }
        PEPROCESS process = process_for_peer(fd, &cred);
        struct channel *ch = process ? channel_create(fd, tp.epoll_fd, process,
                                                      cred.pid, cred.uid)
                                     : NULL;
        if (!ch) {
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &ch->source};
        if (epoll_ctl(tp.epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            ch->fd = -1;
            close(fd);
            ps_terminate_thread(ch->thread);
            channel_free(ch);
            continue;
        }
        ch->next_all = tp.all;
        if (tp.all)
            tp.all->prev_all = ch;
        tp.all = ch;
        tp.channel_count++;
    }
}

/* ---- Start and loop ------------------------------------------------------- */

static int make_socket(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        npiped_log(0, "socket path too long: %s", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno == EADDRINUSE) {
        /* Someone's socket is there: if a broker answers, it is not ours to
         * take; if nobody answers, it is stale. */
        int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        bool alive = probe >= 0 &&
                     connect(probe, (struct sockaddr *)&addr, sizeof addr) == 0;
        if (probe >= 0)
            close(probe);
        if (alive) {
            npiped_log(0, "a broker is already serving %s", path);
            close(fd);
            errno = EADDRINUSE;
            return -1;
        }
        unlink(path);
        if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
            close(fd);
            return -1;
        }
    } else if (errno == EADDRINUSE) {
        close(fd);
        return -1;
    }
    chmod(path, tp.options.system ? 0666 : 0600);
    struct stat st;
    if (stat(path, &st) == 0)
        tp.socket_inode = st.st_ino;
    if (listen(fd, 128) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * systemd socket activation (sd_listen_fds(3)): when LISTEN_PID is this
 * process and LISTEN_FDS is at least 1, the listening socket is already
 * open as fd 3 and npiped uses it instead of binding its own (it never
 * unlinks it either: the socket unit owns it).  Returns the fd, -1 when
 * nothing was passed, or -2 (errno set) when what was passed is not a
 * listening AF_UNIX SOCK_SEQPACKET socket.
 */
static int activation_socket(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    if (!pid || !fds)
        return -1;
    char *end;
    long listen_pid = strtol(pid, &end, 10);
    if (*end || listen_pid != (long)getpid())
        return -1;
    long n = strtol(fds, &end, 10);
    unsetenv("LISTEN_PID"); /* not for our children */
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (*end || n < 1)
        return -1;
    const int fd = 3; /* SD_LISTEN_FDS_START */
    for (long extra = 1; extra < n; extra++)
        close(fd + (int)extra);
    if (n > 1)
        npiped_log(1, "systemd passed %ld sockets; using the first", n);
    int type = 0, listening = 0;
    socklen_t len = sizeof type, len2 = sizeof listening;
    struct sockaddr_un addr = {0};
    socklen_t alen = sizeof addr;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_SEQPACKET ||
        getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len2) < 0 || !listening ||
        getsockname(fd, (struct sockaddr *)&addr, &alen) < 0 ||
        addr.sun_family != AF_UNIX) {
        npiped_log(0, "the socket systemd passed is not a listening AF_UNIX "
                      "SOCK_SEQPACKET socket (ListenSequentialPacket=)");
        errno = EINVAL;
        return -2;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

bool transport_socket_activated;

int transport_start(const struct transport_options *options)
{
    tp.options = *options;
    tp.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (tp.epoll_fd < 0)
        return -1;
    tp.listen_fd = activation_socket();
    transport_socket_activated = tp.listen_fd >= 0;
    if (tp.listen_fd == -1)
        tp.listen_fd = make_socket(options->socket_path);
    if (tp.listen_fd < 0) {
        int e = errno;
        close(tp.epoll_fd);
        tp.epoll_fd = -1;
        errno = e;
        return -1;
    }
    tp.listener.kind = SOURCE_LISTENER;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &tp.listener};
    epoll_ctl(tp.epoll_fd, EPOLL_CTL_ADD, tp.listen_fd, &ev);
    tp.idle_since = time(NULL);
    return 0;
}

static bool idle_too_long(void)
{
    if (tp.options.idle_exit_seconds <= 0)
        return false;
    if (tp.channel_count > 0 || ps_process_count() > 0) {
        tp.idle_since = time(NULL);
        return false;
    }
    return time(NULL) - tp.idle_since >= tp.options.idle_exit_seconds;
}

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

/* An idle broker must not vanish under a client that is connecting right
 * now: the connection would sit in the backlog and see EOF.  So it first
 * removes its name (new clients start a new broker), keeps serving what
 * already queued, and exits only once that, too, has gone quiet. */
static bool time_to_exit(void)
{
    if (!tp.draining) {
        if (!idle_too_long())
            return false;
        struct stat st;
        if (stat(tp.options.socket_path, &st) == 0 && st.st_ino == tp.socket_inode)
            unlink(tp.options.socket_path);
        tp.draining = true;
        clock_gettime(CLOCK_MONOTONIC, &tp.drain_started);
        return false;
    }
    if (tp.channel_count > 0 || ps_process_count() > 0)
        clock_gettime(CLOCK_MONOTONIC, &tp.drain_started);
    return seconds_since(&tp.drain_started) >= 0.5;
}

int transport_run(volatile sig_atomic_t *stop)
{
    struct epoll_event events[64];
    while (!*stop) {
        int timeout = io_timer_next_timeout_ms();
        int tick = tp.draining ? 100 : 1000;
        if (tp.options.idle_exit_seconds > 0 && (timeout < 0 || timeout > tick))
            timeout = tick;
        int n = epoll_wait(tp.epoll_fd, events, 64, timeout);
        if (n < 0 && errno != EINTR) {
            npiped_log(0, "epoll_wait: %s", strerror(errno));
            return -1;
        }
        /* Deaths first.  A process's sockets close before its parent can
         * reap it, so when a survivor's request and a peer's death are in
         * the same batch, the death happened first: finish the dead
         * channels (what they sent before dying still counts) and the
         * dead processes before serving anyone, as Windows has finished a
         * process's rundown by the time its exit is observable.
         * The kinds are read first: a process source is freed as soon as
         * its process is run down. */
        enum source_kind kinds[64];
        for (int i = 0; i < n; i++)
            kinds[i] = ((struct event_source *)events[i].data.ptr)->kind;
        for (int i = 0; i < n; i++) {
            if (kinds[i] != SOURCE_CHANNEL || !(events[i].events & (EPOLLHUP | EPOLLERR)))
                continue;
            struct channel *ch = ((struct event_source *)events[i].data.ptr)->ptr;
            for (int rounds = 0; !ch->dead && rounds < 1024; rounds++)
                channel_readable(ch);
        }
        for (int i = 0; i < n; i++) {
            /* the source is the first member: no read through a freed one */
            struct process_source *ps = (struct process_source *)events[i].data.ptr;
            if (kinds[i] == SOURCE_PROCESS && is_watched(ps))
                process_exited(ps);
        }
        for (int i = 0; i < n; i++) {
            if (kinds[i] == SOURCE_LISTENER) {
                accept_channels();
            } else if (kinds[i] == SOURCE_CHANNEL) {
                struct channel *ch = ((struct event_source *)events[i].data.ptr)->ptr;
                if (!ch->dead && (events[i].events & EPOLLOUT))
                    channel_flush(ch);
                if (!ch->dead && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                    channel_readable(ch);
            }
        }
        /* Freed only now: later events of this batch may point at them. */
        reap_channels();
        io_timer_run_expired();
        reap_channels();
        if (time_to_exit()) {
            npiped_log(2, "idle for %d s; exiting", tp.options.idle_exit_seconds);
            break;
        }
    }
    return 0;
}

void transport_stop(void)
{
    while (tp.all)
        channel_kill(tp.all);
    reap_channels();
    while (!IsListEmpty(&watches))
        rundown(CONTAINING_RECORD(watches.Flink, struct process_source, link)->process);
    ps_shutdown();
    reap_channels();
    if (tp.listen_fd >= 0) {
        close(tp.listen_fd);
        struct stat st;
        if (!tp.draining && stat(tp.options.socket_path, &st) == 0 &&
            st.st_ino == tp.socket_inode)
            unlink(tp.options.socket_path);
        tp.listen_fd = -1;
    }
    if (tp.epoll_fd >= 0) {
        close(tp.epoll_fd);
        tp.epoll_fd = -1;
    }
}
