/*
 * iocp.c — I/O completion ports: CreateIoCompletionPort,
 * GetQueuedCompletionStatus(Ex), PostQueuedCompletionStatus and
 * SetFileCompletionNotificationModes.
 *
 * A port is a broker object.  Once a file is associated with a port (with
 * a key), every overlapped operation on it whose OVERLAPPED's hEvent does
 * not have its low bit set queues a packet when it completes — after the
 * library has written the OVERLAPPED — carrying the key, the OVERLAPPED
 * pointer, the status and the byte count.  An operation that fails at once
 * queues nothing; one that succeeds at once queues a packet unless the
 * file has FILE_SKIP_COMPLETION_PORT_ON_SUCCESS.  Waiting threads are
 * woken last in, first out; the concurrency value is recorded but not
 * enforced (docs/decisions.md).
 */
#include "win32/internal.h"

#include "channel/channel.h"

#include <stdlib.h>
#include <string.h>

/* The most packets one GetQueuedCompletionStatusEx takes (the broker's
 * limit); a larger ulCount is served up to this many at a time. */
#define MAX_ENTRIES 1024u

/*
 * As kernelbase:
 *   - no existing port: a new one (the key and file come next, if any);
 *   - an existing port with INVALID_HANDLE_VALUE as the file:
 *     ERROR_INVALID_PARAMETER;
 *   - a file: associated with the (new or existing) port and key; a file
 *     that already has a port is ERROR_INVALID_PARAMETER, a handle that is
 *     not a port ERROR_INVALID_HANDLE; a port made by this call is closed
 *     again when the association fails.
 * Returns the port, or NULL (not INVALID_HANDLE_VALUE) on failure.
 */
NPIPE_API HANDLE WINAPI CreateIoCompletionPort(HANDLE FileHandle,
                                               HANDLE ExistingCompletionPort,
                                               ULONG_PTR CompletionKey,
                                               DWORD NumberOfConcurrentThreads)
{
    HANDLE port = ExistingCompletionPort;
    if (!port) {
        union np_args args = {.port = {.concurrency = NumberOfConcurrentThreads}};
        struct np_result res;
        NTSTATUS status = np_call(NP_OP_CREATE_PORT, NULL, &args, NULL, 0, NULL,
                                  0, &res);
        if (!NT_SUCCESS(status)) {
            np_fail_status(status);
            return NULL;
        }
        port = res.handle;
    } else if (FileHandle == INVALID_HANDLE_VALUE) {
        np_fail(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    if (FileHandle == INVALID_HANDLE_VALUE)
        return port;
    uint32_t wire, epoch;
    NTSTATUS status = STATUS_INVALID_HANDLE;
    if (np_handle_decode(port, &wire, &epoch)) {
        union np_args args = {.completion = {
            .what = NP_COMPLETION_SET_PORT,
            .port = wire,
            .key = CompletionKey,
        }};
        status = np_call_epoch(NP_OP_SET_COMPLETION, 0, FileHandle, epoch, &args,
                               NULL, 0, NULL, 0, NULL);
    }
    if (!NT_SUCCESS(status)) {
        if (!ExistingCompletionPort)
            NtClose(port);
        np_fail_status(status);
        return NULL;
    }
    return port;
}

/* Why a remove ended without packets, as a Win32 error: a timeout is
 * WAIT_TIMEOUT, completion routines WAIT_IO_COMPLETION, and the port's
 * last handle closed during the wait ERROR_ABANDONED_WAIT_0 (which
 * RtlNtStatusToDosError would call ERROR_WAIT_NO_CHILDREN). */
static BOOL remove_failed(NTSTATUS status)
{
    switch (status) {
    case STATUS_TIMEOUT:
        return np_fail(WAIT_TIMEOUT);
    case STATUS_USER_APC:
        return np_fail(WAIT_IO_COMPLETION);
    case STATUS_ABANDONED_WAIT_0:
        return np_fail(ERROR_ABANDONED_WAIT_0);
    default:
        return np_fail_status(NT_SUCCESS(status) ? STATUS_INTERNAL_ERROR : status);
    }
}

/* NP_OP_PORT_REMOVE into packets[max]; *count gets how many came.  An
 * alertable remove offers room for the ids of due completion routines
 * too, and runs them. */
static NTSTATUS port_remove(HANDLE port, struct np_packet *packets,
                            uint32_t max, DWORD timeout_ms, bool alertable,
                            uint32_t *count)
{
    union np_args args = {.port = {
        .max_entries = max,
        .timeout_ms = timeout_ms,
        .alertable = alertable,
    }};
    uint32_t size = max * (uint32_t)sizeof *packets;
    void *buffer = packets;
    if (alertable && size < NP_APC_BUFFER) {
        if (!(buffer = malloc(NP_APC_BUFFER)))
            return STATUS_NO_MEMORY;
        size = NP_APC_BUFFER;
    }
    struct np_result res;
    NTSTATUS status = np_call(NP_OP_PORT_REMOVE, port, &args, NULL, 0, buffer,
                              size, &res);
    *count = 0;
    if (status == STATUS_USER_APC)
        np_run_apcs(buffer, res.data_len / sizeof(uint64_t));
    else if (status == STATUS_SUCCESS) {
        *count = res.data_len / (uint32_t)sizeof *packets;
        if (*count > max)
            *count = max;
        if (buffer != packets)
            memcpy(packets, buffer, *count * sizeof *packets);
        if (!*count)
            status = STATUS_INTERNAL_ERROR; /* success means a packet */
    }
    if (buffer != packets)
        free(buffer);
    return status;
}

/*
 * One packet.  A packet of a successful operation: TRUE with the count,
 * key and OVERLAPPED.  A packet of a failed one (a warning such as
 * STATUS_BUFFER_OVERFLOW included): FALSE, *lpOverlapped set, the count
 * and key too, and the operation's Win32 error.  No packet: FALSE,
 * *lpOverlapped NULL and WAIT_TIMEOUT (timed out) or ERROR_ABANDONED_WAIT_0
 * (the port's last handle was closed).  NULL pointers, which Windows would
 * write through, are ERROR_NOACCESS.
 */
NPIPE_API BOOL WINAPI GetQueuedCompletionStatus(HANDLE CompletionPort,
                                                LPDWORD lpNumberOfBytesTransferred,
                                                PULONG_PTR lpCompletionKey,
                                                LPOVERLAPPED *lpOverlapped,
                                                DWORD dwMilliseconds)
{
    if (!lpNumberOfBytesTransferred || !lpCompletionKey || !lpOverlapped)
        return np_fail(ERROR_NOACCESS);
    *lpOverlapped = NULL;
    struct np_packet packet;
    uint32_t count;
    NTSTATUS status = port_remove(CompletionPort, &packet, 1, dwMilliseconds,
                                  false, &count);
    if (status != STATUS_SUCCESS)
        return remove_failed(status);
    *lpNumberOfBytesTransferred = (DWORD)packet.information;
    *lpCompletionKey = (ULONG_PTR)packet.key;
    *lpOverlapped = (LPOVERLAPPED)(uintptr_t)packet.cookie;
    return NT_SUCCESS(packet.status) ? TRUE : np_fail_status(packet.status);
}

/*
 * Up to ulCount packets (0 is ERROR_INVALID_PARAMETER), each entry with
 * the key, the OVERLAPPED, the status in Internal and the byte count;
 * TRUE even for packets of failed operations.  No packet: FALSE with
 * WAIT_TIMEOUT, ERROR_ABANDONED_WAIT_0, or — alertable, after running the
 * thread's due completion routines — WAIT_IO_COMPLETION; then
 * *ulNumEntriesRemoved is 0.
 */
NPIPE_API BOOL WINAPI GetQueuedCompletionStatusEx(HANDLE CompletionPort,
                                                  LPOVERLAPPED_ENTRY lpCompletionPortEntries,
                                                  ULONG ulCount,
                                                  PULONG ulNumEntriesRemoved,
                                                  DWORD dwMilliseconds,
                                                  BOOL fAlertable)
{
    if (!ulCount)
        return np_fail(ERROR_INVALID_PARAMETER);
    if (!lpCompletionPortEntries || !ulNumEntriesRemoved)
        return np_fail(ERROR_NOACCESS);
    *ulNumEntriesRemoved = 0;
    uint32_t max = ulCount < MAX_ENTRIES ? ulCount : MAX_ENTRIES;
    struct np_packet *packets = malloc(max * sizeof *packets);
    if (!packets)
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    uint32_t count;
    NTSTATUS status = port_remove(CompletionPort, packets, max, dwMilliseconds,
                                  fAlertable, &count);
    if (status == STATUS_SUCCESS) {
        for (uint32_t i = 0; i < count; i++) {
            OVERLAPPED_ENTRY *e = &lpCompletionPortEntries[i];
            e->lpCompletionKey = (ULONG_PTR)packets[i].key;
            e->lpOverlapped = (LPOVERLAPPED)(uintptr_t)packets[i].cookie;
            e->Internal = (ULONG_PTR)(ULONG)packets[i].status;
            e->dwNumberOfBytesTransferred = (DWORD)packets[i].information;
        }
        *ulNumEntriesRemoved = count;
    }
    free(packets);
    return status == STATUS_SUCCESS ? TRUE : remove_failed(status);
}

/* A packet with status 0, the count, key and OVERLAPPED given (which need
 * not mean anything: they come back as they were). */
NPIPE_API BOOL WINAPI PostQueuedCompletionStatus(HANDLE CompletionPort,
                                                 DWORD dwNumberOfBytesTransferred,
                                                 ULONG_PTR dwCompletionKey,
                                                 LPOVERLAPPED lpOverlapped)
{
    union np_args args = {.port = {
        .key = dwCompletionKey,
        .cookie = (uint64_t)(uintptr_t)lpOverlapped,
        .information = dwNumberOfBytesTransferred,
        .status = STATUS_SUCCESS,
    }};
    NTSTATUS status = np_call(NP_OP_PORT_POST, CompletionPort, &args, NULL, 0,
                              NULL, 0, NULL);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}

/*
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: an operation that succeeds at once
 * queues no packet (the caller handles it where it was issued).
 * FILE_SKIP_SET_EVENT_ON_HANDLE: completions no longer signal the file
 * handle itself.  Other bits are ERROR_INVALID_PARAMETER.  Modes add up;
 * they cannot be taken back.
 */
NPIPE_API BOOL WINAPI SetFileCompletionNotificationModes(HANDLE FileHandle,
                                                         UCHAR Flags)
{
    if (Flags & ~(UCHAR)(FILE_SKIP_COMPLETION_PORT_ON_SUCCESS |
                         FILE_SKIP_SET_EVENT_ON_HANDLE))
        return np_fail(ERROR_INVALID_PARAMETER);
    union np_args args = {.completion = {
        .what = NP_COMPLETION_SET_MODES,
        .modes = Flags,
    }};
    NTSTATUS status = np_call(NP_OP_SET_COMPLETION, FileHandle, &args, NULL, 0,
                              NULL, 0, NULL);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}
