/*
 * process.c — process and thread objects.
 *
 * The broker keeps one EPROCESS per live client process, keyed by pid and
 * pinned by a pidfd, and one ETHREAD per channel.  When a thread's channel
 * closes, its pending I/O is cancelled (NT cancels a thread's IRPs when the
 * thread exits).  When the pidfd reports that the process exited, every
 * handle it held is closed — which runs IRP_MJ_CLEANUP on the files whose
 * last handle that was — exactly as process rundown does on Windows.
 */
#include "ps/ps.h"

#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/io.h"
#include "ke/ke.h"
#include "ob/ob.h"
#include "ps/quota.h"

static LIST_ENTRY live_processes;
static ULONG live_count;

void ps_init(void)
{
    InitializeListHead(&live_processes);
    live_count = 0;
}

PEPROCESS ps_lookup_process(pid_t pid)
{
    for (PLIST_ENTRY e = live_processes.Flink; e != &live_processes; e = e->Flink) {
        PEPROCESS p = CONTAINING_RECORD(e, EPROCESS, link);
        if (p->pid == pid)
            return p;
    }
    return NULL;
}

ULONG ps_process_count(void) { return live_count; }

NTSTATUS ps_create_process(pid_t pid, uid_t uid, gid_t gid, int pidfd,
                           PEPROCESS *out)
{
    PEPROCESS p = calloc(1, sizeof *p);
    if (!p)
        return STATUS_NO_MEMORY;
    p->handles = ob_create_handle_table();
    if (!p->handles) {
        free(p);
        return STATUS_NO_MEMORY;
    }
    p->refs = 1; /* the live list's reference */
    p->pid = pid;
    p->uid = uid;
    p->gid = gid;
    NTSTATUS status = ps_quota_attach(p);
    if (!NT_SUCCESS(status)) {
        ob_destroy_handle_table(p->handles);
        free(p);
        return status;
    }
    p->pidfd = pidfd;
    InitializeListHead(&p->threads);
    InitializeListHead(&p->asyncs);
    InsertTailList(&live_processes, &p->link);
    live_count++;
    *out = p;
    return STATUS_SUCCESS;
}

bool ps_process_alive(PEPROCESS process)
{
    if (process->terminated || process->pidfd < 0)
        return false;
    struct pollfd p = {.fd = process->pidfd, .events = POLLIN};
    return poll(&p, 1, 0) == 0;
}

void ps_reference_process(PEPROCESS process) { process->refs++; }

void ps_dereference_process(PEPROCESS process)
{
    if (--process->refs > 0)
        return;
    ob_destroy_handle_table(process->handles);
    ps_quota_detach(process);
    free(process);
}

/* Process rundown: the process is gone; nothing it started may outlive it
 * except data it wrote and completed. */
void ps_terminate_process(PEPROCESS process)
{
    if (process->terminated)
        return;
    process->terminated = true;
    ps_reference_process(process);
    while (!IsListEmpty(&process->threads)) {
        PETHREAD t = CONTAINING_RECORD(process->threads.Flink, ETHREAD, link);
        ps_terminate_thread(t); /* removes it from the list */
    }
    io_free_process_asyncs(process);
    ob_close_all_handles(process);
    ps_quota_process_exited(process);
    if (process->pidfd >= 0) {
        close(process->pidfd);
        process->pidfd = -1;
    }
    RemoveEntryList(&process->link);
    live_count--;
    ps_dereference_process(process); /* the live list's reference */
    ps_dereference_process(process);
}

void ps_for_each_process(ps_process_visitor fn, void *ctx)
{
    PLIST_ENTRY e = live_processes.Flink;
    while (e != &live_processes) {
        PLIST_ENTRY next = e->Flink;
        fn(CONTAINING_RECORD(e, EPROCESS, link), ctx);
        e = next;
    }
}

PETHREAD ps_create_thread(PEPROCESS process, struct channel *channel)
{
    if (!NT_SUCCESS(ps_quota_charge_thread(process)))
        return NULL;
    PETHREAD t = calloc(1, sizeof *t);
    if (!t) {
        ps_quota_return_thread(process);
        return NULL;
    }
    t->refs = 1; /* the process's list reference */
    t->process = process;
    t->channel = channel;
    InitializeListHead(&t->irps);
    InitializeListHead(&t->apcs);
    ps_reference_process(process);
    InsertTailList(&process->threads, &t->link);
    return t;
}

void ps_reference_thread(PETHREAD thread) { thread->refs++; }

void ps_dereference_thread(PETHREAD thread)
{
    if (--thread->refs > 0)
        return;
    ke_free_thread_apcs(thread);
    ps_dereference_process(thread->process);
    free(thread);
}

/* The thread's channel closed: cancel what it started, as NT does when a
 * thread exits with I/O outstanding. */
void ps_terminate_thread(PETHREAD thread)
{
    if (thread->terminated)
        return;
    thread->terminated = true;
    thread->channel = NULL;
    ps_quota_return_thread(thread->process);
    RemoveEntryList(&thread->link);
    if (thread->process->completion_thread == thread)
        thread->process->completion_thread = NULL;
    ps_reference_thread(thread);
    io_cancel_thread_irps(thread);
    ps_dereference_thread(thread); /* ours */
    ps_dereference_thread(thread); /* the process list's */
}

void ps_shutdown(void)
{
    while (!IsListEmpty(&live_processes)) {
        PEPROCESS p = CONTAINING_RECORD(live_processes.Flink, EPROCESS, link);
        ps_terminate_process(p);
    }
}
