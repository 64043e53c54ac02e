/*
 * channel.h — the transport's private view of a channel (see channel.c).
 */
#ifndef NPIPE_TRANSPORT_CHANNEL_H
#define NPIPE_TRANSPORT_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto/proto.h"
#include "ps/ps.h"
#include "transport/transport.h"

enum source_kind { SOURCE_LISTENER, SOURCE_CHANNEL, SOURCE_PROCESS };

/* What an epoll event points at. */
struct event_source {
    enum source_kind kind;
    void *ptr;
};

struct queued_packet;

struct channel {
    struct event_source source;
    int fd;
    int epoll_fd;
    pid_t pid; /* the owner, from SO_PEERCRED */
    uid_t uid;
    PETHREAD thread;
    bool dead;
    bool want_write;
    struct channel *next_all, *prev_all; /* every live channel */
    struct channel *next_free;           /* dead, waiting to be freed */
    /* reassembly of a chunked request */
    bool assembling;
    struct np_request pending;
    void *payload;
    uint32_t received;
    uint8_t *rx;
    /* replies the socket did not take yet */
    struct queued_packet *queue_head, **queue_tail;
    size_t queued_bytes;
    /* The request being reassembled and the queued replies are charged to
     * the process's user (ps/quota.h), so that its channels cannot hold
     * more than its quota between them; a request over the quota is read
     * and thrown away, and answered STATUS_QUOTA_EXCEEDED. */
    PEPROCESS charged; /* referenced */
    uint32_t payload_charge;
    bool discarding;
};

struct channel *channel_create(int fd, int epoll_fd, PEPROCESS process,
                               pid_t pid, uid_t uid);
void channel_readable(struct channel *ch);
void channel_flush(struct channel *ch);
void channel_kill(struct channel *ch);
void channel_free(struct channel *ch);

/* Provided by listener.c, which keeps the lists. */
void channel_list_remove(struct channel *ch);
void channel_defer_free(struct channel *ch);

#endif /* NPIPE_TRANSPORT_CHANNEL_H */
