/*
 * localfile.c — CreateFile for paths that are not pipes: local files and
 * devices, opened by the library itself (they never reach the broker) and
 * read and written through ReadFile / WriteFile like the standard handles
 * (console.c).
 *
 * Windows programs that use pipes also read and write ordinary files —
 * Microsoft's anonymous-pipe sample feeds a file to its child.  npipe's
 * CreateFile opens pipes only (docs/decisions.md, entry 8) unless the
 * environment says NPIPE_LOCAL_FILES=1: then it opens other paths as
 * Linux files.  Windows' console and null device names are always there:
 * CONIN$ and CONOUT$ are the process's standard input and output, NUL is
 * /dev/null.  With local files on, the rules kept from Windows are:
 *   - dispositions: CREATE_NEW fails with ERROR_FILE_EXISTS on an existing
 *     file; CREATE_ALWAYS and OPEN_ALWAYS succeed on one with
 *     ERROR_ALREADY_EXISTS as the last error (else 0); OPEN_EXISTING and
 *     TRUNCATE_EXISTING fail with ERROR_FILE_NOT_FOUND, or
 *     ERROR_PATH_NOT_FOUND when the directory does not exist;
 *   - a directory needs FILE_FLAG_BACKUP_SEMANTICS, else
 *     ERROR_ACCESS_DENIED; FILE_ATTRIBUTE_READONLY creates a read-only
 *     file;
 *   - reading at the end of a file succeeds with 0 bytes; an OVERLAPPED's
 *     Offset positions the read or write.
 * Where npipe differs:
 *   - share modes are not enforced (Linux has no mandatory sharing);
 *   - FILE_FLAG_OVERLAPPED is accepted, but every read and write completes
 *     before it returns (the OVERLAPPED, its event and GetOverlappedResult
 *     then report it); ReadFileEx, WriteFileEx and completion ports do not
 *     work on local files;
 *   - FILE_FLAG_DELETE_ON_CLOSE and a security descriptor on a call that
 *     may create the file are ERROR_NOT_SUPPORTED (ignoring the descriptor
 *     could leave the file more open than asked).
 */
#include "win32/internal.h"
#include "win32/objects.h"
#include "win32/textutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static DWORD open_error(int e, const char *path)
{
    switch (e) {
    case ENOENT: {
        /* Which is missing, the file or its directory? */
        char *copy = strdup(path);
        char *slash = copy ? strrchr(copy, '/') : NULL;
        DWORD error = ERROR_FILE_NOT_FOUND;
        if (slash) {
            *slash = 0;
            struct stat st;
            if (stat(*copy ? copy : "/", &st) != 0 || !S_ISDIR(st.st_mode))
                error = ERROR_PATH_NOT_FOUND;
        }
        free(copy);
        return error;
    }
    case ENOTDIR: return ERROR_PATH_NOT_FOUND;
    case EEXIST: return ERROR_FILE_EXISTS;
    case EACCES:
    case EPERM:
    case EROFS:
    case EISDIR: return ERROR_ACCESS_DENIED;
    case ENAMETOOLONG: return ERROR_FILENAME_EXCED_RANGE;
    case EMFILE:
    case ENFILE: return ERROR_TOO_MANY_OPEN_FILES;
    case ENOSPC: return ERROR_HANDLE_DISK_FULL;
    default: return ERROR_GEN_FAILURE;
    }
}

static HANDLE fail_handle(DWORD error)
{
    np_fail(error);
    return INVALID_HANDLE_VALUE;
}

/* Windows' device names for the console and the null device. */
static int special_fd(const char *path, bool *special)
{
    *special = true;
    if (strcasecmp(path, "CONIN$") == 0)
        return fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (strcasecmp(path, "CONOUT$") == 0)
        return fcntl(1, F_DUPFD_CLOEXEC, 3);
    if (strcasecmp(path, "NUL") == 0 || strcasecmp(path, "\\\\.\\NUL") == 0)
        return open("/dev/null", O_RDWR | O_CLOEXEC);
    *special = false;
    return -1;
}

/* Local files are opt-in: $NPIPE_LOCAL_FILES=1 (read once). */
static bool local_files_enabled(void)
{
    static int enabled = -1;
    if (enabled < 0) {
        const char *v = getenv("NPIPE_LOCAL_FILES");
        enabled = v && strcmp(v, "1") == 0;
    }
    return enabled;
}

static HANDLE np_local_create_file(const char *path, DWORD access, DWORD share,
                            LPSECURITY_ATTRIBUTES sa, DWORD disposition, DWORD flags)
{
    (void)share;
    bool special;
    int fd = special_fd(path, &special);
    if (special) {
        if (fd < 0)
            return fail_handle(ERROR_FILE_NOT_FOUND);
        HANDLE h = np_local_insert_fd(fd);
        if (!h) {
            close(fd);
            return fail_handle(ERROR_TOO_MANY_OPEN_FILES);
        }
        SetLastError(ERROR_SUCCESS);
        return h;
    }
    if (!local_files_enabled() || !*path)
        return fail_handle(ERROR_PATH_NOT_FOUND); /* decision 8: pipes only */
    bool may_create = disposition == CREATE_NEW || disposition == CREATE_ALWAYS ||
                      disposition == OPEN_ALWAYS;
    if ((flags & FILE_FLAG_DELETE_ON_CLOSE) ||
        (may_create && sa && sa->lpSecurityDescriptor))
        return fail_handle(ERROR_NOT_SUPPORTED);

    bool rd = access & (GENERIC_READ | GENERIC_ALL | FILE_READ_DATA);
    bool wr = access & (GENERIC_WRITE | GENERIC_ALL | FILE_WRITE_DATA | FILE_APPEND_DATA);
    int oflags = O_CLOEXEC | O_NOCTTY | (rd && wr ? O_RDWR : wr ? O_WRONLY : O_RDONLY);
    if ((access & FILE_APPEND_DATA) && !(access & (FILE_WRITE_DATA | GENERIC_WRITE |
                                                   GENERIC_ALL)))
        oflags |= O_APPEND;

    struct stat st;
    bool existed = stat(path, &st) == 0;
    if (existed && S_ISDIR(st.st_mode)) {
        if (!(flags & FILE_FLAG_BACKUP_SEMANTICS) || wr)
            return fail_handle(ERROR_ACCESS_DENIED);
        oflags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    }
    switch (disposition) {
    case CREATE_NEW: oflags |= O_CREAT | O_EXCL; break;
    case CREATE_ALWAYS: oflags |= O_CREAT | O_TRUNC; break;
    case OPEN_ALWAYS: oflags |= O_CREAT; break;
    case TRUNCATE_EXISTING: oflags |= O_TRUNC; break;
    default: break; /* OPEN_EXISTING */
    }
    if ((oflags & O_TRUNC) && !wr)
        return fail_handle(ERROR_INVALID_PARAMETER);
    mode_t mode = (flags & FILE_ATTRIBUTE_READONLY) ? 0444 : 0666;
    fd = open(path, oflags, mode);
    if (fd < 0)
        return fail_handle(open_error(errno, path));
    HANDLE h = np_local_insert_fd(fd);
    if (!h) {
        close(fd);
        return fail_handle(ERROR_TOO_MANY_OPEN_FILES);
    }
    bool report_existing =
        existed && (disposition == CREATE_ALWAYS || disposition == OPEN_ALWAYS);
    SetLastError(report_existing ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

/* The W form converts the name; everything else is the same. */
HANDLE np_local_create_file_w(LPCWSTR path, DWORD access, DWORD share,
                              LPSECURITY_ATTRIBUTES sa, DWORD disposition, DWORD flags)
{
    char *utf8 = np_utf16_dup_utf8(path);
    if (!utf8)
        return fail_handle(ERROR_NOT_ENOUGH_MEMORY);
    HANDLE h = np_local_create_file(utf8, access, share, sa, disposition, flags);
    DWORD error = GetLastError();
    free(utf8);
    SetLastError(error);
    return h;
}

/* ---- Sizes and positions ------------------------------------------------------------ */

NPIPE_API BOOL WINAPI GetFileSizeEx(HANDLE hFile, PLARGE_INTEGER lpFileSize)
{
    int fd = np_local_fd(hFile);
    if (fd < 0)
        return np_fail(ERROR_INVALID_HANDLE);
    if (!lpFileSize)
        return np_fail(ERROR_NOACCESS);
    struct stat st;
    if (fstat(fd, &st) != 0)
        return np_fail(ERROR_INVALID_HANDLE);
    lpFileSize->QuadPart = S_ISREG(st.st_mode) ? st.st_size : 0;
    return TRUE;
}

/* INVALID_FILE_SIZE with the last error set on failure; a real size of
 * 0xFFFFFFFF also returns it, with NO_ERROR, as on Windows. */
NPIPE_API DWORD WINAPI GetFileSize(HANDLE hFile, LPDWORD lpFileSizeHigh)
{
    LARGE_INTEGER size;
    if (!GetFileSizeEx(hFile, &size))
        return INVALID_FILE_SIZE;
    if (lpFileSizeHigh)
        *lpFileSizeHigh = (DWORD)size.HighPart;
    SetLastError(NO_ERROR);
    return size.LowPart;
}

NPIPE_API BOOL WINAPI SetFilePointerEx(HANDLE hFile, LARGE_INTEGER liDistanceToMove,
                                       PLARGE_INTEGER lpNewFilePointer, DWORD dwMoveMethod)
{
    int fd = np_local_fd(hFile);
    if (fd < 0)
        return np_fail(ERROR_INVALID_HANDLE);
    int whence = dwMoveMethod == FILE_BEGIN     ? SEEK_SET
                 : dwMoveMethod == FILE_CURRENT ? SEEK_CUR
                 : dwMoveMethod == FILE_END     ? SEEK_END
                                                : -1;
    if (whence < 0)
        return np_fail(ERROR_INVALID_PARAMETER);
    off_t at = lseek(fd, (off_t)liDistanceToMove.QuadPart, whence);
    if (at < 0)
        return np_fail(errno == ESPIPE ? ERROR_INVALID_FUNCTION : ERROR_NEGATIVE_SEEK);
    if (lpNewFilePointer)
        lpNewFilePointer->QuadPart = at;
    return TRUE;
}

NPIPE_API DWORD WINAPI SetFilePointer(HANDLE hFile, LONG lDistanceToMove,
                                      PLONG lpDistanceToMoveHigh, DWORD dwMoveMethod)
{
    LARGE_INTEGER move, now;
    if (lpDistanceToMoveHigh) {
        move.LowPart = (DWORD)lDistanceToMove;
        move.HighPart = *lpDistanceToMoveHigh;
    } else {
        move.QuadPart = lDistanceToMove;
    }
    if (!SetFilePointerEx(hFile, move, &now, dwMoveMethod))
        return INVALID_SET_FILE_POINTER;
    if (lpDistanceToMoveHigh)
        *lpDistanceToMoveHigh = now.HighPart;
    SetLastError(NO_ERROR);
    return now.LowPart;
}

/* FILE_TYPE_CHAR for a terminal, FILE_TYPE_DISK for a file,
 * FILE_TYPE_PIPE for a Linux pipe or socket — and for npipe's own pipe
 * handles; FILE_TYPE_UNKNOWN with ERROR_INVALID_HANDLE for anything else. */
NPIPE_API DWORD WINAPI GetFileType(HANDLE hFile)
{
    int fd = np_local_fd(hFile);
    if (fd < 0) {
        if (!np_is_local_handle(hFile)) {
            DWORD flags;
            if (GetNamedPipeInfo(hFile, &flags, NULL, NULL, NULL)) {
                SetLastError(NO_ERROR);
                return FILE_TYPE_PIPE;
            }
        }
        np_fail(ERROR_INVALID_HANDLE);
        return FILE_TYPE_UNKNOWN;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        np_fail(ERROR_INVALID_HANDLE);
        return FILE_TYPE_UNKNOWN;
    }
    SetLastError(NO_ERROR);
    if (S_ISCHR(st.st_mode))
        return FILE_TYPE_CHAR;
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
        return FILE_TYPE_PIPE;
    return FILE_TYPE_DISK;
}
