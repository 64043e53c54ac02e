/*
 * ke.h — dispatcher objects: things a thread can wait for.
 *
 * As in NT's kernel, a waitable object embeds a dispatcher header: a
 * signal state, whether satisfying a wait resets it (an auto-reset event,
 * a "synchronization" object) or not (a manual-reset event, a file's
 * completion event), and the list of waits on it.  A wait names up to 64
 * objects, wants any or all of them, may time out, and — when alertable —
 * ends early to run the thread's queued completion routines (user APCs).
 *
 * Waits are requests of the thread that asked (NP_OP_WAIT); they pend as
 * IRPs do, so a thread that goes away takes its waits with it.
 */
#ifndef NPIPE_KE_H
#define NPIPE_KE_H

#include <stdbool.h>
#include <stdint.h>
#include <npipe/ntifs.h>

#include "ob/ob.h"
#include "ps/ps.h"

#define KE_MAXIMUM_WAIT_OBJECTS 64

typedef struct _KE_DISPATCHER {
    LONG SignalState;
    BOOLEAN AutoReset;
    LIST_ENTRY WaitList; /* KE_WAIT_ENTRY.Link */
} KE_DISPATCHER, *PKE_DISPATCHER;

VOID KeInitializeDispatcher(PKE_DISPATCHER Object, BOOLEAN AutoReset, BOOLEAN Signaled);
/* Sets the object signaled and satisfies whatever waits it can; returns
 * the previous state. */
LONG KeSignalObject(PKE_DISPATCHER Object);
LONG KeClearObject(PKE_DISPATCHER Object);

/* Events (event.c). */
extern const OB_TYPE ke_event_type;
NTSTATUS ke_create_event(PEPROCESS process, BOOLEAN manual, BOOLEAN initial,
                         ULONG attributes, ULONG *handle);
NTSTATUS ke_event_action(PEPROCESS process, ULONG handle, ULONG action,
                         LONG *previous);
/* Sets an event object the caller already references. */
VOID ke_set_event_object(OB_HEADER *event);

/* Waits and user APCs (wait.c). */
struct np_request;
void ke_dispatch_wait(PETHREAD thread, const struct np_request *req,
                      void *payload, uint32_t len);
/* Queues a user APC (the id of a request whose completion routine is due)
 * and ends the thread's alertable wait, if it is in one. */
void ke_queue_user_apc(PETHREAD thread, uint64_t request_id);
/* For alertable waits of other kinds (a port's remove): if APCs are due,
 * completes Irp with STATUS_USER_APC and returns TRUE. */
BOOLEAN ke_deliver_apcs(PETHREAD thread, PIRP Irp);
void ke_set_alertable_wait(PETHREAD thread, PIRP Irp);
void ke_clear_alertable_wait(PETHREAD thread, PIRP Irp);
void ke_free_thread_apcs(PETHREAD thread);

#endif /* NPIPE_KE_H */
