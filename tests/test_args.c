/*
 * test_args.c — invalid arguments of every public function of windows.h,
 * handles (CloseHandle, DuplicateHandle, handle flags, fork) and the
 * per-thread last error.
 *
 * Windows behaviour checked here (Microsoft Learn for each function;
 * Wine's dlls/kernel32/tests/pipe.c, run on Windows: NULL pipe name is
 * ERROR_PATH_NOT_FOUND, ReadFile on INVALID_HANDLE_VALUE is
 * ERROR_INVALID_HANDLE with the count zeroed, GetNamedPipeHandleState's
 * collection arguments are ERROR_INVALID_PARAMETER on a local pipe; ReactOS
 * kernel32: nMaxInstances 0 or above 255 is ERROR_INVALID_PARAMETER; npipe's
 * own choices in DESIGN.md: a security descriptor is ERROR_NOT_SUPPORTED for
 * now, handles of the parent are not inherited by fork):
 *  - NULL, INVALID_HANDLE_VALUE, closed and made-up handles: every function
 *    that takes a pipe handle fails with ERROR_INVALID_HANDLE; CloseHandle
 *    twice too;
 *  - NULL names: ERROR_PATH_NOT_FOUND; bad flags, modes, dispositions and
 *    nMaxInstances 0 or 256: ERROR_INVALID_PARAMETER; a security descriptor:
 *    ERROR_NOT_SUPPORTED; bInheritHandle sets HANDLE_FLAG_INHERIT;
 *  - CreatePipe's ends, default size and access;
 *  - DuplicateHandle: a duplicate shares the file object (read mode) and
 *    keeps the pipe open after the original is closed; CLOSE_SOURCE, lesser
 *    access, inheritance; only this process;
 *  - after fork, the parent's handle values are invalid in the child and the
 *    child's attempts leave the parent's handles alone;
 *  - the last error is per thread.
 */
#include "testlib.h"

#include <string.h>
#include <unistd.h>

static HANDLE bad_handles[] = {
    NULL,
    INVALID_HANDLE_VALUE,
    (HANDLE)(uintptr_t)0x12345678,
    (HANDLE)(uintptr_t)4,
    (HANDLE)(uintptr_t)0xfffffff0,
};
#define NBAD (sizeof bad_handles / sizeof bad_handles[0])

/* ---- Bad handles everywhere --------------------------------------------------- */

static void test_bad_handles(void **state)
{
    char buf[16];
    WCHAR wbuf[16];
    DWORD n, a, b, c, d;
    ULONG u;
    for (size_t i = 0; i < NBAD; i++) {
        HANDLE h = bad_handles[i];
        n = 0xdeadbeef;
        TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_INVALID_HANDLE);
        TL_EQ(n, 0); /* ReadFile zeroes the count first */
        n = 0xdeadbeef;
        TL_FAILS(WriteFile(h, buf, sizeof buf, &n, NULL),
                 ERROR_INVALID_HANDLE);
        TL_EQ(n, 0);
        TL_FAILS(FlushFileBuffers(h), ERROR_INVALID_HANDLE);
        TL_FAILS(ConnectNamedPipe(h, NULL), ERROR_INVALID_HANDLE);
        TL_FAILS(DisconnectNamedPipe(h), ERROR_INVALID_HANDLE);
        TL_FAILS(PeekNamedPipe(h, buf, sizeof buf, &n, &a, &b),
                 ERROR_INVALID_HANDLE);
        TL_FAILS(TransactNamedPipe(h, buf, 1, buf, sizeof buf, &n, NULL),
                 ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeInfo(h, &a, &b, &c, &d), ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeHandleStateA(h, &a, &b, NULL, NULL, NULL, 0),
                 ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeHandleStateW(h, &a, &b, NULL, NULL, NULL, 0),
                 ERROR_INVALID_HANDLE);
        a = PIPE_READMODE_BYTE;
        TL_FAILS(SetNamedPipeHandleState(h, &a, NULL, NULL),
                 ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeClientProcessId(h, &u), ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeServerProcessId(h, &u), ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeClientSessionId(h, &u), ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeServerSessionId(h, &u), ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeClientComputerNameA(h, buf, sizeof buf),
                 ERROR_INVALID_HANDLE);
        TL_FAILS(GetNamedPipeClientComputerNameW(h, wbuf, sizeof wbuf),
                 ERROR_INVALID_HANDLE);
        /* INVALID_HANDLE_VALUE is also the current-process pseudo handle,
         * which the generic handle functions accept on Windows (CloseHandle
         * of it succeeds, DuplicateHandle duplicates the process): only the
         * pipe functions above must refuse it. */
        if (h == INVALID_HANDLE_VALUE)
            continue;
        TL_FAILS(GetHandleInformation(h, &a), ERROR_INVALID_HANDLE);
        TL_FAILS(SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0),
                 ERROR_INVALID_HANDLE);
        HANDLE dup = (HANDLE)(uintptr_t)0x1111;
        TL_FAILS(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(),
                                 &dup, 0, FALSE, DUPLICATE_SAME_ACCESS),
                 ERROR_INVALID_HANDLE);
        TL_FAILS(CloseHandle(h), ERROR_INVALID_HANDLE);
    }
    /* The current-process pseudo handle is not a pipe. */
    n = 0xdeadbeef;
    TL_FAILS(ReadFile(GetCurrentProcess(), buf, 1, &n, NULL),
             ERROR_INVALID_HANDLE);
}

static void test_close_twice(void **state)
{
    const char *name = tl_pipe_name("close2");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    TL_OK(CloseHandle(h));
    TL_FAILS(CloseHandle(h), ERROR_INVALID_HANDLE);
    char buf[4];
    DWORD n;
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_INVALID_HANDLE);
    TL_OK(CloseHandle(s));
    TL_FAILS(CloseHandle(s), ERROR_INVALID_HANDLE);
    TL_FAILS(WriteFile(s, "x", 1, &n, NULL), ERROR_INVALID_HANDLE);
}

/* ---- CreateNamedPipe ------------------------------------------------------------ */

static void test_create_named_pipe_args(void **state)
{
    const char *name = tl_pipe_name("args");
    const WCHAR *wname = tl_wide(name);

    TL_HANDLE_FAILS(CreateNamedPipeA(NULL, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     1, 1024, 1024, 0, NULL),
                    ERROR_PATH_NOT_FOUND);
    TL_HANDLE_FAILS(CreateNamedPipeW(NULL, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     1, 1024, 1024, 0, NULL),
                    ERROR_PATH_NOT_FOUND);

    /* nMaxInstances: 1..255. */
    TL_HANDLE_FAILS(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     0, 1024, 1024, 0, NULL),
                    ERROR_INVALID_PARAMETER);
    TL_HANDLE_FAILS(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     256, 1024, 1024, 0, NULL),
                    ERROR_INVALID_PARAMETER);
    TL_HANDLE_FAILS(CreateNamedPipeW(wname, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     0xffffffff, 1024, 1024, 0, NULL),
                    ERROR_INVALID_PARAMETER);

    /* Access mode: one of the three; other bits only from the documented
     * set. */
    TL_HANDLE_FAILS(CreateNamedPipeA(name, 0, PIPE_TYPE_BYTE, 1, 1024, 1024, 0,
                                     NULL),
                    ERROR_INVALID_PARAMETER);
    TL_HANDLE_FAILS(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX | 0x00000100,
                                     PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL),
                    ERROR_INVALID_PARAMETER);
    /* Pipe mode: only the documented bits. */
    TL_HANDLE_FAILS(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE | 0x00000010, 1, 1024,
                                     1024, 0, NULL),
                    ERROR_INVALID_PARAMETER);
    TL_HANDLE_FAILS(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE | PIPE_READMODE_MESSAGE, 1,
                                     1024, 1024, 0, NULL),
                    ERROR_INVALID_PARAMETER);

    /* None of the failures created anything. */
    TL_HANDLE_FAILS(CreateFileA(name, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_FILE_NOT_FOUND);

    /* The documented extras are accepted. */
    HANDLE s = TL_HANDLE(CreateNamedPipeA(
        name, PIPE_ACCESS_DUPLEX | FILE_FLAG_WRITE_THROUGH,
        PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT |
            PIPE_REJECT_REMOTE_CLIENTS,
        PIPE_UNLIMITED_INSTANCES, 0, 0, 0, NULL));
    TL_OK(CloseHandle(s));

    /* A security descriptor is refused until npipe has them; a NULL one with
     * bInheritHandle is fine. */
    char sd[64] = {1};
    SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
    TL_HANDLE_FAILS(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     1, 1024, 1024, 0, &sa),
                    ERROR_NOT_SUPPORTED);
    TL_HANDLE_FAILS(CreateNamedPipeW(wname, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     1, 1024, 1024, 0, &sa),
                    ERROR_NOT_SUPPORTED);
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    s = TL_HANDLE(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1,
                                   1024, 1024, 0, &inherit));
    DWORD flags = 0xdeadbeef;
    TL_OK(GetHandleInformation(s, &flags));
    TL_EQ(flags & HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    TL_OK(CloseHandle(s));
    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024, 1024);
    TL_OK(GetHandleInformation(s, &flags));
    TL_EQ(flags & HANDLE_FLAG_INHERIT, 0);
    TL_OK(CloseHandle(s));
}

/* ---- CreateFile ------------------------------------------------------------------ */

static void test_create_file_args(void **state)
{
    const char *name = tl_pipe_name("cfargs");
    TL_HANDLE_FAILS(CreateFileA(NULL, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_PATH_NOT_FOUND);
    TL_HANDLE_FAILS(CreateFileW(NULL, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_PATH_NOT_FOUND);
    TL_HANDLE_FAILS(CreateFileA("", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                                NULL),
                    ERROR_PATH_NOT_FOUND);
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    /* Creation dispositions outside 1..5. */
    TL_HANDLE_FAILS(CreateFileA(name, GENERIC_READ, 0, NULL, 0, 0, NULL),
                    ERROR_INVALID_PARAMETER);
    TL_HANDLE_FAILS(CreateFileA(name, GENERIC_READ, 0, NULL, 6, 0, NULL),
                    ERROR_INVALID_PARAMETER);
    /* The failures did not take the instance. */
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    TL_FAILS(ConnectNamedPipe(s, NULL), ERROR_PIPE_CONNECTED);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));

    /* bInheritHandle is honoured on the client handle too. */
    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024, 1024);
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    h = TL_HANDLE(CreateFileA(name, GENERIC_READ, 0, &inherit, OPEN_EXISTING,
                              0, NULL));
    DWORD flags = 0;
    TL_OK(GetHandleInformation(h, &flags));
    TL_EQ(flags & HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- WaitNamedPipe, CallNamedPipe ------------------------------------------------- */

static void test_wait_and_call_args(void **state)
{
    /* Not a pipe path. */
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WaitNamedPipeA("\\\\.\\notapipe\\x", 1));
    DWORD e = GetLastError();
    TL_ASSERT_MSG(e == ERROR_BAD_PATHNAME || e == ERROR_PATH_NOT_FOUND,
                  "WaitNamedPipe on a non-pipe path: error %lu (%s)",
                  (unsigned long)e, tl_errname(e));
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WaitNamedPipeA("relative-name", 1));
    e = GetLastError();
    TL_ASSERT_MSG(e == ERROR_BAD_PATHNAME || e == ERROR_PATH_NOT_FOUND,
                  "WaitNamedPipe on a relative path: error %lu (%s)",
                  (unsigned long)e, tl_errname(e));
    /* NULL: Windows would fault; npipe reports an error. */
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WaitNamedPipeA(NULL, 1));
    e = GetLastError();
    TL_ASSERT_MSG(e == ERROR_PATH_NOT_FOUND || e == ERROR_INVALID_PARAMETER ||
                      e == ERROR_BAD_PATHNAME,
                  "WaitNamedPipeA(NULL): error %lu (%s)", (unsigned long)e,
                  tl_errname(e));
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WaitNamedPipeW(NULL, 1));
    e = GetLastError();
    TL_ASSERT_MSG(e == ERROR_PATH_NOT_FOUND || e == ERROR_INVALID_PARAMETER ||
                      e == ERROR_BAD_PATHNAME,
                  "WaitNamedPipeW(NULL): error %lu (%s)", (unsigned long)e,
                  tl_errname(e));

    char out[8];
    DWORD n;
    SetLastError(0xdeadbeef);
    TL_ASSERT(!CallNamedPipeA(NULL, "x", 1, out, sizeof out, &n, 1));
    e = GetLastError();
    TL_ASSERT_MSG(e == ERROR_PATH_NOT_FOUND || e == ERROR_INVALID_PARAMETER,
                  "CallNamedPipeA(NULL): error %lu (%s)", (unsigned long)e,
                  tl_errname(e));
    /* CallNamedPipe to a byte pipe: it cannot switch to message mode. */
    const char *name = tl_pipe_name("callbyte");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    TL_FAILS(CallNamedPipeA(name, "x", 1, out, sizeof out, &n, 1),
             ERROR_INVALID_PARAMETER);
    TL_OK(CloseHandle(s));
}

/* ---- Handle state functions ---------------------------------------------------------- */

static void test_handle_state_args(void **state)
{
    const char *name = tl_pipe_name("stateargs");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    /* All outputs NULL: nothing to do, success. */
    TL_OK(GetNamedPipeHandleStateA(s, NULL, NULL, NULL, NULL, NULL, 0));
    TL_OK(GetNamedPipeHandleStateW(h, NULL, NULL, NULL, NULL, NULL, 0));
    TL_OK(GetNamedPipeInfo(s, NULL, NULL, NULL, NULL));
    /* Collection count and time-out mean nothing on a local pipe. */
    DWORD st, inst, count, timeout;
    TL_FAILS(GetNamedPipeHandleStateA(s, &st, &inst, &count, &timeout, NULL, 0),
             ERROR_INVALID_PARAMETER);
    /* (Unknown mode bits in SetNamedPipeHandleState are not tested: whether
     * Windows refuses them is not documented, and ReactOS's kernel32 does
     * not check them.)  Collection count / time-out on a local pipe: */
    count = 4;
    TL_FAILS(SetNamedPipeHandleState(h, NULL, &count, NULL),
             ERROR_INVALID_PARAMETER);
    /* The refused calls changed nothing. */
    TL_OK(GetNamedPipeHandleStateA(s, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_MESSAGE);
    TL_OK(GetNamedPipeHandleStateA(h, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_BYTE);
    /* PeekNamedPipe with every output NULL is fine. */
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, NULL, NULL));
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- CreatePipe ------------------------------------------------------------------------- */

static void test_create_pipe(void **state)
{
    HANDLE rd, wr;
    TL_OK(CreatePipe(&rd, &wr, NULL, 0));
    /* The read end is a server end, the write end a client end; a size of 0
     * means the default 4096. */
    DWORD flags, out, in, max;
    TL_OK(GetNamedPipeInfo(rd, &flags, &out, &in, &max));
    TL_EQ(flags, PIPE_SERVER_END);
    TL_EQ(out, 4096);
    TL_EQ(in, 4096);
    TL_EQ(max, 1);
    TL_OK(GetNamedPipeInfo(wr, &flags, &out, &in, &max));
    TL_EQ(flags, PIPE_CLIENT_END);
    tl_write_str(wr, "anonymous");
    tl_expect_str(rd, "anonymous");
    DWORD n;
    char buf[4];
    TL_FAILS(WriteFile(rd, "x", 1, &n, NULL), ERROR_ACCESS_DENIED);
    TL_FAILS(ReadFile(wr, buf, sizeof buf, &n, NULL), ERROR_ACCESS_DENIED);
    /* Closing the write end leaves data readable, then broken. */
    tl_write_str(wr, "tail");
    TL_OK(CloseHandle(wr));
    tl_expect_str(rd, "tail");
    TL_FAILS(ReadFile(rd, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_OK(CloseHandle(rd));

    TL_OK(CreatePipe(&rd, &wr, NULL, 1));
    TL_OK(GetNamedPipeInfo(rd, &flags, &out, &in, &max));
    TL_EQ(out, 1);
    TL_EQ(in, 1);
    TL_OK(CloseHandle(rd));
    TL_OK(CloseHandle(wr));

    /* Security descriptors: not yet. */
    char sd[32] = {1};
    SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
    TL_FAILS(CreatePipe(&rd, &wr, &sa, 0), ERROR_NOT_SUPPORTED);
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    TL_OK(CreatePipe(&rd, &wr, &inherit, 0));
    TL_OK(GetHandleInformation(rd, &flags));
    TL_EQ(flags & HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    TL_OK(CloseHandle(rd));
    TL_OK(CloseHandle(wr));
}

/* ---- DuplicateHandle ---------------------------------------------------------------------- */

struct ctx {
    const char *name;
    tl_rdv r;
};

static int dup_peer(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "one");
    tl_expect_signal(&c->r, 1); /* the server closed its original handle */
    tl_write_str(h, "two");
    tl_expect_str(h, "via dup");
    tl_expect_signal(&c->r, 2);
    char buf[4];
    DWORD n;
    /* Only now, with the duplicate closed too, is the pipe broken. */
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_BROKEN_PIPE);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_duplicate_handle(void **state)
{
    struct ctx c = {.name = tl_pipe_name("dup")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(dup_peer, &c);
    tl_connect(s);
    HANDLE d = NULL;
    TL_OK(DuplicateHandle(GetCurrentProcess(), s, GetCurrentProcess(), &d, 0,
                          FALSE, DUPLICATE_SAME_ACCESS));
    TL_ASSERT(d != NULL && d != INVALID_HANDLE_VALUE && d != s);
    /* Both handles name one file object: the read mode is shared. */
    DWORD mode = PIPE_READMODE_BYTE, st;
    TL_OK(SetNamedPipeHandleState(d, &mode, NULL, NULL));
    TL_OK(GetNamedPipeHandleStateA(s, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_BYTE);
    mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(s, &mode, NULL, NULL));
    tl_expect_str(s, "one");
    TL_OK(CloseHandle(s));
    tl_signal(&c.r, 1);
    /* The duplicate keeps the server end open and working. */
    tl_expect_str(d, "two");
    tl_write_str(d, "via dup");
    ULONG cpid;
    TL_OK(GetNamedPipeClientProcessId(d, &cpid));
    TL_EQ(cpid, pid);
    TL_OK(FlushFileBuffers(d));
    TL_OK(CloseHandle(d));
    tl_signal(&c.r, 2);
    tl_join(pid);
    tl_rdv_close(&c.r);
}

static void test_duplicate_handle_options(void **state)
{
    const char *name = tl_pipe_name("dupopt");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    /* DUPLICATE_CLOSE_SOURCE closes the original. */
    HANDLE d;
    TL_OK(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, 0,
                          FALSE, DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE));
    TL_FAILS(CloseHandle(h), ERROR_INVALID_HANDLE);
    tl_write_str(d, "moved");
    tl_expect_str(s, "moved");
    /* Less access than the original: a read-only duplicate cannot write. */
    HANDLE ro;
    TL_OK(DuplicateHandle(GetCurrentProcess(), d, GetCurrentProcess(), &ro,
                          GENERIC_READ, FALSE, 0));
    DWORD n;
    TL_FAILS(WriteFile(ro, "x", 1, &n, NULL), ERROR_ACCESS_DENIED);
    tl_write_str(s, "to ro");
    tl_expect_str(ro, "to ro");
    /* bInheritHandle on the duplicate. */
    HANDLE inh;
    DWORD flags = 0;
    TL_OK(DuplicateHandle(GetCurrentProcess(), d, GetCurrentProcess(), &inh, 0,
                          TRUE, DUPLICATE_SAME_ACCESS));
    TL_OK(GetHandleInformation(inh, &flags));
    TL_EQ(flags & HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    /* Source and target must be this process; a bad process handle is an
     * invalid handle. */
    HANDLE x;
    TL_FAILS(DuplicateHandle((HANDLE)(uintptr_t)0x4444, d, GetCurrentProcess(),
                             &x, 0, FALSE, DUPLICATE_SAME_ACCESS),
             ERROR_INVALID_HANDLE);
    TL_FAILS(DuplicateHandle(GetCurrentProcess(), d, (HANDLE)(uintptr_t)0x4444,
                             &x, 0, FALSE, DUPLICATE_SAME_ACCESS),
             ERROR_INVALID_HANDLE);
    TL_OK(CloseHandle(inh));
    TL_OK(CloseHandle(ro));
    TL_OK(CloseHandle(d));
    TL_OK(CloseHandle(s));
}

static void test_handle_information(void **state)
{
    const char *name = tl_pipe_name("hinfo");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    DWORD flags = 0xdeadbeef;
    TL_OK(GetHandleInformation(s, &flags));
    TL_EQ(flags, 0);
    TL_OK(SetHandleInformation(s, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT));
    TL_OK(GetHandleInformation(s, &flags));
    TL_EQ(flags, HANDLE_FLAG_INHERIT);
    TL_OK(SetHandleInformation(s, HANDLE_FLAG_INHERIT, 0));
    TL_OK(GetHandleInformation(s, &flags));
    TL_EQ(flags, 0);
    TL_OK(CloseHandle(s));
}

/* ---- fork: the parent's handles are not the child's ----------------------------------------- */

static int forked_child(void *arg)
{
    HANDLE *parent = arg;
    char buf[4];
    DWORD n = 0xdeadbeef;
    /* Handle values from before the fork mean nothing here. */
    TL_FAILS(ReadFile(parent[0], buf, sizeof buf, &n, NULL),
             ERROR_INVALID_HANDLE);
    TL_FAILS(WriteFile(parent[1], "x", 1, &n, NULL), ERROR_INVALID_HANDLE);
    ULONG v;
    TL_FAILS(GetNamedPipeServerProcessId(parent[0], &v), ERROR_INVALID_HANDLE);
    TL_FAILS(CloseHandle(parent[0]), ERROR_INVALID_HANDLE);
    TL_FAILS(CloseHandle(parent[1]), ERROR_INVALID_HANDLE);
    TL_EQ(GetCurrentProcessId(), (DWORD)getpid());
    /* The child makes pipes of its own. */
    const char *name = tl_pipe_name("forked-own");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "child");
    tl_expect_str(s, "child");
    TL_OK(GetNamedPipeServerProcessId(h, &v));
    TL_EQ(v, getpid());
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
    return 0;
}

static void test_handles_after_fork(void **state)
{
    const char *name = tl_pipe_name("forked");
    HANDLE p[2];
    p[0] = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024, 1024);
    p[1] = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(p[1], "before");
    tl_join(tl_spawn(forked_child, p));
    /* The child's attempts did not touch our handles. */
    tl_expect_str(p[0], "before");
    tl_write_str(p[0], "after");
    tl_expect_str(p[1], "after");
    TL_OK(CloseHandle(p[1]));
    TL_OK(CloseHandle(p[0]));
}

/* ---- Last error, process id ----------------------------------------------------------------- */

static void *other_thread_error(void *arg)
{
    DWORD *seen = arg;
    seen[0] = GetLastError(); /* a new thread starts at 0 */
    SetLastError(1234);
    char buf[1];
    DWORD n;
    ReadFile(NULL, buf, 1, &n, NULL); /* sets ERROR_INVALID_HANDLE here */
    seen[1] = GetLastError();
    return NULL;
}

static void test_last_error_is_per_thread(void **state)
{
    SetLastError(4321);
    TL_EQ(GetLastError(), 4321);
    DWORD seen[2] = {0xdeadbeef, 0xdeadbeef};
    tl_thread_join(tl_thread_start(other_thread_error, seen));
    TL_EQ(seen[0], 0);
    TL_EQ(seen[1], ERROR_INVALID_HANDLE);
    TL_EQ(GetLastError(), 4321);
    TL_EQ(GetCurrentProcessId(), (DWORD)getpid());
}

static void test_process_id_to_session_id_args(void **state)
{
    DWORD sid = 0xdeadbeef;
    /* No such process. */
    TL_FAILS(ProcessIdToSessionId(0xfffffff0u, &sid), ERROR_INVALID_PARAMETER);
    /* NULL output. */
    SetLastError(0xdeadbeef);
    TL_ASSERT(!ProcessIdToSessionId(GetCurrentProcessId(), NULL));
    DWORD e = GetLastError();
    TL_ASSERT_MSG(e == ERROR_INVALID_PARAMETER || e == ERROR_NOACCESS,
                  "ProcessIdToSessionId(pid, NULL): error %lu (%s)",
                  (unsigned long)e, tl_errname(e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_bad_handles),
        TL_TEST(test_close_twice),
        TL_TEST(test_create_named_pipe_args),
        TL_TEST(test_create_file_args),
        TL_TEST(test_wait_and_call_args),
        TL_TEST(test_handle_state_args),
        TL_TEST(test_create_pipe),
        TL_TEST(test_duplicate_handle),
        TL_TEST(test_duplicate_handle_options),
        TL_TEST(test_handle_information),
        TL_TEST(test_handles_after_fork),
        TL_TEST(test_last_error_is_per_thread),
        TL_TEST(test_process_id_to_session_id_args),
    };
    return TL_RUN(tests);
}
