/*
 * transport.h — how clients reach the broker.
 *
 * The transport owns sockets and nothing else: it accepts channels, learns
 * each one's process from the kernel (SO_PEERCRED, SO_PEERPIDFD), checks
 * every packet's kernel-attached sender (SCM_CREDENTIALS) against that
 * process, reassembles chunked requests, hands whole requests to the I/O
 * manager, and sends replies without ever blocking: a reply that does not
 * fit in the socket waits in a bounded per-channel queue, and a client
 * that lets its queue overflow loses the channel.  It never looks inside
 * pipes.
 */
#ifndef NPIPE_TRANSPORT_H
#define NPIPE_TRANSPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct transport_options {
    const char *socket_path;
    bool system;           /* serve every user (else only our uid and root) */
    int idle_exit_seconds; /* 0: never */
    int log_level;         /* 0 errors, 1 warnings, 2 info, 3 debug */
};

int transport_start(const struct transport_options *options);
/* After transport_start: the listening socket came from systemd (socket
 * activation) rather than from options->socket_path. */
extern bool transport_socket_activated;
/* Runs until *stop becomes nonzero or the broker has been idle long enough. */
int transport_run(volatile sig_atomic_t *stop);
void transport_stop(void);

void npiped_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
extern int npiped_log_level;

/* Bytes a channel may have queued before it is dropped. */
#define TRANSPORT_MAX_QUEUED (2u * 16u * 1024u * 1024u + 1024u * 1024u)

#endif /* NPIPE_TRANSPORT_H */
