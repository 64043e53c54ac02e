/*
 * run.c — the parent's side: starting and stopping npiped, running one
 * measurement (two children and the token protocol of worker.c), and the
 * memory of idle instances.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <windows.h>

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s,
                          .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- the broker ---------------------------------------------------------- */

static int probe_connect(const char *sock, pid_t *peer)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(sock) >= sizeof a.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a.sun_path, sock);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (r == 0 && peer) {
        struct ucred cr;
        socklen_t l = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0)
            *peer = cr.pid;
    }
    int e = errno;
    close(fd);
    errno = e;
    return r;
}

pid_t broker_start(const char *npiped, const char *sock, const char *log,
                   char *err)
{
    unlink(sock);
    pid_t pid = fork();
    if (pid < 0) {
        errf(err, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (in >= 0)
            dup2(in, 0);
        if (out >= 0) {
            dup2(out, 1);
            dup2(out, 2);
        }
        execl(npiped, "npiped", "--socket", sock, "--idle-exit", "0",
              "--log-level", "error", (char *)NULL);
        fprintf(stderr, "npipe-bench: exec %s: %s\n", npiped, strerror(errno));
        _exit(127);
    }
    for (double waited = 0; waited < 10; waited += 0.005) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            errf(err, "npiped exited at start (status 0x%x; log: %s)", st, log);
            return -1;
        }
        if (probe_connect(sock, NULL) == 0)
            return pid;
        sleep_s(0.005);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    errf(err, "npiped did not answer on %s within 10 s (log: %s)", sock, log);
    return -1;
}

pid_t broker_find(const char *sock, char *err)
{
    pid_t pid = 0;
    if (probe_connect(sock, &pid) < 0 || pid <= 0) {
        errf(err, "no broker answers on %s: %s", sock, strerror(errno));
        return -1;
    }
    return pid;
}

void broker_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 500; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        sleep_s(0.01);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- one run --------------------------------------------------------------- */

struct child {
    pid_t pid;
    int up;   /* parent reads */
    int down; /* parent writes */
};

static int spawn(const struct run_spec *s, enum side side, struct shared *sh,
                 struct child *other, struct child *out, char *err)
{
    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
        errf(err, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        errf(err, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        if (other && other->pid > 0) {
            close(other->up);
            close(other->down);
        }
        worker_main(s, side, up[1], down[0], sh);
    }
    close(up[1]);
    close(down[0]);
    out->pid = pid;
    out->up = up[0];
    out->down = down[1];
    return 0;
}

static void reap(struct child *c, bool kill_it)
{
    if (c->pid <= 0)
        return;
    if (kill_it)
        kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
    close(c->up);
    close(c->down);
    c->pid = 0;
}

/* Waits for token `want` from child c; on anything else fills err. */
static int expect(struct child *c, char want, double timeout, const char *who,
                  struct shared *sh, enum side side, char *err)
{
    char tok = 0;
    int r = read_token(c->up, &tok, timeout);
    if (r == 0 && tok == want)
        return 0;
    if (r == 0 && tok == 'E')
        errf(err, "%s", sh->side[side].error[0] ? sh->side[side].error : "failed");
    else if (r == -2)
        errf(err, "%s: timed out after %.0f s waiting for '%c'", who, timeout, want);
    else if (sh->side[side].error[0])
        errf(err, "%s", sh->side[side].error);
    else
        errf(err, "%s exited unexpectedly", who);
    return -1;
}

int run_once(const struct run_spec *s, struct shared *sh, pid_t broker,
             struct run_result *res)
{
    memset(res, 0, sizeof *res);
    memset(sh->side, 0, sizeof sh->side);
    sh->stop = 0;
    sh->nsamples = 0;
    sh->max_samples = SHARED_MAX_SAMPLES;
    char *err = res->error;
    struct child srv = {0}, cli = {0};
    const double setup_timeout = 30;
    const double run_timeout = s->duration * 4 + 20;

    if (s->tr == TR_RAW)
        unlink(s->sock_path);
    if (spawn(s, SIDE_SERVER, sh, NULL, &srv, err) < 0)
        goto out;
    if (spawn(s, SIDE_CLIENT, sh, &srv, &cli, err) < 0)
        goto out;
    if (expect(&srv, 'L', setup_timeout, "server", sh, SIDE_SERVER, err) < 0)
        goto out;
    write_token(cli.down, 'C');
    if (expect(&srv, 'R', setup_timeout, "server", sh, SIDE_SERVER, err) < 0 ||
        expect(&cli, 'R', setup_timeout, "client", sh, SIDE_CLIENT, err) < 0)
        goto out;

    uint64_t busy0, total0, busy1, total1;
    double bcpu0 = broker > 0 ? proc_cpu_s(broker) : -1;
    double buser0 = 0, bsys0 = 0, buser1 = 0, bsys1 = 0;
    long long bsw0 = broker > 0 ? proc_switches(broker) : 0;
    if (broker > 0)
        proc_stat_cpu_split(broker, &buser0, &bsys0);
    cpu_jiffies(&busy0, &total0);
    double t0 = now_s();
    write_token(srv.down, 'G');
    write_token(cli.down, 'G');
    if (expect(&cli, 'D', run_timeout, "client", sh, SIDE_CLIENT, err) < 0 ||
        expect(&srv, 'D', run_timeout, "server", sh, SIDE_SERVER, err) < 0)
        goto out;
    res->wall = now_s() - t0;
    cpu_jiffies(&busy1, &total1);
    double bcpu1 = broker > 0 ? proc_cpu_s(broker) : -1;
    if (broker > 0)
        proc_stat_cpu_split(broker, &buser1, &bsys1);
    res->broker_cpu = broker > 0 && bcpu0 >= 0 && bcpu1 >= 0 ? bcpu1 - bcpu0 : 0;
    res->broker_user = buser1 - buser0;
    res->broker_switches = broker > 0 ? proc_switches(broker) - bsw0 : 0;
    res->broker_sys = bsys1 - bsys0;
    memcpy(res->side, sh->side, sizeof res->side);
    for (int i = 0; i < 2; i++)
        if (res->side[i].failed) {
            errf(err, "%s", res->side[i].error);
            goto out;
        }
    /* Whatever else the machine did meanwhile, as a fraction of all CPUs. */
    double hz = (double)sysconf(_SC_CLK_TCK);
    double busy = (double)(busy1 - busy0) / hz;
    double all = (double)(total1 - total0) / hz;
    double ours = res->side[0].cpu + res->side[1].cpu + res->broker_cpu;
    res->foreign = all > 0 ? (busy - ours) / all : 0;
    if (res->foreign < 0)
        res->foreign = 0;
    res->ok = true;
out:
    reap(&cli, !res->ok);
    reap(&srv, !res->ok);
    return res->ok ? 0 : -1;
}

/* ---- memory of idle instances ------------------------------------------- */

static _Noreturn void npipe_idle_child(const struct mem_spec *m, int up,
                                       int down, struct shared *sh)
{
    struct side_result *r = &sh->side[SIDE_SERVER];
    HANDLE *h = calloc((size_t)m->instances, sizeof *h);
    double t0 = now_s();
    for (int i = 0; i < m->instances; i++) {
        char name[200];
        snprintf(name, sizeof name, "%s-%d", m->np_prefix, i % m->names);
        h[i] = CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX,
                                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT,
                                PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
        if (h[i] == INVALID_HANDLE_VALUE) {
            snprintf(r->error, sizeof r->error,
                     "npipe: CreateNamedPipe #%d of %d (%s): error %u", i + 1,
                     m->instances, name, (unsigned)GetLastError());
            r->failed = 1;
            write_token(up, 'E');
            _exit(1);
        }
    }
    r->t_first = t0;
    r->t_last = now_s();
    r->ops = (uint64_t)m->instances;
    write_token(up, 'R');
    char tok;
    read_token(down, &tok, 600);
    _exit(0);
}

static _Noreturn void raw_idle_child(const struct mem_spec *m, int up, int down,
                                     struct shared *sh)
{
    struct side_result *r = &sh->side[SIDE_SERVER];
    int made = 0;
    double t0 = now_s();
    for (int i = 0; i < m->instances; i++) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%.90s/%d", m->raw_dir, i);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0)
            break; /* EMFILE: the caller scales what was made */
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) {
            snprintf(r->error, sizeof r->error, "raw: bind/listen %s: %s",
                     a.sun_path, strerror(errno));
            r->failed = 1;
            write_token(up, 'E');
            _exit(1);
        }
        made++;
    }
    r->t_first = t0;
    r->t_last = now_s();
    r->ops = (uint64_t)made;
    write_token(up, 'R');
    char tok;
    read_token(down, &tok, 600);
    for (int i = 0; i < made; i++) {
        char path[200];
        snprintf(path, sizeof path, "%.90s/%d", m->raw_dir, i);
        unlink(path);
    }
    _exit(0);
}

int mem_once(const struct mem_spec *m, enum tr_id tr, struct shared *sh,
             struct mem_result *res)
{
    memset(res, 0, sizeof *res);
    memset(sh->side, 0, sizeof sh->side);
    char *err = res->error;
    pid_t broker = -1;
    char *saved = NULL;

    if (tr == TR_NPIPE) {
        broker = broker_start(m->npiped, m->broker_sock, m->broker_log, err);
        if (broker < 0)
            return -1;
        sleep_s(0.05);
        res->before_kb = proc_rss_kb(broker);
        const char *old = getenv("NPIPE_BROKER");
        saved = old ? strdup(old) : NULL;
        setenv("NPIPE_BROKER", m->broker_sock, 1);
    } else {
        mkdir(m->raw_dir, 0700);
        res->before_kb = meminfo_kb("Slab");
    }
    double bcpu0 = broker > 0 ? proc_cpu_s(broker) : 0;

    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
        errf(err, "pipe: %s", strerror(errno));
        goto out;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        if (tr == TR_NPIPE)
            npipe_idle_child(m, up[1], down[0], sh);
        raw_idle_child(m, up[1], down[0], sh);
    }
    close(up[1]);
    close(down[0]);
    char tok = 0;
    int r = pid < 0 ? -1 : read_token(up[0], &tok, 300);
    if (r == 0 && tok == 'R') {
        sleep_s(0.05); /* let the kernel's and the broker's counters settle */
        res->after_kb = tr == TR_NPIPE ? proc_rss_kb(broker) : meminfo_kb("Slab");
        res->count = (long)sh->side[SIDE_SERVER].ops;
        res->create_s = sh->side[SIDE_SERVER].t_last - sh->side[SIDE_SERVER].t_first;
        res->broker_cpu = broker > 0 ? proc_cpu_s(broker) - bcpu0 : 0;
        res->ok = res->count > 0 && res->after_kb >= 0 && res->before_kb >= 0;
        if (!res->ok)
            errf(err, "%s: could not read the memory figures", tr == TR_NPIPE ? "npipe" : "raw");
    } else if (sh->side[SIDE_SERVER].error[0]) {
        errf(err, "%s", sh->side[SIDE_SERVER].error);
    } else {
        errf(err, "%s idle-instance child failed (%s)",
             tr == TR_NPIPE ? "npipe" : "raw", r == -2 ? "timeout" : "exited");
    }
    if (pid > 0) {
        write_token(down[1], 'G');
        if (!res->ok)
            kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    close(up[0]);
    close(down[1]);
out:
    if (tr == TR_NPIPE) {
        broker_stop(broker);
        if (saved) {
            setenv("NPIPE_BROKER", saved, 1);
            free(saved);
        } else {
            unsetenv("NPIPE_BROKER");
        }
    } else {
        rmdir(m->raw_dir);
    }
    return res->ok ? 0 : -1;
}
