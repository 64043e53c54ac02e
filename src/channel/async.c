/*
 * async.c — where overlapped requests wait for their results: the table of
 * outstanding requests, the process's completion channel and the one
 * thread that reads it.
 *
 * The broker never writes client memory (DESIGN.md invariant 5).  An
 * overlapped request is registered here — its id, where its
 * IO_STATUS_BLOCK (or OVERLAPPED) is, where its data goes, its completion
 * routine — before np_call_async sends it.  If it pends, its final reply
 * comes later on the completion channel: a channel of its own that the
 * process opens (HELLO with NP_HELLO_COMPLETION_CHANNEL) before its first
 * overlapped request, read by one library thread that blocks in recvmsg —
 * no polling, no thread per operation.  For each final reply that thread
 *   1. finds the record by id,
 *   2. copies the data into the caller's buffer (never more than its
 *      length),
 *   3. writes Information, then Status with release ordering (so that
 *      whoever sees the status with an acquire load also sees the count
 *      and the data),
 *   4. acknowledges (NP_OP_ACK) on the completion channel; only then does
 *      the broker set the event, queue the port packet or the APC.
 * After step 3 the record no longer touches the caller's memory: the
 * caller may reuse the OVERLAPPED the moment it sees the status.
 *
 * A record with a completion routine stays in the table, completed, until
 * an alertable wait of its issuing thread receives its id (the broker's
 * APC) and runs the routine (np_run_apcs).  If the thread exits first the
 * routine can never run and the record is freed.
 *
 * Loss of the completion channel (the broker died, or dropped it) means no
 * pending request of that channel can ever complete: each gets
 * STATUS_PIPE_BROKEN with 0 bytes in its block, written here, and its
 * record is freed.  Their events are never set — the events were broker
 * objects too, and a wait on them now fails with ERROR_INVALID_HANDLE (a
 * GetOverlappedResult that was waiting looks at the block again and
 * reports the broken pipe).  The next overlapped request opens a new
 * completion channel (and thread) to whichever broker answers then.
 *
 * fork(): the child is a new process with none of this — no thread, no
 * channel, no records (its copies of the parent's OVERLAPPEDs describe the
 * parent's operations).
 *
 * Locks, always taken in this order and never held across a blocking
 * call: g_comp_lock (the completion channel's state), g_table_lock (the
 * records), channel.c's g_lock (sockets, for fork).
 */
#include "channel/channel.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum rec_state {
    REC_PENDING,    /* waiting for its final reply */
    REC_DELIVERING, /* a thread is writing its results */
    REC_DONE,       /* results written; its completion routine is due */
};

struct np_async_rec {
    struct np_async_rec *next; /* hash chain */
    uint64_t id;
    uint64_t gen;   /* the completion channel it waits on */
    uint64_t owner; /* np_thread_serial() of the issuing thread */
    enum rec_state state;
    bool orphan;    /* the issuing thread exited: no routine will run */
    uintptr_t *iosb;
    void *out;
    uint32_t out_len;
    np_apc_fn apc;
    void *apc_context;
};

#define BUCKETS 1024u /* ids are sequential: id % BUCKETS spreads evenly */

static pthread_mutex_t g_table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct np_async_rec *g_table[BUCKETS];

/* The completion channel.  `connecting` keeps a second thread from
 * connecting while the first does so without the lock held (connecting
 * may start a broker, which forks). */
static pthread_mutex_t g_comp_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_comp_cond = PTHREAD_COND_INITIALIZER;
static struct {
    int fd;           /* -1: none */
    uint32_t epoch;
    uint64_t gen;     /* generation of fd (0: none yet) */
    bool dead;        /* its thread saw it end */
    bool connecting;
    bool has_thread;  /* `thread` is to be joined */
    pthread_t thread;
} g_comp = {.fd = -1};
static uint64_t g_next_gen = 1;

/* ---- The table ----------------------------------------------------------- */

static struct np_async_rec **slot_of(uint64_t id)
{
    struct np_async_rec **p = &g_table[id % BUCKETS];
    while (*p && (*p)->id != id)
        p = &(*p)->next;
    return p;
}

static void unlink_rec(struct np_async_rec *rec)
{
    struct np_async_rec **p = slot_of(rec->id);
    if (*p == rec)
        *p = rec->next;
}

struct np_async_rec *np_async_register(const struct np_async_io *io,
                                       uint64_t gen, uint64_t *id)
{
    struct np_async_rec *rec = calloc(1, sizeof *rec);
    if (!rec)
        return NULL;
    rec->id = *id = np_new_request_id();
    rec->gen = gen;
    rec->owner = np_thread_serial();
    rec->state = REC_PENDING;
    rec->iosb = io->iosb;
    rec->out = io->out;
    rec->out_len = io->out_len;
    rec->apc = io->apc;
    rec->apc_context = io->apc_context;
    pthread_mutex_lock(&g_table_lock);
    struct np_async_rec **head = &g_table[rec->id % BUCKETS];
    rec->next = *head;
    *head = rec;
    pthread_mutex_unlock(&g_table_lock);
    return rec;
}

/* The record of `id` if it is still pending, now DELIVERING: whoever
 * gets it writes its results. */
static struct np_async_rec *claim(uint64_t id)
{
    pthread_mutex_lock(&g_table_lock);
    struct np_async_rec *rec = *slot_of(id);
    if (rec && rec->state == REC_PENDING)
        rec->state = REC_DELIVERING;
    else
        rec = NULL;
    pthread_mutex_unlock(&g_table_lock);
    return rec;
}

struct np_async_rec *np_async_take(uint64_t id) { return claim(id); }

void np_async_write_result(struct np_async_rec *rec, NTSTATUS status,
                           uint64_t information)
{
    /* Information first, then the status with release ordering: a reader
     * that sees the final status (an acquire load, or after a wait) sees
     * the byte count and the data too. */
    __atomic_store_n(&rec->iosb[1], (uintptr_t)information, __ATOMIC_RELAXED);
    __atomic_store_n(&rec->iosb[0], (uintptr_t)(uint32_t)status, __ATOMIC_RELEASE);
}

void np_async_settle(struct np_async_rec *rec)
{
    pthread_mutex_lock(&g_table_lock);
    bool keep = rec->apc && !rec->orphan;
    if (keep)
        rec->state = REC_DONE;
    else
        unlink_rec(rec);
    pthread_mutex_unlock(&g_table_lock);
    if (!keep)
        free(rec);
}

void np_async_drop(struct np_async_rec *rec)
{
    pthread_mutex_lock(&g_table_lock);
    unlink_rec(rec);
    pthread_mutex_unlock(&g_table_lock);
    free(rec);
}

unsigned np_run_apcs(const uint64_t *ids, size_t n)
{
    uint64_t me = np_thread_serial();
    unsigned ran = 0;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&g_table_lock);
        struct np_async_rec *rec = *slot_of(ids[i]);
        if (rec && (rec->state != REC_DONE || rec->owner != me))
            rec = NULL;
        if (rec)
            unlink_rec(rec);
        pthread_mutex_unlock(&g_table_lock);
        if (!rec)
            continue;
        rec->apc(rec->apc_context, (PIO_STATUS_BLOCK)rec->iosb, 0);
        free(rec);
        ran++;
    }
    return ran;
}

void np_async_thread_exit(uint64_t serial)
{
    pthread_mutex_lock(&g_table_lock);
    for (unsigned b = 0; b < BUCKETS; b++) {
        for (struct np_async_rec **p = &g_table[b]; *p;) {
            struct np_async_rec *rec = *p;
            if (rec->owner == serial && rec->apc && rec->state == REC_DONE) {
                *p = rec->next;
                free(rec);
                continue;
            }
            if (rec->owner == serial)
                rec->orphan = true;
            p = &rec->next;
        }
    }
    pthread_mutex_unlock(&g_table_lock);
}

/* The completion channel of generation `gen` is gone: nothing it was to
 * deliver ever will be. */
static void fail_generation(uint64_t gen)
{
    pthread_mutex_lock(&g_table_lock);
    for (unsigned b = 0; b < BUCKETS; b++) {
        for (struct np_async_rec **p = &g_table[b]; *p;) {
            struct np_async_rec *rec = *p;
            if (rec->gen != gen || rec->state == REC_DELIVERING) {
                p = &rec->next;
                continue;
            }
            if (rec->state == REC_PENDING)
                np_async_write_result(rec, STATUS_PIPE_BROKEN, 0);
            *p = rec->next;
            free(rec);
        }
    }
    pthread_mutex_unlock(&g_table_lock);
}

/* ---- The completion thread ------------------------------------------------ */

struct comp_thread_arg {
    int fd;
    uint64_t gen;
};

/* Reads the rest of a final reply whose header was peeked (first packet
 * `first_len` bytes): its data goes into out[cap], anything beyond is
 * read and dropped.  *got: bytes stored.  false if the channel broke. */
static bool receive_data(int fd, const struct np_reply *r, size_t first_len,
                         void *out, uint32_t cap, uint32_t *got)
{
    struct np_reply head;
    size_t first_data = first_len - sizeof head;
    struct iovec iov[2] = {
        {&head, sizeof head},
        {out, first_data < cap ? first_data : cap},
    };
    size_t len;
    bool trunc;
    if (np_recv_packet(fd, iov, 2, 0, &len, &trunc) || len != first_len)
        return false;
    uint32_t stored = (uint32_t)iov[1].iov_len;
    uint64_t remaining = r->data_len - first_data;
    while (remaining) {
        struct np_cont cont;
        uint32_t room = cap - stored;
        struct iovec civ[2] = {
            {&cont, sizeof cont},
            {(uint8_t *)out + stored, room < NP_MAX_PACKET ? room : NP_MAX_PACKET},
        };
        if (np_recv_packet(fd, civ, room ? 2 : 1, 0, &len, &trunc) ||
            len <= sizeof cont || cont.magic != NP_MAGIC || cont.id != r->id)
            return false;
        size_t n = len - sizeof cont;
        if (n > remaining)
            return false;
        remaining -= n;
        stored += (uint32_t)(n < room ? n : room);
    }
    *got = stored;
    return true;
}

/* One packet's worth of the channel: false when it ended. */
static bool deliver_one(int fd)
{
    struct np_reply r;
    struct iovec iov = {&r, sizeof r};
    size_t len;
    bool trunc;
    if (np_recv_packet(fd, &iov, 1, MSG_PEEK, &len, &trunc) || len < sizeof r ||
        r.magic != NP_MAGIC || r.version != NP_VERSION ||
        r.data_len < len - sizeof r)
        return false;
    struct np_async_rec *rec = r.kind == NP_REPLY_FINAL ? claim(r.id) : NULL;
    uint32_t got = 0;
    if (!receive_data(fd, &r, len, rec ? rec->out : NULL,
                      rec ? rec->out_len : 0, &got)) {
        if (rec) {
            np_async_write_result(rec, STATUS_PIPE_BROKEN, 0);
            np_async_drop(rec);
        }
        return false;
    }
    if (r.kind != NP_REPLY_FINAL)
        return true; /* nothing else is meant to come here */
    if (rec) {
        if (r.data_len > rec->out_len)
            np_debug("request %llu: %u bytes for a %u-byte buffer",
                     (unsigned long long)r.id, r.data_len, rec->out_len);
        np_async_write_result(rec, r.status, r.information);
        np_async_settle(rec);
    } else {
        np_debug("a completion for unknown request %llu", (unsigned long long)r.id);
    }
    /* Acknowledge even an unknown id, so the broker lets go of it. */
    return np_send_ack(fd, r.id) == 0;
}

static void *completion_main(void *p)
{
    struct comp_thread_arg arg = *(struct comp_thread_arg *)p;
    free(p);
    while (deliver_one(arg.fd))
        ;
    np_debug("the completion channel (generation %llu) ended",
             (unsigned long long)arg.gen);
    fail_generation(arg.gen);
    pthread_mutex_lock(&g_comp_lock);
    if (g_comp.gen == arg.gen)
        g_comp.dead = true;
    pthread_cond_broadcast(&g_comp_cond);
    pthread_mutex_unlock(&g_comp_lock);
    return NULL;
}

void np_async_await_loss(int timeout_ms)
{
    pthread_mutex_lock(&g_comp_lock);
    int fd = g_comp.fd;
    uint64_t gen = g_comp.gen;
    bool live = fd >= 0 && g_comp.has_thread && !g_comp.dead && !g_comp.connecting;
    pthread_mutex_unlock(&g_comp_lock);
    if (!live)
        return;
    /* The broker's death closes all its sockets, but not at one instant:
     * give the completion channel's end a moment to arrive. */
    struct pollfd p = {.fd = fd, .events = POLLRDHUP};
    int n;
    do
        n = poll(&p, 1, timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n <= 0 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
        return; /* the completion channel is fine: not a broker loss */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 1 + timeout_ms / 1000;
    pthread_mutex_lock(&g_comp_lock);
    while (g_comp.gen == gen && !g_comp.dead &&
           pthread_cond_timedwait(&g_comp_cond, &g_comp_lock, &until) == 0)
        ;
    pthread_mutex_unlock(&g_comp_lock);
}

/* A thread with every signal blocked, so that signals meant for the
 * program never run on it. */
static int start_thread(pthread_t *t, int fd, uint64_t gen)
{
    struct comp_thread_arg *arg = malloc(sizeof *arg);
    if (!arg)
        return ENOMEM;
    arg->fd = fd;
    arg->gen = gen;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(t, NULL, completion_main, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        free(arg);
    return err;
}

NTSTATUS np_async_ensure(uint32_t *epoch, uint64_t *gen)
{
    pthread_mutex_lock(&g_comp_lock);
    while (g_comp.connecting)
        pthread_cond_wait(&g_comp_cond, &g_comp_lock);
    if (g_comp.fd >= 0 && !g_comp.dead && g_comp.epoch == np_current_epoch()) {
        *epoch = g_comp.epoch;
        *gen = g_comp.gen;
        pthread_mutex_unlock(&g_comp_lock);
        return STATUS_SUCCESS;
    }
    /* Take down what is left of the old one: its thread exits once its
     * socket reads end of file. */
    bool join = g_comp.has_thread;
    pthread_t old = g_comp.thread;
    if (g_comp.fd >= 0)
        shutdown(g_comp.fd, SHUT_RDWR);
    g_comp.has_thread = false;
    g_comp.connecting = true;
    pthread_mutex_unlock(&g_comp_lock);

    if (join)
        pthread_join(old, NULL);
    np_socket_close(&g_comp.fd);
    uint32_t new_epoch = 0;
    uint64_t new_gen = 0;
    pthread_t thread;
    bool started = false;
    NTSTATUS status = np_connect_channel(&g_comp.fd, NP_HELLO_COMPLETION_CHANNEL,
                                         &new_epoch);
    if (NT_SUCCESS(status)) {
        new_gen = __atomic_fetch_add(&g_next_gen, 1, __ATOMIC_RELAXED);
        started = start_thread(&thread, g_comp.fd, new_gen) == 0;
        if (!started) {
            np_socket_close(&g_comp.fd);
            status = STATUS_INSUFFICIENT_RESOURCES;
        }
    }

    pthread_mutex_lock(&g_comp_lock);
    g_comp.connecting = false;
    g_comp.dead = !started;
    g_comp.epoch = new_epoch;
    g_comp.gen = new_gen;
    g_comp.has_thread = started;
    if (started)
        g_comp.thread = thread;
    pthread_cond_broadcast(&g_comp_cond);
    pthread_mutex_unlock(&g_comp_lock);
    *epoch = new_epoch;
    *gen = new_gen;
    return status;
}

/* ---- fork() ------------------------------------------------------------------ */

void np_async_atfork_prepare(void)
{
    pthread_mutex_lock(&g_comp_lock);
    pthread_mutex_lock(&g_table_lock);
}

void np_async_atfork_parent(void)
{
    pthread_mutex_unlock(&g_table_lock);
    pthread_mutex_unlock(&g_comp_lock);
}

/* Runs after channel.c's child handler; the child has one thread. */
void np_async_atfork_child(void)
{
    for (unsigned b = 0; b < BUCKETS; b++) {
        while (g_table[b]) {
            struct np_async_rec *rec = g_table[b];
            g_table[b] = rec->next;
            free(rec);
        }
    }
    /* The socket was made under channel.c's lock, so it is either fully
     * there or not at all; a connect in progress in another thread of the
     * parent left its socket in g_comp.fd too. */
    if (g_comp.fd >= 0)
        close(g_comp.fd);
    g_comp.fd = -1;
    g_comp.dead = false;
    g_comp.connecting = false;
    g_comp.has_thread = false;
    g_comp.gen = 0;
    pthread_cond_init(&g_comp_cond, NULL);
    pthread_mutex_unlock(&g_table_lock);
    pthread_mutex_unlock(&g_comp_lock);
}
