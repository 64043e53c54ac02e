/*
 * test_win32_console.c — the standard handles (GetStdHandle, ReadFile and
 * WriteFile on them), WriteConsole, <conio.h>, MessageBox, and CreateFile
 * on local files.
 *
 * Windows behaviour checked (Microsoft Learn: GetStdHandle, SetStdHandle,
 * ReadFile, WriteFile, CreateFile, GetFileSize, SetFilePointer,
 * GetFileType):
 *  - GetStdHandle gives a handle usable with ReadFile/WriteFile, and
 *    INVALID_HANDLE_VALUE with ERROR_INVALID_HANDLE for an unknown id;
 *    SetStdHandle replaces what it returns;
 *  - ReadFile from a pipe whose writers are gone: FALSE with
 *    ERROR_BROKEN_PIPE; at the end of a file: TRUE with 0 bytes;
 *  - WriteFile to a pipe whose reader is gone: ERROR_NO_DATA (and the
 *    process is not killed by SIGPIPE);
 *  - CreateFile's dispositions and errors on files and directories.
 * The tests move descriptors 0 and 1 of this process around, restoring
 * them before checking anything.
 */
#include "testlib.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <npipe/conio.h>

static void test_std_handle_values(void **state)
{
    (void)state;
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    TL_ASSERT(in != NULL && in != INVALID_HANDLE_VALUE);
    TL_ASSERT(out != in && err != out && err != in);
    SetLastError(0);
    TL_ASSERT(GetStdHandle(12345) == INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    DWORD n;
    TL_OK(WriteFile(err, "", 0, &n, NULL));
    TL_EQ(n, 0);
}

/* Runs fn with descriptor `target` replaced by `fd`, then restores it. */
static void with_fd(int target, int fd, void (*fn)(void *), void *arg)
{
    fflush(stdout);
    int saved = dup(target);
    TL_ASSERT(saved >= 0);
    TL_ASSERT(dup2(fd, target) == target);
    fn(arg);
    fflush(stdout);
    TL_ASSERT(dup2(saved, target) == target);
    close(saved);
}

struct io_result {
    BOOL ok[3];
    DWORD err[3];
    DWORD n[3];
    char buf[64];
};

static void write_stdout(void *arg)
{
    struct io_result *r = arg;
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    r->ok[0] = WriteFile(out, "hello, console", 14, &r->n[0], NULL);
    r->err[0] = GetLastError();
    r->ok[1] = WriteConsoleW(out, u" \u00E9", 2, &r->n[1], NULL);
    /* A duplicate writes to the same stream and closes on its own. */
    HANDLE dup = NULL;
    r->ok[2] = DuplicateHandle(GetCurrentProcess(), out, GetCurrentProcess(), &dup, 0, FALSE,
                               DUPLICATE_SAME_ACCESS) &&
               WriteFile(dup, "!", 1, &r->n[2], NULL) && CloseHandle(dup) &&
               !CloseHandle(dup) && GetLastError() == ERROR_INVALID_HANDLE;
}

static void test_write_std_output(void **state)
{
    (void)state;
    int p[2];
    TL_ASSERT(pipe(p) == 0);
    struct io_result r = {0};
    with_fd(1, p[1], write_stdout, &r);
    close(p[1]);
    TL_ASSERT(r.ok[0]);
    TL_EQ(r.n[0], 14);
    TL_ASSERT(r.ok[1]);
    TL_EQ(r.n[1], 2);
    TL_ASSERT(r.ok[2]);
    char buf[64] = {0};
    ssize_t got = read(p[0], buf, sizeof buf - 1);
    TL_EQ(got, 18);
    TL_ASSERT(strcmp(buf, "hello, console \xC3\xA9!") == 0);
    close(p[0]);
}

static void read_stdin(void *arg)
{
    struct io_result *r = arg;
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    SetLastError(0);
    r->ok[0] = ReadFile(in, r->buf, sizeof r->buf, &r->n[0], NULL);
    r->err[0] = GetLastError();
    SetLastError(0);
    r->ok[1] = ReadFile(in, r->buf + 32, 8, &r->n[1], NULL);
    r->err[1] = GetLastError();
}

static void test_read_std_input(void **state)
{
    (void)state;
    int p[2];
    TL_ASSERT(pipe(p) == 0);
    TL_EQ(write(p[1], "input", 5), 5);
    close(p[1]);
    struct io_result r = {0};
    with_fd(0, p[0], read_stdin, &r);
    close(p[0]);
    TL_ASSERT(r.ok[0]);
    TL_EQ(r.n[0], 5);
    TL_MEMEQ(r.buf, "input", 5);
    TL_ASSERT(!r.ok[1]); /* the end of a pipe */
    TL_EQ(r.err[1], ERROR_BROKEN_PIPE);
    TL_EQ(r.n[1], 0);

    int null = open("/dev/null", O_RDONLY);
    memset(&r, 0, sizeof r);
    with_fd(0, null, read_stdin, &r);
    close(null);
    TL_ASSERT(r.ok[0]); /* the end of a file */
    TL_EQ(r.n[0], 0);
}

static void write_to_closed(void *arg)
{
    struct io_result *r = arg;
    SetLastError(0);
    r->ok[0] = WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), "x", 1, &r->n[0], NULL);
    r->err[0] = GetLastError();
}

static void test_write_to_gone_reader(void **state)
{
    (void)state;
    int p[2];
    TL_ASSERT(pipe(p) == 0);
    close(p[0]);
    struct io_result r = {0};
    with_fd(1, p[1], write_to_closed, &r);
    close(p[1]);
    TL_ASSERT(!r.ok[0]);
    TL_EQ(r.err[0], ERROR_NO_DATA);
}

static void test_close_and_set_std_handle(void **state)
{
    (void)state;
    HANDLE err = GetStdHandle(STD_ERROR_HANDLE);
    TL_OK(CloseHandle(err));
    DWORD n;
    TL_FAILS(WriteFile(err, "x", 1, &n, NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(CloseHandle(err), ERROR_INVALID_HANDLE);
    TL_ASSERT(fcntl(2, F_GETFD) >= 0); /* the descriptor itself stays */
    TL_OK(SetStdHandle(STD_ERROR_HANDLE, err)); /* back again */
    TL_OK(WriteFile(err, "", 0, &n, NULL));

    HANDLE r, w;
    TL_OK(CreatePipe(&r, &w, NULL, 0));
    TL_OK(SetStdHandle(STD_OUTPUT_HANDLE, w));
    TL_ASSERT(GetStdHandle(STD_OUTPUT_HANDLE) == w);
    TL_OK(WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), "via pipe", 8, &n, NULL));
    char buf[16];
    TL_OK(ReadFile(r, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 8);
    TL_OK(SetStdHandle(STD_OUTPUT_HANDLE, (HANDLE)(LONG_PTR)-11));
    TL_ASSERT(GetStdHandle(STD_OUTPUT_HANDLE) != w);
    CloseHandle(r);
    CloseHandle(w);
}

static void getch_stdin(void *arg)
{
    struct io_result *r = arg;
    r->n[0] = (DWORD)_getch();
    r->n[1] = (DWORD)_getch();
    r->n[2] = (DWORD)_getch();
}

static void test_conio_and_message_box(void **state)
{
    (void)state;
    int p[2];
    TL_ASSERT(pipe(p) == 0);
    TL_EQ(write(p[1], "yn", 2), 2);
    close(p[1]);
    struct io_result r = {0};
    with_fd(0, p[0], getch_stdin, &r);
    close(p[0]);
    TL_EQ(r.n[0], 'y');
    TL_EQ(r.n[1], 'n');
    TL_EQ((int)r.n[2], EOF);
    TL_EQ(MessageBoxA(NULL, "a message for stderr", "test_win32_console", MB_OK), IDOK);
    TL_EQ(MessageBoxA(NULL, "?", "q", MB_YESNO | MB_DEFBUTTON2), IDNO);
}

static void test_local_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/npipe-localfile-XXXXXX";
    TL_ASSERT(mkdtemp(dir) != NULL);
    /* Local files are opt-in (decision 8): $NPIPE_LOCAL_FILES=1, which
     * tests/CMakeLists.txt sets for this test, and only for it. */
    TL_ASSERT_MSG(getenv("NPIPE_LOCAL_FILES") && strcmp(getenv("NPIPE_LOCAL_FILES"), "1") == 0,
                  "run with NPIPE_LOCAL_FILES=1");
    char path[128], missing_dir[128];
    snprintf(path, sizeof path, "%s/data.txt", dir);
    snprintf(missing_dir, sizeof missing_dir, "%s/nodir/data.txt", dir);

    HANDLE h = CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                           NULL);
    TL_ASSERT(h != INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_SUCCESS);
    DWORD n;
    TL_OK(WriteFile(h, "0123456789", 10, &n, NULL));
    TL_EQ(n, 10);
    TL_OK(FlushFileBuffers(h));
    TL_EQ(GetFileType(h), FILE_TYPE_DISK);
    TL_OK(CloseHandle(h));
    TL_FAILS(CloseHandle(h), ERROR_INVALID_HANDLE);

    TL_HANDLE_FAILS(CreateFileA(path, GENERIC_WRITE, 0, NULL, CREATE_NEW, 0, NULL),
                    ERROR_FILE_EXISTS);
    h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_ALWAYS, 0, NULL);
    TL_ASSERT(h != INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_ALREADY_EXISTS);
    DWORD high = 1;
    TL_EQ(GetFileSize(h, &high), 10);
    TL_EQ(high, 0);
    char buf[16] = {0};
    TL_OK(ReadFile(h, buf, 4, &n, NULL));
    TL_EQ(n, 4);
    TL_MEMEQ(buf, "0123", 4);
    TL_EQ(SetFilePointer(h, 2, NULL, FILE_CURRENT), 6);
    TL_OK(ReadFile(h, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 4);
    TL_MEMEQ(buf, "6789", 4);
    TL_OK(ReadFile(h, buf, sizeof buf, &n, NULL)); /* the end: TRUE, 0 */
    TL_EQ(n, 0);
    OVERLAPPED ov = {0};
    ov.Offset = 3;
    TL_OK(ReadFile(h, buf, 2, &n, &ov));
    TL_EQ(n, 2);
    TL_MEMEQ(buf, "34", 2);
    TL_EQ(ov.Internal, 0);
    TL_EQ(ov.InternalHigh, 2);
    TL_OK(CloseHandle(h));

    TL_HANDLE_FAILS(CreateFileA(missing_dir, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL),
                    ERROR_PATH_NOT_FOUND);
    char missing[140];
    snprintf(missing, sizeof missing, "%s/none.txt", dir);
    TL_HANDLE_FAILS(CreateFileA(missing, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL),
                    ERROR_FILE_NOT_FOUND);
    TL_HANDLE_FAILS(CreateFileA(dir, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL),
                    ERROR_ACCESS_DENIED);
    h = CreateFileA(dir, GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS,
                    NULL);
    TL_ASSERT(h != INVALID_HANDLE_VALUE);
    CloseHandle(h);
    h = CreateFileW(tl_wide(path), GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0,
                    NULL);
    TL_ASSERT(h != INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_ALREADY_EXISTS);
    TL_EQ(GetFileSize(h, NULL), 0); /* truncated */
    CloseHandle(h);

    h = CreateFileA("NUL", GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    TL_ASSERT(h != INVALID_HANDLE_VALUE);
    TL_OK(WriteFile(h, "gone", 4, &n, NULL));
    TL_EQ(GetFileType(h), FILE_TYPE_CHAR);
    CloseHandle(h);

    /* Pipe handles still go to the broker. */
    HANDLE r, w;
    TL_OK(CreatePipe(&r, &w, NULL, 0));
    TL_EQ(GetFileType(r), FILE_TYPE_PIPE);
    CloseHandle(r);
    CloseHandle(w);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_std_handle_values),
        TL_TEST(test_write_std_output),
        TL_TEST(test_read_std_input),
        TL_TEST(test_write_to_gone_reader),
        TL_TEST(test_close_and_set_std_handle),
        TL_TEST(test_conio_and_message_box),
        TL_TEST(test_local_files),
    };
    return TL_RUN(tests);
}
