/*
 * handle.c — CloseHandle, DuplicateHandle, GetHandleInformation and
 * SetHandleInformation.
 *
 * npipe's handles are pipe ends and the pipe root, numbered by the broker
 * (see src/channel/channel.h for their form).  NULL, INVALID_HANDLE_VALUE
 * (which is also the current-process pseudo-handle: closing it fails, as
 * on Windows), a handle of an earlier broker or of the parent of a
 * fork()ed child, and anything malformed are ERROR_INVALID_HANDLE.
 *
 * The handle flags live in the broker with the handle; the Win32 layer
 * reaches them through NpHandleFlags, an internal native call declared in
 * channel.h (Windows uses NtQueryObject / NtSetInformationObject, which
 * npipe does not export).
 */
#include "win32/internal.h"

#include "channel/channel.h"
#include "win32/objects.h"

NPIPE_API BOOL WINAPI CloseHandle(HANDLE hObject)
{
    BOOL local; /* console and local-file handles; thread/process records */
    if (np_local_close(hObject, &local))
        return local;
    NTSTATUS status = NtClose(hObject);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}

/*
 * Within the calling process only: both process handles must be
 * GetCurrentProcess(), or any other process handle is
 * ERROR_INVALID_HANDLE (npipe has no process objects; handles cannot be
 * given to another process yet).  hTargetProcessHandle may be NULL with
 * DUPLICATE_CLOSE_SOURCE, which then just closes the source.
 * DUPLICATE_SAME_ACCESS copies the source's access (dwDesiredAccess is
 * ignored); otherwise the new handle gets dwDesiredAccess, which may not
 * exceed the source's (ERROR_ACCESS_DENIED).  DUPLICATE_CLOSE_SOURCE
 * closes the source even when the duplication fails, as on Windows.
 */
NPIPE_API BOOL WINAPI DuplicateHandle(HANDLE hSourceProcessHandle,
                                      HANDLE hSourceHandle,
                                      HANDLE hTargetProcessHandle,
                                      LPHANDLE lpTargetHandle,
                                      DWORD dwDesiredAccess, BOOL bInheritHandle,
                                      DWORD dwOptions)
{
    if (np_is_local_handle(hSourceHandle)) /* console, local file (console.c) */
        return np_local_duplicate(hSourceProcessHandle, hSourceHandle,
                                  hTargetProcessHandle, lpTargetHandle, dwOptions);
    NTSTATUS status = NtDuplicateObject(hSourceProcessHandle, hSourceHandle,
                                        hTargetProcessHandle, lpTargetHandle,
                                        dwDesiredAccess,
                                        bInheritHandle ? OBJ_INHERIT : 0,
                                        dwOptions);
    return NT_SUCCESS(status) ? TRUE : np_fail_status(status);
}

/* The flags GetHandleInformation and SetHandleInformation work on. */
#define HANDLE_FLAGS_VALID (HANDLE_FLAG_INHERIT | HANDLE_FLAG_PROTECT_FROM_CLOSE)

/* The broker keeps each handle's flags.  A broker that predates
 * NP_OP_HANDLE_FLAGS answers STATUS_INVALID_SYSTEM_SERVICE: the function
 * is then not supported. */
static BOOL flags_failed(NTSTATUS status)
{
    if (status == STATUS_INVALID_SYSTEM_SERVICE)
        return np_fail(ERROR_NOT_SUPPORTED);
    return np_fail_status(status);
}

/* A NULL lpdwFlags, which Windows writes through, is ERROR_NOACCESS. */
NPIPE_API BOOL WINAPI GetHandleInformation(HANDLE hObject, LPDWORD lpdwFlags)
{
    if (!lpdwFlags)
        return np_fail(ERROR_NOACCESS);
    ULONG flags;
    NTSTATUS status = NpHandleFlags(hObject, 0, 0, &flags);
    if (!NT_SUCCESS(status))
        return flags_failed(status);
    *lpdwFlags = flags & HANDLE_FLAGS_VALID;
    return TRUE;
}

/* Bits of dwMask other than the two flags are ignored, as by kernel32,
 * which only carries those two into NtSetInformationObject. */
NPIPE_API BOOL WINAPI SetHandleInformation(HANDLE hObject, DWORD dwMask,
                                           DWORD dwFlags)
{
    NTSTATUS status = NpHandleFlags(hObject, dwMask & HANDLE_FLAGS_VALID,
                                    dwFlags & HANDLE_FLAGS_VALID, NULL);
    return NT_SUCCESS(status) ? TRUE : flags_failed(status);
}
