/*
 * npipe-bench — npipe's named pipes against raw AF_UNIX sockets, side by
 * side in one run.
 *
 *   npipe-bench            the full run (a few minutes)
 *   npipe-bench --quick    every row, fewer and shorter repetitions (< 30 s)
 *   npipe-bench --json     the same figures as JSON on stdout
 *
 * Every workload runs over npipe (the synchronous Win32 API) and over raw
 * AF_UNIX sockets (SOCK_SEQPACKET for message mode, SOCK_STREAM for byte
 * mode) between two forked processes; npipe and raw runs alternate, so that
 * drift in the machine hits both alike.  Everything runs twice: unpinned,
 * and with every process — this one, both peers and the broker — pinned to
 * one CPU, which on a virtual machine takes the cost of cross-CPU wake-ups
 * out and leaves the software's.  npiped is started by the benchmark on a
 * private socket ($NPIPE_BROKER), under the phase's CPU affinity, so its
 * CPU time can be read from /proc.
 *
 * No figure is judged here: the output is for people and for comparing
 * commits.  See docs/performance.md.
 */
#include "run.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef NPIPE_BENCH_HAVE_REVISION_H
#include "revision.h"
#endif
#ifndef NPIPE_BENCH_VERSION
#define NPIPE_BENCH_VERSION "unknown"
#endif
#ifndef NPIPE_BENCH_REVISION
#define NPIPE_BENCH_REVISION "unknown"
#endif

#define MIB (1024.0 * 1024.0)
#define MAXREPS 50
#define NPHASES 2

/* ---- what is measured --------------------------------------------------- */

struct job {
    const char *id;
    const char *group; /* for --only */
    enum workload wl;
    enum pipe_mode mode;
    size_t msg;
    int pairs;
};

static const struct job jobs[] = {
    {"rtt", "rtt", WL_PINGPONG, MODE_MESSAGE, 64, 1},
    {"transact", "transact", WL_TRANSACT, MODE_MESSAGE, 64, 1},
    {"byte_4k", "stream", WL_STREAM, MODE_BYTE, 4096, 1},
    {"byte_64k", "stream", WL_STREAM, MODE_BYTE, 65536, 1},
    {"byte_1m", "stream", WL_STREAM, MODE_BYTE, 1048576, 1},
    {"msg_4k", "stream", WL_STREAM, MODE_MESSAGE, 4096, 1},
    {"msg_64k", "stream", WL_STREAM, MODE_MESSAGE, 65536, 1},
    {"msg_1m", "stream", WL_STREAM, MODE_MESSAGE, 1048576, 1},
    {"connect", "connect", WL_CONNECT, MODE_BYTE, 0, 1},
    {"scale_1", "scale", WL_STREAM, MODE_BYTE, 65536, 1},
    {"scale_16", "scale", WL_STREAM, MODE_BYTE, 65536, 16},
    {"scale_256", "scale", WL_STREAM, MODE_BYTE, 65536, 256},
};
#define NJOBS ((int)(sizeof jobs / sizeof jobs[0]))
#define CONNECT_SERVER_THREADS 2

enum row_kind { K_PCTL, K_VALUE, K_CPU, K_MEM };

struct row {
    const char *id;
    const char *label;
    const char *unit;
    int better; /* -1: lower is better, +1: higher */
    enum row_kind kind;
    const char *job; /* K_PCTL, K_VALUE, K_CPU */
    double pct;      /* K_PCTL */
};

static const struct row rows[] = {
    {"rtt_p50", "64 B round trip, p50", "us", -1, K_PCTL, "rtt", 0.50},
    {"rtt_p99", "64 B round trip, p99", "us", -1, K_PCTL, "rtt", 0.99},
    {"rtt_p999", "64 B round trip, p99.9", "us", -1, K_PCTL, "rtt", 0.999},
    {"byte_4k", "one-way, byte mode, 4 KiB writes", "MiB/s", 1, K_VALUE, "byte_4k", 0},
    {"byte_64k", "one-way, byte mode, 64 KiB writes", "MiB/s", 1, K_VALUE, "byte_64k", 0},
    {"byte_1m", "one-way, byte mode, 1 MiB writes", "MiB/s", 1, K_VALUE, "byte_1m", 0},
    {"msg_4k", "one-way, message mode, 4 KiB msgs", "MiB/s", 1, K_VALUE, "msg_4k", 0},
    {"msg_64k", "one-way, message mode, 64 KiB msgs", "MiB/s", 1, K_VALUE, "msg_64k", 0},
    {"msg_1m", "one-way, message mode, 1 MiB msgs", "MiB/s", 1, K_VALUE, "msg_1m", 0},
    {"transact", "TransactNamedPipe 64 B (raw: send+recv)", "trips/s", 1, K_VALUE, "transact", 0},
    {"connect", "CreateFile+CloseHandle (raw: connect+close)", "conn/s", 1, K_VALUE, "connect", 0},
    {"scale_1", "aggregate, 1 pair (64 KiB, byte mode)", "MiB/s", 1, K_VALUE, "scale_1", 0},
    {"scale_16", "aggregate, 16 pairs", "MiB/s", 1, K_VALUE, "scale_16", 0},
    {"scale_256", "aggregate, 256 pairs", "MiB/s", 1, K_VALUE, "scale_256", 0},
    {"idle_memory", "10,000 idle instances: npiped RSS / slab", "MiB", -1, K_MEM, NULL, 0},
    {"cpu_rtt", "CPU per 64 B round trip, all processes", "us", -1, K_CPU, "rtt", 0},
    {"cpu_transact", "CPU per TransactNamedPipe, all processes", "us", -1, K_CPU, "transact", 0},
    {"cpu_msg_64k", "CPU per 64 KiB message, all processes", "us", -1, K_CPU, "msg_64k", 0},
    {"cpu_connect", "CPU per connection, all processes", "us", -1, K_CPU, "connect", 0},
};
#define NROWS ((int)(sizeof rows / sizeof rows[0]))

/* ---- options and state ---------------------------------------------------- */

static struct {
    bool quick, json;
    int reps, mem_reps;
    double duration;
    unsigned warmup;
    int cpu;
    bool phase_on[NPHASES];
    char only[256];
    const char *npiped;
    const char *broker_sock; /* --broker: use this one, don't start one */
    const char *json_file;   /* --json-file: the JSON there too */
    int instances, names;
} opt = {.cpu = 0, .instances = 10000, .names = 4};

static const char *phase_name[NPHASES] = {"unpinned", "pinned"};

struct cell {
    struct run_result r[MAXREPS];
    struct run_spec spec;
    int nruns;
    uint32_t *samples;
    size_t nsamples, cap;
};

static struct cell cells[NPHASES][NJOBS][TR_COUNT];
static struct mem_result mem[NPHASES][TR_COUNT][MAXREPS];
static int mem_runs[NPHASES][TR_COUNT];

static struct {
    bool ran;
    pid_t broker;
    double broker_stat_cpu; /* /proc/PID/stat utime+stime over the phase */
    double broker_stat_user, broker_stat_sys;
    double broker_rss_end_kb;
    double seconds;
    int restarts;
} phase_info[NPHASES];

static char tmpdir[96]; /* short: socket paths live under it */
/* Where the idle raw sockets are bound: tmpfs when there is one, since on a
 * disk file system every bind costs a journalled inode. */
static char idle_dir[96];
static char npiped_path[PATH_MAX];
static volatile pid_t current_broker;
static int failures;

/* ---- small helpers -------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    remove(path);
    return 0;
}

static void cleanup(void)
{
    if (current_broker > 0)
        broker_stop(current_broker);
    current_broker = 0;
    if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = 0;
    if (idle_dir[0])
        nftw(idle_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    idle_dir[0] = 0;
}

static void on_signal(int sig)
{
    if (current_broker > 0)
        kill(current_broker, SIGKILL);
    if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (idle_dir[0])
        nftw(idle_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    signal(sig, SIG_DFL);
    raise(sig);
}

static bool job_selected(const struct job *j)
{
    if (!opt.only[0])
        return true;
    char buf[sizeof opt.only];
    snprintf(buf, sizeof buf, "%s", opt.only);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, j->id) == 0 || strcmp(t, j->group) == 0)
            return true;
    return false;
}

static bool memory_selected(void)
{
    if (!opt.only[0])
        return true;
    return strstr(opt.only, "memory") != NULL;
}

static int job_index(const char *id)
{
    for (int i = 0; i < NJOBS; i++)
        if (strcmp(jobs[i].id, id) == 0)
            return i;
    return -1;
}

static bool find_exe(const char *name, char *out, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            snprintf(out, size, "%.3900s/%s", self, name);
            if (access(out, X_OK) == 0)
                return true;
        }
    }
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, size, "%.3900s/%s", *d ? d : ".", name);
        if (access(out, X_OK) == 0)
            return true;
    }
    return false;
}

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void progress(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("npipe-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- figures -------------------------------------------------------------- */

static double span(const struct side_result *from, const struct side_result *to)
{
    return to->t_last - from->t_first;
}

/* The operations a run's CPU time paid for, warm-up included. */
static double total_ops(const struct job *j, const struct run_result *r)
{
    double ops = (double)r->side[SIDE_CLIENT].ops;
    if (j->wl == WL_PINGPONG || j->wl == WL_TRANSACT)
        ops += opt.warmup + 1;
    if (j->wl == WL_CONNECT)
        ops += CONNECT_SERVER_THREADS;
    return ops;
}

static double run_value(const struct job *j, const struct run_result *r)
{
    const struct side_result *s = &r->side[SIDE_SERVER], *c = &r->side[SIDE_CLIENT];
    if (!r->ok || c->ops == 0)
        return NAN;
    switch (j->wl) {
    case WL_PINGPONG:
        return span(c, c) / (double)c->ops * 1e6; /* mean, us */
    case WL_TRANSACT:
    case WL_CONNECT:
        return (double)c->ops / span(c, c);
    case WL_STREAM:
        return (double)s->bytes / span(c, s) / MIB;
    }
    return NAN;
}

static const char *run_unit(const struct job *j)
{
    switch (j->wl) {
    case WL_PINGPONG: return "us mean";
    case WL_TRANSACT: return "trips/s";
    case WL_CONNECT: return "conn/s";
    case WL_STREAM: return "MiB/s";
    }
    return "";
}

static double run_cpu_us(const struct job *j, const struct run_result *r)
{
    if (!r->ok)
        return NAN;
    double cpu = r->side[0].cpu + r->side[1].cpu + r->broker_cpu;
    return cpu / total_ops(j, r) * 1e6;
}

static double run_broker_us(const struct job *j, const struct run_result *r)
{
    if (!r->ok)
        return NAN;
    return r->broker_cpu / total_ops(j, r) * 1e6;
}

typedef double (*run_fn)(const struct job *, const struct run_result *);

static double cell_median(int p, int ji, int t, run_fn fn)
{
    struct cell *c = &cells[p][ji][t];
    double v[MAXREPS];
    size_t n = 0;
    for (int i = 0; i < c->nruns; i++) {
        double x = fn(&jobs[ji], &c->r[i]);
        if (!isnan(x))
            v[n++] = x;
    }
    return n ? median(v, n) : NAN;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double percentile_us(struct cell *c, double pct)
{
    if (!c->nsamples)
        return NAN;
    size_t k = (size_t)ceil(pct * (double)c->nsamples);
    if (k > 0)
        k--;
    if (k >= c->nsamples)
        k = c->nsamples - 1;
    return (double)c->samples[k] / 1000.0;
}

static double mem_value(int p, int t)
{
    double v[MAXREPS];
    size_t n = 0;
    for (int i = 0; i < mem_runs[p][t]; i++) {
        struct mem_result *m = &mem[p][t][i];
        if (m->ok && m->count > 0)
            /* scaled to the asked-for number if fewer sockets were allowed */
            v[n++] = (double)(m->after_kb - m->before_kb) / 1024.0 *
                     (double)opt.instances / (double)m->count;
    }
    return n ? median(v, n) : NAN;
}

static double mem_field(int p, int t, int which)
{
    double v[MAXREPS];
    size_t n = 0;
    for (int i = 0; i < mem_runs[p][t]; i++) {
        struct mem_result *m = &mem[p][t][i];
        if (!m->ok)
            continue;
        switch (which) {
        case 0: v[n++] = (double)m->before_kb; break;
        case 1: v[n++] = (double)m->after_kb; break;
        case 2: v[n++] = (double)m->count / m->create_s; break;
        case 3: v[n++] = m->broker_cpu / (double)m->count * 1e6; break;
        case 4:
            v[n++] = (double)(m->after_kb - m->before_kb) * 1024.0 / (double)m->count;
            break;
        }
    }
    return n ? median(v, n) : NAN;
}

static double row_value(const struct row *rw, int p, int t)
{
    int ji = rw->job ? job_index(rw->job) : -1;
    switch (rw->kind) {
    case K_PCTL: return percentile_us(&cells[p][ji][t], rw->pct);
    case K_VALUE: return cell_median(p, ji, t, run_value);
    case K_CPU: return cell_median(p, ji, t, run_cpu_us);
    case K_MEM: return mem_value(p, t);
    }
    return NAN;
}

/* Why a row has no figure for transport t although nothing failed. */
static const char *row_note(const struct row *rw, int p, int t)
{
    int ji = rw->job ? job_index(rw->job) : -1;
    if (ji < 0)
        return NULL;
    for (int i = 0; i < cells[p][ji][t].nruns; i++)
        if (cells[p][ji][t].r[i].skipped)
            return cells[p][ji][t].r[i].error;
    return NULL;
}

/* ---- the human table ------------------------------------------------------ */

static void fmt_num(char *out, size_t size, double v)
{
    if (isnan(v))
        snprintf(out, size, "-");
    else if (fabs(v) >= 10000)
        snprintf(out, size, "%.0f", v);
    else if (fabs(v) >= 100)
        snprintf(out, size, "%.1f", v);
    else
        snprintf(out, size, "%.2f", v);
}

static void fmt_ratio(char *out, size_t size, double a, double b)
{
    if (isnan(a) || isnan(b) || b == 0)
        snprintf(out, size, "-");
    else
        snprintf(out, size, "%.2fx", a / b);
}

static void machine_line(char *out, size_t size);

static void print_table(FILE *f)
{
    char mline[512];
    machine_line(mline, sizeof mline);
    fprintf(f, "npipe-bench %s (%s), %s run\n", NPIPE_BENCH_VERSION,
            NPIPE_BENCH_REVISION, opt.quick ? "quick" : "full");
    fprintf(f, "machine: %s\n", mline);
    fprintf(f, "%d repetition(s) of %.2f s per workload and transport, npipe and raw alternating;\n"
               "raw socket buffers: %s; ratio = npipe / raw\n\n",
            opt.reps, opt.duration,
            raw_buffers.force ? "SO_SNDBUFFORCE/SO_RCVBUFFORCE (root)"
                              : "SO_SNDBUF/SO_RCVBUF (not root: capped by wmem_max/rmem_max)");

    char pinned_title[64];
    snprintf(pinned_title, sizeof pinned_title, "  pinned to CPU %d", opt.cpu);
    fprintf(f, "%-46s %-8s|%-30s|%s\n", "", "", "  unpinned", pinned_title);
    fprintf(f, "%-46s %-8s|%10s%10s%10s|%10s%10s%10s\n", "", "unit", "npipe", "raw",
            "ratio", "npipe", "raw", "ratio");
    for (int i = 0; i < 46 + 9 + 62; i++)
        fputc('-', f);
    fputc('\n', f);
    for (int i = 0; i < NROWS; i++) {
        const struct row *rw = &rows[i];
        if (i == 3 || i == 9 || i == 14)
            fputc('\n', f);
        fprintf(f, "%-46s %-8s|", rw->label, rw->unit);
        for (int p = 0; p < NPHASES; p++) {
            char a[32], b[32], r[32];
            double np = NAN, raw = NAN;
            if (phase_info[p].ran) {
                np = row_value(rw, p, TR_NPIPE);
                raw = row_value(rw, p, TR_RAW);
            }
            fmt_num(a, sizeof a, np);
            fmt_num(b, sizeof b, raw);
            fmt_ratio(r, sizeof r, np, raw);
            fprintf(f, "%10s%10s%10s%s", a, b, r, p == 0 ? "|" : "\n");
        }
    }
    fprintf(f, "\nlatency and CPU: lower is better; MiB/s, trips/s, conn/s: higher is better.\n"
               "idle instances: npipe = growth of npiped's RSS, raw = growth of the kernel's\n"
               "slab memory for as many bound, listening AF_UNIX sockets (system-wide).\n");

    /* The broker's own figures. */
    fprintf(f, "\nnpiped, the broker%*s|%-30s|%-30s\n", 46 + 9 - 18, "", "  unpinned",
            "  pinned");
    static const char *bjobs[] = {"rtt", "transact", "msg_4k", "msg_64k", "byte_64k",
                                  "connect", "scale_256"};
    for (size_t k = 0; k < sizeof bjobs / sizeof *bjobs; k++) {
        int ji = job_index(bjobs[k]);
        char label[80];
        const char *per = jobs[ji].wl == WL_STREAM ? "message" :
                          jobs[ji].wl == WL_CONNECT ? "connection" : "round trip";
        snprintf(label, sizeof label, "CPU per %s (%s)", per, bjobs[k]);
        fprintf(f, "%-46s %-8s|", label, "us");
        for (int p = 0; p < NPHASES; p++) {
            char a[32], b[48];
            double br = phase_info[p].ran ? cell_median(p, ji, TR_NPIPE, run_broker_us) : NAN;
            double all = phase_info[p].ran ? cell_median(p, ji, TR_NPIPE, run_cpu_us) : NAN;
            fmt_num(a, sizeof a, br);
            if (isnan(br) || isnan(all) || all == 0)
                snprintf(b, sizeof b, "-");
            else
                snprintf(b, sizeof b, "%.0f%% of all", 100.0 * br / all);
            fprintf(f, "%10s%20s%s", a, b, p == 0 ? "|" : "\n");
        }
    }
    struct {
        const char *label, *unit;
        int which;
        double scale;
    } mrows[] = {
        {"RSS, fresh", "MiB", 0, 1.0 / 1024},
        {"RSS with 10,000 idle instances", "MiB", 1, 1.0 / 1024},
        {"RSS per idle instance", "bytes", 4, 1},
        {"CreateNamedPipe rate (raw: socket+bind+listen)", "1/s", 2, 1},
        {"CPU per CreateNamedPipe", "us", 3, 1},
    };
    for (size_t k = 0; k < sizeof mrows / sizeof *mrows; k++) {
        fprintf(f, "%-46s %-8s|", mrows[k].label, mrows[k].unit);
        for (int p = 0; p < NPHASES; p++) {
            char a[32], b[48];
            double v = phase_info[p].ran ? mem_field(p, TR_NPIPE, mrows[k].which) : NAN;
            fmt_num(a, sizeof a, v * mrows[k].scale);
            b[0] = 0;
            if (mrows[k].which == 2) {
                double rv = phase_info[p].ran ? mem_field(p, TR_RAW, 2) : NAN;
                char rb[32];
                fmt_num(rb, sizeof rb, rv);
                snprintf(b, sizeof b, "raw %s", rb);
            } else if (mrows[k].which == 4) {
                double rv = phase_info[p].ran ? mem_field(p, TR_RAW, 4) : NAN;
                char rb[32];
                fmt_num(rb, sizeof rb, rv);
                snprintf(b, sizeof b, "raw slab %s", rb);
            }
            fprintf(f, "%10s%20s%s", a, b, p == 0 ? "|" : "\n");
        }
    }
    fprintf(f, "%-46s %-8s|", "CPU over the whole phase (/proc/PID/stat)", "s");
    for (int p = 0; p < NPHASES; p++) {
        char a[32];
        char b[48] = "";
        fmt_num(a, sizeof a, phase_info[p].ran ? phase_info[p].broker_stat_cpu : NAN);
        if (phase_info[p].ran && phase_info[p].broker_stat_cpu > 0)
            snprintf(b, sizeof b, "%.0f%% in the kernel",
                     100.0 * phase_info[p].broker_stat_sys / phase_info[p].broker_stat_cpu);
        fprintf(f, "%10s%20s%s", a, b, p == 0 ? "|" : "\n");
    }

    /* Anything that went wrong, and how busy the rest of the machine was. */
    double fv[NPHASES * NJOBS * TR_COUNT * MAXREPS], worst = 0;
    size_t nf = 0;
    for (int p = 0; p < NPHASES; p++)
        for (int j = 0; j < NJOBS; j++)
            for (int t = 0; t < TR_COUNT; t++)
                for (int i = 0; i < cells[p][j][t].nruns; i++)
                    if (cells[p][j][t].r[i].ok) {
                        fv[nf++] = cells[p][j][t].r[i].foreign;
                        if (cells[p][j][t].r[i].foreign > worst)
                            worst = cells[p][j][t].r[i].foreign;
                    }
    if (nf) {
        double med = median(fv, nf);
        fprintf(f, "\nother processes used %.0f%% of the machine in the median run, %.0f%% at most\n"
                   "(from /proc/stat clock ticks, so short runs are rough)%s\n",
                med * 100, worst * 100,
                med > 0.10 ? "; above 10%: the figures are disturbed, run again on a quiet machine" : "");
    }
    for (int p = 0; p < NPHASES; p++) {
        for (int j = 0; j < NJOBS; j++)
            for (int t = 0; t < TR_COUNT; t++)
                for (int i = 0; i < cells[p][j][t].nruns; i++)
                    if (!cells[p][j][t].r[i].ok)
                        fprintf(f, "%s %s %s %s rep %d: %s\n",
                                cells[p][j][t].r[i].skipped ? "NOT MEASURED" : "FAILED",
                                phase_name[p], jobs[j].id,
                                transport_get((enum tr_id)t)->name, i + 1,
                                cells[p][j][t].r[i].error);
        for (int t = 0; t < TR_COUNT; t++)
            for (int i = 0; i < mem_runs[p][t]; i++)
                if (!mem[p][t][i].ok)
                    fprintf(f, "FAILED %s idle-instances %s rep %d: %s\n", phase_name[p],
                            transport_get((enum tr_id)t)->name, i + 1, mem[p][t][i].error);
    }
}

/* ---- the machine ---------------------------------------------------------- */

static void read_line(const char *path, char *out, size_t size)
{
    out[0] = 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(out, (int)size, f))
        out[strcspn(out, "\n")] = 0;
    fclose(f);
}

static void cpu_model(char *out, size_t size)
{
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "re");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                p[strcspn(p, "\n")] = 0;
                snprintf(out, size, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

static int cpus_allowed(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) < 0)
        return -1;
    return CPU_COUNT(&set);
}

static void machine_line(char *out, size_t size)
{
    struct utsname u;
    uname(&u);
    char model[256];
    cpu_model(model, sizeof model);
    snprintf(out, size, "%s %s %s, %ld CPUs (%s), %.1f GiB RAM", u.sysname, u.release,
             u.machine, sysconf(_SC_NPROCESSORS_ONLN), model,
             (double)meminfo_kb("MemTotal") / MIB);
}

/* ---- JSON ------------------------------------------------------------------ */

static void jstr(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void jnum(FILE *f, double v)
{
    if (isnan(v) || isinf(v))
        fputs("null", f);
    else
        fprintf(f, "%.6g", v);
}

static void print_json(FILE *f)
{
    struct utsname u;
    uname(&u);
    char model[256], clocksource[64], idle_driver[64], idle_gov[64], date[64];
    cpu_model(model, sizeof model);
    read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
              clocksource, sizeof clocksource);
    read_line("/sys/devices/system/cpu/cpuidle/current_driver", idle_driver,
              sizeof idle_driver);
    read_line("/sys/devices/system/cpu/cpuidle/current_governor_ro", idle_gov,
              sizeof idle_gov);
    if (!idle_gov[0])
        read_line("/sys/devices/system/cpu/cpuidle/current_governor", idle_gov,
                  sizeof idle_gov);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));

    fputs("{\n", f);
    fputs("\"tool\": \"npipe-bench\", \"version\": ", f);
    jstr(f, NPIPE_BENCH_VERSION);
    fputs(", \"revision\": ", f);
    jstr(f, NPIPE_BENCH_REVISION);
    fputs(", \"date\": ", f);
    jstr(f, date);
    fputs(",\n\"machine\": {\"sysname\": ", f);
    jstr(f, u.sysname);
    fputs(", \"release\": ", f);
    jstr(f, u.release);
    fputs(", \"kernel_version\": ", f);
    jstr(f, u.version);
    fputs(", \"arch\": ", f);
    jstr(f, u.machine);
    fprintf(f, ", \"nproc\": %ld, \"cpus_allowed\": %d, \"cpu_model\": ",
            sysconf(_SC_NPROCESSORS_ONLN), cpus_allowed());
    jstr(f, model);
    fprintf(f, ", \"mem_total_kb\": %ld, \"clocksource\": ", meminfo_kb("MemTotal"));
    jstr(f, clocksource);
    fputs(", \"cpuidle_driver\": ", f);
    jstr(f, idle_driver[0] ? idle_driver : NULL);
    fputs(", \"cpuidle_governor\": ", f);
    jstr(f, idle_gov[0] ? idle_gov : NULL);
    fputs("},\n", f);

    fprintf(f, "\"parameters\": {\"quick\": %s, \"repetitions\": %d, \"duration_s\": ",
            opt.quick ? "true" : "false", opt.reps);
    jnum(f, opt.duration);
    fprintf(f, ", \"warmup_round_trips\": %u, \"pinned_cpu\": %d, \"connect_server_instances\": %d,"
               " \"idle_instances\": %d, \"idle_instance_names\": %d, \"idle_memory_repetitions\": %d,"
               " \"npiped\": ",
            opt.warmup, opt.cpu, CONNECT_SERVER_THREADS, opt.instances, opt.names, opt.mem_reps);
    jstr(f, npiped_path[0] ? npiped_path : NULL);
    fputs(", \"external_broker\": ", f);
    jstr(f, opt.broker_sock);
    fputs(", \"only\": ", f);
    jstr(f, opt.only[0] ? opt.only : NULL);
    fprintf(f, ",\n  \"buffers\": \"npipe in/out quota and raw SO_SNDBUF/SO_RCVBUF = max(message size, wmem_default)\","
               " \"raw_buffer_method\": \"%s\", \"wmem_default\": %ld, \"wmem_max\": %ld, \"rmem_max\": %ld,\n",
            raw_buffers.force ? "SO_SNDBUFFORCE/SO_RCVBUFFORCE" : "SO_SNDBUF/SO_RCVBUF",
            raw_buffers.wmem_default, raw_buffers.wmem_max, raw_buffers.rmem_max);
    fputs("  \"jobs\": [", f);
    for (int j = 0; j < NJOBS; j++) {
        static const char *wl[] = {"ping-pong", "transact", "stream", "connect"};
        fprintf(f, "%s\n    {\"id\": \"%s\", \"workload\": \"%s\", \"mode\": \"%s\", "
                   "\"message_bytes\": %zu, \"pairs\": %d}",
                j ? "," : "", jobs[j].id, wl[jobs[j].wl],
                jobs[j].mode == MODE_MESSAGE ? "message" : "byte", jobs[j].msg, jobs[j].pairs);
    }
    fputs("]},\n", f);

    fputs("\"phases\": [", f);
    bool first = true;
    for (int p = 0; p < NPHASES; p++) {
        if (!phase_info[p].ran)
            continue;
        fprintf(f, "%s\n  {\"name\": \"%s\", \"cpu\": ", first ? "" : ",", phase_name[p]);
        first = false;
        if (p == 1)
            fprintf(f, "%d", opt.cpu);
        else
            fputs("null", f);
        fprintf(f, ", \"seconds\": ");
        jnum(f, phase_info[p].seconds);
        fprintf(f, ", \"broker_pid\": %d, \"broker_restarts\": %d, \"broker_cpu_s_proc_stat\": ",
                (int)phase_info[p].broker, phase_info[p].restarts);
        jnum(f, phase_info[p].broker_stat_cpu);
        fputs(", \"broker_user_s\": ", f);
        jnum(f, phase_info[p].broker_stat_user);
        fputs(", \"broker_system_s\": ", f);
        jnum(f, phase_info[p].broker_stat_sys);
        fputs(", \"broker_rss_end_kb\": ", f);
        jnum(f, phase_info[p].broker_rss_end_kb);
        fputs("}", f);
    }
    fputs("],\n", f);

    fputs("\"rows\": [", f);
    for (int i = 0; i < NROWS; i++) {
        const struct row *rw = &rows[i];
        fprintf(f, "%s\n  {\"id\": \"%s\", \"label\": ", i ? "," : "", rw->id);
        jstr(f, rw->label);
        fprintf(f, ", \"unit\": \"%s\", \"better\": \"%s\"", rw->unit,
                rw->better < 0 ? "lower" : "higher");
        for (int p = 0; p < NPHASES; p++) {
            double np = phase_info[p].ran ? row_value(rw, p, TR_NPIPE) : NAN;
            double raw = phase_info[p].ran ? row_value(rw, p, TR_RAW) : NAN;
            fprintf(f, ", \"%s\": {\"npipe\": ", phase_name[p]);
            jnum(f, np);
            fputs(", \"raw\": ", f);
            jnum(f, raw);
            fputs(", \"ratio\": ", f);
            jnum(f, (isnan(np) || isnan(raw) || raw == 0) ? NAN : np / raw);
            const char *note = phase_info[p].ran ? row_note(rw, p, TR_RAW) : NULL;
            if (!note && phase_info[p].ran)
                note = row_note(rw, p, TR_NPIPE);
            if (note) {
                fputs(", \"note\": ", f);
                jstr(f, note);
            }
            fputs("}", f);
        }
        fputs("}", f);
    }
    fputs("],\n", f);

    fputs("\"latency\": [", f);
    first = true;
    for (int p = 0; p < NPHASES; p++)
        for (int j = 0; j < NJOBS; j++)
            for (int t = 0; t < TR_COUNT; t++) {
                struct cell *c = &cells[p][j][t];
                if (!c->nsamples)
                    continue;
                double sum = 0;
                for (size_t k = 0; k < c->nsamples; k++)
                    sum += c->samples[k];
                fprintf(f, "%s\n  {\"phase\": \"%s\", \"job\": \"%s\", \"transport\": \"%s\", "
                           "\"samples\": %zu, \"mean_us\": ",
                        first ? "" : ",", phase_name[p], jobs[j].id,
                        transport_get((enum tr_id)t)->name, c->nsamples);
                first = false;
                jnum(f, sum / (double)c->nsamples / 1000.0);
                static const double pcts[] = {0, 0.5, 0.9, 0.99, 0.999, 0.9999, 1};
                static const char *names[] = {"min", "p50", "p90", "p99", "p99_9", "p99_99", "max"};
                for (size_t k = 0; k < sizeof pcts / sizeof *pcts; k++) {
                    fprintf(f, ", \"%s_us\": ", names[k]);
                    jnum(f, percentile_us(c, pcts[k]));
                }
                fputs("}", f);
            }
    fputs("],\n", f);

    fputs("\"broker\": {", f);
    first = true;
    for (int p = 0; p < NPHASES; p++) {
        if (!phase_info[p].ran)
            continue;
        fprintf(f, "%s\n  \"%s\": {\"cpu_per_op_us\": {", first ? "" : ",", phase_name[p]);
        first = false;
        for (int j = 0; j < NJOBS; j++) {
            fprintf(f, "%s\"%s\": ", j ? ", " : "", jobs[j].id);
            jnum(f, cell_median(p, j, TR_NPIPE, run_broker_us));
        }
        fputs("}, \"cpu_share\": {", f);
        for (int j = 0; j < NJOBS; j++) {
            double b = cell_median(p, j, TR_NPIPE, run_broker_us);
            double a = cell_median(p, j, TR_NPIPE, run_cpu_us);
            fprintf(f, "%s\"%s\": ", j ? ", " : "", jobs[j].id);
            jnum(f, (isnan(a) || a == 0) ? NAN : b / a);
        }
        fputs("},\n    \"idle_instances\": {\"count\": ", f);
        fprintf(f, "%d, \"rss_fresh_kb\": ", opt.instances);
        jnum(f, mem_field(p, TR_NPIPE, 0));
        fputs(", \"rss_with_instances_kb\": ", f);
        jnum(f, mem_field(p, TR_NPIPE, 1));
        fputs(", \"rss_bytes_per_instance\": ", f);
        jnum(f, mem_field(p, TR_NPIPE, 4));
        fputs(", \"create_per_s\": ", f);
        jnum(f, mem_field(p, TR_NPIPE, 2));
        fputs(", \"cpu_per_create_us\": ", f);
        jnum(f, mem_field(p, TR_NPIPE, 3));
        fputs(", \"raw_slab_bytes_per_socket\": ", f);
        jnum(f, mem_field(p, TR_RAW, 4));
        fputs(", \"raw_create_per_s\": ", f);
        jnum(f, mem_field(p, TR_RAW, 2));
        fputs("}}", f);
    }
    fputs("},\n", f);

    fputs("\"runs\": [", f);
    first = true;
    for (int p = 0; p < NPHASES; p++)
        for (int j = 0; j < NJOBS; j++)
            for (int t = 0; t < TR_COUNT; t++)
                for (int i = 0; i < cells[p][j][t].nruns; i++) {
                    struct run_result *r = &cells[p][j][t].r[i];
                    const struct run_spec *s = &cells[p][j][t].spec;
                    fprintf(f, "%s\n  {\"phase\": \"%s\", \"job\": \"%s\", \"transport\": \"%s\", "
                               "\"rep\": %d, \"ok\": %s, \"error\": ",
                            first ? "" : ",", phase_name[p], jobs[j].id,
                            transport_get((enum tr_id)t)->name, i + 1, r->ok ? "true" : "false");
                    first = false;
                    jstr(f, r->ok ? NULL : r->error);
                    fprintf(f, ", \"skipped\": %s", r->skipped ? "true" : "false");
                    fprintf(f, ", \"value\": ");
                    jnum(f, run_value(&jobs[j], r));
                    fprintf(f, ", \"unit\": \"%s\", \"buffer_bytes\": %zu", run_unit(&jobs[j]),
                            s->buf_size);
                    fprintf(f, ", \"client_ops\": %llu, \"server_ops\": %llu, \"bytes\": %llu, "
                               "\"busy_retries\": %llu, \"seconds\": ",
                            (unsigned long long)r->side[1].ops, (unsigned long long)r->side[0].ops,
                            (unsigned long long)r->side[0].bytes,
                            (unsigned long long)r->side[1].busy);
                    jnum(f, r->ok ? span(&r->side[1], jobs[j].wl == WL_STREAM
                                                          ? &r->side[0] : &r->side[1])
                                  : NAN);
                    fputs(", \"cpu_server_s\": ", f);
                    jnum(f, r->side[0].cpu);
                    fputs(", \"cpu_server_sys_s\": ", f);
                    jnum(f, r->side[0].cpu_sys);
                    fputs(", \"cpu_client_s\": ", f);
                    jnum(f, r->side[1].cpu);
                    fputs(", \"cpu_client_sys_s\": ", f);
                    jnum(f, r->side[1].cpu_sys);
                    fputs(", \"cpu_broker_s\": ", f);
                    jnum(f, t == TR_NPIPE ? r->broker_cpu : NAN);
                    fputs(", \"cpu_broker_sys_s\": ", f);
                    jnum(f, t == TR_NPIPE ? r->broker_sys : NAN);
                    fputs(", \"cpu_per_op_us\": ", f);
                    jnum(f, run_cpu_us(&jobs[j], r));
                    fprintf(f, ", \"switches_server\": %llu, \"switches_client\": %llu, "
                               "\"switches_broker\": %lld, \"switches_per_op\": ",
                            (unsigned long long)r->side[0].switches,
                            (unsigned long long)r->side[1].switches, r->broker_switches);
                    jnum(f, r->ok ? (double)(r->side[0].switches + r->side[1].switches +
                                             (unsigned long long)r->broker_switches) /
                                        total_ops(&jobs[j], r)
                                  : NAN);
                    fputs(", \"foreign_cpu\": ", f);
                    jnum(f, r->foreign);
                    if (t == TR_RAW)
                        fprintf(f, ", \"sndbuf\": %ld, \"rcvbuf\": %ld", r->side[1].sndbuf,
                                r->side[1].rcvbuf);
                    fputs("}", f);
                }
    for (int p = 0; p < NPHASES; p++)
        for (int t = 0; t < TR_COUNT; t++)
            for (int i = 0; i < mem_runs[p][t]; i++) {
                struct mem_result *m = &mem[p][t][i];
                fprintf(f, "%s\n  {\"phase\": \"%s\", \"job\": \"idle_memory\", \"transport\": \"%s\", "
                           "\"rep\": %d, \"ok\": %s, \"error\": ",
                        first ? "" : ",", phase_name[p], transport_get((enum tr_id)t)->name,
                        i + 1, m->ok ? "true" : "false");
                first = false;
                jstr(f, m->ok ? NULL : m->error);
                fprintf(f, ", \"what\": \"%s\", \"before_kb\": %ld, \"after_kb\": %ld, "
                           "\"count\": %ld, \"create_s\": ",
                        t == TR_NPIPE ? "npiped VmRSS" : "kernel Slab", m->before_kb,
                        m->after_kb, m->count);
                jnum(f, m->create_s);
                fputs("}", f);
            }
    fputs("]\n}\n", f);
}

/* ---- running it all ----------------------------------------------------------- */

static void add_samples(struct cell *c, struct shared *sh)
{
    if (!sh->nsamples)
        return;
    if (c->nsamples + sh->nsamples > c->cap) {
        size_t cap = (c->nsamples + sh->nsamples) * 2;
        uint32_t *p = realloc(c->samples, cap * sizeof *p);
        if (!p)
            return;
        c->samples = p;
        c->cap = cap;
    }
    memcpy(c->samples + c->nsamples, sh->samples, sh->nsamples * sizeof *sh->samples);
    c->nsamples += sh->nsamples;
}

static pid_t phase_broker(int p, char *err)
{
    if (opt.broker_sock) {
        setenv("NPIPE_BROKER", opt.broker_sock, 1);
        return broker_find(opt.broker_sock, err);
    }
    char sock[PATH_MAX], log[PATH_MAX];
    snprintf(sock, sizeof sock, "%s/broker-%s", tmpdir, phase_name[p]);
    snprintf(log, sizeof log, "%s/npiped-%s.log", tmpdir, phase_name[p]);
    pid_t pid = broker_start(npiped_path, sock, log, err);
    if (pid > 0) {
        setenv("NPIPE_BROKER", sock, 1);
        current_broker = pid;
    }
    return pid;
}

static void run_phase(int p, struct shared *sh)
{
    static unsigned seq;
    char err[BENCH_ERRLEN] = "";
    double t_start = now_s();
    bool any_jobs = false;
    for (int j = 0; j < NJOBS; j++)
        any_jobs |= job_selected(&jobs[j]);

    pid_t broker = 0;
    double user0 = 0, sys0 = 0;
    if (any_jobs) {
        broker = phase_broker(p, err);
        if (broker < 0) {
            progress("%s: %s", phase_name[p], err);
            failures++;
            broker = 0;
        } else {
            proc_stat_cpu_split(broker, &user0, &sys0);
        }
    }
    phase_info[p].ran = true;
    phase_info[p].broker = broker;

    for (int rep = 0; rep < opt.reps; rep++) {
        progress("%s: repetition %d of %d", phase_name[p], rep + 1, opt.reps);
        for (int j = 0; j < NJOBS; j++) {
            const struct job *jb = &jobs[j];
            if (!job_selected(jb))
                continue;
            /* npipe first on even turns, raw first on odd ones */
            enum tr_id order[2] = {TR_NPIPE, TR_RAW};
            if ((rep + j) % 2) {
                order[0] = TR_RAW;
                order[1] = TR_NPIPE;
            }
            for (int k = 0; k < 2; k++) {
                enum tr_id t = order[k];
                struct cell *c = &cells[p][j][t];
                struct run_spec *s = &c->spec;
                memset(s, 0, sizeof *s);
                s->wl = jb->wl;
                s->tr = t;
                s->mode = jb->mode;
                s->msg_size = jb->wl == WL_CONNECT ? 0 : jb->msg;
                if (jb->wl != WL_CONNECT)
                    s->buf_size = jb->msg > (size_t)raw_buffers.wmem_default
                                      ? jb->msg : (size_t)raw_buffers.wmem_default;
                s->pairs = jb->pairs;
                s->server_threads = CONNECT_SERVER_THREADS;
                s->duration = opt.duration;
                s->warmup = opt.warmup;
                seq++;
                snprintf(s->np_name, sizeof s->np_name, "\\\\.\\pipe\\npipe-bench-%d-%u",
                         (int)getpid(), seq);
                snprintf(s->sock_path, sizeof s->sock_path, "%.90s/raw-%u", tmpdir, seq);
                struct run_result *r = &c->r[c->nruns++];
                /* A SEQPACKET message must fit in the sender's buffer; without
                 * SO_SNDBUFFORCE that is capped by net.core.wmem_max (the
                 * kernel doubles the value and keeps 32 bytes). */
                long cap = raw_buffers.wmem_max < (long)s->buf_size ? raw_buffers.wmem_max
                                                                     : (long)s->buf_size;
                if (t == TR_RAW && jb->mode == MODE_MESSAGE && !raw_buffers.force &&
                    2 * cap - 32 < (long)jb->msg) {
                    memset(r, 0, sizeof *r);
                    r->skipped = true;
                    snprintf(r->error, sizeof r->error,
                             "raw SEQPACKET cannot carry %zu-byte messages here: not allowed "
                             "SO_SNDBUFFORCE (not root) and net.core.wmem_max is %ld",
                             jb->msg, raw_buffers.wmem_max);
                    continue;
                }
                /* A broker that died takes the rest with it: start another. */
                if (t == TR_NPIPE && broker > 0 && !opt.broker_sock &&
                    waitpid(broker, NULL, WNOHANG) == broker) {
                    progress("%s: npiped died; starting another", phase_name[p]);
                    current_broker = 0;
                    err[0] = 0;
                    broker = phase_broker(p, err);
                    if (broker < 0)
                        broker = 0;
                    user0 = sys0 = 0;
                    if (broker > 0)
                        proc_stat_cpu_split(broker, &user0, &sys0);
                    phase_info[p].restarts++;
                }
                if (t == TR_NPIPE && broker <= 0 && !opt.broker_sock) {
                    r->ok = false;
                    snprintf(r->error, sizeof r->error, "no broker");
                    failures++;
                    continue;
                }
                if (run_once(s, sh, t == TR_NPIPE ? broker : 0, r) < 0) {
                    failures++;
                    progress("%s %s %s: FAILED: %s", phase_name[p], jb->id,
                             transport_get(t)->name, r->error);
                } else if (jb->wl == WL_PINGPONG || jb->wl == WL_TRANSACT) {
                    add_samples(c, sh);
                }
                if (t == TR_RAW)
                    unlink(s->sock_path);
            }
        }
    }
    if (broker > 0) {
        double user1, sys1;
        if (proc_stat_cpu_split(broker, &user1, &sys1) == 0) {
            phase_info[p].broker_stat_user = user1 - user0;
            phase_info[p].broker_stat_sys = sys1 - sys0;
            phase_info[p].broker_stat_cpu = (user1 - user0) + (sys1 - sys0);
        } else {
            phase_info[p].broker_stat_user = phase_info[p].broker_stat_sys = NAN;
            phase_info[p].broker_stat_cpu = NAN;
        }
        phase_info[p].broker_rss_end_kb = (double)proc_rss_kb(broker);
        if (!opt.broker_sock) {
            broker_stop(broker);
            current_broker = 0;
        }
    } else {
        phase_info[p].broker_stat_cpu = NAN;
        phase_info[p].broker_stat_user = phase_info[p].broker_stat_sys = NAN;
        phase_info[p].broker_rss_end_kb = NAN;
    }

    if (memory_selected()) {
        progress("%s: %d idle instances", phase_name[p], opt.instances);
        for (int rep = 0; rep < opt.mem_reps; rep++)
            for (int k = 0; k < 2; k++) {
                enum tr_id t = (rep + k) % 2 ? TR_RAW : TR_NPIPE;
                struct mem_spec m = {.instances = opt.instances, .names = opt.names,
                                     .npiped = npiped_path};
                snprintf(m.np_prefix, sizeof m.np_prefix, "\\\\.\\pipe\\npipe-bench-idle-%d",
                         (int)getpid());
                snprintf(m.broker_sock, sizeof m.broker_sock, "%s/broker-idle", tmpdir);
                snprintf(m.broker_log, sizeof m.broker_log, "%s/npiped-idle.log", tmpdir);
                snprintf(m.raw_dir, sizeof m.raw_dir, "%s", idle_dir);
                struct mem_result *mr = &mem[p][t][mem_runs[p][t]++];
                if (t == TR_NPIPE && !npiped_path[0]) {
                    snprintf(mr->error, sizeof mr->error, "npiped not found");
                    failures++;
                    continue;
                }
                if (mem_once(&m, t, sh, mr) < 0) {
                    failures++;
                    progress("%s idle instances %s: FAILED: %s", phase_name[p],
                             transport_get(t)->name, mr->error);
                }
            }
    }
    phase_info[p].seconds = now_s() - t_start;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: npipe-bench [OPTIONS]\n"
            "npipe's named pipes against raw AF_UNIX sockets, side by side.\n\n"
            "  --quick            every row, shorter and fewer repetitions (< 30 s)\n"
            "  --json             print the figures as JSON instead of the table\n"
            "  --json-file FILE   print the table, and write the JSON to FILE\n"
            "  --reps N           repetitions per workload and transport (full: 3, quick: 2)\n"
            "  --duration S       seconds per measured run (full: 1, quick: 0.1)\n"
            "  --cpu N            the CPU of the pinned phase (default 0)\n"
            "  --phase P          unpinned, pinned or both (default)\n"
            "  --only LIST        only these, comma-separated: rtt, transact, stream,\n"
            "                     connect, scale, memory, or a job (byte_64k, msg_1m, ...)\n"
            "  --instances N      idle instances for the memory row (default 10000)\n"
            "  --npiped PATH      the broker binary (default: $NPIPE_NPIPED, next to\n"
            "                     npipe-bench, or on PATH)\n"
            "  --broker SOCKET    use the broker already listening on SOCKET (for\n"
            "                     profiling it); it is not pinned by the benchmark\n"
            "  --version, --help\n\n"
            "Exit status: 0 when every figure was measured, 1 when some run failed\n"
            "(the table says which), 2 on bad usage.\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"quick", no_argument, NULL, 'q'},
        {"json", no_argument, NULL, 'j'},
        {"json-file", required_argument, NULL, 'J'},
        {"reps", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'},
        {"cpu", required_argument, NULL, 'c'},
        {"phase", required_argument, NULL, 'p'},
        {"only", required_argument, NULL, 'o'},
        {"instances", required_argument, NULL, 'i'},
        {"npiped", required_argument, NULL, 'n'},
        {"broker", required_argument, NULL, 'b'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int reps = 0, c;
    double duration = 0;
    const char *phase = "both";
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'q': opt.quick = true; break;
        case 'j': opt.json = true; break;
        case 'J': opt.json_file = optarg; break;
        case 'r':
            reps = (int)strtol(optarg, &end, 10);
            if (*end || reps < 1 || reps > MAXREPS) {
                fprintf(stderr, "npipe-bench: --reps must be 1..%d\n", MAXREPS);
                return 2;
            }
            break;
        case 'd':
            duration = strtod(optarg, &end);
            if (*end || !(duration > 0) || duration > 3600) {
                fprintf(stderr, "npipe-bench: bad --duration: %s\n", optarg);
                return 2;
            }
            break;
        case 'c':
            opt.cpu = (int)strtol(optarg, &end, 10);
            if (*end || opt.cpu < 0 || opt.cpu >= CPU_SETSIZE) {
                fprintf(stderr, "npipe-bench: bad --cpu: %s\n", optarg);
                return 2;
            }
            break;
        case 'p': phase = optarg; break;
        case 'o': snprintf(opt.only, sizeof opt.only, "%s", optarg); break;
        case 'i':
            opt.instances = (int)strtol(optarg, &end, 10);
            if (*end || opt.instances < 1 || opt.instances > 1000000) {
                fprintf(stderr, "npipe-bench: bad --instances: %s\n", optarg);
                return 2;
            }
            break;
        case 'n': opt.npiped = optarg; break;
        case 'b': opt.broker_sock = optarg; break;
        case 'V': printf("npipe-bench %s (%s)\n", NPIPE_BENCH_VERSION, NPIPE_BENCH_REVISION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if (strcmp(phase, "both") == 0)
        opt.phase_on[0] = opt.phase_on[1] = true;
    else if (strcmp(phase, "unpinned") == 0)
        opt.phase_on[0] = true;
    else if (strcmp(phase, "pinned") == 0)
        opt.phase_on[1] = true;
    else {
        fprintf(stderr, "npipe-bench: --phase is unpinned, pinned or both\n");
        return 2;
    }
    opt.reps = reps ? reps : opt.quick ? 2 : 3;
    opt.mem_reps = opt.quick ? 1 : opt.reps;
    opt.duration = duration > 0 ? duration : opt.quick ? 0.1 : 1.0;
    opt.warmup = opt.quick ? 200 : 2000;

    cpu_set_t orig_mask;
    if (sched_getaffinity(0, sizeof orig_mask, &orig_mask) < 0) {
        perror("npipe-bench: sched_getaffinity");
        return 2;
    }
    if (opt.phase_on[1] && !CPU_ISSET(opt.cpu, &orig_mask)) {
        fprintf(stderr, "npipe-bench: CPU %d is not available to this process\n", opt.cpu);
        return 2;
    }

    /* The broker: given, $NPIPE_NPIPED, next to this program, or on PATH. */
    const char *env = getenv("NPIPE_NPIPED");
    if (opt.npiped)
        snprintf(npiped_path, sizeof npiped_path, "%s", opt.npiped);
    else if (env && *env)
        snprintf(npiped_path, sizeof npiped_path, "%s", env);
    else if (!find_exe("npiped", npiped_path, sizeof npiped_path))
        npiped_path[0] = 0;
    if (npiped_path[0] && access(npiped_path, X_OK) < 0) {
        fprintf(stderr, "npipe-bench: %s: %s\n", npiped_path, strerror(errno));
        return 2;
    }
    if (!npiped_path[0] && !opt.broker_sock) {
        fprintf(stderr, "npipe-bench: cannot find npiped (set NPIPE_NPIPED or use --npiped)\n");
        return 2;
    }
    /* The library starts npiped by itself when nothing answers at
     * $NPIPE_BROKER.  Here that would hide a broker that died behind a new
     * one, unpinned and unmeasured: give the children a path that cannot
     * be run, so such calls fail and the benchmark starts its own again. */
    setenv("NPIPE_NPIPED", "/nonexistent/npipe-bench-starts-npiped-itself", 1);

    /* Room for 10,000 listening sockets and 256 pairs. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);

    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp || strlen(tmp) > 60)
        tmp = "/tmp";
    snprintf(tmpdir, sizeof tmpdir, "%.60s/npipe-bench.XXXXXX", tmp);
    if (!mkdtemp(tmpdir)) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/npipe-bench.XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("npipe-bench: mkdtemp");
            return 2;
        }
    }
    struct stat shm;
    if (stat("/dev/shm", &shm) == 0 && S_ISDIR(shm.st_mode) && access("/dev/shm", W_OK) == 0)
        snprintf(idle_dir, sizeof idle_dir, "/dev/shm/npipe-bench-idle-%d", (int)getpid());
    else
        snprintf(idle_dir, sizeof idle_dir, "%.70s/idle", tmpdir);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    size_t shared_size = sizeof(struct shared) + SHARED_MAX_SAMPLES * sizeof(uint32_t);
    struct shared *sh = mmap(NULL, shared_size, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (sh == MAP_FAILED) {
        perror("npipe-bench: mmap");
        cleanup();
        return 2;
    }

    raw_probe_buffers();
    double t0 = now_s();
    for (int p = 0; p < NPHASES; p++) {
        if (!opt.phase_on[p])
            continue;
        if (p == 1 && set_affinity_cpu(opt.cpu) < 0) {
            progress("pinning to CPU %d: %s", opt.cpu, strerror(errno));
            failures++;
            continue;
        }
        run_phase(p, sh);
        sched_setaffinity(0, sizeof orig_mask, &orig_mask);
    }
    progress("done in %.1f s", now_s() - t0);
    for (int p = 0; p < NPHASES; p++)
        for (int j = 0; j < NJOBS; j++)
            for (int t = 0; t < TR_COUNT; t++)
                if (cells[p][j][t].nsamples)
                    qsort(cells[p][j][t].samples, cells[p][j][t].nsamples,
                          sizeof(uint32_t), cmp_u32);
    cleanup();

    if (opt.json_file) {
        FILE *jf = fopen(opt.json_file, "w");
        if (!jf || (print_json(jf), fclose(jf)) != 0) {
            fprintf(stderr, "npipe-bench: %s: %s\n", opt.json_file, strerror(errno));
            failures++;
        }
    }
    if (opt.json)
        print_json(stdout);
    else
        print_table(stdout);
    fflush(stdout);
    return failures ? 1 : 0;
}
