/*
 * requestor.c — who asked: IoGetRequestorProcess and friends.
 *
 * These answer from the IRP's requesting thread, which the I/O manager set
 * from the channel the request arrived on — and the channel's process was
 * identified by the Linux kernel (SO_PEERCRED / SO_PEERPIDFD), never by
 * the client.  An IRP the broker builds for itself has no thread: then the
 * routines answer as Windows documents for such IRPs (NULL, 0, and -1 with
 * STATUS_UNSUCCESSFUL).
 */
#include "io/io.h"

PEPROCESS IoThreadToProcess(PETHREAD Thread)
{
    return Thread ? Thread->process : NULL;
}

PEPROCESS IoGetRequestorProcess(PIRP Irp)
{
    return IoThreadToProcess(Irp->Tail.Overlay.Thread);
}

ULONG IoGetRequestorProcessId(PIRP Irp)
{
    PEPROCESS process = IoGetRequestorProcess(Irp);
    return process ? (ULONG)(ULONG_PTR)PsGetProcessId(process) : 0;
}

NTSTATUS IoGetRequestorSessionId(PIRP Irp, PULONG pSessionId)
{
    PEPROCESS process = IoGetRequestorProcess(Irp);
    if (!process) {
        *pSessionId = (ULONG)-1;
        return STATUS_UNSUCCESSFUL;
    }
    *pSessionId = PsGetProcessSessionId(process);
    return STATUS_SUCCESS;
}

HANDLE PsGetProcessId(PEPROCESS Process)
{
    return (HANDLE)(ULONG_PTR)Process->pid;
}

/* Read fresh from the kernel each time: a process whose session was unset
 * may have been given one since (pam_loginuid after fork). */
ULONG PsGetProcessSessionId(PEPROCESS Process)
{
    ULONG session = 0;
    if (!NT_SUCCESS(ps_query_session(Process->pid, Process->pidfd, &session)))
        return 0; /* the process is exiting; as NT for a session-less one */
    return session;
}
