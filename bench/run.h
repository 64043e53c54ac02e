/*
 * run.h — the parent's view of one measurement (run.c).
 */
#ifndef NPIPE_BENCH_RUN_H
#define NPIPE_BENCH_RUN_H

#include "bench.h"

struct run_result {
    bool ok;
    bool skipped; /* not measurable here; error says why (not a failure) */
    char error[2 * BENCH_ERRLEN];
    struct side_result side[2];
    double broker_cpu; /* seconds of npiped CPU from go to done */
    double broker_user, broker_sys; /* its split (clock ticks: coarse) */
    long long broker_switches;      /* its context switches */
    double wall;       /* seconds from go to done, as the parent saw it */
    double foreign;    /* CPU used by other processes, fraction of all CPUs */
};

/* Forks the server and the client of `s`, runs them, fills *res.  broker:
 * npiped's pid for its CPU time (0: none).  0 or -1. */
int run_once(const struct run_spec *s, struct shared *sh, pid_t broker,
             struct run_result *res);

/* Starts `npiped --socket sock` (with this process's CPU affinity) and waits
 * until it answers; its output goes to `log`. */
pid_t broker_start(const char *npiped, const char *sock, const char *log,
                   char *err);
/* The pid of a broker already answering on sock (SO_PEERCRED). */
pid_t broker_find(const char *sock, char *err);
void broker_stop(pid_t pid);

/* Idle instances: npipe creates `instances` pipe instances over `names`
 * names in one process, against a broker of its own, and the figure is the
 * broker's RSS growth; raw binds as many listening AF_UNIX sockets, and the
 * figure is the growth of the kernel's slab memory (system-wide, so only
 * approximate on a busy machine). */
struct mem_spec {
    int instances;
    int names;
    const char *npiped;
    char np_prefix[160];
    char broker_sock[4096];
    char broker_log[4096];
    char raw_dir[96];
};

struct mem_result {
    bool ok;
    char error[2 * BENCH_ERRLEN];
    long before_kb, after_kb; /* npipe: npiped VmRSS; raw: Slab */
    long count;               /* instances or sockets actually made */
    double create_s;          /* time to make them all */
    double broker_cpu;        /* npiped CPU for making them */
};

int mem_once(const struct mem_spec *m, enum tr_id tr, struct shared *sh,
             struct mem_result *res);

#endif /* NPIPE_BENCH_RUN_H */
