/*
 * ps.h — process and thread objects of the broker, and their sessions.
 *
 * A process object stands for one live Linux process that talks to npiped.
 * Its identity (pid, uid, gid, and a pidfd that pins it against pid reuse)
 * comes from the kernel through the transport, never from a message.  A
 * thread object stands for one channel: one calling thread of the client.
 * Drivers see them only as opaque PEPROCESS / PETHREAD.
 *
 * Ownership: objects are reference counted.  A thread holds its process;
 * an IRP holds its thread.  A process is "terminated" when its pidfd says
 * it exited; a thread when its channel closed.  Memory goes when the last
 * reference does.
 */
#ifndef NPIPE_PS_H
#define NPIPE_PS_H

#include <stdbool.h>
#include <sys/types.h>
#include <npipe/ntifs.h>

struct ob_handle_table;
struct channel;

typedef struct _EPROCESS {
    LONG refs;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    int pidfd;          /* -1 once the process has been torn down */
    bool terminated;
    LIST_ENTRY link;    /* in the list of live processes */
    LIST_ENTRY threads; /* ETHREAD.link */
    struct ob_handle_table *handles;
    ULONG pending_irps; /* for the per-process limit */
    struct _ETHREAD *completion_thread; /* where async completions go */
    LIST_ENTRY asyncs;  /* completed async requests awaiting NP_OP_ACK */
    ULONG async_count;
    struct ps_quota *quota; /* its user's counts (ps/quota.h) */
    bool quota_exited;      /* counted out of the user's live processes */
} EPROCESS;

typedef struct _ETHREAD {
    LONG refs;
    PEPROCESS process;
    struct channel *channel; /* NULL once the channel closed */
    bool terminated;
    LIST_ENTRY link;      /* in EPROCESS.threads */
    LIST_ENTRY irps;      /* IRPs issued by this thread and not yet completed */
    LIST_ENTRY apcs;      /* user APCs due: completion routines to run */
    PIRP alertable_wait;  /* the alertable wait this thread is in, if any */
    pid_t tid;            /* as the thread's hello said; only for finding a
                             thread of its own process */
} ETHREAD;

/* The session of a live process: its Linux audit session, with "unset"
 * (4294967295) mapped to 0, the services session.  This one function owns
 * the mapping; everything that reports a session calls it. */
NTSTATUS ps_query_session(pid_t pid, int pidfd, ULONG *session);

/* Processes. */
void ps_init(void);
PEPROCESS ps_lookup_process(pid_t pid);
NTSTATUS ps_create_process(pid_t pid, uid_t uid, gid_t gid, int pidfd,
                           PEPROCESS *out);
void ps_terminate_process(PEPROCESS process);
void ps_reference_process(PEPROCESS process);
void ps_dereference_process(PEPROCESS process);
bool ps_process_alive(PEPROCESS process);
typedef void (*ps_process_visitor)(PEPROCESS process, void *ctx);
void ps_for_each_process(ps_process_visitor fn, void *ctx);
ULONG ps_process_count(void);

/* Threads. */
PETHREAD ps_create_thread(PEPROCESS process, struct channel *channel);
void ps_terminate_thread(PETHREAD thread);
void ps_reference_thread(PETHREAD thread);
void ps_dereference_thread(PETHREAD thread);

/* Tear down everything (broker shutdown). */
void ps_shutdown(void);

#endif /* NPIPE_PS_H */
