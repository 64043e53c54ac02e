/*
 * io.h — the I/O manager of npiped.
 *
 * Every operation a client asks for becomes an IRP sent through
 * IoCallDriver to the driver that owns the file (npfs).  An IRP that cannot
 * finish now returns STATUS_PENDING and completes later through
 * IoCompleteRequest, which sends the reply to the thread that asked — if it
 * is still there.  The I/O manager never looks inside pipes; the driver
 * never looks at channels.
 */
#ifndef NPIPE_IO_H
#define NPIPE_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <npipe/ntifs.h>

#include "ke/ke.h"
#include "ob/ob.h"
#include "proto/proto.h"
#include "ps/ps.h"

/* A file object: what a handle to a pipe end (or to the pipe root) names. */
typedef struct io_file {
    OB_HEADER header;
    FILE_OBJECT fo;
    WCHAR *name_buffer; /* FileName's storage */
    KE_DISPATCHER event; /* signaled when an I/O on the file completes */
    OB_HEADER *port;     /* completion port, if associated (referenced) */
    uint64_t port_key;
    ULONG completion_modes; /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS 1,
                               FILE_SKIP_SET_EVENT_ON_HANDLE 2 */
} IO_FILE;

extern const OB_TYPE io_file_type;

/* IRP private part: what the I/O manager needs to finish the request. */
typedef struct io_irp {
    IRP irp;
    IO_STACK_LOCATION stack[1];
    int refs;
    bool completed;
    PETHREAD thread;      /* holds a reference; NULL for the broker's own */
    LIST_ENTRY thread_link;
    uint64_t request_id;
    uint16_t op;
    uint32_t flags;       /* NP_F_* of the request */
    IO_FILE *file;        /* holds a reference */
    void *in_buffer;      /* owned request payload */
    uint32_t in_len;
    uint8_t *out_buffer;  /* output; preceded by room for a reply header */
    uint32_t out_len;
    uint32_t reply_capacity; /* the request's out_len: what the caller takes */
    NAMED_PIPE_CREATE_PARAMETERS create_pipe;
    IO_SECURITY_CONTEXT security;
    ACCESS_MASK granted;  /* create: the access the new handle gets */
    ULONG attributes;     /* create: OBJ_INHERIT */
    /* Overlapped requests (NP_F_ASYNC): */
    bool async;
    bool in_dispatch;     /* completing now means completing immediately */
    OB_HEADER *event;     /* the caller's event (referenced), or NULL */
    uint32_t async_flags; /* NP_ASYNC_* */
    uint64_t cookie;      /* the caller's OVERLAPPED pointer */
    uint64_t pool_charge; /* bytes charged to the requestor's user (ps/quota.h) */
} IO_IRP;

static inline IO_IRP *io_irp(PIRP irp) { return (IO_IRP *)irp; }

/* A request decoded by the transport; payload ownership passes to io. */
void io_dispatch_request(PETHREAD thread, const struct np_request *req,
                         void *payload, uint32_t payload_len);

void io_cancel_thread_irps(PETHREAD thread);

/* For request kinds handled outside a driver (waits, port removes): an IRP
 * for the request on the thread's list, and an immediate reply. */
IO_IRP *io_new_request_irp(PETHREAD thread, const struct np_request *req);
void io_reply_status(PETHREAD thread, const struct np_request *req,
                     NTSTATUS status, uint64_t information);

/* Asynchronous completions (async.c). */
void io_complete_async(IO_IRP *x);
void io_send_reply(PETHREAD thread, uint64_t id, uint16_t kind, NTSTATUS status,
                   ULONG handle, uint64_t information, const void *data,
                   uint32_t data_len);
void io_ack(PEPROCESS process, uint64_t id);
void io_free_process_asyncs(PEPROCESS process);
void io_dispatch_cancel(PETHREAD thread, const struct np_request *req);
void io_dispatch_cancel_sync(PETHREAD thread, const struct np_request *req);
void io_dispatch_set_completion(PETHREAD thread, const struct np_request *req);

/* Completion ports (port.c). */
extern const OB_TYPE io_port_type;
NTSTATUS io_create_port(PEPROCESS process, ULONG concurrency, ULONG attributes,
                        ULONG *handle);
void io_queue_packet(OB_HEADER *port, uint64_t key, uint64_t cookie,
                     NTSTATUS status, uint64_t information);
void io_dispatch_port_remove(PETHREAD thread, const struct np_request *req);
void io_dispatch_port_post(PETHREAD thread, const struct np_request *req);

/* Timers for KeSetTimer: milliseconds until the next one fires (-1: none),
 * and running the expired ones. */
int io_timer_next_timeout_ms(void);
void io_timer_run_expired(void);
LONGLONG io_now_100ns(void);

/* The broker's instance id, reported by NP_OP_HELLO. */
extern uint64_t io_broker_instance_id;

/* Provided by the transport: send a final or pending reply.  Returns false
 * if the channel was dropped (it stopped reading). */
struct channel;
bool channel_send_reply(struct channel *channel, const struct np_reply *reply,
                        const void *data, uint32_t data_len);

/* The npfs device, registered by the driver's entry point. */
NTSTATUS io_load_driver(PDRIVER_INITIALIZE entry, const char *name);
void io_unload_drivers(void);
void io_drain_irp_lookaside(void); /* at shutdown, for leak checkers */

/* NP_OP_BROKER_STATS (stats.c).  The driver's part of the answer comes
 * through this hook, which whoever loads the driver may set (npiped sets
 * it to npfs's NpQueryCounters). */
void io_dispatch_stats(PETHREAD thread, const struct np_request *req);
extern void (*io_driver_counters)(ULONG *pipes, ULONG *instances);

/* Limits (npiped options). */
extern ULONG io_max_pending_per_process;

#endif /* NPIPE_IO_H */
