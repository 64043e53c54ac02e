/*
 * test_pipe_names.c — the \\.\pipe\ namespace.
 *
 * Windows behaviour checked here (Microsoft Learn, "Pipe Names" and
 * CreateNamedPipe: names are case-insensitive, the whole string is at most
 * 256 characters; \\.\pipe\LOCAL\ outside an app container is an ordinary
 * name; Wine's dlls/kernel32/tests/pipe.c, run on Windows: odd characters
 * such as <>*?|"/ are allowed, "not a named pipe" gives ERROR_INVALID_NAME;
 * DESIGN.md: names are literal and a trailing backslash is significant):
 *  - names differ only in case name the same pipe, prefix included;
 *  - "X" and "X\" are two pipes;
 *  - \\.\pipe\LOCAL\X is the global name "LOCAL\X", visible to every
 *    process, and not an alias of X;
 *  - a 256-character name works everywhere, 257 characters are refused;
 *  - CreateNamedPipe outside \\.\pipe\ is ERROR_INVALID_NAME, CreateFile on
 *    something that is not a pipe fails as for a missing file and never opens
 *    a Linux file.
 */
#include "testlib.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

struct ctx {
    const char *name;
    const char *other;
    tl_rdv r;
};

static void to_case(char *dst, const char *src, int upper)
{
    /* Change the case of everything, the "\\.\pipe\" prefix included. */
    for (; *src; src++, dst++)
        *dst = (char)(upper ? toupper((unsigned char)*src)
                            : tolower((unsigned char)*src));
    *dst = 0;
}

/* ---- Case ------------------------------------------------------------------ */

static int case_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->other, GENERIC_READ | GENERIC_WRITE);
    tl_expect_str(h, "same pipe");
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_names_are_case_insensitive(void **state)
{
    char mixed[300], lower[300], upper[300];
    snprintf(mixed, sizeof mixed, "\\\\.\\PiPe\\NPipe-Test-CaseTest-%d",
             (int)getpid());
    to_case(lower, mixed, 0);
    to_case(upper, mixed, 1);
    HANDLE s = tl_server(mixed, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    /* The same pipe under another case: no first instance, no room. */
    TL_HANDLE_FAILS(CreateNamedPipeA(upper,
                                     PIPE_ACCESS_DUPLEX |
                                         FILE_FLAG_FIRST_PIPE_INSTANCE,
                                     PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateNamedPipeA(lower, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                     1, 1024, 1024, 0, NULL),
                    ERROR_PIPE_BUSY);
    TL_OK(WaitNamedPipeA(upper, 1));
    struct ctx c = {.name = mixed, .other = lower};
    pid_t pid = tl_spawn(case_client, &c);
    tl_connect(s);
    tl_write_str(s, "same pipe");
    tl_join(pid);
    TL_OK(CloseHandle(s));
}

/* ---- A trailing backslash makes another name --------------------------------- */

static void test_trailing_backslash_is_significant(void **state)
{
    char plain[300], slash[310];
    snprintf(plain, sizeof plain, "%s", tl_pipe_name("trail"));
    snprintf(slash, sizeof slash, "%s\\", plain);

    /* Only "name\" exists: "name" does not. */
    HANDLE s2 = TL_HANDLE(CreateNamedPipeA(
        slash, PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
        PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL));
    TL_HANDLE_FAILS(CreateFileA(plain, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_FILE_NOT_FOUND);
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WaitNamedPipeA(plain, 1));
    TL_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);

    /* Both may exist side by side, each a first instance of its own. */
    HANDLE s1 = TL_HANDLE(CreateNamedPipeA(
        plain, PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
        PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL));
    HANDLE h2 = tl_client(slash, GENERIC_READ | GENERIC_WRITE);
    HANDLE h1 = tl_client(plain, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(s1, "plain");
    tl_write_str(s2, "slash");
    tl_expect_str(h1, "plain");
    tl_expect_str(h2, "slash");
    TL_OK(CloseHandle(h1));
    TL_OK(CloseHandle(h2));
    TL_OK(CloseHandle(s2));
    TL_OK(CloseHandle(s1));

    /* Only "name" exists: "name\" is not it (Windows' own npfs says "not
     * found" or "invalid name" for a path below a pipe). */
    s1 = tl_server(plain, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024, 1024);
    SetLastError(0xdeadbeef);
    HANDLE h = CreateFileA(slash, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                           OPEN_EXISTING, 0, NULL);
    DWORD e = GetLastError();
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    TL_ASSERT_MSG(h == INVALID_HANDLE_VALUE &&
                      (e == ERROR_FILE_NOT_FOUND || e == ERROR_INVALID_NAME),
                  "opening \"name\\\" when only \"name\" exists: %s, error %lu "
                  "(%s)",
                  h == INVALID_HANDLE_VALUE ? "failed" : "succeeded",
                  (unsigned long)e, tl_errname(e));
    TL_OK(CloseHandle(s1));
}

/* ---- A backslash inside the name, and LOCAL\ --------------------------------- */

static int local_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->other, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "local hello");
    tl_expect_str(h, "local reply");
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_local_prefix_is_a_plain_name(void **state)
{
    char base[200], local[300], local_lc[300], global[300];
    snprintf(base, sizeof base, "npipe-test-local-%d", (int)getpid());
    snprintf(local, sizeof local, "\\\\.\\pipe\\LOCAL\\%s", base);
    snprintf(local_lc, sizeof local_lc, "\\\\.\\pipe\\local\\%s", base);
    snprintf(global, sizeof global, "\\\\.\\pipe\\%s", base);

    HANDLE s = tl_server(local, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    /* Not an alias of the name without LOCAL\ ... */
    TL_HANDLE_FAILS(CreateFileA(global, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_FILE_NOT_FOUND);
    /* ...but one name that every process sees (another process opens it, in
     * another case). */
    struct ctx c = {.name = local, .other = local_lc};
    pid_t pid = tl_spawn(local_client, &c);
    tl_connect(s);
    tl_expect_str(s, "local hello");
    tl_write_str(s, "local reply");
    tl_join(pid);
    TL_OK(CloseHandle(s));

    /* Other backslashes inside a name work the same way. */
    char deep[300];
    snprintf(deep, sizeof deep, "%s\\a\\b\\c", tl_pipe_name("deep"));
    s = tl_server(deep, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024, 1024);
    HANDLE h = tl_client(deep, GENERIC_READ | GENERIC_WRITE);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- Length ------------------------------------------------------------------- */

static void make_name(char *buf, size_t total, char fill)
{
    /* "\\.\pipe\" + fill characters, total characters in all. */
    strcpy(buf, "\\\\.\\pipe\\");
    size_t n = strlen(buf);
    snprintf(buf + n, 32, "npipe-test-%d-", (int)getpid());
    n = strlen(buf);
    while (n < total)
        buf[n++] = fill;
    buf[n] = 0;
}

static void test_name_length_limit(void **state)
{
    char ok_name[400], long_name[400];
    make_name(ok_name, 256, 'a');
    make_name(long_name, 257, 'b');
    TL_EQ(strlen(ok_name), 256);
    TL_EQ(strlen(long_name), 257);

    /* 256 characters: fine, with every function that takes a name. */
    HANDLE s = tl_server(ok_name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    TL_OK(WaitNamedPipeA(ok_name, 1));
    HANDLE h = tl_client(ok_name, GENERIC_READ | GENERIC_WRITE);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
    s = TL_HANDLE(CreateNamedPipeW(tl_wide(ok_name), PIPE_ACCESS_DUPLEX,
                                   PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL));
    TL_OK(CloseHandle(s));

    /* 257: refused. */
    SetLastError(0xdeadbeef);
    s = CreateNamedPipeA(long_name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1,
                         1024, 1024, 0, NULL);
    DWORD e = GetLastError();
    if (s != INVALID_HANDLE_VALUE)
        CloseHandle(s);
    TL_ASSERT_MSG(s == INVALID_HANDLE_VALUE &&
                      (e == ERROR_FILENAME_EXCED_RANGE ||
                       e == ERROR_INVALID_NAME),
                  "CreateNamedPipe with a 257-character name: %s, error %lu "
                  "(%s); expected ERROR_FILENAME_EXCED_RANGE or "
                  "ERROR_INVALID_NAME",
                  s == INVALID_HANDLE_VALUE ? "failed" : "succeeded",
                  (unsigned long)e, tl_errname(e));
    SetLastError(0xdeadbeef);
    s = CreateNamedPipeW(tl_wide(long_name), PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL);
    DWORD ew = GetLastError();
    if (s != INVALID_HANDLE_VALUE)
        CloseHandle(s);
    TL_ASSERT(s == INVALID_HANDLE_VALUE);
    TL_EQ(ew, e); /* A and W agree */

    SetLastError(0xdeadbeef);
    h = CreateFileA(long_name, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    e = GetLastError();
    if (h != INVALID_HANDLE_VALUE)
        CloseHandle(h);
    TL_ASSERT_MSG(h == INVALID_HANDLE_VALUE &&
                      (e == ERROR_FILENAME_EXCED_RANGE ||
                       e == ERROR_INVALID_NAME || e == ERROR_FILE_NOT_FOUND),
                  "CreateFile with a 257-character pipe name: error %lu (%s)",
                  (unsigned long)e, tl_errname(e));
    SetLastError(0xdeadbeef);
    TL_ASSERT(!WaitNamedPipeA(long_name, 1));
    e = GetLastError();
    TL_ASSERT_MSG(e == ERROR_FILENAME_EXCED_RANGE || e == ERROR_INVALID_NAME ||
                      e == ERROR_FILE_NOT_FOUND || e == ERROR_BAD_PATHNAME,
                  "WaitNamedPipe with a 257-character name: error %lu (%s)",
                  (unsigned long)e, tl_errname(e));
}

/* ---- Odd characters, wide names ------------------------------------------------ */

static void test_odd_characters(void **state)
{
    char name[300];
    snprintf(name, sizeof name, "\\\\.\\pipe\\npipe-test-a<>*?|\"/b:%%-%d",
             (int)getpid());
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "odd");
    tl_expect_str(s, "odd");
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

static int wide_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = TL_HANDLE(CreateFileW(tl_wide(c->name), GENERIC_READ |
                                     GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
                                     NULL));
    tl_expect_str(h, "wide");
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_wide_names(void **state)
{
    /* A name with non-ASCII characters (é, ∑), created and opened through the
     * W functions in two processes. */
    char name[300];
    snprintf(name, sizeof name,
             "\\\\.\\pipe\\npipe-test-caf\xc3\xa9-\xe2\x88\x91-%d",
             (int)getpid());
    HANDLE s = TL_HANDLE(CreateNamedPipeW(tl_wide(name), PIPE_ACCESS_DUPLEX,
                                          PIPE_TYPE_BYTE, 1, 1024, 1024, 0,
                                          NULL));
    TL_OK(WaitNamedPipeW(tl_wide(name), 1));
    struct ctx c = {.name = name};
    pid_t pid = tl_spawn(wide_client, &c);
    tl_connect(s);
    tl_write_str(s, "wide");
    tl_join(pid);
    TL_OK(CloseHandle(s));

    /* An ASCII name made with W is the same as with A. */
    const char *ascii = tl_pipe_name("wide-ascii");
    s = TL_HANDLE(CreateNamedPipeW(tl_wide(ascii), PIPE_ACCESS_DUPLEX,
                                   PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL));
    HANDLE h = tl_client(ascii, GENERIC_READ | GENERIC_WRITE);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- Names that are not pipes --------------------------------------------------- */

static void test_not_a_pipe_name(void **state)
{
    /* Windows: a name outside \\.\pipe\ is ERROR_INVALID_NAME for
     * CreateNamedPipe (a relative path names a disk file). */
    TL_HANDLE_FAILS(CreateNamedPipeA("not a named pipe", PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL),
                    ERROR_INVALID_NAME);
    TL_HANDLE_FAILS(CreateNamedPipeW(u"not a named pipe", PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE, 1, 1024, 1024, 0, NULL),
                    ERROR_INVALID_NAME);
    TL_HANDLE_FAILS(CreateNamedPipeA("/tmp/npipe-test-not-a-pipe",
                                     PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1,
                                     1024, 1024, 0, NULL),
                    ERROR_INVALID_NAME);

    /* CreateFile on anything but a pipe fails as for a path that does not
     * exist; above all it never opens a Linux file. */
    static const char *const paths[] = {
        "/etc/passwd",
        "/tmp",
        "C:\\Windows\\win.ini",
        "npipe-no-such-file.txt",
        "\\\\.\\notapipe\\x",
        "\\\\server\\share\\file",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        SetLastError(0xdeadbeef);
        HANDLE h = CreateFileA(paths[i], GENERIC_READ, FILE_SHARE_READ, NULL,
                               OPEN_EXISTING, 0, NULL);
        DWORD e = GetLastError();
        if (h != INVALID_HANDLE_VALUE)
            CloseHandle(h);
        TL_ASSERT_MSG(h == INVALID_HANDLE_VALUE &&
                          (e == ERROR_FILE_NOT_FOUND ||
                           e == ERROR_PATH_NOT_FOUND ||
                           e == ERROR_BAD_NETPATH),
                      "CreateFileA(\"%s\"): %s, error %lu (%s); expected "
                      "ERROR_FILE_NOT_FOUND or ERROR_PATH_NOT_FOUND",
                      paths[i],
                      h == INVALID_HANDLE_VALUE ? "failed" : "opened it",
                      (unsigned long)e, tl_errname(e));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_names_are_case_insensitive),
        TL_TEST(test_trailing_backslash_is_significant),
        TL_TEST(test_local_prefix_is_a_plain_name),
        TL_TEST(test_name_length_limit),
        TL_TEST(test_odd_characters),
        TL_TEST(test_wide_names),
        TL_TEST(test_not_a_pipe_name),
    };
    return TL_RUN(tests);
}
