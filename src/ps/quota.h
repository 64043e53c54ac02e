/*
 * quota.h — what one process and one user may hold in the broker.
 *
 * Every client process's resources are counted twice: against the process
 * (its handle table, its pending IRPs) and against its user.  The user's
 * counts live in a quota block shared by every process of that uid, so a
 * process that forks does not get a fresh allowance: the children are new
 * processes of the same user.  The limits are the broker's options
 * (npiped --max-*), documented in docs/robustness.md.
 *
 * What is counted per user:
 *   processes, threads (channels), handles, pending IRPs, and pool bytes:
 *   the buffers the I/O manager holds for requests in flight (a write's
 *   data, a read's output buffer) and the bytes npfs keeps in data queues
 *   on behalf of a writer (PsChargeProcessPoolQuota, as NT's npfs charges
 *   the writer's pool quota for buffered data).
 *
 * A charge that would go over a limit fails and changes nothing:
 *   handles, pending IRPs -> STATUS_INSUFFICIENT_RESOURCES
 *                            (ERROR_NO_SYSTEM_RESOURCES), as NT's object
 *                            manager when a handle table cannot grow and its
 *                            I/O manager when an IRP cannot be allocated;
 *   pool bytes            -> STATUS_QUOTA_EXCEEDED (ERROR_NOT_ENOUGH_QUOTA),
 *                            as PsChargeProcessPoolQuota;
 *   processes, threads    -> the connection is refused (a Linux process
 *                            that cannot attach sees the broker close it).
 *
 * The broker is single-threaded: no locking here.
 */
#ifndef NPIPE_PS_QUOTA_H
#define NPIPE_PS_QUOTA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <npipe/ntifs.h>

/* Limits; 0 means "no limit".  Per-process handle and IRP limits live with
 * the code that enforces them (ob_max_handles_per_process,
 * io_max_pending_per_process); these are the per-user ones. */
struct ps_limits {
    ULONG processes_per_user;
    ULONG threads_per_user;
    ULONG handles_per_user;
    ULONG irps_per_user;
    uint64_t pool_bytes_per_user;
};
extern struct ps_limits ps_limits;

/* Defaults (docs/robustness.md explains the numbers). */
#define PS_DEFAULT_PROCESSES_PER_USER 4096u
#define PS_DEFAULT_THREADS_PER_USER 4096u
#define PS_DEFAULT_HANDLES_PER_USER 65536u
#define PS_DEFAULT_IRPS_PER_USER 16384u
#define PS_DEFAULT_POOL_BYTES_PER_USER (512ull * 1024 * 1024)

/* One user's counts. */
typedef struct ps_quota {
    LIST_ENTRY link;
    uid_t uid;
    ULONG refs; /* process objects that point here */
    ULONG processes;
    ULONG threads;
    ULONG handles;
    ULONG irps;
    uint64_t pool_bytes;
} PS_QUOTA;

/* Process life: attach to the block of the process's uid (made on first
 * use) when the process object is made; count it out of the live
 * processes at rundown; detach when the object is freed. */
NTSTATUS ps_quota_attach(PEPROCESS process);
void ps_quota_process_exited(PEPROCESS process);
void ps_quota_detach(PEPROCESS process);

/* Threads (channels). */
NTSTATUS ps_quota_charge_thread(PEPROCESS process);
void ps_quota_return_thread(PEPROCESS process);

/* Handles: the per-user count (the per-process one is the handle table's). */
NTSTATUS ps_quota_charge_handle(PEPROCESS process);
void ps_quota_return_handle(PEPROCESS process);

/* Pending IRPs of client threads: the per-user count. */
NTSTATUS ps_quota_charge_irp(PEPROCESS process);
void ps_quota_return_irp(PEPROCESS process);

/* Pool bytes.  PsChargeProcessPoolQuota / PsReturnProcessPoolQuota (NT's
 * names, declared in ntifs.h) charge the process's user. */

/* The process on whose behalf the broker is dispatching a request right
 * now (NT: the requestor's context during a top-level dispatch), or NULL.
 * The I/O manager sets it around each request. */
void ps_set_current_process(PEPROCESS process);

/* Totals for the broker's statistics. */
struct ps_totals {
    ULONG users;
    ULONG processes, threads, handles, irps;
    uint64_t pool_bytes;
};
void ps_quota_totals(struct ps_totals *all);
/* The counts of one user (zeros if it has no block). */
void ps_quota_of_user(uid_t uid, struct ps_totals *user);

#endif /* NPIPE_PS_QUOTA_H */
