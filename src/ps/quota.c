/*
 * quota.c — per-user accounting: what every process of one uid holds in
 * the broker, and the limits on it (see quota.h).
 *
 * A quota block is made when the first process of a uid attaches and is
 * freed when the last process object of that uid is.  A process object
 * outlives its Linux process while something still refers to it — among
 * them the data it wrote that is still in a pipe, charged to its user
 * until it is read or discarded (as NT keeps a process's quota block until
 * every charge against it has been returned).  The process count, though,
 * is of live processes: it drops at rundown.
 */
#include "ps/quota.h"

#include <stdlib.h>

#include "ps/ps.h"

struct ps_limits ps_limits = {
    .processes_per_user = PS_DEFAULT_PROCESSES_PER_USER,
    .threads_per_user = PS_DEFAULT_THREADS_PER_USER,
    .handles_per_user = PS_DEFAULT_HANDLES_PER_USER,
    .irps_per_user = PS_DEFAULT_IRPS_PER_USER,
    .pool_bytes_per_user = PS_DEFAULT_POOL_BYTES_PER_USER,
};

static LIST_ENTRY blocks = {&blocks, &blocks};
static ULONG block_count;
static PEPROCESS current_process;

static PS_QUOTA *find_block(uid_t uid)
{
    for (PLIST_ENTRY e = blocks.Flink; e != &blocks; e = e->Flink) {
        PS_QUOTA *q = CONTAINING_RECORD(e, PS_QUOTA, link);
        if (q->uid == uid)
            return q;
    }
    return NULL;
}

static void release_block(PS_QUOTA *q)
{
    if (--q->refs > 0)
        return;
    RemoveEntryList(&q->link);
    block_count--;
    free(q);
}

static bool over(ULONG count, ULONG limit) { return limit && count >= limit; }

/* ---- Processes ------------------------------------------------------------ */

NTSTATUS ps_quota_attach(PEPROCESS process)
{
    PS_QUOTA *q = find_block(process->uid);
    if (q && over(q->processes, ps_limits.processes_per_user))
        return STATUS_QUOTA_EXCEEDED;
    if (!q) {
        q = calloc(1, sizeof *q);
        if (!q)
            return STATUS_INSUFFICIENT_RESOURCES;
        q->uid = process->uid;
        InsertTailList(&blocks, &q->link);
        block_count++;
    }
    q->refs++;
    q->processes++;
    process->quota = q;
    return STATUS_SUCCESS;
}

void ps_quota_process_exited(PEPROCESS process)
{
    if (process->quota && !process->quota_exited) {
        process->quota_exited = true;
        process->quota->processes--;
    }
}

void ps_quota_detach(PEPROCESS process)
{
    PS_QUOTA *q = process->quota;
    if (!q)
        return;
    ps_quota_process_exited(process);
    process->quota = NULL;
    release_block(q);
}

/* ---- Threads, handles, IRPs ------------------------------------------------ */

NTSTATUS ps_quota_charge_thread(PEPROCESS process)
{
    PS_QUOTA *q = process->quota;
    if (!q)
        return STATUS_SUCCESS;
    if (over(q->threads, ps_limits.threads_per_user))
        return STATUS_QUOTA_EXCEEDED;
    q->threads++;
    return STATUS_SUCCESS;
}

void ps_quota_return_thread(PEPROCESS process)
{
    if (process->quota)
        process->quota->threads--;
}

NTSTATUS ps_quota_charge_handle(PEPROCESS process)
{
    PS_QUOTA *q = process->quota;
    if (!q)
        return STATUS_SUCCESS;
    if (over(q->handles, ps_limits.handles_per_user))
        return STATUS_INSUFFICIENT_RESOURCES;
    q->handles++;
    return STATUS_SUCCESS;
}

void ps_quota_return_handle(PEPROCESS process)
{
    if (process->quota)
        process->quota->handles--;
}

NTSTATUS ps_quota_charge_irp(PEPROCESS process)
{
    PS_QUOTA *q = process->quota;
    if (!q)
        return STATUS_SUCCESS;
    if (over(q->irps, ps_limits.irps_per_user))
        return STATUS_INSUFFICIENT_RESOURCES;
    q->irps++;
    return STATUS_SUCCESS;
}

void ps_quota_return_irp(PEPROCESS process)
{
    if (process->quota)
        process->quota->irps--;
}

/* ---- Pool ------------------------------------------------------------------ */

/* The caller keeps the charged process referenced until it returns the
 * charge, as NT requires; the process object (not the Linux process) and
 * with it its quota block outlive the charge. */
NTSTATUS PsChargeProcessPoolQuota(PEPROCESS Process, POOL_TYPE PoolType,
                                  ULONG_PTR Amount)
{
    (void)PoolType;
    if (!Process || !Process->quota || Amount == 0)
        return STATUS_SUCCESS;
    PS_QUOTA *q = Process->quota;
    uint64_t limit = ps_limits.pool_bytes_per_user;
    if (limit && (Amount > limit || q->pool_bytes > limit - Amount))
        return STATUS_QUOTA_EXCEEDED;
    q->pool_bytes += Amount;
    return STATUS_SUCCESS;
}

VOID PsReturnProcessPoolQuota(PEPROCESS Process, POOL_TYPE PoolType,
                              ULONG_PTR Amount)
{
    (void)PoolType;
    if (!Process || Amount == 0)
        return;
    PS_QUOTA *q = Process->quota;
    if (q)
        q->pool_bytes -= Amount < q->pool_bytes ? Amount : q->pool_bytes;
}

/* ---- Context -------------------------------------------------------------- */

void ps_set_current_process(PEPROCESS process) { current_process = process; }

PEPROCESS PsGetCurrentProcess(void) { return current_process; }

/* ---- Statistics ----------------------------------------------------------- */

static void add(struct ps_totals *t, const PS_QUOTA *q)
{
    t->processes += q->processes;
    t->threads += q->threads;
    t->handles += q->handles;
    t->irps += q->irps;
    t->pool_bytes += q->pool_bytes;
}

void ps_quota_totals(struct ps_totals *all)
{
    *all = (struct ps_totals){.users = block_count};
    for (PLIST_ENTRY e = blocks.Flink; e != &blocks; e = e->Flink)
        add(all, CONTAINING_RECORD(e, PS_QUOTA, link));
}

void ps_quota_of_user(uid_t uid, struct ps_totals *user)
{
    *user = (struct ps_totals){0};
    PS_QUOTA *q = find_block(uid);
    if (q) {
        user->users = 1;
        add(user, q);
    }
}
