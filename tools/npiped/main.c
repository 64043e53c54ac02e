/*
 * npiped — the npipe broker, the "kernel" every npipe process talks to.
 *
 * It owns the pipe namespace, the handles, the processes and their
 * sessions; it loads the npfs driver and turns each client request into an
 * IRP for it.  Usually the library starts it on demand (a per-user broker
 * that exits when idle); `npiped --system` is the machine-wide one, run as
 * a service (packaging/npiped.service and npiped.socket: systemd passes
 * the listening socket, and npiped tells systemd when it is ready).
 *
 * It never forks: it runs in the foreground, logs to stderr (with syslog
 * priorities when stderr is the journal), and stops cleanly on SIGTERM or
 * SIGINT — every pending operation fails (the clients' channels close, so
 * a blocked ReadFile or ConnectNamedPipe returns ERROR_BROKEN_PIPE), then
 * every handle is closed as if its process had exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"
#include "npfs/npfs.h"
#include "ps/ps.h"
#include "ps/quota.h"
#include "transport/transport.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = sig;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npiped [OPTIONS]\n"
            "The npipe broker: Windows named pipes for Linux processes.\n\n"
            "  --socket PATH        listen on PATH (default: the per-user socket,\n"
            "                       $XDG_RUNTIME_DIR/npipe/broker or /tmp/npipe-UID/broker)\n"
            "  --system             the machine-wide broker on /run/npipe/broker,\n"
            "                       serving every user (run it as root)\n"
            "  --foreground         accepted for compatibility; npiped never forks\n"
            "  --idle-exit SECONDS  exit after SECONDS with no client (0: never,\n"
            "                       the default)\n"
            "  --log-level LEVEL    error, warning (default), info or debug\n"
            "  --max-handles N      handles per process (default %u)\n"
            "  --max-user-handles N handles per user (default %u)\n"
            "  --max-pending N      requests in flight per process (default %u)\n"
            "  --max-user-pending N requests in flight per user (default %u)\n"
            "  --max-user-bytes SIZE  bytes held for one user: request buffers,\n"
            "                       buffered pipe data, queued replies (default\n"
            "                       %lluM; suffixes K, M, G)\n"
            "  --max-user-processes N  client processes per user (default %u)\n"
            "  --max-user-threads N client threads (channels) per user (default %u)\n"
            "                       (per-user limits: 0 = none; docs/robustness.md)\n"
            "  --version            the version\n"
            "  --help               this text\n"
            "\n"
            "Logs go to stderr, one line per event; under systemd they carry syslog\n"
            "priorities for the journal.  With systemd socket activation\n"
            "(LISTEN_FDS) npiped uses the socket it is given; with NOTIFY_SOCKET it\n"
            "reports READY=1 once it serves (Type=notify).  SIGTERM or SIGINT stop\n"
            "it cleanly: pending operations fail (clients see ERROR_BROKEN_PIPE),\n"
            "then every handle is closed.\n"
            "\n"
            "Usually nobody starts npiped by hand: libnpipe starts a per-user one\n"
            "on demand.  See npiped(8).\n"
            "\n"
            "Exit status: 0 after a clean stop, 1 if it could not start (another\n"
            "broker serves the socket, no permission), 2 usage error.\n",
            (unsigned)ob_max_handles_per_process, (unsigned)ps_limits.handles_per_user,
            (unsigned)io_max_pending_per_process, (unsigned)ps_limits.irps_per_user,
            (unsigned long long)(ps_limits.pool_bytes_per_user >> 20),
            (unsigned)ps_limits.processes_per_user, (unsigned)ps_limits.threads_per_user);
}

/* A count option: a decimal number in [min, max]. */
static bool parse_count(const char *s, unsigned long long min,
                        unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A size: a number with an optional K, M or G suffix (powers of 1024). */
static bool parse_size(const char *s, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return false;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end || (shift && v > (~0ull >> shift)))
        return false;
    *out = v << shift;
    return true;
}

/* Every channel and every client process costs the broker a descriptor:
 * take all the kernel allows. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Tells systemd how we are doing (sd_notify(3)), if it is listening. */
static void notify_systemd(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = path ? strlen(path) : 0;
    if (!len || (path[0] != '/' && path[0] != '@') || len >= sizeof addr.sun_path)
        return;
    memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@')
        addr.sun_path[0] = '\0'; /* an abstract socket */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
        npiped_log(1, "cannot notify systemd (%s): %s", path, strerror(errno));
    close(fd);
}

static int parse_level(const char *s)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static char *default_socket(void)
{
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    static char path[4096];
    if (runtime && *runtime)
        snprintf(path, sizeof path, "%s/npipe", runtime);
    else
        snprintf(path, sizeof path, "/tmp/npipe-%u", (unsigned)getuid());
    mkdir(path, 0700);
    strncat(path, "/broker", sizeof path - strlen(path) - 1);
    return path;
}

int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "C.UTF-8");
    struct transport_options opt = {.log_level = 1};
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'},
        {"system", no_argument, NULL, 'S'},
        {"foreground", no_argument, NULL, 'f'},
        {"idle-exit", required_argument, NULL, 'i'},
        {"log-level", required_argument, NULL, 'l'},
        {"max-handles", required_argument, NULL, 'm'},
        {"max-user-handles", required_argument, NULL, 'H'},
        {"max-pending", required_argument, NULL, 'p'},
        {"max-user-pending", required_argument, NULL, 'P'},
        {"max-user-bytes", required_argument, NULL, 'B'},
        {"max-user-processes", required_argument, NULL, 'R'},
        {"max-user-threads", required_argument, NULL, 'T'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 's': opt.socket_path = optarg; break;
        case 'S': opt.system = true; break;
        case 'f': break;
        case 'i':
            opt.idle_exit_seconds = (int)strtol(optarg, &end, 10);
            if (*end || opt.idle_exit_seconds < 0) {
                fprintf(stderr, "npiped: bad --idle-exit: %s\n", optarg);
                return 2;
            }
            break;
        case 'l':
            opt.log_level = parse_level(optarg);
            if (opt.log_level < 0) {
                fprintf(stderr, "npiped: bad --log-level: %s\n", optarg);
                return 2;
            }
            break;
        case 'm': {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 16 || n >= (long)(OB_HANDLE_LIMIT >> 2)) {
                fprintf(stderr, "npiped: bad --max-handles: %s\n", optarg);
                return 2;
            }
            ob_max_handles_per_process = (ULONG)n;
            break;
        }
        case 'H': case 'p': case 'P': case 'R': case 'T': {
            unsigned long long n;
            if (!parse_count(optarg, c == 'p' ? 1 : 0, 0xFFFFFFFFull, &n)) {
                const char *name = "?";
                for (const struct option *o = longopts; o->name; o++)
                    if (o->val == c)
                        name = o->name;
                fprintf(stderr, "npiped: bad --%s: %s\n", name, optarg);
                return 2;
            }
            if (c == 'H')
                ps_limits.handles_per_user = (ULONG)n;
            else if (c == 'p')
                io_max_pending_per_process = (ULONG)n;
            else if (c == 'P')
                ps_limits.irps_per_user = (ULONG)n;
            else if (c == 'R')
                ps_limits.processes_per_user = (ULONG)n;
            else
                ps_limits.threads_per_user = (ULONG)n;
            break;
        }
        case 'B': {
            unsigned long long n;
            if (!parse_size(optarg, &n)) {
                fprintf(stderr, "npiped: bad --max-user-bytes: %s\n", optarg);
                return 2;
            }
            ps_limits.pool_bytes_per_user = n;
            break;
        }
        case 'V': printf("npiped %s\n", NPIPE_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if (opt.system && !opt.socket_path) {
        mkdir("/run/npipe", 0755);
        opt.socket_path = "/run/npipe/broker";
    }
    if (!opt.socket_path)
        opt.socket_path = default_socket();
    npiped_log_level = opt.log_level;

    raise_fd_limit();

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (getrandom(&io_broker_instance_id, sizeof io_broker_instance_id, 0) !=
        sizeof io_broker_instance_id)
        io_broker_instance_id = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
    io_broker_instance_id |= 1; /* never 0 */

    ps_init();
    NTSTATUS status = io_load_driver(NpDriverEntry, "\\Device\\NamedPipe");
    io_driver_counters = NpQueryCounters; /* npfs's part of NP_OP_BROKER_STATS */
    if (!NT_SUCCESS(status)) {
        npiped_log(0, "npfs failed to load: 0x%08x", (unsigned)status);
        return 1;
    }
    if (transport_start(&opt) < 0) {
        int e = errno;
        npiped_log(0, "cannot listen on %s: %s", opt.socket_path, strerror(e));
        if (e == EACCES || e == EPERM)
            npiped_log(0, "(--system needs root to create /run/npipe; a per-user broker "
                          "needs its own directory)");
        notify_systemd("STATUS=cannot listen");
        return 1;
    }
    char idle[48];
    if (opt.idle_exit_seconds > 0)
        snprintf(idle, sizeof idle, "exits after %d s idle", opt.idle_exit_seconds);
    else
        snprintf(idle, sizeof idle, "never exits when idle");
    npiped_log(2, "npiped %s serving %s%s (%s; %s)", NPIPE_VERSION, opt.socket_path,
               transport_socket_activated ? ", a socket from systemd" : "",
               opt.system ? "system broker: every user" : "per-user broker: this user and root",
               idle);
    notify_systemd("READY=1\nSTATUS=serving");
    int rc = transport_run(&stop_requested) < 0 ? 1 : 0;
    if (stop_requested) {
        notify_systemd("STOPPING=1");
        npiped_log(2, "%s: stopping; pending operations fail (clients see a broken pipe)",
                   stop_requested == SIGINT ? "SIGINT" : "SIGTERM");
    }
    transport_stop();
    io_unload_drivers();
    io_drain_irp_lookaside();
    npiped_log(2, "stopped");
    return rc;
}
