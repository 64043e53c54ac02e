/*
 * channel.c — the per-thread channels to the broker, the handle epochs,
 * and np_call: one request out, its reply back.
 *
 * Every thread that calls into npipe gets its own SOCK_SEQPACKET channel,
 * connected on first use and closed by a thread-exit destructor, so
 * threads block in calls independently (a ReadFile in one thread never
 * holds up a WriteFile in another).  The first request on a new channel is
 * NP_OP_HELLO, which tells us the broker's instance id.
 *
 * Epochs (see channel.h for the handle format).  The process-wide epoch
 * starts at 1 and moves on when handles of this process stop being valid:
 *   - a HELLO reports a broker instance id other than the one the epoch
 *     belongs to: the broker we knew is gone and a new one answers;
 *   - fork(): the child is a new process to the broker.
 * A channel remembers the epoch it was connected in; a thread compares it
 * with the current epoch before every call and reconnects when they
 * differ, so once one thread has noticed a new broker no thread talks to
 * the old one again.  When a channel sees the broker vanish (EOF,
 * ECONNRESET) only that channel is dropped — a call in flight fails, a
 * call not yet sent reconnects and is asked again — and the HELLO on the
 * new connection tells whether it is still the same broker (which had only
 * dropped this channel: handles stay valid) or a new one (the epoch moves,
 * invalidating every handle from before).  So the epoch is also the
 * reconnect generation every thread checks.
 *
 * Overlapped requests (np_call_async) travel like any other, flagged
 * NP_F_ASYNC and registered first in async.c's table; their pending
 * notice ends the call here, and their completion arrives on the
 * completion channel that async.c owns.  Request ids come from one
 * process-wide counter, because the broker names a completion, an
 * acknowledgement or an APC by id alone.
 *
 * Chunking follows proto.h: a request whose payload does not fit in one
 * NP_MAX_PACKET packet continues in np_cont packets, and so do replies;
 * reply data is gathered straight into the caller's buffer with recvmsg,
 * never more than the caller's length.
 */
#include "channel/channel.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define EPOCH_MAX 127u /* epochs are 1..127: handles stay below 2^31 */
#define WIRE_LIMIT (1u << 24)

struct np_channel {
    int fd;          /* -1 when not connected */
    uint32_t epoch;  /* the epoch the channel was connected in */
    uint64_t serial; /* np_thread_serial() of its thread */
    struct np_channel *prev, *next; /* every channel of the process */
};

/* g_lock guards the channel list, every channel's fd (so that the fork
 * handler sees a consistent set of sockets to close), the broker id and
 * changes of the epoch.  It is never held across a blocking call. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint32_t g_epoch = 1;
static uint64_t g_broker_id; /* whose handles the epoch holds; 0: none yet */
static struct np_channel *g_channels;

static __thread struct np_channel *tls_channel;
static __thread uint64_t tls_serial;
static __thread bool tls_lost; /* this thread's last call lost the broker */
static _Atomic uint64_t g_next_id = 1;     /* request ids, process-wide */
static _Atomic uint64_t g_next_serial = 1; /* thread serials */
static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static bool g_ready;

/* What happened to one request on the wire. */
enum tx {
    TX_OK,     /* the final reply is in */
    TX_LOCAL,  /* failed here, nothing sent: res->status says why */
    TX_UNSENT, /* the channel is dead and the broker never saw the request */
    TX_LOST,   /* the channel died (or broke the protocol) mid-call */
};

/* ---- Diagnostics --------------------------------------------------------- */

void np_debug(const char *fmt, ...)
{
    static _Atomic int enabled = -1;
    if (enabled < 0)
        enabled = secure_getenv("NPIPE_DEBUG") != NULL;
    if (!enabled)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "npipe[%d]: ", (int)getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- Ids --------------------------------------------------------------------- */

uint64_t np_new_request_id(void) { return atomic_fetch_add(&g_next_id, 1); }

uint32_t np_current_epoch(void) { return atomic_load(&g_epoch); }

uint64_t np_thread_serial(void)
{
    if (!tls_serial)
        tls_serial = atomic_fetch_add(&g_next_serial, 1);
    return tls_serial;
}

/* ---- The channel list and its sockets ------------------------------------ */

static uint32_t next_epoch(uint32_t epoch)
{
    return epoch >= EPOCH_MAX ? 1 : epoch + 1;
}

int np_socket_open(int *slot)
{
    pthread_mutex_lock(&g_lock);
    *slot = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    int err = *slot < 0 ? errno : 0;
    pthread_mutex_unlock(&g_lock);
    return err;
}

void np_socket_close(int *slot)
{
    pthread_mutex_lock(&g_lock);
    if (*slot >= 0)
        close(*slot);
    *slot = -1;
    pthread_mutex_unlock(&g_lock);
}

static void list_insert(struct np_channel *ch)
{
    ch->prev = NULL;
    ch->next = g_channels;
    if (g_channels)
        g_channels->prev = ch;
    g_channels = ch;
}

static void list_remove(struct np_channel *ch)
{
    if (ch->prev)
        ch->prev->next = ch->next;
    else
        g_channels = ch->next;
    if (ch->next)
        ch->next->prev = ch->prev;
}

/* The thread is exiting: the broker learns it from the channel's EOF (and
 * cancels the thread's I/O).  Completion routines still due to it can
 * never run: async.c forgets them. */
static void channel_destroy(void *arg)
{
    struct np_channel *ch = arg;
    np_async_thread_exit(ch->serial);
    pthread_mutex_lock(&g_lock);
    list_remove(ch);
    if (ch->fd >= 0)
        close(ch->fd);
    pthread_mutex_unlock(&g_lock);
    if (tls_channel == ch)
        tls_channel = NULL;
    free(ch);
}

static struct np_channel *channel_new(void)
{
    struct np_channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->fd = -1;
    ch->serial = np_thread_serial();
    if (pthread_setspecific(g_key, ch) != 0) {
        free(ch);
        return NULL;
    }
    pthread_mutex_lock(&g_lock);
    list_insert(ch);
    pthread_mutex_unlock(&g_lock);
    tls_channel = ch;
    return ch;
}

/* The first hello of this program image (see np_connect_channel). */
static pthread_mutex_t g_image_lock = PTHREAD_MUTEX_INITIALIZER;
static bool g_image_announced; /* under g_image_lock */

/* ---- fork() ----------------------------------------------------------------- */

static void atfork_prepare(void)
{
    np_async_atfork_prepare();
    pthread_mutex_lock(&g_lock);
}

static void atfork_parent(void)
{
    pthread_mutex_unlock(&g_lock);
    np_async_atfork_parent();
}

/* The child is a new process to the broker: the sockets it inherited
 * belong to its parent's threads (using one would be a lie the broker
 * punishes), and so do the parent's handles.  Close every inherited
 * channel, keep only this thread's (unconnected) channel, and move to a
 * new epoch so that no handle of the parent works here. */
static void atfork_child(void)
{
    struct np_channel *mine = tls_channel, *ch = g_channels, *next;
    for (; ch; ch = next) {
        next = ch->next;
        if (ch->fd >= 0)
            close(ch->fd);
        ch->fd = -1;
        if (ch != mine)
            free(ch); /* its thread does not exist in the child */
    }
    g_channels = NULL;
    if (mine)
        list_insert(mine);
    atomic_store(&g_epoch, next_epoch(atomic_load(&g_epoch)));
    pthread_mutex_unlock(&g_lock);
    /* Another thread may have been saying its first hello: it does not
     * exist here, and neither does its lock. */
    pthread_mutex_init(&g_image_lock, NULL);
    np_async_atfork_child(); /* no completion thread, channel or records */
}

/* The thread-exit destructor and the fork handlers point into this
 * library: once they are registered it must never be unloaded, or a
 * dlclose() would leave them dangling. */
static void pin_library(void)
{
    Dl_info info;
    if (dladdr((const void *)pin_library, &info) && info.dli_fname)
        dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

static void init_once(void)
{
    pin_library();
    if (pthread_key_create(&g_key, channel_destroy) != 0)
        return;
    if (pthread_atfork(atfork_prepare, atfork_parent, atfork_child) != 0)
        return;
    g_ready = true;
}

/* ---- Packets ---------------------------------------------------------------- */

/* One SEQPACKET message: sent whole or not at all.  0 or an errno. */
int np_send_packet(int fd, const void *head, size_t head_len,
                       const void *data, size_t data_len)
{
    struct iovec iov[2] = {{(void *)head, head_len}, {(void *)data, data_len}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = data_len ? 2 : 1};
    for (;;) {
        if (sendmsg(fd, &msg, MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EINTR)
            return errno;
    }
}

/* Receives (or with MSG_PEEK looks at) one message into iov.  *len gets
 * the message's real length, *trunc whether it did not fit.  0, an errno,
 * or EPIPE for end of file (the broker never sends an empty message). */
int np_recv_packet(int fd, struct iovec *iov, int iovcnt, int flags,
                   size_t *len, bool *trunc)
{
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
    for (;;) {
        ssize_t n = recvmsg(fd, &msg, flags | MSG_TRUNC);
        if (n > 0) {
            *len = (size_t)n;
            *trunc = (msg.msg_flags & MSG_TRUNC) != 0;
            return 0;
        }
        if (n == 0)
            return EPIPE;
        if (errno != EINTR)
            return errno;
    }
}

#define send_packet np_send_packet
#define recv_packet np_recv_packet

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

static bool reply_header_ok(const struct np_reply *r)
{
    return r->magic == NP_MAGIC && r->version == NP_VERSION;
}

/* ---- Requests --------------------------------------------------------------- */

static enum tx send_request(int fd, const struct np_request *req,
                            const uint8_t *in, uint32_t in_len,
                            struct np_result *res)
{
    size_t first = min_size(in_len, NP_MAX_PACKET - sizeof *req);
    int err = send_packet(fd, req, sizeof *req, in, first);
    if (err == ENOBUFS || err == ENOMEM) {
        res->status = STATUS_INSUFFICIENT_RESOURCES;
        return TX_LOCAL;
    }
    if (err) {
        np_debug("send: %s", strerror(err));
        return TX_UNSENT;
    }
    struct np_cont cont = {.magic = NP_MAGIC, .id = req->id};
    for (size_t off = first; off < in_len;) {
        size_t chunk = min_size(in_len - off, NP_MAX_PACKET - sizeof cont);
        if (send_packet(fd, &cont, sizeof cont, in + off, chunk))
            return TX_LOST; /* half a request: the channel is unusable */
        off += chunk;
    }
    return TX_OK;
}

int np_send_ack(int fd, uint64_t id)
{
    struct np_request req = {
        .magic = NP_MAGIC,
        .version = NP_VERSION,
        .op = NP_OP_ACK,
        .id = np_new_request_id(),
        .args.ack.id = id,
    };
    return send_packet(fd, &req, sizeof req, NULL, 0);
}

/* Throws away the continuation packets of a message that is not ours;
 * `remaining` is how much of its data is still to come. */
static bool skip_continuations(int fd, uint64_t remaining)
{
    while (remaining) {
        struct np_cont cont;
        struct iovec iov = {&cont, sizeof cont};
        size_t len;
        bool trunc;
        if (recv_packet(fd, &iov, 1, 0, &len, &trunc) || len <= sizeof cont)
            return false;
        remaining -= min_size(remaining, len - sizeof cont);
    }
    return true;
}

/* A reply for another request (a stale one, or a pending notice): drop
 * it whole.  `consumed`: whether its first packet was already read. */
static bool skip_reply(int fd, const struct np_reply *r, size_t first_len,
                       bool consumed)
{
    size_t first_data = first_len - sizeof *r;
    if (r->data_len < first_data)
        return false;
    if (!consumed) {
        struct np_reply scratch;
        struct iovec iov = {&scratch, sizeof scratch};
        size_t len;
        bool trunc;
        if (recv_packet(fd, &iov, 1, 0, &len, &trunc))
            return false;
    }
    np_debug("skipped a reply for request %llu", (unsigned long long)r->id);
    return skip_continuations(fd, r->data_len - first_data);
}

/* Reads the first packet of the reply to request `id` into *r and the
 * start of `out`; *got is how much data came with it.  With `pending`
 * non-NULL, a NP_REPLY_PENDING notice for the request also ends the
 * wait (*pending = true); otherwise such notices are skipped. */
static enum tx receive_first(int fd, uint64_t id, void *out, uint32_t out_len,
                             struct np_reply *r, size_t *got, bool *pending)
{
    for (;;) {
        struct iovec iov[2] = {
            {r, sizeof *r},
            {out, min_size(out_len, NP_MAX_PACKET - sizeof *r)},
        };
        size_t len;
        bool trunc;
        /* With somewhere to put data, look at the header first so that a
         * stale reply's data never lands in the caller's buffer. */
        bool peek = out_len != 0;
        if (recv_packet(fd, iov, 1, peek ? MSG_PEEK : 0, &len, &trunc) ||
            len < sizeof *r || !reply_header_ok(r))
            return TX_LOST;
        if (pending && r->id == id && r->kind == NP_REPLY_PENDING) {
            if (len != sizeof *r || r->data_len)
                return TX_LOST;
            if (peek && recv_packet(fd, iov, 1, 0, &len, &trunc))
                return TX_LOST;
            *pending = true;
            *got = 0;
            return TX_OK;
        }
        if (r->id != id || r->kind != NP_REPLY_FINAL) {
            if (!skip_reply(fd, r, len, !peek))
                return TX_LOST;
            continue;
        }
        if (peek && recv_packet(fd, iov, 2, 0, &len, &trunc))
            return TX_LOST;
        if (trunc || r->data_len > out_len || len - sizeof *r > r->data_len)
            return TX_LOST; /* more than the caller can take: a bad broker */
        *got = len - sizeof *r;
        return TX_OK;
    }
}

static enum tx receive_reply(int fd, uint64_t id, void *out, uint32_t out_len,
                             struct np_reply *r, uint32_t *data_len,
                             bool *pending)
{
    size_t got;
    enum tx tx = receive_first(fd, id, out, out_len, r, &got, pending);
    if (tx != TX_OK || (pending && *pending))
        return tx;
    while (got < r->data_len) {
        struct np_cont cont;
        struct iovec iov[2] = {
            {&cont, sizeof cont},
            {(uint8_t *)out + got,
             min_size(r->data_len - got, NP_MAX_PACKET - sizeof cont)},
        };
        size_t len;
        bool trunc;
        if (recv_packet(fd, iov, 2, 0, &len, &trunc) || trunc ||
            len <= sizeof cont || cont.magic != NP_MAGIC || cont.id != id)
            return TX_LOST;
        got += len - sizeof cont;
    }
    *data_len = (uint32_t)got;
    return TX_OK;
}

/* One request and its reply on fd: the final reply, or (with `pending`
 * non-NULL) a pending notice.  *wire gets the reply's raw handle field. */
static enum tx transact(int fd, uint64_t id, uint16_t op, uint32_t flags,
                        uint32_t handle, const union np_args *args,
                        const void *in, uint32_t in_len, void *out,
                        uint32_t out_len, struct np_result *res,
                        uint32_t *wire, bool *pending)
{
    struct np_request req = {
        .magic = NP_MAGIC,
        .version = NP_VERSION,
        .op = op,
        .flags = flags,
        .handle = handle,
        .id = id,
        .in_len = in_len,
        .out_len = out_len,
    };
    if (args)
        req.args = *args;
    enum tx tx = send_request(fd, &req, in, in_len, res);
    if (tx != TX_OK)
        return tx;
    struct np_reply r;
    tx = receive_reply(fd, req.id, out, out_len, &r, &res->data_len, pending);
    if (tx != TX_OK)
        return tx;
    res->status = r.status;
    res->information = r.information;
    *wire = r.handle;
    return TX_OK;
}

/* ---- Connecting --------------------------------------------------------- */

/* win32/createprocess.c: the epoch a CreateProcess parent handed down for
 * this broker (inherited handles keep their values), else `epoch`. */
uint32_t np_inherited_epoch(uint64_t broker_id, uint32_t epoch);

/* The HELLO told us who answers: if it is not the broker the epoch's
 * handles belong to, those handles are gone and a new epoch starts. */
static uint32_t adopt_broker(uint64_t broker_id)
{
    pthread_mutex_lock(&g_lock);
    uint32_t epoch = atomic_load(&g_epoch);
    if (g_broker_id && g_broker_id != broker_id) {
        epoch = next_epoch(epoch);
        atomic_store(&g_epoch, epoch);
        np_debug("a new broker (instance %llx): handles of epoch %u are void",
                 (unsigned long long)broker_id, epoch == 1 ? EPOCH_MAX : epoch - 1);
    }
    if (!g_broker_id) /* a CreateProcess child starts in its parent's epoch */
        atomic_store(&g_epoch, epoch = np_inherited_epoch(broker_id, epoch));
    g_broker_id = broker_id;
    pthread_mutex_unlock(&g_lock);
    return epoch;
}

/* Has this library instance said hello yet?  The first hello of a new
 * program image tells the broker, which then closes the handles the process
 * had before an exec unless they were made inheritable (close-on-exec).
 * Every other thread waits until that first hello is through: a handle it
 * created in the meantime would be closed with the ones from before. */
static NTSTATUS connect_and_hello(int *slot, uint32_t hello_flags, uint32_t *epoch);

NTSTATUS np_connect_channel(int *slot, uint32_t hello_flags, uint32_t *epoch)
{
    pthread_mutex_lock(&g_image_lock);
    if (g_image_announced) {
        pthread_mutex_unlock(&g_image_lock);
        return connect_and_hello(slot, hello_flags, epoch);
    }
    NTSTATUS status = connect_and_hello(slot, hello_flags | NP_HELLO_NEW_IMAGE, epoch);
    g_image_announced = NT_SUCCESS(status);
    pthread_mutex_unlock(&g_image_lock);
    return status;
}

static NTSTATUS connect_and_hello(int *slot, uint32_t hello_flags, uint32_t *epoch)
{
    /* A broker may go away between accepting us and answering (an idle
     * exit racing with our connect): nothing was asked yet, so try again. */
    for (int attempt = 0; attempt < 3; attempt++) {
        NTSTATUS status = np_broker_connect(slot);
        if (!NT_SUCCESS(status))
            return status;
        struct np_result res = {0};
        uint32_t pid = 0;
        union np_args args = {.hello = {.flags = hello_flags, .tid = (uint32_t)gettid()}};
        enum tx tx = transact(*slot, np_new_request_id(), NP_OP_HELLO, 0, 0,
                              &args, NULL, 0, NULL, 0, &res, &pid, NULL);
        if (tx == TX_OK && NT_SUCCESS(res.status)) {
            if (pid != (uint32_t)getpid())
                np_debug("the broker sees us as pid %u", pid);
            *epoch = adopt_broker(res.information);
            return STATUS_SUCCESS;
        }
        np_socket_close(slot);
        if (tx == TX_OK || tx == TX_LOCAL)
            return NT_ERROR(res.status) ? res.status : STATUS_INTERNAL_ERROR;
    }
    return STATUS_OBJECT_PATH_NOT_FOUND;
}

/* This thread's channel, connected and of the current epoch. */
static struct np_channel *get_channel(NTSTATUS *status)
{
    if (pthread_once(&g_once, init_once) != 0 || !g_ready) {
        *status = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    struct np_channel *ch = tls_channel;
    if (!ch && !(ch = channel_new())) {
        *status = STATUS_NO_MEMORY;
        return NULL;
    }
    if (ch->fd >= 0 && ch->epoch == atomic_load(&g_epoch))
        return ch;
    if (ch->fd >= 0) /* from an older epoch: reconnect */
        np_socket_close(&ch->fd);
    *status = np_connect_channel(&ch->fd, 0, &ch->epoch);
    return NT_SUCCESS(*status) ? ch : NULL;
}

/* ---- Handles --------------------------------------------------------------- */

bool np_handle_decode(HANDLE h, uint32_t *wire, uint32_t *epoch)
{
    uintptr_t v = (uintptr_t)h;
    if (v == 0 || v > 0x7FFFFFFFu) /* NULL, pseudo-handles, garbage */
        return false;
    v &= ~(uintptr_t)3; /* NT ignores a handle's two tag bits */
    *wire = (uint32_t)(v & (WIRE_LIMIT - 1));
    *epoch = (uint32_t)(v >> 24);
    return *wire != 0 && *epoch != 0;
}

static bool encode_handle(uint32_t epoch, uint32_t wire, HANDLE *h)
{
    if (wire == 0 || wire >= WIRE_LIMIT || (wire & 3))
        return false;
    *h = (HANDLE)(uintptr_t)((epoch << 24) | wire);
    return true;
}

static bool op_takes_handle(uint16_t op)
{
    switch (op) {
    case NP_OP_READ:
    case NP_OP_WRITE:
    case NP_OP_FLUSH:
    case NP_OP_FSCTL:
    case NP_OP_QUERY_INFO:
    case NP_OP_SET_INFO:
    case NP_OP_CLOSE:
    case NP_OP_DUPLICATE:
    case NP_OP_HANDLE_FLAGS:
    case NP_OP_CANCEL:
    case NP_OP_EVENT_SET:
    case NP_OP_SET_COMPLETION:
    case NP_OP_PORT_REMOVE:
    case NP_OP_PORT_POST:
    case NP_OP_QUERY_DIRECTORY:
    case NP_OP_NOTIFY_DIRECTORY:
        return true;
    default:
        return false;
    }
}

static bool op_creates_handle(uint16_t op)
{
    return op == NP_OP_CREATE_NAMED_PIPE || op == NP_OP_CREATE_FILE ||
           op == NP_OP_DUPLICATE || op == NP_OP_CREATE_EVENT ||
           op == NP_OP_CREATE_PORT;
}

/* What a call reports when the broker vanished under it (DESIGN.md,
 * "Broker loss is loud"). */
static NTSTATUS lost_status(uint16_t op)
{
    switch (op) {
    case NP_OP_READ:
    case NP_OP_WRITE:
    case NP_OP_FLUSH:
    case NP_OP_FSCTL:
        return STATUS_PIPE_BROKEN;
    default:
        return STATUS_INVALID_HANDLE;
    }
}

/* ---- np_call ------------------------------------------------------------- */

static NTSTATUS finish(struct np_result *res, NTSTATUS status)
{
    res->status = status;
    return status;
}

/* Makes the reply's handle field into a HANDLE of the channel's epoch. */
static NTSTATUS take_handle(uint16_t op, const struct np_channel *ch,
                            uint32_t wire, struct np_result *res)
{
    if (!op_creates_handle(op) || !NT_SUCCESS(res->status))
        return res->status;
    if (!encode_handle(ch->epoch, wire, &res->handle)) {
        np_debug("the broker returned a malformed handle %#x", wire);
        res->information = 0;
        return finish(res, STATUS_INTERNAL_ERROR);
    }
    return res->status;
}

bool np_last_call_lost(void) { return tls_lost; }

NTSTATUS np_call_epoch(uint16_t op, uint32_t flags, HANDLE h,
                       uint32_t args_epoch, const union np_args *args,
                       const void *in, uint32_t in_len, void *out,
                       uint32_t out_len, struct np_result *res)
{
    struct np_result scratch;
    if (!res)
        res = &scratch;
    memset(res, 0, sizeof *res);
    tls_lost = false;
    if (flags & NP_F_ASYNC)
        return finish(res, STATUS_INVALID_PARAMETER); /* np_call_async */
    if (in_len > NP_MAX_TRANSFER || out_len > NP_MAX_TRANSFER ||
        (in_len && !in) || (out_len && !out))
        return finish(res, STATUS_INVALID_PARAMETER);
    bool with_handle = op_takes_handle(op);
    uint32_t wire = 0, epoch = 0;
    if (with_handle && !np_handle_decode(h, &wire, &epoch))
        return finish(res, STATUS_INVALID_HANDLE);
    if (with_handle && args_epoch && args_epoch != epoch)
        return finish(res, STATUS_INVALID_HANDLE);
    if (!with_handle)
        epoch = args_epoch;
    bool any_handle = epoch != 0;
    for (int attempt = 0;; attempt++) {
        if (any_handle && epoch != atomic_load(&g_epoch))
            return finish(res, STATUS_INVALID_HANDLE);
        NTSTATUS status;
        struct np_channel *ch = get_channel(&status);
        /* No broker answers: a handle from before names nothing. */
        if (!ch)
            return finish(res, any_handle ? STATUS_INVALID_HANDLE : status);
        /* Connecting may have met a new broker: re-check the handle. */
        if (any_handle && epoch != ch->epoch)
            return finish(res, STATUS_INVALID_HANDLE);
        uint32_t reply_wire = 0;
        enum tx tx = transact(ch->fd, np_new_request_id(), op, flags, wire,
                              args, in, in_len, out, out_len, res, &reply_wire,
                              NULL);
        if (tx == TX_OK)
            return take_handle(op, ch, reply_wire, res);
        if (tx == TX_LOCAL)
            return res->status;
        np_debug("lost the broker's channel during op %u", op);
        np_socket_close(&ch->fd);
        memset(res, 0, sizeof *res);
        /* Never sent: the call was not in flight.  Reconnect and ask again;
         * the HELLO tells whether it is the same broker (which had only
         * dropped this channel) or a new one (and the handle is void). */
        if (tx == TX_UNSENT && attempt == 0)
            continue;
        tls_lost = true;
        if (tx == TX_UNSENT && any_handle)
            return finish(res, STATUS_INVALID_HANDLE);
        return finish(res, lost_status(op));
    }
}

NTSTATUS np_call_ex(uint16_t op, uint32_t flags, HANDLE h,
                    const union np_args *args, const void *in, uint32_t in_len,
                    void *out, uint32_t out_len, struct np_result *res)
{
    return np_call_epoch(op, flags, h, 0, args, in, in_len, out, out_len, res);
}

NTSTATUS np_call(uint16_t op, HANDLE h, const union np_args *args,
                 const void *in, uint32_t in_len, void *out, uint32_t out_len,
                 struct np_result *res)
{
    return np_call_epoch(op, 0, h, 0, args, in, in_len, out, out_len, res);
}

/* ---- Overlapped requests ---------------------------------------------------- */

/* After an immediate completion: the result is written (unless it is an
 * error), then acknowledged on the issuing channel so that the broker
 * sets the events, queues the packet and the routine. */
static NTSTATUS finish_immediate(struct np_channel *ch, uint64_t id,
                                 struct np_result *res)
{
    struct np_async_rec *rec = np_async_take(id);
    if (!rec)
        return res->status; /* delivered elsewhere: a confused broker */
    if (NT_ERROR(res->status)) {
        np_async_drop(rec); /* nothing becomes visible, as on Windows */
        return res->status;
    }
    np_async_write_result(rec, res->status, res->information);
    np_async_settle(rec);
    int err = np_send_ack(ch->fd, id);
    if (err)
        np_debug("acknowledging request %llu: %s", (unsigned long long)id,
                 strerror(err));
    return res->status;
}

NTSTATUS np_call_async(uint16_t op, HANDLE h, uint32_t args_epoch,
                       const union np_args *args, const void *in,
                       uint32_t in_len, const struct np_async_io *io,
                       struct np_result *res)
{
    struct np_result scratch;
    if (!res)
        res = &scratch;
    memset(res, 0, sizeof *res);
    if (!io || !io->iosb || in_len > NP_MAX_TRANSFER ||
        io->out_len > NP_MAX_TRANSFER || (in_len && !in) ||
        (io->out_len && !io->out) || !op_takes_handle(op))
        return finish(res, STATUS_INVALID_PARAMETER);
    uint32_t wire, epoch;
    if (!np_handle_decode(h, &wire, &epoch) || (args_epoch && args_epoch != epoch))
        return finish(res, STATUS_INVALID_HANDLE);
    for (int attempt = 0;; attempt++) {
        if (epoch != atomic_load(&g_epoch))
            return finish(res, STATUS_INVALID_HANDLE);
        NTSTATUS status;
        struct np_channel *ch = get_channel(&status);
        if (!ch || epoch != ch->epoch)
            return finish(res, STATUS_INVALID_HANDLE);
        /* The completion channel first: the broker may complete the
         * request before we have read its pending notice. */
        uint32_t comp_epoch;
        uint64_t gen;
        status = np_async_ensure(&comp_epoch, &gen);
        if (!NT_SUCCESS(status))
            return finish(res, status == STATUS_OBJECT_PATH_NOT_FOUND
                                   ? STATUS_INVALID_HANDLE : status);
        if (comp_epoch != ch->epoch) {
            if (attempt < 2)
                continue; /* a new broker appeared meanwhile: look again */
            return finish(res, STATUS_INVALID_HANDLE);
        }
        uint64_t id;
        struct np_async_rec *rec = np_async_register(io, gen, &id);
        if (!rec)
            return finish(res, STATUS_NO_MEMORY);
        uint32_t reply_wire = 0;
        bool pending = false;
        enum tx tx = transact(ch->fd, id, op, NP_F_ASYNC, wire, args, in,
                              in_len, io->out, io->out_len, res, &reply_wire,
                              &pending);
        if (tx == TX_OK && pending)
            return finish(res, STATUS_PENDING);
        if (tx == TX_OK)
            return finish_immediate(ch, id, res);
        struct np_async_rec *mine = np_async_take(id);
        if (mine)
            np_async_drop(mine);
        if (tx == TX_LOCAL)
            return res->status;
        np_debug("lost the broker's channel during overlapped op %u", op);
        np_socket_close(&ch->fd);
        memset(res, 0, sizeof *res);
        if (tx == TX_UNSENT && attempt == 0)
            continue;
        if (tx == TX_UNSENT)
            return finish(res, STATUS_INVALID_HANDLE);
        /* In flight when the channel died.  If the completion thread has
         * already delivered it, it did complete: report it as pending, its
         * results are in the block.  Otherwise it never will. */
        return finish(res, mine ? lost_status(op) : STATUS_PENDING);
    }
}
