/*
 * test_win32_process.c — CreateProcess with pipe handles as a plain Linux
 * child's standard streams, process handles, exit codes, termination.
 *
 * Windows behaviour checked (Microsoft Learn: CreateProcess, STARTUPINFO,
 * GetExitCodeProcess, TerminateProcess, "Creating a Child Process with
 * Redirected Input and Output"):
 *  - with STARTF_USESTDHANDLES and bInheritHandles, the child's standard
 *    streams are the given (inheritable) handles; the parent closes its
 *    copies of the child's ends and reads until ERROR_BROKEN_PIPE;
 *  - hProcess (and hThread) are signaled when the child ends;
 *    GetExitCodeProcess gives STILL_ACTIVE before and the exit code after;
 *  - TerminateProcess ends the child with the given code; terminating a
 *    process that has ended fails with ERROR_ACCESS_DENIED;
 *  - a program that does not exist: ERROR_FILE_NOT_FOUND;
 *  - the command line is split by the C runtime's quoting rules;
 *  - lpEnvironment and lpCurrentDirectory apply to the child.
 * npipe-specific (docs/porting.md): a handle that is not inheritable, or
 * bInheritHandles FALSE, leaves the child's stream empty (/dev/null); the
 * process handle is signaled only after the child's output has been passed
 * on, so reading after the wait finds all of it.
 */
#include "testlib.h"

#include <stdlib.h>
#include <unistd.h>

static SECURITY_ATTRIBUTES inherit_sa = {sizeof(SECURITY_ATTRIBUTES), NULL, TRUE};

/* Reads h until the pipe breaks; returns a malloc'd NUL-terminated string. */
static char *read_all(HANDLE h)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        DWORD n = 0;
        if (len + 1024 + 1 > cap)
            buf = realloc(buf, cap *= 2);
        BOOL ok = ReadFile(h, buf + len, 1024, &n, NULL);
        len += n;
        if (!ok) {
            TL_EQ(GetLastError(), ERROR_BROKEN_PIPE);
            break;
        }
    }
    buf[len] = 0;
    return buf;
}

static BOOL run(const char *cmd, HANDLE in, HANDLE out, HANDLE err, BOOL inherit,
                PROCESS_INFORMATION *pi)
{
    STARTUPINFOA si;
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in;
    si.hStdOutput = out;
    si.hStdError = err;
    char *line = strdup(cmd);
    BOOL ok = CreateProcessA(NULL, line, NULL, NULL, inherit, 0, NULL, NULL, &si, pi);
    free(line);
    return ok;
}

static void test_exit_code(void **state)
{
    (void)state;
    PROCESS_INFORMATION pi;
    TL_OK(run("/bin/sh -c \"sleep 0.2; exit 3\"", NULL, NULL, NULL, FALSE, &pi));
    TL_NE(pi.dwProcessId, 0);
    TL_EQ(pi.dwThreadId, pi.dwProcessId);
    TL_EQ(GetProcessId(pi.hProcess), pi.dwProcessId);
    DWORD code = 0;
    TL_OK(GetExitCodeProcess(pi.hProcess, &code));
    TL_EQ(code, STILL_ACTIVE);
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    TL_OK(GetExitCodeProcess(pi.hProcess, &code));
    TL_EQ(code, 3);
    TL_EQ(WaitForSingleObject(pi.hThread, 0), WAIT_OBJECT_0);
    TL_OK(GetExitCodeThread(pi.hThread, &code));
    TL_EQ(code, 3);
    TL_OK(CloseHandle(pi.hProcess));
    TL_OK(CloseHandle(pi.hThread));
    TL_FAILS(GetExitCodeProcess(pi.hProcess, &code), ERROR_INVALID_HANDLE);
}

static void test_cat_through_pipes(void **state)
{
    (void)state;
    HANDLE in_rd, in_wr, out_rd, out_wr;
    TL_OK(CreatePipe(&in_rd, &in_wr, &inherit_sa, 0));
    TL_OK(CreatePipe(&out_rd, &out_wr, &inherit_sa, 0));
    /* The parent's ends must not be inherited (Microsoft's sample does
     * the same). */
    TL_OK(SetHandleInformation(in_wr, HANDLE_FLAG_INHERIT, 0));
    TL_OK(SetHandleInformation(out_rd, HANDLE_FLAG_INHERIT, 0));
    PROCESS_INFORMATION pi;
    TL_OK(run("cat", in_rd, out_wr, out_wr, TRUE, &pi));
    TL_OK(CloseHandle(in_rd));
    TL_OK(CloseHandle(out_wr));
    static char big[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    tl_write(in_wr, big, sizeof big);
    TL_OK(CloseHandle(in_wr)); /* cat sees the end of its input */
    char *got = read_all(out_rd);
    TL_EQ(strlen(got), sizeof big);
    TL_MEMEQ(got, big, sizeof big);
    free(got);
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    DWORD code = 99;
    TL_OK(GetExitCodeProcess(pi.hProcess, &code));
    TL_EQ(code, 0);
    CloseHandle(out_rd);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static void test_stdout_and_stderr_share(void **state)
{
    (void)state;
    HANDLE out_rd, out_wr;
    TL_OK(CreatePipe(&out_rd, &out_wr, &inherit_sa, 0));
    TL_OK(SetHandleInformation(out_rd, HANDLE_FLAG_INHERIT, 0));
    PROCESS_INFORMATION pi;
    TL_OK(run("/bin/sh -c \"echo one; echo two >&2; echo three\"", NULL, out_wr, out_wr,
              TRUE, &pi));
    TL_OK(CloseHandle(out_wr));
    char *got = read_all(out_rd);
    TL_ASSERT_MSG(strcmp(got, "one\ntwo\nthree\n") == 0, "got [%s]", got);
    free(got);
    WaitForSingleObject(pi.hProcess, 10000);
    CloseHandle(out_rd);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static void test_not_inherited(void **state)
{
    (void)state;
    HANDLE out_rd, out_wr;
    TL_OK(CreatePipe(&out_rd, &out_wr, NULL, 0)); /* not inheritable */
    PROCESS_INFORMATION pi;
    TL_OK(run("/bin/sh -c \"echo lost\"", NULL, out_wr, out_wr, TRUE, &pi));
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    TL_OK(CloseHandle(out_wr));
    char *got = read_all(out_rd);
    TL_EQ(strlen(got), 0);
    free(got);
    CloseHandle(out_rd);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static void test_output_complete_at_exit(void **state)
{
    (void)state;
    HANDLE out_rd, out_wr;
    TL_OK(CreatePipe(&out_rd, &out_wr, &inherit_sa, 16384));
    TL_OK(SetHandleInformation(out_rd, HANDLE_FLAG_INHERIT, 0));
    PROCESS_INFORMATION pi;
    TL_OK(run("/bin/sh -c \"head -c 3000 /dev/zero\"", NULL, out_wr, NULL, TRUE, &pi));
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    DWORD avail = 0;
    TL_OK(PeekNamedPipe(out_rd, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 3000);
    CloseHandle(out_wr);
    CloseHandle(out_rd);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static void test_terminate(void **state)
{
    (void)state;
    PROCESS_INFORMATION pi;
    TL_OK(run("sleep 30", NULL, NULL, NULL, FALSE, &pi));
    uint64_t t0 = tl_now_ms();
    TL_EQ(WaitForSingleObject(pi.hProcess, 100), WAIT_TIMEOUT);
    TL_OK(TerminateProcess(pi.hProcess, 42));
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    TL_ASSERT(tl_now_ms() - t0 < 5000);
    DWORD code;
    TL_OK(GetExitCodeProcess(pi.hProcess, &code));
    TL_EQ(code, 42);
    TL_FAILS(TerminateProcess(pi.hProcess, 1), ERROR_ACCESS_DENIED);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static void test_bad_program(void **state)
{
    (void)state;
    PROCESS_INFORMATION pi;
    SetLastError(0);
    TL_ASSERT(!run("/nonexistent/program arg", NULL, NULL, NULL, FALSE, &pi));
    TL_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
    TL_ASSERT(!run("no-such-program-npipe", NULL, NULL, NULL, FALSE, &pi));
    TL_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
    /* Windows programs say ".exe": it is tried without. */
    TL_OK(run("true.exe", NULL, NULL, NULL, FALSE, &pi));
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static char *output_of(const char *cmd, void *env, const char *cwd)
{
    HANDLE out_rd, out_wr;
    TL_OK(CreatePipe(&out_rd, &out_wr, &inherit_sa, 0));
    TL_OK(SetHandleInformation(out_rd, HANDLE_FLAG_INHERIT, 0));
    STARTUPINFOA si = {.cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES,
                       .hStdOutput = out_wr};
    PROCESS_INFORMATION pi;
    char *line = strdup(cmd);
    TL_OK(CreateProcessA(NULL, line, NULL, NULL, TRUE, 0, env, cwd, &si, &pi));
    free(line);
    TL_OK(CloseHandle(out_wr));
    char *got = read_all(out_rd);
    WaitForSingleObject(pi.hProcess, 10000);
    CloseHandle(out_rd);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return got;
}

static void test_command_line_and_environment(void **state)
{
    (void)state;
    /* sh -c SCRIPT NAME ARGS...: the script prints each argument in [] */
    char *got = output_of("/bin/sh -c \"for a in \\\"$@\\\"; do printf '[%s]' \\\"$a\\\"; "
                          "done\" name plain \"two words\" back\\\\slash "
                          "quote\\\"d a\\\\\\\"b \"x\"\"y\"",
                          NULL, NULL);
    TL_ASSERT_MSG(strcmp(got, "[plain][two words][back\\\\slash][quote\"d][a\\\"b][x\"y]") == 0,
                  "got [%s]", got);
    free(got);
    char env[] = "FOO=bar baz\0OTHER=1\0";
    got = output_of("/bin/sh -c \"echo $FOO; pwd\"", env, "/tmp");
    TL_ASSERT_MSG(strcmp(got, "bar baz\n/tmp\n") == 0, "got [%s]", got);
    free(got);
    WCHAR wenv[] = u"W=\u00E9\0";
    HANDLE out_rd, out_wr;
    TL_OK(CreatePipe(&out_rd, &out_wr, &inherit_sa, 0));
    STARTUPINFOW si = {.cb = sizeof si, .dwFlags = STARTF_USESTDHANDLES, .hStdOutput = out_wr};
    PROCESS_INFORMATION pi;
    WCHAR cmd[] = u"/bin/sh -c \"echo $W\"";
    TL_OK(CreateProcessW(NULL, cmd, NULL, NULL, TRUE, CREATE_UNICODE_ENVIRONMENT, wenv, NULL,
                         &si, &pi));
    TL_OK(CloseHandle(out_wr));
    got = read_all(out_rd);
    TL_ASSERT_MSG(strcmp(got, "\xC3\xA9\n") == 0, "got [%s]", got);
    free(got);
    WaitForSingleObject(pi.hProcess, 10000);
    CloseHandle(out_rd);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static void test_named_pipe_as_stdout(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("stdout");
    HANDLE s = tl_server(name, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE, 1, 4096, 4096);
    HANDLE c = CreateFileA(name, GENERIC_WRITE, 0, &inherit_sa, OPEN_EXISTING, 0, NULL);
    TL_ASSERT(c != INVALID_HANDLE_VALUE);
    tl_connect(s);
    PROCESS_INFORMATION pi;
    TL_OK(run("/bin/echo through a named pipe", NULL, c, NULL, TRUE, &pi));
    TL_OK(CloseHandle(c));
    char *got = read_all(s);
    TL_ASSERT_MSG(strcmp(got, "through a named pipe\n") == 0, "got [%s]", got);
    free(got);
    WaitForSingleObject(pi.hProcess, 10000);
    CloseHandle(s);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static void test_command_line_of_self(void **state)
{
    (void)state;
    LPSTR line = GetCommandLineA();
    TL_ASSERT(line != NULL);
    TL_ASSERT(strstr(line, "test_win32_process") != NULL);
    TL_ASSERT(GetCommandLineW() != NULL);
}

/* ---- Handle inheritance -------------------------------------------------------------- */

static char g_self[4096];

/* The child side, in this same program run as
 *   test_win32_process --inherit-child EXPECT EVENT PIPE OTHER
 * EXPECT is 1 when it should have inherited EVENT and PIPE, 0 when not;
 * OTHER was never inheritable. */
static int inherit_child(char **argv)
{
    int expect = atoi(argv[2]);
    HANDLE event = (HANDLE)(uintptr_t)strtoull(argv[3], NULL, 0);
    HANDLE pipe = (HANDLE)(uintptr_t)strtoull(argv[4], NULL, 0);
    HANDLE other = (HANDLE)(uintptr_t)strtoull(argv[5], NULL, 0);
    DWORD flags = 0, n = 0;
    if (!expect) {
        if (SetEvent(event) || GetLastError() != ERROR_INVALID_HANDLE)
            return 20;
        if (WriteFile(pipe, "x", 1, &n, NULL) || GetLastError() != ERROR_INVALID_HANDLE)
            return 21;
        return 0;
    }
    if (!SetEvent(event))
        return 10;
    if (!GetHandleInformation(pipe, &flags) || !(flags & HANDLE_FLAG_INHERIT))
        return 11;
    if (!WriteFile(pipe, "inherited", 10, &n, NULL) || n != 10)
        return 12;
    if (GetHandleInformation(other, &flags) || GetLastError() != ERROR_INVALID_HANDLE)
        return 13;
    /* New handles of the child do not clash with the inherited values. */
    HANDLE mine = CreateEventA(NULL, TRUE, FALSE, NULL);
    if (!mine || mine == event || mine == pipe)
        return 14;
    return 0;
}

static void run_inherit_child(BOOL inherit, int expect)
{
    const char *name = tl_pipe_name("inherit");
    HANDLE s = tl_server(name, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE, 1, 4096, 4096);
    HANDLE c = CreateFileA(name, GENERIC_WRITE, 0, &inherit_sa, OPEN_EXISTING, 0, NULL);
    TL_ASSERT(c != INVALID_HANDLE_VALUE);
    tl_connect(s);
    HANDLE event = CreateEventA(&inherit_sa, TRUE, FALSE, NULL);
    HANDLE other = CreateEventA(NULL, TRUE, FALSE, NULL);
    TL_ASSERT(event && other);
    char cmd[4600];
    snprintf(cmd, sizeof cmd, "\"%s\" --inherit-child %d %p %p %p", g_self, expect, event,
             c, other);
    STARTUPINFOA si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    TL_OK(CreateProcessA(NULL, cmd, NULL, NULL, inherit, 0, NULL, NULL, &si, &pi));
    TL_OK(CloseHandle(c)); /* the child's copy keeps the client end open */
    if (expect) {
        char buf[16] = {0};
        tl_read_exact(s, buf, 10);
        TL_ASSERT(strcmp(buf, "inherited") == 0);
        TL_EQ(WaitForSingleObject(event, 10000), WAIT_OBJECT_0);
    }
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    DWORD code = 99;
    TL_OK(GetExitCodeProcess(pi.hProcess, &code));
    TL_EQ(code, 0);
    /* The child has gone, and with it its copy of the client end. */
    char b;
    DWORD n;
    TL_FAILS(ReadFile(s, &b, 1, &n, NULL), ERROR_BROKEN_PIPE);
    CloseHandle(s);
    CloseHandle(event);
    CloseHandle(other);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

static void test_npipe_child_inherits_handles(void **state)
{
    (void)state;
    run_inherit_child(TRUE, 1);
}

static void test_no_inheritance_without_flag(void **state)
{
    (void)state;
    run_inherit_child(FALSE, 0);
}

/* A plain Linux child holds what it inherited until it exits, as a
 * Windows child would: the pipe breaks only then. */
static void test_plain_child_holds_inherited_handles(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("holds");
    HANDLE s = tl_server(name, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE, 1, 4096, 4096);
    HANDLE c = CreateFileA(name, GENERIC_WRITE, 0, &inherit_sa, OPEN_EXISTING, 0, NULL);
    TL_ASSERT(c != INVALID_HANDLE_VALUE);
    tl_connect(s);
    PROCESS_INFORMATION pi;
    uint64_t t0 = tl_now_ms();
    TL_OK(run("sleep 0.4", NULL, NULL, NULL, TRUE, &pi));
    TL_OK(CloseHandle(c));
    char b;
    DWORD n;
    TL_FAILS(ReadFile(s, &b, 1, &n, NULL), ERROR_BROKEN_PIPE);
    TL_ASSERT_MSG(tl_now_ms() - t0 >= 350, "the pipe broke after %llu ms",
                  (unsigned long long)(tl_now_ms() - t0));
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    CloseHandle(s);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

/* A child that exits without reading: the parent's writes fail, and the
 * parent is not killed by SIGPIPE on the way. */
static void test_child_ignores_its_input(void **state)
{
    (void)state;
    HANDLE in_rd, in_wr;
    TL_OK(CreatePipe(&in_rd, &in_wr, &inherit_sa, 0));
    TL_OK(SetHandleInformation(in_wr, HANDLE_FLAG_INHERIT, 0));
    PROCESS_INFORMATION pi;
    TL_OK(run("/bin/true", in_rd, NULL, NULL, TRUE, &pi));
    TL_OK(CloseHandle(in_rd));
    TL_EQ(WaitForSingleObject(pi.hProcess, 10000), WAIT_OBJECT_0);
    static char chunk[8192];
    DWORD n;
    BOOL ok = TRUE;
    for (int i = 0; i < 64 && ok; i++)
        ok = WriteFile(in_wr, chunk, sizeof chunk, &n, NULL);
    TL_ASSERT(!ok);
    TL_ASSERT_MSG(GetLastError() == ERROR_NO_DATA || GetLastError() == ERROR_BROKEN_PIPE,
                  "error %lu", (unsigned long)GetLastError());
    CloseHandle(in_wr);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
}

int main(int argc, char **argv)
{
    if (argc >= 6 && strcmp(argv[1], "--inherit-child") == 0)
        return inherit_child(argv);
    ssize_t len = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
    g_self[len > 0 ? len : 0] = 0;
    const struct CMUnitTest tests[] = {
        TL_TEST(test_exit_code),
        TL_TEST(test_cat_through_pipes),
        TL_TEST(test_stdout_and_stderr_share),
        TL_TEST(test_not_inherited),
        TL_TEST(test_output_complete_at_exit),
        TL_TEST(test_terminate),
        TL_TEST(test_bad_program),
        TL_TEST(test_command_line_and_environment),
        TL_TEST(test_named_pipe_as_stdout),
        TL_TEST(test_command_line_of_self),
        TL_TEST(test_npipe_child_inherits_handles),
        TL_TEST(test_no_inheritance_without_flag),
        TL_TEST(test_plain_child_holds_inherited_handles),
        TL_TEST(test_child_ignores_its_input),
    };
    return TL_RUN(tests);
}
