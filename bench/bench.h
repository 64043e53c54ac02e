/*
 * bench.h — what the files of npipe-bench share.
 *
 * npipe-bench measures npipe's Win32 named pipes next to raw AF_UNIX sockets
 * in the same run.  The parent process (main.c, run.c) never touches a pipe
 * or a socket itself: for every measurement it forks a server and a client
 * (worker.c), which talk through one of two transports with the same
 * interface (tr_npipe.c, tr_raw.c) and leave their figures in memory shared
 * with the parent.
 */
#ifndef NPIPE_BENCH_H
#define NPIPE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_ERRLEN 256

enum tr_id { TR_NPIPE, TR_RAW, TR_COUNT };
enum workload { WL_PINGPONG, WL_TRANSACT, WL_STREAM, WL_CONNECT };
enum pipe_mode { MODE_BYTE, MODE_MESSAGE };
enum side { SIDE_SERVER, SIDE_CLIENT };

/* What one run does.  Both children get it by inheritance over fork. */
struct run_spec {
    enum workload wl;
    enum tr_id tr;
    enum pipe_mode mode;
    size_t msg_size;     /* bytes per message */
    size_t buf_size;     /* pipe quota / socket buffer; 0: the defaults */
    int pairs;           /* concurrent client/server pairs (threads per side) */
    int server_threads;  /* WL_CONNECT: listening instances, one per thread */
    double duration;     /* seconds of measured work */
    unsigned warmup;     /* untimed round trips first (ping-pong, transact) */
    char np_name[160];   /* \\.\pipe\NAME */
    char sock_path[108]; /* the raw listening socket */
};

/* What one side reports, summed over its threads. */
struct side_result {
    int failed;
    char error[BENCH_ERRLEN];
    uint64_t ops;    /* round trips, messages, connections */
    uint64_t bytes;  /* payload bytes received (stream server) */
    uint64_t busy;   /* npipe: CreateFile answers of ERROR_PIPE_BUSY */
    double t_first;  /* CLOCK_MONOTONIC seconds: first measured operation */
    double t_last;   /* ... and the end of the last one */
    double cpu;      /* seconds of CPU of the whole process, go to done */
    double cpu_user; /* ... of which in user space */
    double cpu_sys;  /* ... and in the kernel */
    uint64_t switches; /* context switches of the process, go to done */
    long sndbuf;     /* raw: effective SO_SNDBUF / SO_RCVBUF, else 0 */
    long rcvbuf;
};

/* The parent maps this before forking; children write into it. */
struct shared {
    volatile int stop; /* WL_CONNECT: the client has finished */
    struct side_result side[2];
    uint64_t nsamples;
    uint64_t max_samples;
    uint32_t samples[]; /* round-trip times in ns (client thread 0) */
};
#define SHARED_MAX_SAMPLES (4u * 1024u * 1024u)

/* ---- transports (tr_npipe.c, tr_raw.c) ----------------------------------- */

struct ep {
    void *h; /* npipe: a HANDLE */
    int fd;  /* raw: a connected socket, or -1 */
};

struct transport {
    const char *name;
    /* Server, once per process, before any thread starts. */
    int (*server_init)(const struct run_spec *, char *err);
    /* Server: make one listening endpoint (a pipe instance). */
    int (*instance)(const struct run_spec *, struct ep *, char *err);
    /* Server: wait for a client on that endpoint. */
    int (*accept)(const struct run_spec *, struct ep *, char *err);
    /* Server: drop the client, listen again. */
    int (*reset)(const struct run_spec *, struct ep *, char *err);
    /* Client: connect, counting "all instances busy" retries in *busy. */
    int (*connect)(const struct run_spec *, struct ep *, uint64_t *busy,
                   char *err);
    /* Read up to n bytes (one message in message mode); 0 when the peer is
     * gone, -1 on error. */
    ssize_t (*read)(struct ep *, void *buf, size_t n, char *err);
    /* Write all n bytes (one message in message mode); 0 or -1. */
    int (*write)(struct ep *, const void *buf, size_t n, char *err);
    /* Send one message and read the answer (TransactNamedPipe). */
    ssize_t (*transact)(struct ep *, const void *out, size_t n_out, void *in,
                        size_t n_in, char *err);
    void (*close)(struct ep *);
};

extern const struct transport tr_npipe;
extern const struct transport tr_raw;
const struct transport *transport_get(enum tr_id);

/* How raw sockets get their buffers: set once by raw_probe_buffers(). */
struct raw_buffers {
    bool force;        /* SO_SNDBUFFORCE / SO_RCVBUFFORCE work (root) */
    long wmem_default; /* /proc/sys/net/core/wmem_default */
    long wmem_max;     /* ... and the caps for plain SO_SNDBUF / SO_RCVBUF */
    long rmem_max;
};
extern struct raw_buffers raw_buffers;
void raw_probe_buffers(void);

/* ---- the children (worker.c) --------------------------------------------- */

/* Runs one side of one run and exits the process.  up: to the parent;
 * down: from it.  Never returns. */
_Noreturn void worker_main(const struct run_spec *, enum side, int up,
                           int down, struct shared *);

/* ---- helpers (util.c) ---------------------------------------------------- */

double now_s(void);
uint64_t now_ns(void);
void errf(char *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int write_token(int fd, char c);
/* Reads one token; 0 on success, -1 on EOF/error, -2 on timeout. */
int read_token(int fd, char *c, double timeout_s);

/* CPU time of a process, all its threads, in seconds: from
 * /proc/PID/task/x/schedstat (ns) when present, else /proc/PID/stat. */
double proc_cpu_s(pid_t pid);
/* utime + stime from /proc/PID/stat, in seconds (clock-tick resolution). */
double proc_stat_cpu_s(pid_t pid);
/* The same, split: user and system seconds; -1 when unreadable. */
int proc_stat_cpu_split(pid_t pid, double *user, double *sys);
long proc_rss_kb(pid_t pid);
/* Voluntary plus involuntary context switches of all its threads. */
long long proc_switches(pid_t pid);
long meminfo_kb(const char *field);
/* /proc/stat: busy and total jiffies over all CPUs. */
void cpu_jiffies(uint64_t *busy, uint64_t *total);

int set_affinity_cpu(int cpu); /* this thread and what it forks */

int cmp_double(const void *, const void *);
double median(double *v, size_t n);

#endif /* NPIPE_BENCH_H */
