/*
 * find.c — FindFirstFile[Ex]A/W, FindNextFileA/W and FindClose, for the
 * one directory npipe has: the pipe root.  FindFirstFile(L"\\\\.\\pipe\\*")
 * lists the pipes as on Windows, each with nFileSizeLow = its current
 * number of instances, zero times and FILE_ATTRIBUTE_NORMAL.
 *
 * As kernel32 does, the path is split at its last separator: the part
 * before must be the pipe root (\\.\pipe\), the part after is the pattern,
 * which goes to the driver after kernel32's translation into
 * FsRtlIsNameInExpression's language ("*.*" is "*"; '?' becomes DOS_QM,
 * "*." DOS_STAR and a '.' before a wildcard DOS_DOT).  The root is opened
 * with NtOpenFile and listed with NtQueryDirectoryFile
 * (FileBothDirectoryInformation), a buffer at a time.
 *
 * npfs has no subdirectories, so \\.\pipe\LOCAL\* is ERROR_PATH_NOT_FOUND
 * without asking the broker, as is any path outside \\.\pipe\ (npipe has
 * no file system); \\server\pipe\* is ERROR_BAD_NETPATH.
 *
 * A find handle is not a kernel handle: it points at the search's state,
 * and FindNextFile/FindClose accept only handles that FindFirstFile gave
 * out and FindClose has not closed (anything else: ERROR_INVALID_HANDLE).
 */
#include "win32/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FIND_BUFFER_SIZE (64u * 1024u)
#define FIND_FLAGS_VALID                                                        \
    (FIND_FIRST_EX_CASE_SENSITIVE | FIND_FIRST_EX_LARGE_FETCH |                 \
     FIND_FIRST_EX_ON_DISK_ENTRIES_ONLY)

struct np_find {
    struct np_find *next;  /* every open search */
    pthread_mutex_t lock;  /* one FindNextFile at a time */
    HANDLE dir;            /* the pipe root */
    FINDEX_INFO_LEVELS level;
    bool done;             /* the directory said "no more" */
    ULONG filled, pos;     /* entries in buffer[0..filled), next at pos */
    UCHAR buffer[FIND_BUFFER_SIZE];
};

static pthread_mutex_t g_finds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct np_find *g_finds;

/* Looks a find handle up and locks it; NULL if it is not one. */
static struct np_find *find_lock(HANDLE h)
{
    pthread_mutex_lock(&g_finds_lock);
    struct np_find *f = g_finds;
    while (f && (HANDLE)f != h)
        f = f->next;
    if (f)
        pthread_mutex_lock(&f->lock);
    pthread_mutex_unlock(&g_finds_lock);
    return f;
}

/* ---- The path --------------------------------------------------------------- */

static bool is_sep(WCHAR c) { return c == '\\' || c == '/'; }

/* Splits path into the directory (which must be the pipe root) and the
 * pattern, translated for the driver into pattern[] (NUL-terminated);
 * returns ERROR_SUCCESS or the error FindFirstFile fails with. */
static DWORD parse_path(LPCWSTR path, WCHAR *pattern, size_t room)
{
    size_t len = np_wcslen(path);
    if (!len)
        return ERROR_PATH_NOT_FOUND;
    size_t slash = len;
    while (slash > 0 && !is_sep(path[slash - 1]))
        slash--;
    if (slash == 0)
        return ERROR_PATH_NOT_FOUND; /* a relative name: no file system here */
    WCHAR *dir = malloc((slash + 1) * sizeof(WCHAR));
    if (!dir)
        return ERROR_NOT_ENOUGH_MEMORY;
    memcpy(dir, path, slash * sizeof(WCHAR));
    dir[slash] = 0;
    struct np_pipe_name name;
    enum np_name_kind kind = np_parse_pipe_name(dir, &name);
    free(dir);
    if (kind == NP_NAME_REMOTE_PIPE)
        return ERROR_BAD_NETPATH;
    if (kind != NP_NAME_LOCAL_PIPE || !name.has_separator ||
        name.name_start != name.nt_chars)
        return ERROR_PATH_NOT_FOUND; /* not the root: npfs has no subdirectories */
    LPCWSTR mask = path + slash;
    size_t n = len - slash;
    if (n == 0)
        return ERROR_FILE_NOT_FOUND;
    if (n + 1 > room || len > NP_MAX_PIPE_PATH)
        return ERROR_FILENAME_EXCED_RANGE;
    static const WCHAR star_dot_star[] = {'*', '.', '*'};
    if (n == 3 && memcmp(mask, star_dot_star, sizeof star_dot_star) == 0) {
        pattern[0] = '*';
        pattern[1] = 0;
        return ERROR_SUCCESS;
    }
    for (size_t i = 0; i < n; i++) {
        WCHAR c = mask[i], next = i + 1 < n ? mask[i + 1] : 0;
        if (c == '*' && next == '.')
            c = '<'; /* DOS_STAR */
        else if (c == '?')
            c = '>'; /* DOS_QM */
        else if (c == '.' && (next == '?' || next == '*'))
            c = '"'; /* DOS_DOT */
        pattern[i] = c;
    }
    pattern[n] = 0;
    return ERROR_SUCCESS;
}

/* ---- Entries ------------------------------------------------------------------ */

static FILETIME filetime(LARGE_INTEGER t)
{
    return (FILETIME){(DWORD)t.LowPart, (DWORD)t.HighPart};
}

/* The entry at f->pos, checked against the bytes the broker returned;
 * advances f->pos.  NULL when the buffer is used up. */
static const FILE_BOTH_DIR_INFORMATION *next_entry(struct np_find *f)
{
    const ULONG fixed = offsetof(FILE_BOTH_DIR_INFORMATION, FileName);
    if (f->pos >= f->filled || f->filled - f->pos < fixed) {
        f->pos = f->filled;
        return NULL;
    }
    const FILE_BOTH_DIR_INFORMATION *e =
        (const FILE_BOTH_DIR_INFORMATION *)(f->buffer + f->pos);
    if (e->FileNameLength > f->filled - f->pos - fixed || (e->FileNameLength & 1)) {
        f->pos = f->filled; /* a malformed entry: stop here */
        return NULL;
    }
    f->pos = e->NextEntryOffset && e->NextEntryOffset <= f->filled - f->pos
                 ? f->pos + e->NextEntryOffset
                 : f->filled;
    return e;
}

static void fill_w(const FILE_BOTH_DIR_INFORMATION *e, FINDEX_INFO_LEVELS level,
                   WIN32_FIND_DATAW *d)
{
    memset(d, 0, sizeof *d);
    d->dwFileAttributes = e->FileAttributes;
    d->ftCreationTime = filetime(e->CreationTime);
    d->ftLastAccessTime = filetime(e->LastAccessTime);
    d->ftLastWriteTime = filetime(e->LastWriteTime);
    d->nFileSizeHigh = (DWORD)e->EndOfFile.HighPart;
    d->nFileSizeLow = e->EndOfFile.LowPart;
    size_t n = e->FileNameLength / sizeof(WCHAR);
    if (n > MAX_PATH - 1)
        n = MAX_PATH - 1;
    memcpy(d->cFileName, e->FileName, n * sizeof(WCHAR));
    if (level == FindExInfoStandard) {
        size_t s = (size_t)(unsigned char)e->ShortNameLength / sizeof(WCHAR);
        if (s > 12)
            s = 12;
        memcpy(d->cAlternateFileName, e->ShortName, s * sizeof(WCHAR));
    }
}

static void fill_a(const WIN32_FIND_DATAW *w, WIN32_FIND_DATAA *a)
{
    memset(a, 0, sizeof *a);
    a->dwFileAttributes = w->dwFileAttributes;
    a->ftCreationTime = w->ftCreationTime;
    a->ftLastAccessTime = w->ftLastAccessTime;
    a->ftLastWriteTime = w->ftLastWriteTime;
    a->nFileSizeHigh = w->nFileSizeHigh;
    a->nFileSizeLow = w->nFileSizeLow;
    a->dwReserved0 = w->dwReserved0;
    a->dwReserved1 = w->dwReserved1;
    np_w_to_a(w->cFileName, -1, a->cFileName, sizeof a->cFileName);
    np_w_to_a(w->cAlternateFileName, -1, a->cAlternateFileName,
              sizeof a->cAlternateFileName);
}

/* Refills the buffer; pattern (first call only) selects the entries. */
static NTSTATUS query(struct np_find *f, LPCWSTR pattern)
{
    UNICODE_STRING us;
    if (pattern) {
        us.Buffer = (PWSTR)pattern;
        us.Length = us.MaximumLength = (USHORT)(np_wcslen(pattern) * sizeof(WCHAR));
    }
    IO_STATUS_BLOCK iosb = {0};
    NTSTATUS status = NtQueryDirectoryFile(f->dir, NULL, NULL, NULL, &iosb, f->buffer,
                                           sizeof f->buffer, FileBothDirectoryInformation,
                                           FALSE, pattern ? &us : NULL, pattern != NULL);
    f->pos = 0;
    f->filled = NT_SUCCESS(status) && iosb.Information <= sizeof f->buffer
                    ? (ULONG)iosb.Information
                    : 0;
    if (status == STATUS_NO_MORE_FILES || status == STATUS_NO_SUCH_FILE)
        f->done = true;
    return status;
}

/* The next entry into *d; FALSE with the last error set at the end. */
static BOOL find_next(struct np_find *f, WIN32_FIND_DATAW *d)
{
    const FILE_BOTH_DIR_INFORMATION *e = next_entry(f);
    while (!e) {
        if (f->done)
            return np_fail(ERROR_NO_MORE_FILES);
        NTSTATUS status = query(f, NULL);
        if (status == STATUS_NO_MORE_FILES || status == STATUS_NO_SUCH_FILE)
            return np_fail(ERROR_NO_MORE_FILES);
        if (!NT_SUCCESS(status))
            return np_fail_status(status);
        e = next_entry(f);
        if (!e && !f->filled)
            return np_fail(ERROR_NO_MORE_FILES);
    }
    fill_w(e, f->level, d);
    return TRUE;
}

/* ---- The API ---------------------------------------------------------------------- */

NPIPE_API HANDLE WINAPI FindFirstFileExW(LPCWSTR lpFileName,
                                         FINDEX_INFO_LEVELS fInfoLevelId,
                                         LPVOID lpFindFileData,
                                         FINDEX_SEARCH_OPS fSearchOp,
                                         LPVOID lpSearchFilter,
                                         DWORD dwAdditionalFlags)
{
    if ((fInfoLevelId != FindExInfoStandard && fInfoLevelId != FindExInfoBasic) ||
        (fSearchOp != FindExSearchNameMatch &&
         fSearchOp != FindExSearchLimitToDirectories) ||
        lpSearchFilter || (dwAdditionalFlags & ~(DWORD)FIND_FLAGS_VALID)) {
        np_fail(ERROR_INVALID_PARAMETER);
        return INVALID_HANDLE_VALUE;
    }
    if (!lpFileName) {
        np_fail(ERROR_PATH_NOT_FOUND);
        return INVALID_HANDLE_VALUE;
    }
    if (!lpFindFileData) {
        np_fail(ERROR_NOACCESS);
        return INVALID_HANDLE_VALUE;
    }
    WCHAR pattern[NP_MAX_PIPE_PATH + 1];
    DWORD error = parse_path(lpFileName, pattern, sizeof pattern / sizeof pattern[0]);
    if (error) {
        np_fail(error);
        return INVALID_HANDLE_VALUE;
    }
    struct np_find *f = calloc(1, sizeof *f);
    if (!f) {
        np_fail(ERROR_NOT_ENOUGH_MEMORY);
        return INVALID_HANDLE_VALUE;
    }
    pthread_mutex_init(&f->lock, NULL);
    f->level = fInfoLevelId;

    static const WCHAR root[] = {'\\', '?', '?', '\\', 'p', 'i', 'p', 'e', '\\'};
    UNICODE_STRING us = {sizeof root, sizeof root, (PWSTR)root};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    NTSTATUS status = NtOpenFile(&f->dir, FILE_LIST_DIRECTORY | SYNCHRONIZE, &oa, &iosb,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT);
    if (NT_SUCCESS(status)) {
        status = query(f, pattern);
        if (status == STATUS_NO_MORE_FILES)
            status = STATUS_NO_SUCH_FILE; /* nothing at all matched */
    }
    WIN32_FIND_DATAW data;
    if (NT_SUCCESS(status) && !find_next(f, &data))
        status = STATUS_NO_SUCH_FILE;
    if (!NT_SUCCESS(status)) {
        if (f->dir)
            NtClose(f->dir);
        pthread_mutex_destroy(&f->lock);
        free(f);
        np_fail_status(status); /* STATUS_NO_SUCH_FILE: ERROR_FILE_NOT_FOUND */
        return INVALID_HANDLE_VALUE;
    }
    memcpy(lpFindFileData, &data, sizeof data);
    pthread_mutex_lock(&g_finds_lock);
    f->next = g_finds;
    g_finds = f;
    pthread_mutex_unlock(&g_finds_lock);
    SetLastError(ERROR_SUCCESS);
    return (HANDLE)f;
}

NPIPE_API HANDLE WINAPI FindFirstFileExA(LPCSTR lpFileName,
                                         FINDEX_INFO_LEVELS fInfoLevelId,
                                         LPVOID lpFindFileData,
                                         FINDEX_SEARCH_OPS fSearchOp,
                                         LPVOID lpSearchFilter,
                                         DWORD dwAdditionalFlags)
{
    LPWSTR name;
    if (!np_a_to_w(lpFileName, &name))
        return INVALID_HANDLE_VALUE;
    WIN32_FIND_DATAW w;
    HANDLE h = FindFirstFileExW(name, fInfoLevelId, lpFindFileData ? &w : NULL,
                                fSearchOp, lpSearchFilter, dwAdditionalFlags);
    free(name);
    if (h != INVALID_HANDLE_VALUE)
        fill_a(&w, lpFindFileData);
    return h;
}

NPIPE_API HANDLE WINAPI FindFirstFileW(LPCWSTR lpFileName,
                                       LPWIN32_FIND_DATAW lpFindFileData)
{
    return FindFirstFileExW(lpFileName, FindExInfoStandard, lpFindFileData,
                            FindExSearchNameMatch, NULL, 0);
}

NPIPE_API HANDLE WINAPI FindFirstFileA(LPCSTR lpFileName,
                                       LPWIN32_FIND_DATAA lpFindFileData)
{
    return FindFirstFileExA(lpFileName, FindExInfoStandard, lpFindFileData,
                            FindExSearchNameMatch, NULL, 0);
}

NPIPE_API BOOL WINAPI FindNextFileW(HANDLE hFindFile, LPWIN32_FIND_DATAW lpFindFileData)
{
    struct np_find *f = find_lock(hFindFile);
    if (!f)
        return np_fail(ERROR_INVALID_HANDLE);
    if (!lpFindFileData) {
        pthread_mutex_unlock(&f->lock);
        return np_fail(ERROR_NOACCESS);
    }
    WIN32_FIND_DATAW data;
    BOOL ok = find_next(f, &data);
    pthread_mutex_unlock(&f->lock);
    if (ok)
        memcpy(lpFindFileData, &data, sizeof data);
    return ok;
}

NPIPE_API BOOL WINAPI FindNextFileA(HANDLE hFindFile, LPWIN32_FIND_DATAA lpFindFileData)
{
    if (!lpFindFileData) {
        struct np_find *f = find_lock(hFindFile);
        if (!f)
            return np_fail(ERROR_INVALID_HANDLE);
        pthread_mutex_unlock(&f->lock);
        return np_fail(ERROR_NOACCESS);
    }
    WIN32_FIND_DATAW w;
    if (!FindNextFileW(hFindFile, &w))
        return FALSE;
    fill_a(&w, lpFindFileData);
    return TRUE;
}

NPIPE_API BOOL WINAPI FindClose(HANDLE hFindFile)
{
    pthread_mutex_lock(&g_finds_lock);
    struct np_find **p = &g_finds;
    while (*p && (HANDLE)*p != hFindFile)
        p = &(*p)->next;
    struct np_find *f = *p;
    if (f)
        *p = f->next;
    pthread_mutex_unlock(&g_finds_lock);
    if (!f)
        return np_fail(ERROR_INVALID_HANDLE);
    /* Another thread may be in FindNextFile on it: let it finish. */
    pthread_mutex_lock(&f->lock);
    pthread_mutex_unlock(&f->lock);
    NtClose(f->dir);
    pthread_mutex_destroy(&f->lock);
    free(f);
    return TRUE;
}
