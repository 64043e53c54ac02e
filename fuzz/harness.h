/*
 * harness.h — the broker core, in-process, for libFuzzer targets.
 *
 * A fuzz input becomes a little world: a few client "processes" (EPROCESS
 * objects, of two different users), each with a few "threads" (real
 * channels: a SOCK_SEQPACKET socketpair whose broker end goes through the
 * transport exactly as an accepted connection does — channel_create,
 * channel_readable with its credential check and reassembly,
 * io_dispatch_request, channel_send_reply).  The harness writes packets on
 * the client ends, lets the broker read them, and reads the replies back,
 * checking them as the library would: every reply well formed, a final
 * reply only for a request that was sent, never two for one request.
 * Threads exit (their channel closes: their pending IRPs are cancelled),
 * processes die (rundown: channels, then handles), timers fire.
 *
 * When the input is done everything is torn down and the broker must be
 * empty again: no process, thread, handle, pending IRP, object, pipe,
 * instance, charged byte or timer left.  Anything left is a crash (abort),
 * and LeakSanitizer reports memory that was not freed.
 */
#ifndef NPIPE_FUZZ_HARNESS_H
#define NPIPE_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define FZ_PROCESSES 3
#define FZ_THREADS 2 /* channels per process */
#define FZ_HANDLES 8 /* handles remembered per process */

/* Reading the input. */
struct fz_in {
    const uint8_t *p;
    size_t n;
};
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
uint64_t fz_u64(struct fz_in *in);
size_t fz_take(struct fz_in *in, void *out, size_t max);
bool fz_done(const struct fz_in *in);

/* The world. */
void fz_init(void);         /* once (LLVMFuzzerInitialize) */
void fz_begin(void);        /* per input */
void fz_end(void);          /* per input: tear down and check empty */

/* Sends a request (header + payload, chunked as the library chunks) on a
 * thread of a process; the harness picks the id unless `raw_id`.  Returns
 * the id used.  The broker processes it in fz_pump. */
uint64_t fz_request(int process, int thread, struct np_request *req,
                    const void *payload, uint32_t len, bool raw_id);
/* Sends one raw packet (anything at all). */
void fz_packet(int process, int thread, const void *data, size_t len);
/* Lets the broker read what is waiting, run due timers, and drains and
 * checks every reply. */
void fz_pump(void);
/* The thread exits (its channel closes) / the process dies (rundown). */
void fz_close_thread(int process, int thread);
void fz_kill_process(int process);
/* A handle a process got back from the broker (0 if none yet). */
uint32_t fz_handle(int process, unsigned which);
/* Makes the broker's side of a channel's socket small, so that replies
 * queue in the broker. */
void fz_squeeze(int process, int thread);

#endif /* NPIPE_FUZZ_HARNESS_H */
