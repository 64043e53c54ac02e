/*
 * stats.c — NP_OP_BROKER_STATS: counts of what the broker holds, for tests
 * that must show a crash left nothing behind, and for monitoring.
 *
 * Only numbers: processes, threads, handles, pending requests and pool
 * bytes (from ps/quota.c), live kernel objects (ob), pipes and instances
 * (from the driver, through io_driver_counters), and the broker's heap in
 * use.  Totals, and the caller's own user's share; nothing that names
 * another user's process or pipe.
 */
#include "io/io.h"

#include <malloc.h>

#include "ps/quota.h"

void (*io_driver_counters)(ULONG *pipes, ULONG *instances);

void io_dispatch_stats(PETHREAD thread, const struct np_request *req)
{
    struct ps_totals all, mine;
    ps_quota_totals(&all);
    ps_quota_of_user(thread->process->uid, &mine);
    struct np_broker_stats s = {
        .size = sizeof s,
        .users = all.users,
        .processes = all.processes,
        .threads = all.threads,
        .handles = all.handles,
        .pending_irps = all.irps,
        .objects = ob_live_objects,
        .pool_bytes = all.pool_bytes,
        .user_processes = mine.processes,
        .user_threads = mine.threads,
        .user_handles = mine.handles,
        .user_irps = mine.irps,
        .user_pool_bytes = mine.pool_bytes,
    };
    if (io_driver_counters)
        io_driver_counters(&s.pipes, &s.instances);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    s.heap_bytes = mallinfo2().uordblks;
#endif
    uint32_t len = req->out_len < sizeof s ? req->out_len : (uint32_t)sizeof s;
    if (!thread->terminated && thread->channel) {
        struct np_reply r = {
            .magic = NP_MAGIC,
            .version = NP_VERSION,
            .kind = NP_REPLY_FINAL,
            .id = req->id,
            .status = STATUS_SUCCESS,
            .information = sizeof s,
            .data_len = len,
        };
        channel_send_reply(thread->channel, &r, &s, len);
    }
}
