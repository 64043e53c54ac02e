/*
 * npiped — the npipe broker, the "kernel" every npipe process talks to.
 *
 * It owns the pipe namespace, the handles, the processes and their
 * sessions; it loads the npfs driver and turns each client request into an
 * IRP for it.  Usually the library starts it on demand (a per-user broker
 * that exits when idle); `npiped --system` is the machine-wide one.
 */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/io.h"
#include "npfs/npfs.h"
#include "ps/ps.h"
#include "transport/transport.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npiped [OPTIONS]\n"
            "The npipe broker: Windows named pipes for Linux processes.\n\n"
            "  --socket PATH        listen on PATH (default: the per-user socket,\n"
            "                       $XDG_RUNTIME_DIR/npipe/broker or /tmp/npipe-UID/broker)\n"
            "  --system             the machine-wide broker on /run/npipe/broker,\n"
            "                       serving every user\n"
            "  --foreground         accepted for compatibility; npiped never forks\n"
            "  --idle-exit SECONDS  exit after SECONDS with no client (0: never)\n"
            "  --log-level LEVEL    error, warning (default), info or debug\n"
            "  --max-handles N      handles per process (default %u)\n"
            "  --help               this text\n",
            (unsigned)ob_max_handles_per_process);
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
    if (!NT_SUCCESS(status)) {
        npiped_log(0, "npfs failed to load: 0x%08x", (unsigned)status);
        return 1;
    }
    if (transport_start(&opt) < 0) {
        npiped_log(0, "cannot listen on %s: %s", opt.socket_path, strerror(errno));
        return 1;
    }
    npiped_log(2, "serving %s", opt.socket_path);
    int rc = transport_run(&stop_requested) < 0 ? 1 : 0;
    if (stop_requested)
        npiped_log(2, "stopping: failing pending operations and closing channels");
    transport_stop();
    io_unload_drivers();
    io_drain_irp_lookaside();
    return rc;
}
