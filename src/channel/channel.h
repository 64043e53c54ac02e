/*
 * channel.h — the library's way to the broker: one socket per calling
 * thread, the handle epochs, and np_call, the one function the Nt layer
 * uses to turn a native call into a request and its reply.
 *
 * Internal to libnpipe; not installed.
 *
 * Handles.  The broker numbers handles per process with multiples of 4
 * below 2^24 (the "wire value").  The library hands out
 *     HANDLE = (epoch << 24) | wire value
 * where the epoch (1..127) changes whenever the handles of this process
 * stop meaning anything: the broker went away and another one answers, or
 * the process is a fresh fork() child, which the broker sees as a new
 * process with no handles.  A handle from another epoch is refused with
 * STATUS_INVALID_HANDLE without asking the broker, so it can never name
 * an unrelated object of a newer broker.  Handles stay below 2^31, so they
 * survive the HandleToLong/LongToHandle round trip that Windows promises
 * for 64-bit handles.  As on NT, the two low "tag" bits of a handle value
 * are ignored.
 */
#ifndef NPIPE_CHANNEL_H
#define NPIPE_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include <npipe/windef.h>
#include <npipe/ntstatus.h>
#include <npipe/winternl.h>

#include "proto/proto.h"

/* Every public API function is defined with NPIPE_API: the library is
 * built with -fvisibility=hidden, so only these are exported. */
#ifndef NPIPE_API
#define NPIPE_API __attribute__((visibility("default")))
#endif

/* What a call brought back.  `status` is also np_call's return value. */
struct np_result {
    NTSTATUS status;
    uint64_t information; /* IO_STATUS_BLOCK.Information, or op-specific */
    HANDLE handle;        /* a new handle (create, duplicate), else NULL */
    uint32_t data_len;    /* bytes written into the caller's `out` */
};

/*
 * Sends one request and waits for its final reply on this thread's
 * channel, connecting (and starting a broker) if needed.
 *
 *   op       enum np_op
 *   h        the handle the request is about; it must be a valid handle of
 *            the current epoch for the operations that take one (read,
 *            write, flush, fsctl, query/set info, close, duplicate) and is
 *            ignored by the others
 *   args     the op's arguments (NULL: all zero)
 *   in       payload (a name, written data, an FSCTL input buffer)
 *   out      where reply data goes, at most out_len bytes, never more
 *
 * Both lengths must be at most NP_MAX_TRANSFER.
 *
 * If the broker is lost while the call is in flight the status is
 * STATUS_PIPE_BROKEN for pipe I/O (read, write, flush, fsctl) and
 * STATUS_INVALID_HANDLE for everything else; the next call reaches a new
 * broker.  A call that finds the channel dead before the broker could
 * have seen the request was not in flight: it reconnects and is asked
 * again — of a new broker, a handle from before is then simply invalid
 * (STATUS_INVALID_HANDLE), as it is when no broker answers at all.
 *
 * Request ids are unique within the process (one counter for every
 * channel): the broker matches acknowledgements and completions of
 * overlapped requests by id alone.  np_call_ex refuses NP_F_ASYNC
 * (STATUS_INVALID_PARAMETER); overlapped requests go through
 * np_call_async.
 */
NTSTATUS np_call(uint16_t op, HANDLE h, const union np_args *args,
                 const void *in, uint32_t in_len, void *out, uint32_t out_len,
                 struct np_result *res);
NTSTATUS np_call_ex(uint16_t op, uint32_t flags, HANDLE h,
                    const union np_args *args, const void *in, uint32_t in_len,
                    void *out, uint32_t out_len, struct np_result *res);

/* np_call_ex for requests that name handles in their arguments or payload
 * (a read's event, a wait's objects, a port): args_epoch is the epoch of
 * those handles (from np_handle_decode), 0 if there are none.  Handles of
 * another epoch than the channel's are STATUS_INVALID_HANDLE, unsent. */
NTSTATUS np_call_epoch(uint16_t op, uint32_t flags, HANDLE h,
                       uint32_t args_epoch, const union np_args *args,
                       const void *in, uint32_t in_len, void *out,
                       uint32_t out_len, struct np_result *res);

/* Whether the calling thread's last np_call* failed because its channel
 * to the broker broke in flight (the broker died or dropped it). */
bool np_last_call_lost(void);

/* After a call found the broker gone: waits (at most timeout_ms for the
 * completion channel to end, then for its thread) until the overlapped
 * operations that can no longer complete have been completed with
 * STATUS_PIPE_BROKEN.  Returns at once if the channel is still fine. */
void np_async_await_loss(int timeout_ms);

/* A handle's wire value and epoch; false for NULL, pseudo-handles and
 * malformed values (the two tag bits are ignored, as on NT). */
bool np_handle_decode(HANDLE h, uint32_t *wire, uint32_t *epoch);

/* ---- Overlapped requests (async.c) --------------------------------------
 *
 * An overlapped request is registered in a process-wide table before it is
 * sent with NP_F_ASYNC; its results are written by the library, never by
 * the broker (DESIGN.md invariant 5):
 *   - completed at once (a final reply on the issuing thread's channel):
 *     an error is returned and nothing else happens (the IO_STATUS_BLOCK
 *     keeps what it had, no acknowledgement, so no event, packet or
 *     routine); otherwise the data is already in `out`, Information then
 *     Status are written, NP_OP_ACK is sent and the status returned;
 *   - pended (NP_REPLY_PENDING): STATUS_PENDING is returned; the final
 *     reply arrives on the process's completion channel, where the
 *     completion thread copies the data, writes the block and acknowledges.
 * Only after the acknowledgement does the broker set events, queue the
 * port packet and queue the completion routine's APC.
 */

/* The completion routine of NtReadFile & co. */
typedef PIO_APC_ROUTINE np_apc_fn;

struct np_async_io {
    void *iosb;        /* Status then Information, two pointer-sized words
                          (an IO_STATUS_BLOCK, or an OVERLAPPED's Internal
                          and InternalHigh) */
    void *out;         /* where the reply's data goes, at most out_len */
    uint32_t out_len;
    np_apc_fn apc;     /* run by an alertable wait of the issuing thread */
    void *apc_context;
};

/* op must take a handle (read, write, fsctl); args must carry the
 * np_args_io async fields; args_epoch as for np_call_epoch. */
NTSTATUS np_call_async(uint16_t op, HANDLE h, uint32_t args_epoch,
                       const union np_args *args, const void *in,
                       uint32_t in_len, const struct np_async_io *io,
                       struct np_result *res);

/* Runs the completion routines of these requests (the ids of a
 * STATUS_USER_APC reply) in the calling thread; returns how many ran.
 * Ids that are not this thread's due routines are ignored. */
unsigned np_run_apcs(const uint64_t *ids, size_t n);

/* Writes a line to stderr when $NPIPE_DEBUG is set; otherwise nothing. */
void np_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- Between channel.c and broker.c --------------------------------- */

/* Finds the broker (starting one where DESIGN.md says so) and leaves a
 * connected, checked socket in *slot (which must be -1 on entry).  The
 * socket is created through np_socket_open so that a fork() at any moment
 * sees it.  Returns STATUS_OBJECT_PATH_NOT_FOUND if no broker answers and
 * none could be started, STATUS_ACCESS_DENIED if the one that answers (or
 * its directory) is not to be trusted. */
NTSTATUS np_broker_connect(int *slot);

/* Creates an AF_UNIX SOCK_SEQPACKET socket into *slot, and closes it,
 * under the lock the fork handler takes: a child never inherits a channel
 * socket it does not know about.  np_socket_open returns 0 or an errno. */
int np_socket_open(int *slot);
void np_socket_close(int *slot);

/* ---- Between channel.c and async.c ---------------------------------- */

struct iovec;
int np_send_packet(int fd, const void *head, size_t head_len, const void *data,
                   size_t data_len);
int np_recv_packet(int fd, struct iovec *iov, int iovcnt, int flags,
                   size_t *len, bool *trunc);
uint64_t np_new_request_id(void);
uint32_t np_current_epoch(void);
/* A process-unique number for the calling thread (never reused). */
uint64_t np_thread_serial(void);
/* Connects a socket into *slot and says HELLO with these flags; *epoch is
 * the epoch of the broker that answered. */
NTSTATUS np_connect_channel(int *slot, uint32_t hello_flags, uint32_t *epoch);
/* Sends NP_OP_ACK for request `id` on fd (no reply comes). */
int np_send_ack(int fd, uint64_t id);

/* async.c's part of the fork handlers and the thread-exit destructor. */
void np_async_atfork_prepare(void);
void np_async_atfork_parent(void);
void np_async_atfork_child(void);
void np_async_thread_exit(uint64_t serial);

/* async.c: the completion channel and the table, for np_call_async. */
struct np_async_rec;
/* Makes sure the completion channel of the current epoch is up; *epoch
 * and *gen get its epoch and generation. */
NTSTATUS np_async_ensure(uint32_t *epoch, uint64_t *gen);
/* Registers a record under a new request id (*id). */
struct np_async_rec *np_async_register(const struct np_async_io *io,
                                       uint64_t gen, uint64_t *id);
/* Takes the record of request id out of the pending state for its
 * issuing thread (an immediate completion); NULL if the completion
 * thread already has it. */
struct np_async_rec *np_async_take(uint64_t id);
/* Writes the record's result into its IO_STATUS_BLOCK. */
void np_async_write_result(struct np_async_rec *rec, NTSTATUS status,
                           uint64_t information);
/* After an immediate completion: keeps a record whose routine is due
 * (until an alertable wait runs it), frees the others. */
void np_async_settle(struct np_async_rec *rec);
/* Forgets a record that was taken (the request failed at once). */
void np_async_drop(struct np_async_rec *rec);

/* ---- Internal native calls (src/nt) ----------------------------------- */

/* The handle's HANDLE_FLAG_* bits (inherit, protect from close) before the
 * call into *old (may be NULL); then the bits in `mask` take their values
 * from `flags`.  Windows does this with NtQueryObject and
 * NtSetInformationObject(ObjectHandleFlagInformation), which npipe's
 * public headers do not declare. */
NTSTATUS NpHandleFlags(HANDLE handle, ULONG mask, ULONG flags, PULONG old);

/* ---- Small helpers shared by the Nt layer ---------------------------- */

/* The overlapped part of an Nt I/O call (Event, ApcRoutine, ApcContext):
 * fills args->io's event, async_flags and cookie, and *epoch with the
 * event's epoch (0 without one).  STATUS_INVALID_HANDLE for a malformed
 * event handle. */
NTSTATUS np_nt_async_args(HANDLE event, PIO_APC_ROUTINE apc, PVOID context,
                          PIO_STATUS_BLOCK iosb, union np_args *args,
                          uint32_t *epoch);

/* Does a call that ended with `status` fill the caller's IO_STATUS_BLOCK? */
static inline bool np_status_writes_iosb(NTSTATUS status)
{
    /* A synchronous request that fails is reported by the return value
     * alone: NT's I/O manager does not copy an error status into the
     * caller's IO_STATUS_BLOCK when the driver failed the IRP without
     * pending it, so errors leave the block untouched and everything else
     * (success, warnings such as STATUS_BUFFER_OVERFLOW) fills it.  (A
     * request that pended and then failed does fill it: np_call_async and
     * the completion thread see to that.) */
    return !NT_ERROR(status);
}

#endif /* NPIPE_CHANNEL_H */
