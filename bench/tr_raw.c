/*
 * tr_raw.c — the limit: plain AF_UNIX sockets, SOCK_SEQPACKET for message
 * mode and SOCK_STREAM for byte mode, on a named listening socket.
 *
 * Buffers: every connected socket of a data run gets SO_SNDBUF and
 * SO_RCVBUF of run_spec.buf_size (at least the message), through
 * SO_SNDBUFFORCE / SO_RCVBUFFORCE when the caller may (root or
 * CAP_NET_ADMIN) so that wmem_max / rmem_max do not cap them.  The kernel
 * doubles what it is given (for its own bookkeeping); the figures reported
 * are what getsockopt answers.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct raw_buffers raw_buffers;

static long read_long(const char *path, long fallback)
{
    FILE *f = fopen(path, "re");
    long v;
    if (!f)
        return fallback;
    if (fscanf(f, "%ld", &v) != 1)
        v = fallback;
    fclose(f);
    return v;
}

void raw_probe_buffers(void)
{
    raw_buffers.wmem_default = read_long("/proc/sys/net/core/wmem_default", 212992);
    raw_buffers.wmem_max = read_long("/proc/sys/net/core/wmem_max", 212992);
    raw_buffers.rmem_max = read_long("/proc/sys/net/core/rmem_max", 212992);
    int sv[2];
    raw_buffers.force = false;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
        int v = 1 << 20;
        raw_buffers.force =
            setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) == 0 &&
            setsockopt(sv[0], SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) == 0;
        close(sv[0]);
        close(sv[1]);
    }
}

static int sock_type(const struct run_spec *s)
{
    return s->mode == MODE_MESSAGE ? SOCK_SEQPACKET : SOCK_STREAM;
}

static int set_buffers(const struct run_spec *s, int fd, char *err)
{
    if (!s->buf_size)
        return 0;
    int v = (int)s->buf_size;
    int snd = raw_buffers.force ? SO_SNDBUFFORCE : SO_SNDBUF;
    int rcv = raw_buffers.force ? SO_RCVBUFFORCE : SO_RCVBUF;
    if (setsockopt(fd, SOL_SOCKET, snd, &v, sizeof v) < 0 ||
        setsockopt(fd, SOL_SOCKET, rcv, &v, sizeof v) < 0) {
        errf(err, "raw: setsockopt buffers %d: %s", v, strerror(errno));
        return -1;
    }
    return 0;
}

static int listen_fd = -1;

static int raw_server_init(const struct run_spec *s, char *err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", s->sock_path);
    listen_fd = socket(AF_UNIX, sock_type(s) | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) {
        errf(err, "raw: socket: %s", strerror(errno));
        return -1;
    }
    unlink(s->sock_path);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(listen_fd, 1024) < 0) {
        errf(err, "raw: bind/listen %s: %s", s->sock_path, strerror(errno));
        return -1;
    }
    return 0;
}

static int raw_instance(const struct run_spec *s, struct ep *ep, char *err)
{
    ep->fd = -1; /* the process's one listening socket serves all threads */
    return 0;
}

static int raw_accept(const struct run_spec *s, struct ep *ep, char *err)
{
    for (;;) {
        ep->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (ep->fd >= 0)
            break;
        if (errno == EINTR)
            continue;
        errf(err, "raw: accept: %s", strerror(errno));
        return -1;
    }
    return set_buffers(s, ep->fd, err);
}

static int raw_reset(const struct run_spec *s, struct ep *ep, char *err)
{
    if (ep->fd >= 0)
        close(ep->fd);
    ep->fd = -1;
    return 0;
}

static int raw_connect(const struct run_spec *s, struct ep *ep, uint64_t *busy,
                       char *err)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", s->sock_path);
    ep->fd = socket(AF_UNIX, sock_type(s) | SOCK_CLOEXEC, 0);
    if (ep->fd < 0) {
        errf(err, "raw: socket: %s", strerror(errno));
        return -1;
    }
    if (set_buffers(s, ep->fd, err) < 0)
        return -1;
    while (connect(ep->fd, (struct sockaddr *)&a, sizeof a) < 0) {
        if (errno == EINTR)
            continue;
        errf(err, "raw: connect %s: %s", s->sock_path, strerror(errno));
        close(ep->fd);
        ep->fd = -1;
        return -1;
    }
    return 0;
}

static ssize_t raw_read(struct ep *ep, void *buf, size_t n, char *err)
{
    for (;;) {
        ssize_t r = recv(ep->fd, buf, n, 0);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET)
            return 0;
        errf(err, "raw: recv: %s", strerror(errno));
        return -1;
    }
}

static int raw_write(struct ep *ep, const void *buf, size_t n, char *err)
{
    const char *p = buf;
    while (n) {
        ssize_t r = send(ep->fd, p, n, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            errf(err, "raw: send %zu: %s", n, strerror(errno));
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static ssize_t raw_transact(struct ep *ep, const void *out, size_t n_out,
                            void *in, size_t n_in, char *err)
{
    if (raw_write(ep, out, n_out, err) < 0)
        return -1;
    return raw_read(ep, in, n_in, err);
}

static void raw_close(struct ep *ep)
{
    if (ep->fd >= 0)
        close(ep->fd);
    ep->fd = -1;
}

const struct transport tr_raw = {
    .name = "raw",
    .server_init = raw_server_init,
    .instance = raw_instance,
    .accept = raw_accept,
    .reset = raw_reset,
    .connect = raw_connect,
    .read = raw_read,
    .write = raw_write,
    .transact = raw_transact,
    .close = raw_close,
};

const struct transport *transport_get(enum tr_id id)
{
    return id == TR_NPIPE ? &tr_npipe : &tr_raw;
}
