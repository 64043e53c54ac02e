/*
 * overlapped_util.h — small helpers shared by the overlapped-I/O tests
 * (test_overlapped.c, test_events.c, test_iocp.c, test_apc.c,
 * test_cancel.c).  Header-only; include after testlib.h.
 *
 * Completions in npipe become visible a moment after the call that caused
 * them returns (the library writes the OVERLAPPED, acknowledges, and only
 * then does the broker set the event), where Windows often has them
 * visible at once.  Tests therefore wait with a generous timeout for what
 * must happen (ov_wait), and use a short real wait for what must not
 * (ov_quiet).
 */
#ifndef NPIPE_OVERLAPPED_UTIL_H
#define NPIPE_OVERLAPPED_UTIL_H

#include "testlib.h"

/* How long something that must happen may take; how long we watch for
 * something that must not. */
#define OV_SOON_MS 5000
#define OV_QUIET_MS 100

/* NT statuses the tests compare OVERLAPPED.Internal with. */
#define OV_STATUS_SUCCESS 0x00000000u
#define OV_STATUS_PENDING 0x00000103u
#define OV_STATUS_BUFFER_OVERFLOW 0x80000005u
#define OV_STATUS_CANCELLED 0xC0000120u
#define OV_STATUS_PIPE_BROKEN 0xC000014Bu

static inline HANDLE ov_event(BOOL manual, BOOL initial)
{
    SetLastError(0xdeadbeef);
    HANDLE h = CreateEventA(NULL, manual, initial, NULL);
    TL_ASSERT_MSG(h != NULL, "CreateEventA failed: %lu", (unsigned long)GetLastError());
    return h;
}

/* An overlapped server instance (duplex). */
static inline HANDLE ov_server(const char *name, DWORD pipe_mode, DWORD instances,
                               DWORD out_size, DWORD in_size)
{
    return tl_server(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, pipe_mode,
                     instances, out_size, in_size);
}

/* An overlapped client (read/write). */
static inline HANDLE ov_client(const char *name)
{
    SetLastError(0xdeadbeef);
    HANDLE h = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                           OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    TL_ASSERT_MSG(h != INVALID_HANDLE_VALUE, "CreateFileA(%s) failed: %lu", name,
                  (unsigned long)GetLastError());
    return h;
}

/* A connected overlapped pair in this process: the server, then an
 * overlapped ConnectNamedPipe that must pend, then the client, then the
 * connect's completion. */
static inline void ov_pair(const char *name, DWORD pipe_mode, DWORD quota,
                           HANDLE *server, HANDLE *client)
{
    *server = ov_server(name, pipe_mode, 1, quota, quota);
    OVERLAPPED ov = {0};
    ov.hEvent = ov_event(TRUE, FALSE);
    SetLastError(0xdeadbeef);
    BOOL ok = ConnectNamedPipe(*server, &ov);
    TL_ASSERT_MSG(!ok && GetLastError() == ERROR_IO_PENDING,
                  "ConnectNamedPipe: %d, error %lu", ok, (unsigned long)GetLastError());
    *client = ov_client(name);
    DWORD n = 0xdeadbeef;
    TL_OK(GetOverlappedResult(*server, &ov, &n, TRUE));
    TL_EQ(n, 0);
    CloseHandle(ov.hEvent);
    if (pipe_mode & PIPE_READMODE_MESSAGE) {
        DWORD mode = PIPE_READMODE_MESSAGE;
        TL_OK(SetNamedPipeHandleState(*client, &mode, NULL, NULL));
    }
}

/* The object becomes signaled within OV_SOON_MS. */
#define ov_wait(h) TL_EQ(WaitForSingleObject((h), OV_SOON_MS), WAIT_OBJECT_0)
/* The object stays unsignaled for OV_QUIET_MS. */
#define ov_quiet(h) TL_EQ(WaitForSingleObject((h), OV_QUIET_MS), WAIT_TIMEOUT)

/* Internal as the NTSTATUS it holds. */
static inline unsigned ov_status(const OVERLAPPED *ov)
{
    return (unsigned)(DWORD)__atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE);
}

/* Waits (by polling Internal, without any event) until the OVERLAPPED is
 * no longer pending. */
static inline void ov_wait_done(const OVERLAPPED *ov)
{
    uint64_t end = tl_now_ms() + OV_SOON_MS;
    while (ov_status(ov) == OV_STATUS_PENDING && tl_now_ms() < end)
        tl_sleep_ms(1);
    TL_ASSERT_MSG(ov_status(ov) != OV_STATUS_PENDING,
                  "the operation did not complete within %d ms", OV_SOON_MS);
}

/* Issue an overlapped read that must pend. */
static inline void ov_read_pending(HANDLE h, void *buf, DWORD n, OVERLAPPED *ov)
{
    DWORD got = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    BOOL ok = ReadFile(h, buf, n, &got, ov);
    TL_ASSERT_MSG(!ok && GetLastError() == ERROR_IO_PENDING,
                  "ReadFile: %d, error %lu (%s)", ok, (unsigned long)GetLastError(),
                  tl_errname(GetLastError()));
    TL_EQ(got, 0);
}

/* Issue an overlapped write that must pend. */
static inline void ov_write_pending(HANDLE h, const void *buf, DWORD n, OVERLAPPED *ov)
{
    DWORD got = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    BOOL ok = WriteFile(h, buf, n, &got, ov);
    TL_ASSERT_MSG(!ok && GetLastError() == ERROR_IO_PENDING,
                  "WriteFile: %d, error %lu (%s)", ok, (unsigned long)GetLastError(),
                  tl_errname(GetLastError()));
    TL_EQ(got, 0);
}

/* The finished operation's result through GetOverlappedResult(no wait). */
static inline void ov_result(HANDLE h, OVERLAPPED *ov, DWORD expect_n, DWORD expect_err)
{
    DWORD n = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    BOOL ok = GetOverlappedResult(h, ov, &n, TRUE);
    if (expect_err == ERROR_SUCCESS)
        TL_ASSERT_MSG(ok, "GetOverlappedResult failed: %lu (%s)",
                      (unsigned long)GetLastError(), tl_errname(GetLastError()));
    else
        TL_ASSERT_MSG(!ok && GetLastError() == expect_err,
                      "GetOverlappedResult: %d, error %lu (%s), expected %lu (%s)", ok,
                      (unsigned long)GetLastError(), tl_errname(GetLastError()),
                      (unsigned long)expect_err, tl_errname(expect_err));
    TL_EQ(n, expect_n);
}

#endif /* NPIPE_OVERLAPPED_UTIL_H */
