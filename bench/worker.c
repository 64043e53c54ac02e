/*
 * worker.c — one side (server or client) of one run, in its own process.
 *
 * Every side runs its transfers on threads, one per pair (or per listening
 * instance), so that one code path serves a single pair and 256 of them.
 * The threads go through three barriers with the process's main thread:
 *
 *   A  the server's instances exist          -> main tells the parent "L"
 *   B  every pair is connected               -> main tells the parent "R"
 *   go the parent said "G"                   -> the measured work
 *
 * and main reports "D" when they are done (or "E" at once when setting up
 * failed; the error text is in shared memory).  The client starts only when
 * the parent forwards "C", so it never races the server's listening.
 *
 * The workloads:
 *   ping-pong  client writes 64 bytes, server echoes them; the client times
 *              every round trip.  A first byte of 'Q' ends it.
 *   transact   the same, with TransactNamedPipe (raw: send then recv).
 *   stream     the client writes msg_size messages for `duration` seconds;
 *              the first byte of each message is 0, or 1 for the last; the
 *              server counts bytes, notes the time it has the last one and
 *              answers one byte, so the sender never closes before all its
 *              data is read.
 *   connect    the client connects and closes as fast as it can; server
 *              threads accept (ConnectNamedPipe) and reset
 *              (DisconnectNamedPipe) in a loop.
 */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct ctx;

struct thr {
    pthread_t tid;
    int idx;
    struct ctx *c;
    struct ep ep;
    struct side_result r;
    char err[BENCH_ERRLEN];
};

struct ctx {
    const struct run_spec *s;
    const struct transport *t;
    enum side side;
    struct shared *sh;
    int nthreads;
    pthread_barrier_t a, b, go;
};

static void cpu_self(double *user, double *sys, uint64_t *switches)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *switches = (uint64_t)ru.ru_nvcsw + (uint64_t)ru.ru_nivcsw;
    *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void *xmalloc_touched(size_t n)
{
    char *p = malloc(n ? n : 1);
    if (p)
        memset(p, 0, n); /* fault the pages in before anything is timed */
    return p;
}

/* ---- ping-pong and transact ----------------------------------------------- */

static void echo_server(struct thr *th)
{
    struct ctx *c = th->c;
    size_t n = c->s->msg_size;
    char *buf = xmalloc_touched(n);
    for (;;) {
        ssize_t got = c->t->read(&th->ep, buf, n, th->err);
        if (got <= 0) {
            errf(th->err, "echo server: the client went away");
            break;
        }
        if (c->t->write(&th->ep, buf, (size_t)got, th->err) < 0)
            break;
        th->r.ops++;
        if (buf[0] == 'Q')
            break;
    }
    free(buf);
}

static int one_round_trip(struct thr *th, char *out, char *in)
{
    struct ctx *c = th->c;
    size_t n = c->s->msg_size;
    ssize_t got;
    if (c->s->wl == WL_TRANSACT) {
        got = c->t->transact(&th->ep, out, n, in, n, th->err);
    } else {
        if (c->t->write(&th->ep, out, n, th->err) < 0)
            return -1;
        got = c->t->read(&th->ep, in, n, th->err);
    }
    if (got != (ssize_t)n) {
        errf(th->err, "round trip: %zd bytes back, not %zu", got, n);
        return -1;
    }
    return 0;
}

static void echo_client(struct thr *th)
{
    struct ctx *c = th->c;
    struct shared *sh = c->sh;
    size_t n = c->s->msg_size;
    char *out = xmalloc_touched(n), *in = xmalloc_touched(n);
    for (unsigned i = 0; i < c->s->warmup; i++)
        if (one_round_trip(th, out, in) < 0)
            goto done;
    uint64_t start = now_ns();
    uint64_t end = start + (uint64_t)(c->s->duration * 1e9);
    uint64_t t1 = start, t2 = start;
    bool record = th->idx == 0;
    th->r.t_first = (double)start * 1e-9;
    for (;;) {
        t1 = now_ns();
        if (one_round_trip(th, out, in) < 0)
            goto done;
        t2 = now_ns();
        th->r.ops++;
        if (record && sh->nsamples < sh->max_samples) {
            uint64_t d = t2 - t1;
            sh->samples[sh->nsamples++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        }
        if (t2 >= end || (record && sh->nsamples >= sh->max_samples))
            break;
    }
    th->r.t_last = (double)t2 * 1e-9;
    out[0] = 'Q';
    one_round_trip(th, out, in);
done:
    free(out);
    free(in);
}

/* ---- one-way streams ------------------------------------------------------ */

static void stream_server(struct thr *th)
{
    struct ctx *c = th->c;
    size_t n = c->s->msg_size, off = 0;
    char *buf = xmalloc_touched(n);
    char flag = 0;
    bool last = false;
    while (!last) {
        ssize_t got = c->t->read(&th->ep, buf, n, th->err);
        if (got <= 0) {
            errf(th->err, "stream: ended after %llu bytes without its last message",
                 (unsigned long long)th->r.bytes);
            goto done;
        }
        th->r.bytes += (uint64_t)got;
        /* Find message boundaries: byte mode may split or join messages. */
        for (size_t p = 0; p < (size_t)got;) {
            if (off == 0)
                flag = buf[p];
            size_t take = n - off < (size_t)got - p ? n - off : (size_t)got - p;
            off += take;
            p += take;
            if (off == n) {
                off = 0;
                th->r.ops++;
                if (flag == 1)
                    last = true;
            }
        }
        if (c->s->mode == MODE_MESSAGE && (size_t)got != n) {
            errf(th->err, "stream: a %zd-byte message, not %zu", got, n);
            goto done;
        }
    }
    th->r.t_last = now_s();
    char ack = 'A';
    c->t->write(&th->ep, &ack, 1, th->err);
done:
    free(buf);
}

static void stream_client(struct thr *th)
{
    struct ctx *c = th->c;
    size_t n = c->s->msg_size;
    char *buf = xmalloc_touched(n);
    double start = now_s(), end = start + c->s->duration;
    th->r.t_first = start;
    for (;;) {
        bool last = now_s() >= end;
        buf[0] = last ? 1 : 0;
        if (c->t->write(&th->ep, buf, n, th->err) < 0)
            goto done;
        th->r.ops++;
        if (last)
            break;
    }
    char ack;
    if (c->t->read(&th->ep, &ack, 1, th->err) != 1)
        errf(th->err, "stream: no acknowledgement from the receiver");
    th->r.t_last = now_s();
done:
    free(buf);
}

/* ---- connection set-up ---------------------------------------------------- */

static void connect_server(struct thr *th)
{
    struct ctx *c = th->c;
    for (;;) {
        if (c->t->accept(c->s, &th->ep, th->err) < 0)
            return;
        if (__atomic_load_n(&c->sh->stop, __ATOMIC_SEQ_CST))
            return;
        th->r.ops++;
        if (c->t->reset(c->s, &th->ep, th->err) < 0)
            return;
    }
}

static void connect_client(struct thr *th)
{
    struct ctx *c = th->c;
    double start = now_s(), end = start + c->s->duration, t = start;
    th->r.t_first = start;
    do {
        if (c->t->connect(c->s, &th->ep, &th->r.busy, th->err) < 0)
            return;
        c->t->close(&th->ep);
        th->r.ops++;
        t = now_s();
    } while (t < end);
    th->r.t_last = t;
    /* Release every server thread: each takes one more client and sees the
     * stop flag.  Errors here no longer matter. */
    __atomic_store_n(&c->sh->stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < c->s->server_threads; i++) {
        char ignored[BENCH_ERRLEN] = "";
        uint64_t busy = 0;
        if (c->t->connect(c->s, &th->ep, &busy, ignored) == 0)
            c->t->close(&th->ep);
    }
}

/* ---- threads and the process ---------------------------------------------- */

static void note_buffers(struct thr *th)
{
    if (th->ep.fd < 0)
        return;
    int v;
    socklen_t l = sizeof v;
    if (getsockopt(th->ep.fd, SOL_SOCKET, SO_SNDBUF, &v, &l) == 0)
        th->r.sndbuf = v;
    l = sizeof v;
    if (getsockopt(th->ep.fd, SOL_SOCKET, SO_RCVBUF, &v, &l) == 0)
        th->r.rcvbuf = v;
}

static void *thread_main(void *arg)
{
    struct thr *th = arg;
    struct ctx *c = th->c;
    const struct run_spec *s = c->s;
    bool server = c->side == SIDE_SERVER;

    if (server)
        c->t->instance(s, &th->ep, th->err);
    pthread_barrier_wait(&c->a);
    if (s->wl != WL_CONNECT && !th->err[0]) {
        if (server)
            c->t->accept(s, &th->ep, th->err);
        else
            c->t->connect(s, &th->ep, &th->r.busy, th->err);
        note_buffers(th);
    }
    pthread_barrier_wait(&c->b);
    pthread_barrier_wait(&c->go);
    if (th->err[0])
        return NULL;
    switch (s->wl) {
    case WL_PINGPONG:
    case WL_TRANSACT:
        server ? echo_server(th) : echo_client(th);
        break;
    case WL_STREAM:
        server ? stream_server(th) : stream_client(th);
        break;
    case WL_CONNECT:
        server ? connect_server(th) : connect_client(th);
        break;
    }
    c->t->close(&th->ep);
    return NULL;
}

static int first_error(struct ctx *c, struct thr *th, struct side_result *res)
{
    for (int i = 0; i < c->nthreads; i++)
        if (th[i].err[0]) {
            snprintf(res->error, sizeof res->error, "%s %s, thread %d: %.200s",
                     c->t->name, c->side == SIDE_SERVER ? "server" : "client", i,
                     th[i].err);
            res->failed = 1;
            return -1;
        }
    return 0;
}

static _Noreturn void fail(struct side_result *res, int up, const char *fmt,
                           const char *what)
{
    if (!res->failed) {
        snprintf(res->error, sizeof res->error, fmt, what);
        res->failed = 1;
    }
    write_token(up, 'E');
    _exit(1);
}

_Noreturn void worker_main(const struct run_spec *s, enum side side, int up,
                           int down, struct shared *sh)
{
    struct ctx c = {.s = s, .t = transport_get(s->tr), .side = side, .sh = sh};
    struct side_result *res = &sh->side[side];
    memset(res, 0, sizeof *res);
    char err[BENCH_ERRLEN] = "", tok;

    c.nthreads = s->pairs;
    if (s->wl == WL_CONNECT)
        c.nthreads = side == SIDE_SERVER ? s->server_threads : 1;

    if (side == SIDE_SERVER) {
        if (c.t->server_init(s, err) < 0)
            fail(res, up, "%s", err);
    } else if (read_token(down, &tok, 300) < 0 || tok != 'C') {
        fail(res, up, "%s client: no start from the parent", c.t->name);
    }

    struct thr *th = calloc((size_t)c.nthreads, sizeof *th);
    if (!th)
        fail(res, up, "%s: out of memory", c.t->name);
    pthread_barrier_init(&c.a, NULL, (unsigned)c.nthreads + 1);
    pthread_barrier_init(&c.b, NULL, (unsigned)c.nthreads + 1);
    pthread_barrier_init(&c.go, NULL, (unsigned)c.nthreads + 1);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1u << 20);
    for (int i = 0; i < c.nthreads; i++) {
        th[i].idx = i;
        th[i].c = &c;
        th[i].ep.fd = -1;
        int e = pthread_create(&th[i].tid, &attr, thread_main, &th[i]);
        if (e)
            fail(res, up, "pthread_create: %s", strerror(e));
    }

    pthread_barrier_wait(&c.a);
    if (first_error(&c, th, res) < 0)
        fail(res, up, "%s", "");
    if (side == SIDE_SERVER)
        write_token(up, 'L');
    pthread_barrier_wait(&c.b);
    if (first_error(&c, th, res) < 0)
        fail(res, up, "%s", "");
    write_token(up, 'R');
    if (read_token(down, &tok, 600) < 0 || tok != 'G')
        fail(res, up, "%s: no go from the parent", c.t->name);

    double user0, sys0, user1, sys1;
    uint64_t sw0, sw1;
    cpu_self(&user0, &sys0, &sw0);
    pthread_barrier_wait(&c.go);
    for (int i = 0; i < c.nthreads; i++)
        pthread_join(th[i].tid, NULL);
    cpu_self(&user1, &sys1, &sw1);
    res->switches = sw1 - sw0;
    res->cpu_user = user1 - user0;
    res->cpu_sys = sys1 - sys0;
    res->cpu = res->cpu_user + res->cpu_sys;

    for (int i = 0; i < c.nthreads; i++) {
        struct side_result *r = &th[i].r;
        res->ops += r->ops;
        res->bytes += r->bytes;
        res->busy += r->busy;
        if (r->t_first > 0 && (res->t_first == 0 || r->t_first < res->t_first))
            res->t_first = r->t_first;
        if (r->t_last > res->t_last)
            res->t_last = r->t_last;
        if (r->sndbuf)
            res->sndbuf = r->sndbuf;
        if (r->rcvbuf)
            res->rcvbuf = r->rcvbuf;
    }
    first_error(&c, th, res);
    write_token(up, 'D');
    _exit(res->failed ? 1 : 0);
}
