/*
 * session.c — NpQueryProcessSession, npipe's own native call behind
 * ProcessIdToSessionId: the session of any process, as the broker reads
 * it from the Linux kernel (DESIGN.md, invariant 2).  On Windows the same
 * answer takes NtOpenProcess plus NtQueryInformationProcess; npipe has no
 * process handles, so it is one request.
 *
 * For a process that does not exist the broker answers
 * STATUS_INVALID_PARAMETER, which becomes the ERROR_INVALID_PARAMETER
 * ProcessIdToSessionId reports on Windows; a NULL SessionId is
 * STATUS_ACCESS_VIOLATION.
 */
#include "channel/channel.h"

#include <npipe/winternl.h>

NPIPE_API NTSTATUS NTAPI NpQueryProcessSession(ULONG ProcessId, PULONG SessionId)
{
    if (!SessionId)
        return STATUS_ACCESS_VIOLATION;
    union np_args args = {.session = {.pid = ProcessId}};
    struct np_result res;
    NTSTATUS status = np_call(NP_OP_PROCESS_SESSION, NULL, &args, NULL, 0,
                              NULL, 0, &res);
    if (NT_SUCCESS(status))
        *SessionId = (ULONG)res.information;
    return status;
}
