/*
 * harness.c — see harness.h.
 */
#include "harness.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io/io.h"
#include "npfs/npfs.h"
#include "ob/ob.h"
#include "ps/ps.h"
#include "ps/quota.h"
#include "transport/channel.h"
#include "transport/transport.h"

#define HARNESS_ID 0x8000000000000000ull /* ids the harness chose */
#define MAX_OUTSTANDING 128

struct fz_thread {
    struct channel *ch; /* NULL: none yet, or it died */
    int fd;             /* the client end, -1 if none */
    bool in_reply;      /* continuation packets of a reply are due */
    uint64_t reply_id;
    uint32_t remaining;
};

struct outstanding {
    uint64_t id;
    uint16_t op;
};

struct fz_process {
    PEPROCESS p;
    struct fz_thread t[FZ_THREADS];
    uint32_t handles[FZ_HANDLES];
    unsigned next_handle;
    struct outstanding out[MAX_OUTSTANDING];
    int nout;
};

static struct fz_process procs[FZ_PROCESSES];
static int epfd = -1;
static uint64_t next_id = 1;

static void fz_abort(const char *what)
{
    fprintf(stderr, "fuzz harness: %s\n", what);
    abort();
}

/* ---- Input -------------------------------------------------------------- */

size_t fz_take(struct fz_in *in, void *out, size_t max)
{
    size_t n = in->n < max ? in->n : max;
    if (n)
        memcpy(out, in->p, n);
    if (n < max)
        memset((uint8_t *)out + n, 0, max - n);
    in->p += n;
    in->n -= n;
    return n;
}

uint8_t fz_u8(struct fz_in *in)
{
    uint8_t v;
    fz_take(in, &v, 1);
    return v;
}

uint16_t fz_u16(struct fz_in *in)
{
    uint16_t v;
    fz_take(in, &v, 2);
    return v;
}

uint32_t fz_u32(struct fz_in *in)
{
    uint32_t v;
    fz_take(in, &v, 4);
    return v;
}

uint64_t fz_u64(struct fz_in *in)
{
    uint64_t v;
    fz_take(in, &v, 8);
    return v;
}

bool fz_done(const struct fz_in *in) { return in->n == 0; }

/* ---- Set-up ----------------------------------------------------------------- */

void fz_init(void)
{
    setlocale(LC_CTYPE, "C.UTF-8");
    signal(SIGPIPE, SIG_IGN);
    npiped_log_level = -1; /* quiet: dropped channels are the point */
    io_broker_instance_id = 0x1234567890abcdefull;
    ps_init();
    if (!NT_SUCCESS(io_load_driver(NpDriverEntry, "\\Device\\NamedPipe")))
        fz_abort("npfs did not load");
    io_driver_counters = NpQueryCounters;
    epfd = epoll_create1(EPOLL_CLOEXEC);
    /* Small limits, so that inputs reach them. */
    ob_max_handles_per_process = 32;
    io_max_pending_per_process = 16;
    ps_limits.processes_per_user = 3;
    ps_limits.threads_per_user = 5;
    ps_limits.handles_per_user = 48;
    ps_limits.irps_per_user = 24;
    ps_limits.pool_bytes_per_user = 4u << 20;
}

void fz_begin(void)
{
    memset(procs, 0, sizeof procs);
    for (int i = 0; i < FZ_PROCESSES; i++)
        for (int j = 0; j < FZ_THREADS; j++)
            procs[i].t[j].fd = -1;
}

static PEPROCESS get_process(int i)
{
    struct fz_process *fp = &procs[i];
    if (fp->p)
        return fp->p;
    int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (pidfd < 0)
        fz_abort("pidfd_open");
    /* Two users: processes 0 and 2 are one, process 1 the other. */
    uid_t uid = 60000 + (uid_t)(i % 2);
    if (!NT_SUCCESS(ps_create_process(getpid(), uid, uid, pidfd, &fp->p))) {
        close(pidfd);
        fp->p = NULL;
    }
    return fp->p;
}

static struct fz_thread *get_thread(int i, int j)
{
    struct fz_thread *t = &procs[i].t[j];
    if (t->ch && t->ch->dead) {
        t->ch = NULL;
        if (t->fd >= 0)
            close(t->fd);
        t->fd = -1;
    }
    if (t->ch)
        return t;
    PEPROCESS p = get_process(i);
    if (!p)
        return NULL;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        fz_abort("socketpair");
    int one = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    /* The kernel vouches for the sender: it is this process, always. */
    t->ch = channel_create(sv[0], epfd, p, getpid(), getuid());
    if (!t->ch) { /* the user's thread limit */
        close(sv[0]);
        close(sv[1]);
        return NULL;
    }
    t->fd = sv[1];
    t->in_reply = false;
    return t;
}

/* ---- Replies ---------------------------------------------------------------- */

static struct outstanding *find_out(struct fz_process *fp, uint64_t id)
{
    for (int k = 0; k < fp->nout; k++)
        if (fp->out[k].id == id)
            return &fp->out[k];
    return NULL;
}

static void check_packet(struct fz_process *fp, struct fz_thread *t,
                         const uint8_t *buf, size_t n)
{
    if (t->in_reply) {
        struct np_cont c;
        if (n <= sizeof c)
            fz_abort("a short continuation packet");
        memcpy(&c, buf, sizeof c);
        size_t chunk = n - sizeof c;
        if (c.magic != NP_MAGIC || c.id != t->reply_id || chunk > t->remaining)
            fz_abort("a reply's chunks are interleaved or too long");
        t->remaining -= (uint32_t)chunk;
        t->in_reply = t->remaining != 0;
        return;
    }
    struct np_reply r;
    if (n < sizeof r)
        fz_abort("a reply shorter than its header");
    memcpy(&r, buf, sizeof r);
    if (r.magic != NP_MAGIC || r.version != NP_VERSION)
        fz_abort("a reply with a bad magic or version");
    if (r.kind != NP_REPLY_FINAL && r.kind != NP_REPLY_PENDING)
        fz_abort("a reply of unknown kind");
    size_t first = n - sizeof r;
    if (r.data_len > NP_MAX_TRANSFER || first > r.data_len)
        fz_abort("a reply whose data does not add up");
    if (first < r.data_len) {
        t->in_reply = true;
        t->reply_id = r.id;
        t->remaining = r.data_len - (uint32_t)first;
    }
    static int trace = -1;
    if (trace < 0)
        trace = getenv("FZ_TRACE") != NULL;
    if (trace)
        fprintf(stderr, "fz: process %d: reply %s id %#llx status 0x%08x handle %u info %llu data %u\n",
                (int)(fp - procs), r.kind == NP_REPLY_FINAL ? "final" : "pending",
                (unsigned long long)r.id, (unsigned)r.status, r.handle,
                (unsigned long long)r.information, r.data_len);
    if (!(r.id & HARNESS_ID))
        return; /* an id the input chose: nothing to hold it to */
    if (r.kind != NP_REPLY_FINAL)
        return; /* a pending notice (the final reply may come on another
                   channel of the process, and be drained first) */
    struct outstanding *o = find_out(fp, r.id);
    if (!o)
        fz_abort("a final reply to a request never sent, or a second one");
    if (r.status >= 0 && r.handle &&
        (o->op == NP_OP_CREATE_NAMED_PIPE || o->op == NP_OP_CREATE_FILE ||
         o->op == NP_OP_DUPLICATE)) {
        if ((r.handle & 3) || r.handle >= OB_HANDLE_LIMIT)
            fz_abort("a malformed handle");
        fp->handles[fp->next_handle++ % FZ_HANDLES] = r.handle;
    }
    *o = fp->out[--fp->nout];
}

static bool drain(struct fz_process *fp, struct fz_thread *t)
{
    static uint8_t buf[NP_MAX_PACKET + 64];
    bool any = false;
    while (t->fd >= 0) {
        ssize_t n = recv(t->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* nothing now, or the broker dropped the channel */
        if ((size_t)n > NP_MAX_PACKET)
            fz_abort("a packet larger than NP_MAX_PACKET");
        check_packet(fp, t, buf, (size_t)n);
        any = true;
    }
    return any;
}

void fz_pump(void)
{
    for (int round = 0; round < 64; round++) {
        bool any = false;
        for (int i = 0; i < FZ_PROCESSES; i++) {
            for (int j = 0; j < FZ_THREADS; j++) {
                struct channel *ch = procs[i].t[j].ch;
                if (!ch || ch->dead)
                    continue;
                if (ch->queue_head)
                    channel_flush(ch);
                for (int k = 0; k < 8 && !ch->dead; k++)
                    channel_readable(ch);
            }
        }
        io_timer_run_expired();
        for (int i = 0; i < FZ_PROCESSES; i++)
            for (int j = 0; j < FZ_THREADS; j++)
                any |= drain(&procs[i], &procs[i].t[j]);
        if (!any)
            break;
    }
}

/* ---- Sending ---------------------------------------------------------------- */

static bool send_all(int i, struct fz_thread *t, const void *a, size_t alen,
                     const void *b, size_t blen)
{
    struct iovec iov[2] = {{(void *)a, alen}, {(void *)b, blen}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = blen ? 2 : 1};
    for (int tries = 0; tries < 32; tries++) {
        if (t->fd < 0)
            return false;
        ssize_t n = sendmsg(t->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0)
            return true;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return false;
        /* The broker has not read yet: let it, and take its replies. */
        if (t->ch && !t->ch->dead)
            channel_readable(t->ch);
        drain(&procs[i], t);
    }
    return false;
}

void fz_packet(int process, int thread, const void *data, size_t len)
{
    struct fz_thread *t = get_thread(process, thread);
    if (!t)
        return;
    uint8_t buf[NP_MAX_PACKET + 64]; /* a little more than any packet may be */
    if (len > sizeof buf)
        len = sizeof buf;
    memcpy(buf, data, len);
    if (len >= sizeof(struct np_request)) { /* keep the harness's ids its own */
        uint64_t id;
        memcpy(&id, buf + offsetof(struct np_request, id), sizeof id);
        id &= ~HARNESS_ID;
        memcpy(buf + offsetof(struct np_request, id), &id, sizeof id);
    }
    if (len)
        send_all(process, t, buf, len, NULL, 0);
}

uint64_t fz_request(int process, int thread, struct np_request *req,
                    const void *payload, uint32_t len, bool raw_id)
{
    struct fz_thread *t = get_thread(process, thread);
    if (!t)
        return 0;
    struct fz_process *fp = &procs[process];
    if (raw_id || fp->nout == MAX_OUTSTANDING)
        req->id &= ~HARNESS_ID;
    else
        req->id = HARNESS_ID | next_id++;
    size_t first = NP_MAX_PACKET - sizeof *req;
    if (first > len)
        first = len;
    if (!send_all(process, t, req, sizeof *req, payload, first))
        return 0;
    /* Only a request of the right shape, whole, can be answered; others
     * may be answered with an error or lose the channel. */
    if (req->id & HARNESS_ID) {
        fp->out[fp->nout].id = req->id;
        fp->out[fp->nout].op = req->op;
        fp->nout++;
    }
    struct np_cont cont = {.magic = NP_MAGIC, .id = req->id};
    for (size_t off = first; off < len;) {
        size_t chunk = len - off;
        if (chunk > NP_MAX_PACKET - sizeof cont)
            chunk = NP_MAX_PACKET - sizeof cont;
        if (!send_all(process, t, &cont, sizeof cont, (const uint8_t *)payload + off,
                      chunk))
            break;
        off += chunk;
    }
    return req->id;
}

/* ---- Threads and processes ends --------------------------------------------------- */

void fz_close_thread(int process, int thread)
{
    struct fz_thread *t = &procs[process].t[thread];
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    /* The broker reads what was sent, then the end of the channel. */
    for (int k = 0; k < 1024 && t->ch && !t->ch->dead; k++)
        channel_readable(t->ch);
    if (t->ch && !t->ch->dead)
        fz_abort("a closed channel did not end");
    t->ch = NULL;
}

void fz_kill_process(int process)
{
    struct fz_process *fp = &procs[process];
    /* As the transport's rundown: the channels die (nothing more can come
     * from them), then the process's handles and IRPs. */
    for (int j = 0; j < FZ_THREADS; j++) {
        struct fz_thread *t = &fp->t[j];
        if (t->ch && !t->ch->dead)
            channel_kill(t->ch);
        t->ch = NULL;
        if (t->fd >= 0)
            close(t->fd);
        t->fd = -1;
        t->in_reply = false;
    }
    if (fp->p)
        ps_terminate_process(fp->p);
    fp->p = NULL;
    fp->nout = 0;
    memset(fp->handles, 0, sizeof fp->handles);
}

uint32_t fz_handle(int process, unsigned which)
{
    return procs[process].handles[which % FZ_HANDLES];
}

void fz_squeeze(int process, int thread)
{
    struct fz_thread *t = get_thread(process, thread);
    if (!t)
        return;
    int small = 4096;
    setsockopt(t->ch->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
}

/* ---- The end of an input ---------------------------------------------------- */

void fz_end(void)
{
    fz_pump();
    for (int i = 0; i < FZ_PROCESSES; i++)
        fz_kill_process(i);
    transport_stop(); /* frees the dead channels; nothing else is left */
    char why[256] = "";
    struct ps_totals all;
    ps_quota_totals(&all);
    ULONG pipes = 0, instances = 0;
    NpQueryCounters(&pipes, &instances);
    if (ps_process_count())
        snprintf(why, sizeof why, "%u processes left", (unsigned)ps_process_count());
    else if (all.users || all.threads || all.handles || all.irps || all.pool_bytes)
        snprintf(why, sizeof why,
                 "quota left: %u users, %u threads, %u handles, %u irps, %llu bytes",
                 all.users, all.threads, all.handles, all.irps,
                 (unsigned long long)all.pool_bytes);
    else if (ob_live_objects)
        snprintf(why, sizeof why, "%u objects left", (unsigned)ob_live_objects);
    else if (pipes || instances)
        snprintf(why, sizeof why, "%u pipes, %u instances left", pipes, instances);
    else if (io_timer_next_timeout_ms() >= 0)
        snprintf(why, sizeof why, "a timer is still set");
    if (why[0])
        fz_abort(why);
}
