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
 * Overlapped I/O later: np_call_ex already takes request flags; a caller
 * passing NP_F_ASYNC will get STATUS_PENDING back once the broker says the
 * IRP pended, with the final reply delivered elsewhere.  Until then
 * NP_F_ASYNC is refused with STATUS_NOT_IMPLEMENTED.
 */
NTSTATUS np_call(uint16_t op, HANDLE h, const union np_args *args,
                 const void *in, uint32_t in_len, void *out, uint32_t out_len,
                 struct np_result *res);
NTSTATUS np_call_ex(uint16_t op, uint32_t flags, HANDLE h,
                    const union np_args *args, const void *in, uint32_t in_len,
                    void *out, uint32_t out_len, struct np_result *res);

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

/* ---- Internal native calls (src/nt) ----------------------------------- */

/* The handle's HANDLE_FLAG_* bits (inherit, protect from close) before the
 * call into *old (may be NULL); then the bits in `mask` take their values
 * from `flags`.  Windows does this with NtQueryObject and
 * NtSetInformationObject(ObjectHandleFlagInformation), which npipe's
 * public headers do not declare. */
NTSTATUS NpHandleFlags(HANDLE handle, ULONG mask, ULONG flags, PULONG old);

/* ---- Small helpers shared by the Nt layer ---------------------------- */

/* Does a call that ended with `status` fill the caller's IO_STATUS_BLOCK? */
static inline bool np_status_writes_iosb(NTSTATUS status)
{
    /* A synchronous request that fails is reported by the return value
     * alone: NT's I/O manager does not copy an error status into the
     * caller's IO_STATUS_BLOCK when the driver failed the IRP without
     * pending it.  npipe's calls never pend (overlapped I/O is a later
     * step), so errors leave the block untouched and everything else
     * (success, warnings such as STATUS_BUFFER_OVERFLOW) fills it. */
    return !NT_ERROR(status);
}

#endif /* NPIPE_CHANNEL_H */
