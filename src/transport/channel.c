/*
 * channel.c — one client thread's connection: receiving requests, sending
 * replies.
 *
 * Receiving: each packet must come from the process the channel was
 * accepted for (the kernel attaches the sender's credentials; a forked
 * child still holding its parent's socket is caught here).  A request's
 * header is checked for shape; its payload may span several packets.  A
 * packet that breaks the protocol loses the channel — the broker does not
 * argue with a client that lies about lengths.
 *
 * Sending: replies go out at once if the socket takes them, otherwise they
 * wait in the channel's queue, which is bounded.
 */
#include "transport/channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io/io.h"
#include "ps/quota.h"

struct queued_packet {
    struct queued_packet *next;
    uint32_t len;
    uint8_t data[];
};

/* ---- Sending ----------------------------------------------------------- */

static void channel_want_write(struct channel *ch, bool want)
{
    if (ch->want_write == want)
        return;
    ch->want_write = want;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0),
                             .data.ptr = &ch->source};
    epoll_ctl(ch->epoll_fd, EPOLL_CTL_MOD, ch->fd, &ev);
}

static bool queue_packet(struct channel *ch, const void *a, uint32_t alen,
                         const void *b, uint32_t blen)
{
    if (ch->queued_bytes + alen + blen > TRANSPORT_MAX_QUEUED ||
        !NT_SUCCESS(PsChargeProcessPoolQuota(ch->charged, NonPagedPool, alen + blen)))
        return false;
    struct queued_packet *p = malloc(sizeof *p + alen + blen);
    if (!p) {
        PsReturnProcessPoolQuota(ch->charged, NonPagedPool, alen + blen);
        return false;
    }
    p->next = NULL;
    p->len = alen + blen;
    memcpy(p->data, a, alen);
    if (blen)
        memcpy(p->data + alen, b, blen);
    *ch->queue_tail = p;
    ch->queue_tail = &p->next;
    ch->queued_bytes += p->len;
    return true;
}

/* Sends one packet made of two parts, or queues it.  False: drop channel. */
static bool send_packet(struct channel *ch, const void *a, uint32_t alen,
                        const void *b, uint32_t blen)
{
    if (!ch->queue_head) {
        struct iovec iov[2] = {{(void *)a, alen}, {(void *)b, blen}};
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = blen ? 2 : 1};
        ssize_t n;
        do
            n = sendmsg(ch->fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n >= 0)
            return true;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return false;
    }
    if (!queue_packet(ch, a, alen, b, blen))
        return false;
    channel_want_write(ch, true);
    return true;
}

bool channel_send_reply(struct channel *ch, const struct np_reply *reply,
                        const void *data, uint32_t data_len)
{
    if (ch->dead)
        return false;
    const uint8_t *p = data;
    uint32_t first = NP_MAX_PACKET - sizeof *reply;
    if (first > data_len)
        first = data_len;
    bool ok = send_packet(ch, reply, sizeof *reply, p, first);
    struct np_cont cont = {.magic = NP_MAGIC, .id = reply->id};
    for (uint32_t off = first; ok && off < data_len;) {
        uint32_t n = NP_MAX_PACKET - sizeof cont;
        if (n > data_len - off)
            n = data_len - off;
        ok = send_packet(ch, &cont, sizeof cont, p + off, n);
        off += n;
    }
    if (!ok) {
        npiped_log(1, "pid %d: reply queue overflow or send error; dropping channel",
                   (int)ch->pid);
        channel_kill(ch);
    }
    return ok;
}

void channel_flush(struct channel *ch)
{
    while (ch->queue_head) {
        struct queued_packet *p = ch->queue_head;
        ssize_t n;
        do
            n = send(ch->fd, p->data, p->len, MSG_DONTWAIT | MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            channel_kill(ch);
            return;
        }
        ch->queue_head = p->next;
        if (!ch->queue_head)
            ch->queue_tail = &ch->queue_head;
        ch->queued_bytes -= p->len;
        PsReturnProcessPoolQuota(ch->charged, NonPagedPool, p->len);
        free(p);
    }
    channel_want_write(ch, false);
}

/* ---- Receiving ---------------------------------------------------------- */

static bool sender_is_owner(struct channel *ch, struct msghdr *m)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            return cred.pid == ch->pid && cred.uid == ch->uid;
        }
    }
    return false; /* SO_PASSCRED is set: no credentials means something odd */
}

static bool request_shape_ok(const struct np_request *r)
{
    return r->magic == NP_MAGIC && r->version == NP_VERSION && r->op > 0 &&
           r->op < NP_OP_MAX && (r->flags & ~NP_F_ASYNC) == 0 &&
           r->in_len <= NP_MAX_TRANSFER && r->out_len <= NP_MAX_TRANSFER;
}

/* Handles one packet; false means the channel broke the protocol. */
static bool channel_packet(struct channel *ch, uint8_t *buf, size_t n)
{
    if (ch->assembling) {
        struct np_cont c;
        if (n < sizeof c)
            return false;
        memcpy(&c, buf, sizeof c);
        size_t chunk = n - sizeof c;
        if (c.magic != NP_MAGIC || c.id != ch->pending.id ||
            chunk > ch->pending.in_len - ch->received || chunk == 0)
            return false;
        if (ch->payload)
            memcpy((uint8_t *)ch->payload + ch->received, buf + sizeof c, chunk);
        ch->received += chunk;
    } else {
        if (n < sizeof ch->pending)
            return false;
        memcpy(&ch->pending, buf, sizeof ch->pending);
        if (!request_shape_ok(&ch->pending))
            return false;
        size_t chunk = n - sizeof ch->pending;
        if (chunk > ch->pending.in_len)
            return false;
        ch->payload = NULL;
        if (ch->pending.in_len) {
            if (NT_SUCCESS(PsChargeProcessPoolQuota(ch->charged, NonPagedPool,
                                                    ch->pending.in_len))) {
                ch->payload_charge = ch->pending.in_len;
                ch->payload = malloc(ch->pending.in_len);
                if (!ch->payload)
                    return false;
            } else {
                ch->discarding = true; /* read it, keep none of it */
            }
        }
        if (chunk && ch->payload)
            memcpy(ch->payload, buf + sizeof ch->pending, chunk);
        ch->received = chunk;
        ch->assembling = true;
    }
    if (ch->received < ch->pending.in_len)
        return true;
    ch->assembling = false;
    void *payload = ch->payload;
    ch->payload = NULL;
    if (ch->payload_charge) /* the I/O manager charges its own buffers */
        PsReturnProcessPoolQuota(ch->charged, NonPagedPool, ch->payload_charge);
    ch->payload_charge = 0;
    if (ch->discarding) {
        ch->discarding = false;
        struct np_reply r = {.magic = NP_MAGIC, .version = NP_VERSION,
                             .kind = NP_REPLY_FINAL, .id = ch->pending.id,
                             .status = STATUS_QUOTA_EXCEEDED};
        channel_send_reply(ch, &r, NULL, 0);
        return true;
    }
    ps_set_current_process(ch->thread->process);
    io_dispatch_request(ch->thread, &ch->pending, payload, ch->pending.in_len);
    ps_set_current_process(NULL);
    return true;
}

void channel_readable(struct channel *ch)
{
    /* A few packets per wake-up, so one busy client cannot starve others. */
    for (int i = 0; i < 16 && !ch->dead; i++) {
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = {ch->rx, NP_MAX_PACKET};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                           .msg_control = control.buf,
                           .msg_controllen = sizeof control.buf};
        ssize_t n = recvmsg(ch->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            channel_kill(ch); /* EOF: the thread exited or closed it */
            return;
        }
        if (!sender_is_owner(ch, &m)) {
            npiped_log(1, "pid %d: packet from another process on its channel; dropping",
                       (int)ch->pid);
            channel_kill(ch);
            return;
        }
        if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
            !channel_packet(ch, ch->rx, (size_t)n)) {
            npiped_log(1, "pid %d: malformed request; dropping channel", (int)ch->pid);
            channel_kill(ch);
            return;
        }
    }
}

/* ---- Life cycle --------------------------------------------------------- */

struct channel *channel_create(int fd, int epoll_fd, PEPROCESS process,
                               pid_t pid, uid_t uid)
{
    struct channel *ch = calloc(1, sizeof *ch);
    if (!ch)
        return NULL;
    ch->rx = malloc(NP_MAX_PACKET);
    ch->thread = ch->rx ? ps_create_thread(process, ch) : NULL;
    if (!ch->thread) {
        free(ch->rx);
        free(ch);
        return NULL;
    }
    ch->charged = process;
    ps_reference_process(process);
    ch->fd = fd;
    ch->epoll_fd = epoll_fd;
    ch->pid = pid;
    ch->uid = uid;
    ch->queue_tail = &ch->queue_head;
    ch->source.kind = SOURCE_CHANNEL;
    ch->source.ptr = ch;
    return ch;
}

/* Marks the channel dead and cancels its thread's I/O; the memory goes in
 * channel_reap, after the event loop is done with it. */
void channel_kill(struct channel *ch)
{
    if (ch->dead)
        return;
    ch->dead = true;
    epoll_ctl(ch->epoll_fd, EPOLL_CTL_DEL, ch->fd, NULL);
    close(ch->fd);
    ch->fd = -1;
    channel_list_remove(ch);
    PETHREAD thread = ch->thread;
    ch->thread = NULL;
    ps_terminate_thread(thread);
    channel_defer_free(ch);
}

void channel_free(struct channel *ch)
{
    while (ch->queue_head) {
        struct queued_packet *p = ch->queue_head;
        ch->queue_head = p->next;
        PsReturnProcessPoolQuota(ch->charged, NonPagedPool, p->len);
        free(p);
    }
    PsReturnProcessPoolQuota(ch->charged, NonPagedPool, ch->payload_charge);
    ps_dereference_process(ch->charged);
    free(ch->payload);
    free(ch->rx);
    free(ch);
}
