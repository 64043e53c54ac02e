/*
 * util.c — clocks, the parent/child token pipes, and readers of /proc.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void errf(char *err, const char *fmt, ...)
{
    if (!err || err[0]) /* keep the first error */
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, BENCH_ERRLEN, fmt, ap);
    va_end(ap);
}

int write_token(int fd, char c)
{
    for (;;) {
        ssize_t n = write(fd, &c, 1);
        if (n == 1)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

int read_token(int fd, char *c, double timeout_s)
{
    double deadline = now_s() + timeout_s;
    for (;;) {
        double left = deadline - now_s();
        if (left <= 0)
            return -2;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, (int)(left * 1000.0) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            continue; /* the deadline check above ends it */
        ssize_t n = read(fd, c, 1);
        if (n == 1)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

static int read_small_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = 0;
    return (int)n;
}

double proc_stat_cpu_s(pid_t pid)
{
    double user, sys;
    if (proc_stat_cpu_split(pid, &user, &sys) < 0)
        return -1;
    return user + sys;
}

int proc_stat_cpu_split(pid_t pid, double *user, double *sys)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    *user = *sys = 0;
    if (read_small_file(path, buf, sizeof buf) <= 0)
        return -1;
    /* The command may contain spaces and parentheses: fields start after
     * the last ')'.  utime and stime are fields 14 and 15. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    unsigned long long utime = 0, stime = 0;
    /* field 3 (state) is the first after ')' */
    if (sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &utime, &stime) != 2)
        return -1;
    double hz = (double)sysconf(_SC_CLK_TCK);
    *user = (double)utime / hz;
    *sys = (double)stime / hz;
    return 0;
}

double proc_cpu_s(pid_t pid)
{
    char path[96], buf[256];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    double total = 0;
    bool any = false;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.20s/schedstat", (int)pid,
                 e->d_name);
        unsigned long long ns;
        if (read_small_file(path, buf, sizeof buf) > 0 &&
            sscanf(buf, "%llu", &ns) == 1) {
            total += (double)ns * 1e-9;
            any = true;
        }
    }
    closedir(d);
    return any ? total : proc_stat_cpu_s(pid);
}

long proc_rss_kb(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (read_small_file(path, buf, sizeof buf) <= 0)
        return -1;
    char *p = strstr(buf, "\nVmRSS:");
    long kb;
    if (!p || sscanf(p + 7, "%ld", &kb) != 1)
        return -1;
    return kb;
}

long long proc_switches(pid_t pid)
{
    char path[96], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long long total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%d/task/%.20s/status", (int)pid, e->d_name);
        if (read_small_file(path, buf, sizeof buf) <= 0)
            continue;
        long long v;
        char *p = strstr(buf, "\nvoluntary_ctxt_switches:");
        if (p && sscanf(p + 26, "%lld", &v) == 1)
            total += v;
        p = strstr(buf, "\nnonvoluntary_ctxt_switches:");
        if (p && sscanf(p + 29, "%lld", &v) == 1)
            total += v;
    }
    closedir(d);
    return total;
}

long meminfo_kb(const char *field)
{
    char buf[8192];
    if (read_small_file("/proc/meminfo", buf, sizeof buf) <= 0)
        return -1;
    size_t len = strlen(field);
    for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, field, len) == 0 && p[len] == ':') {
            long kb;
            if (sscanf(p + len + 1, "%ld", &kb) == 1)
                return kb;
        }
    }
    return -1;
}

void cpu_jiffies(uint64_t *busy, uint64_t *total)
{
    char buf[512];
    *busy = *total = 0;
    if (read_small_file("/proc/stat", buf, sizeof buf) <= 0)
        return;
    unsigned long long v[10] = {0};
    int n = sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
                   &v[8], &v[9]);
    /* user nice system idle iowait irq softirq steal (guest counted in user) */
    for (int i = 0; i < n && i < 8; i++)
        *total += v[i];
    *busy = *total - v[3] - v[4];
}

int set_affinity_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double median(double *v, size_t n)
{
    if (n == 0)
        return 0.0 / 0.0;
    double tmp[n];
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}
