/*
 * console.c — the library's own handles, which never reach the broker:
 * the standard handles (GetStdHandle, SetStdHandle), ReadFile / WriteFile
 * on them, WriteConsole / ReadConsole, MessageBox, and <conio.h>'s _getch
 * and friends.  localfile.c adds handles of local files to the same table.
 *
 * Standard handles.  GetStdHandle(STD_INPUT_HANDLE) and its two siblings
 * return pseudo-handles — (HANDLE)-10, -11 and -12, the values of the
 * STD_* constants — that stand for the process's file descriptors 0, 1 and
 * 2, whatever they are: a terminal, a file, a Linux pipe.  ReadFile and
 * WriteFile on them read and write the descriptor, so a program's console
 * output and a parent's pipes (CreateProcess connects a child's 0, 1 and 2
 * to the pipe handles of its STARTUPINFO) work the same way.  SetStdHandle
 * replaces what GetStdHandle returns (a pipe handle, say); it does not
 * move the descriptor.
 *
 * Windows' rules kept:
 *   - GetStdHandle returns NULL when the process has no such stream (the
 *     descriptor is closed) and INVALID_HANDLE_VALUE with
 *     ERROR_INVALID_HANDLE for another nStdHandle;
 *   - ReadFile at the end of a file or terminal input succeeds with 0
 *     bytes; at the end of a pipe (its writers are gone) it fails with
 *     ERROR_BROKEN_PIPE, as reading an anonymous pipe does on Windows;
 *   - WriteFile writes everything or fails; writing to a pipe whose reader
 *     has gone fails with ERROR_NO_DATA and never raises SIGPIPE;
 *   - an OVERLAPPED is accepted as with any handle opened without
 *     FILE_FLAG_OVERLAPPED: the call completes, then Internal,
 *     InternalHigh and the event are set.
 * Closing a standard pseudo-handle succeeds and makes it invalid for
 * ReadFile and WriteFile (as closing the real console handle does on
 * Windows), but leaves the descriptor open: stdio's printf keeps working
 * and the number cannot be reused behind the C library's back.
 */
#include "win32/internal.h"
#include "win32/objects.h"
#include "win32/textutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <npipe/conio.h>

/* ---- The table -------------------------------------------------------------------
 *
 * Local handles have values below 2^24 with the bits from 2^22 up set: the
 * broker's handles all carry an epoch of 1 or more in bits 24..30, so the
 * two never meet.  Slot i has the value LOCAL_BASE + 4 * (i + 1). */

#define LOCAL_BASE 0x00C00000u
#define LOCAL_SLOTS 4096u

struct local {
    int fd; /* -1: free */
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct local g_local[LOCAL_SLOTS];
static bool g_local_init;

/* The standard pseudo-handles, their closed flags, SetStdHandle's values. */
static HANDLE std_pseudo(int slot) { return (HANDLE)(LONG_PTR)(-10 - slot); }
static _Atomic bool g_std_closed[3];
static HANDLE g_std_override[3];

static int std_slot_of(HANDLE h)
{
    LONG_PTR v = (LONG_PTR)h;
    return v <= -10 && v >= -12 ? (int)(-10 - v) : -1;
}

static int local_index(HANDLE h)
{
    uintptr_t v = (uintptr_t)h & ~(uintptr_t)3;
    if (v <= LOCAL_BASE || v >= LOCAL_BASE + 4u * (LOCAL_SLOTS + 1))
        return -1;
    return (int)((v - LOCAL_BASE) / 4u) - 1;
}

static void init_locked(void)
{
    if (!g_local_init) {
        for (unsigned i = 0; i < LOCAL_SLOTS; i++)
            g_local[i].fd = -1;
        g_local_init = true;
    }
}

HANDLE np_local_insert_fd(int fd)
{
    pthread_mutex_lock(&g_lock);
    init_locked();
    for (unsigned i = 0; i < LOCAL_SLOTS; i++)
        if (g_local[i].fd < 0) {
            g_local[i].fd = fd;
            pthread_mutex_unlock(&g_lock);
            return (HANDLE)(uintptr_t)(LOCAL_BASE + 4u * (i + 1));
        }
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

bool np_is_local_handle(HANDLE h)
{
    return std_slot_of(h) >= 0 || local_index(h) >= 0;
}

int np_local_fd(HANDLE h)
{
    int slot = std_slot_of(h);
    if (slot >= 0)
        return atomic_load(&g_std_closed[slot]) ? -1 : slot;
    int i = local_index(h);
    if (i < 0)
        return -1;
    pthread_mutex_lock(&g_lock);
    init_locked();
    int fd = g_local[i].fd;
    pthread_mutex_unlock(&g_lock);
    return fd;
}

bool np_local_close(HANDLE h, BOOL *result)
{
    int slot = std_slot_of(h);
    if (slot >= 0) {
        *result = atomic_exchange(&g_std_closed[slot], true) ? np_fail(ERROR_INVALID_HANDLE)
                                                             : TRUE;
        return true;
    }
    int i = local_index(h);
    if (i < 0) {
        np_obj_forget(h);
        return false;
    }
    pthread_mutex_lock(&g_lock);
    init_locked();
    int fd = g_local[i].fd;
    g_local[i].fd = -1;
    pthread_mutex_unlock(&g_lock);
    if (fd < 0) {
        *result = np_fail(ERROR_INVALID_HANDLE);
        return true;
    }
    close(fd);
    *result = TRUE;
    return true;
}

BOOL np_local_duplicate(HANDLE source_process, HANDLE h, HANDLE target_process,
                        LPHANDLE target, DWORD options)
{
    if (source_process != GetCurrentProcess() ||
        (target_process != GetCurrentProcess() &&
         !(target_process == NULL && (options & DUPLICATE_CLOSE_SOURCE))))
        return np_fail(ERROR_INVALID_HANDLE); /* no other processes' handles */
    BOOL ok = TRUE;
    if (target_process) {
        int fd = np_local_fd(h);
        int copy = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : -1;
        HANDLE dup = copy >= 0 ? np_local_insert_fd(copy) : NULL;
        if (!dup) {
            if (copy >= 0)
                close(copy);
            ok = np_fail(fd < 0 ? ERROR_INVALID_HANDLE : ERROR_TOO_MANY_OPEN_FILES);
        } else if (target) {
            *target = dup;
        }
    }
    if (options & DUPLICATE_CLOSE_SOURCE) { /* even when the copy failed */
        DWORD error = GetLastError();
        BOOL closed;
        np_local_close(h, &closed);
        SetLastError(error);
    }
    return ok;
}

/* ---- Reading and writing a descriptor ---------------------------------------------- */

static DWORD error_of_errno(int e)
{
    switch (e) {
    case EBADF: return ERROR_INVALID_HANDLE;
    case EPIPE: return ERROR_NO_DATA;
    case ECONNRESET: return ERROR_BROKEN_PIPE;
    case ENOSPC: return ERROR_HANDLE_DISK_FULL;
    case EACCES:
    case EPERM: return ERROR_ACCESS_DENIED;
    case EISDIR:
    case EINVAL: return ERROR_INVALID_FUNCTION;
    case EFAULT: return ERROR_NOACCESS;
    case ENOMEM: return ERROR_NOT_ENOUGH_MEMORY;
    default: return ERROR_GEN_FAILURE;
    }
}

/* Waits until fd is ready (for descriptors some other program made
 * nonblocking). */
static void wait_ready(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
}

static bool is_pipe_like(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

static bool is_seekable(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* One read: the count, 0 at the end, -1 with errno. */
static ssize_t read_fd(int fd, void *buf, size_t n, const LARGE_INTEGER *offset)
{
    for (;;) {
        ssize_t r = offset ? pread(fd, buf, n, offset->QuadPart) : read(fd, buf, n);
        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            wait_ready(fd, POLLIN);
            continue;
        }
        return -1;
    }
}

/* Writes all n bytes with SIGPIPE held off: a reader that went away is an
 * error (EPIPE), not the end of the process. */
static bool write_fd(int fd, const void *buf, size_t n, size_t *done,
                     const LARGE_INTEGER *offset)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigset_t pending;
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE);

    const char *p = buf;
    size_t left = n;
    int err = 0;
    while (left) {
        ssize_t w = offset ? pwrite(fd, p, left, offset->QuadPart + (p - (const char *)buf))
                           : write(fd, p, left);
        if (w > 0) {
            p += w;
            left -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            wait_ready(fd, POLLOUT);
            continue;
        }
        err = w < 0 ? errno : EIO;
        break;
    }
    if (err == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    *done = n - left;
    errno = err;
    return err == 0;
}

/* The synchronous completion of an OVERLAPPED on a local handle. */
static void complete_ov(LPOVERLAPPED ov, NTSTATUS status, size_t bytes)
{
    if (!ov)
        return;
    ov->Internal = (ULONG_PTR)(ULONG)status;
    ov->InternalHigh = bytes;
    if (ov->hEvent)
        SetEvent((HANDLE)((uintptr_t)ov->hEvent & ~(uintptr_t)1));
}

static bool offset_of(int fd, LPOVERLAPPED ov, LARGE_INTEGER *off)
{
    if (!ov || !is_seekable(fd))
        return false;
    off->LowPart = ov->Offset;
    off->HighPart = (LONG)ov->OffsetHigh;
    return true;
}

BOOL np_local_read(HANDLE h, LPVOID buf, DWORD n, LPDWORD done, LPOVERLAPPED ov)
{
    if (done)
        *done = 0;
    if (!done && !ov)
        return np_fail(ERROR_NOACCESS);
    int fd = np_local_fd(h);
    if (fd < 0)
        return np_fail(ERROR_INVALID_HANDLE);
    if (ov)
        ov->Internal = (ULONG_PTR)STATUS_PENDING;
    if (n == 0) {
        complete_ov(ov, STATUS_SUCCESS, 0);
        return TRUE;
    }
    if (!buf)
        return np_fail(ERROR_NOACCESS);
    LARGE_INTEGER off;
    bool at = offset_of(fd, ov, &off);
    ssize_t r = read_fd(fd, buf, n, at ? &off : NULL);
    if (r < 0)
        return np_fail(error_of_errno(errno));
    if (r == 0 && is_pipe_like(fd)) {
        complete_ov(ov, STATUS_PIPE_BROKEN, 0);
        return np_fail(ERROR_BROKEN_PIPE);
    }
    if (r == 0 && at) { /* a read at or past the end of a file */
        complete_ov(ov, STATUS_END_OF_FILE, 0);
        return np_fail(ERROR_HANDLE_EOF);
    }
    if (done)
        *done = (DWORD)r;
    complete_ov(ov, STATUS_SUCCESS, (size_t)r);
    return TRUE;
}

BOOL np_local_write(HANDLE h, LPCVOID buf, DWORD n, LPDWORD done, LPOVERLAPPED ov)
{
    if (done)
        *done = 0;
    if (!done && !ov)
        return np_fail(ERROR_NOACCESS);
    int fd = np_local_fd(h);
    if (fd < 0)
        return np_fail(ERROR_INVALID_HANDLE);
    if (ov)
        ov->Internal = (ULONG_PTR)STATUS_PENDING;
    if (n && !buf)
        return np_fail(ERROR_NOACCESS);
    LARGE_INTEGER off;
    bool at = offset_of(fd, ov, &off);
    size_t written;
    if (!write_fd(fd, buf, n, &written, at ? &off : NULL)) {
        int e = errno;
        if (done)
            *done = (DWORD)written;
        return np_fail(error_of_errno(e));
    }
    if (done)
        *done = n;
    complete_ov(ov, STATUS_SUCCESS, n);
    return TRUE;
}

/* On a terminal or pipe there is nothing buffered in the library to
 * flush; on a file, fsync. */
BOOL np_local_flush(HANDLE h)
{
    int fd = np_local_fd(h);
    if (fd < 0)
        return np_fail(ERROR_INVALID_HANDLE);
    if (is_seekable(fd) && fsync(fd) != 0 && errno != EINVAL)
        return np_fail(error_of_errno(errno));
    return TRUE;
}

/* ---- GetStdHandle, SetStdHandle ----------------------------------------------------------- */

static int std_slot_of_id(DWORD n)
{
    switch (n) {
    case STD_INPUT_HANDLE: return 0;
    case STD_OUTPUT_HANDLE: return 1;
    case STD_ERROR_HANDLE: return 2;
    default: return -1;
    }
}

NPIPE_API HANDLE WINAPI GetStdHandle(DWORD nStdHandle)
{
    int slot = std_slot_of_id(nStdHandle);
    if (slot < 0) {
        np_fail(ERROR_INVALID_HANDLE);
        return INVALID_HANDLE_VALUE;
    }
    pthread_mutex_lock(&g_lock);
    HANDLE over = g_std_override[slot];
    pthread_mutex_unlock(&g_lock);
    if (over)
        return over;
    if (fcntl(slot, F_GETFD) < 0)
        return NULL; /* no such stream */
    return std_pseudo(slot);
}

NPIPE_API BOOL WINAPI SetStdHandle(DWORD nStdHandle, HANDLE hHandle)
{
    int slot = std_slot_of_id(nStdHandle);
    if (slot < 0)
        return np_fail(ERROR_INVALID_HANDLE);
    pthread_mutex_lock(&g_lock);
    g_std_override[slot] = hHandle == std_pseudo(slot) ? NULL : hHandle;
    pthread_mutex_unlock(&g_lock);
    if (hHandle == std_pseudo(slot))
        atomic_store(&g_std_closed[slot], false);
    return TRUE;
}

/* ---- WriteConsole, ReadConsole ----------------------------------------------------------- */

/* The console is whatever the standard handles are: these work on the
 * pseudo-handles and local handles, in characters. */
NPIPE_API BOOL WINAPI WriteConsoleA(HANDLE hConsoleOutput, const VOID *lpBuffer,
                                    DWORD nNumberOfCharsToWrite,
                                    LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved)
{
    (void)lpReserved;
    if (!np_is_local_handle(hConsoleOutput))
        return np_fail(ERROR_INVALID_HANDLE);
    DWORD done = 0;
    BOOL ok = np_local_write(hConsoleOutput, lpBuffer, nNumberOfCharsToWrite, &done,
                             NULL);
    if (lpNumberOfCharsWritten)
        *lpNumberOfCharsWritten = done;
    return ok;
}

NPIPE_API BOOL WINAPI WriteConsoleW(HANDLE hConsoleOutput, const VOID *lpBuffer,
                                    DWORD nNumberOfCharsToWrite,
                                    LPDWORD lpNumberOfCharsWritten, LPVOID lpReserved)
{
    (void)lpReserved;
    if (!np_is_local_handle(hConsoleOutput))
        return np_fail(ERROR_INVALID_HANDLE);
    if (nNumberOfCharsToWrite && !lpBuffer)
        return np_fail(ERROR_NOACCESS);
    size_t bytes = np_utf16_to_utf8(lpBuffer, nNumberOfCharsToWrite, NULL, 0, NULL);
    char *utf8 = malloc(bytes ? bytes : 1);
    if (!utf8)
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    np_utf16_to_utf8(lpBuffer, nNumberOfCharsToWrite, utf8, bytes, NULL);
    DWORD done = 0;
    BOOL ok = np_local_write(hConsoleOutput, utf8, (DWORD)bytes, &done, NULL);
    free(utf8);
    if (lpNumberOfCharsWritten)
        *lpNumberOfCharsWritten = ok ? nNumberOfCharsToWrite : 0;
    return ok;
}

NPIPE_API BOOL WINAPI ReadConsoleA(HANDLE hConsoleInput, LPVOID lpBuffer,
                                   DWORD nNumberOfCharsToRead,
                                   LPDWORD lpNumberOfCharsRead, LPVOID pInputControl)
{
    (void)pInputControl;
    if (!np_is_local_handle(hConsoleInput))
        return np_fail(ERROR_INVALID_HANDLE);
    DWORD done = 0;
    BOOL ok = np_local_read(hConsoleInput, lpBuffer, nNumberOfCharsToRead, &done, NULL);
    if (!ok && GetLastError() == ERROR_BROKEN_PIPE)
        ok = TRUE, done = 0; /* the console's end of input */
    if (lpNumberOfCharsRead)
        *lpNumberOfCharsRead = done;
    return ok;
}

/* Reads whole UTF-8 characters and returns them as UTF-16 (a character
 * outside the BMP needs two units: at least 2 must be asked for). */
NPIPE_API BOOL WINAPI ReadConsoleW(HANDLE hConsoleInput, LPVOID lpBuffer,
                                   DWORD nNumberOfCharsToRead,
                                   LPDWORD lpNumberOfCharsRead, LPVOID pInputControl)
{
    (void)pInputControl;
    if (lpNumberOfCharsRead)
        *lpNumberOfCharsRead = 0;
    int fd = np_local_fd(hConsoleInput);
    if (fd < 0)
        return np_fail(ERROR_INVALID_HANDLE);
    if (nNumberOfCharsToRead == 0)
        return TRUE;
    if (!lpBuffer)
        return np_fail(ERROR_NOACCESS);
    /* A byte at a time up to the end of a line: never more characters
     * than fit, never half a character. */
    char bytes[8];
    size_t units = 0;
    WCHAR *out = lpBuffer;
    while (units < nNumberOfCharsToRead) {
        ssize_t r = read_fd(fd, bytes, 1, NULL);
        if (r < 0)
            return np_fail(error_of_errno(errno));
        if (r == 0)
            break;
        size_t len = 1;
        int more = (unsigned char)bytes[0] >= 0xF0 ? 3 : (unsigned char)bytes[0] >= 0xE0 ? 2
                   : (unsigned char)bytes[0] >= 0xC0 ? 1 : 0;
        while (more-- > 0 && read_fd(fd, bytes + len, 1, NULL) == 1)
            len++;
        WCHAR w[4];
        size_t n = np_utf8_to_utf16(bytes, len, w, 4, NULL);
        for (size_t k = 0; k < n && units < nNumberOfCharsToRead; k++)
            out[units++] = w[k];
        if (bytes[0] == '\n')
            break;
    }
    if (lpNumberOfCharsRead)
        *lpNumberOfCharsRead = (DWORD)units;
    return TRUE;
}

/* ---- MessageBox ---------------------------------------------------------------------------- */

/* There is no desktop: the message goes to stderr, and the answer is the
 * dialog's default button. */
static int default_button(UINT type)
{
    UINT buttons = type & 0xF, def = (type >> 8) & 0xF;
    static const int first[][3] = {
        {IDOK, 0, 0},                /* MB_OK */
        {IDOK, IDCANCEL, 0},         /* MB_OKCANCEL */
        {IDABORT, IDRETRY, IDIGNORE},/* MB_ABORTRETRYIGNORE */
        {IDYES, IDNO, IDCANCEL},     /* MB_YESNOCANCEL */
        {IDYES, IDNO, 0},            /* MB_YESNO */
        {IDRETRY, IDCANCEL, 0},      /* MB_RETRYCANCEL */
        {IDCANCEL, IDTRYAGAIN, IDCONTINUE}, /* MB_CANCELTRYCONTINUE */
    };
    if (buttons > 6)
        buttons = 0;
    int answer = def < 3 ? first[buttons][def] : 0;
    return answer ? answer : first[buttons][0];
}

NPIPE_API int WINAPI MessageBoxA(HWND hWnd, LPCSTR lpText, LPCSTR lpCaption, UINT uType)
{
    (void)hWnd;
    fflush(stdout);
    fprintf(stderr, "[%s] %s\n", lpCaption ? lpCaption : "Error", lpText ? lpText : "");
    return default_button(uType);
}

NPIPE_API int WINAPI MessageBoxW(HWND hWnd, LPCWSTR lpText, LPCWSTR lpCaption, UINT uType)
{
    char *text = np_utf16_dup_utf8(lpText);
    char *caption = np_utf16_dup_utf8(lpCaption);
    int r = MessageBoxA(hWnd, text, caption, uType);
    free(text);
    free(caption);
    return r;
}

/* ---- <conio.h> ------------------------------------------------------------------------------ */

/* One byte from descriptor 0, bypassing stdio's buffer as the console
 * functions do; on a terminal without line editing or echo. */
static int read_key(bool echo)
{
    struct termios saved, raw;
    bool tty = tcgetattr(0, &saved) == 0;
    if (tty) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(0, TCSANOW, &raw);
    }
    unsigned char c;
    ssize_t r = read_fd(0, &c, 1, NULL);
    if (tty)
        tcsetattr(0, TCSANOW, &saved);
    if (r != 1)
        return EOF;
    if (echo)
        _putch(c);
    return c;
}

NPIPE_API int _getch(void) { return read_key(false); }
NPIPE_API int _getche(void) { return read_key(true); }

NPIPE_API int _kbhit(void)
{
    struct pollfd p = {.fd = 0, .events = POLLIN};
    return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

NPIPE_API int _putch(int c)
{
    unsigned char b = (unsigned char)c;
    size_t done;
    fflush(stdout);
    return write_fd(1, &b, 1, &done, NULL) ? c : EOF;
}

NPIPE_API int _cputs(const char *s)
{
    size_t done;
    fflush(stdout);
    return write_fd(1, s, strlen(s), &done, NULL) ? 0 : -1;
}
