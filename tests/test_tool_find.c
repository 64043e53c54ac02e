/*
 * test_tool_find.c — listing the pipe root, as `npipe list` and Windows
 * programs do it: FindFirstFile/FindNextFile/FindClose on \\.\pipe\ and
 * NtQueryDirectoryFile with Windows' classes (a pipe's EndOfFile is its
 * current instances, AllocationSize its maximum) and npipe's own.
 */
#include "testlib.h"

#include <npipe/winternl.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- FindFirstFile ------------------------------------------------------- */

/* Every name FindFirstFileA(pattern) / FindNextFileA give, as one string
 * "name1|name2|..." (in the order given); *count gets how many. */
static char *find_all(const char *pattern, int *count, WIN32_FIND_DATAA *first)
{
    WIN32_FIND_DATAA d;
    HANDLE h = FindFirstFileA(pattern, &d);
    TL_ASSERT_MSG(h != INVALID_HANDLE_VALUE, "FindFirstFileA(%s): error %lu", pattern,
                  (unsigned long)GetLastError());
    if (first)
        *first = d;
    size_t cap = 1024, len = 0;
    char *all = calloc(1, cap);
    *count = 0;
    do {
        size_t n = strlen(d.cFileName);
        if (len + n + 2 > cap)
            all = realloc(all, cap = (len + n + 2) * 2);
        memcpy(all + len, d.cFileName, n);
        len += n;
        all[len++] = '|';
        all[len] = '\0';
        (*count)++;
    } while (FindNextFileA(h, &d));
    TL_EQ(GetLastError(), ERROR_NO_MORE_FILES);
    TL_FAILS(FindNextFileA(h, &d), ERROR_NO_MORE_FILES); /* and it stays that way */
    TL_OK(FindClose(h));
    return all;
}

static const char *short_of(const char *path) { return path + strlen("\\\\.\\pipe\\"); }

static void test_find_pipes(void **state)
{
    (void)state;
    char a[300], b[300], dotted[300], pattern[300];
    snprintf(a, sizeof a, "%s", tl_pipe_name("fnda"));
    snprintf(b, sizeof b, "%s", tl_pipe_name("fndb"));
    snprintf(dotted, sizeof dotted, "\\\\.\\pipe\\npipe-test-fndc-%d.ext", (int)getpid());
    HANDLE s1 = tl_server(a, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 5, 0, 0);
    HANDLE s2 = tl_server(a, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 5, 0, 0);
    HANDLE s3 = tl_server(b, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 1, 0, 0);
    HANDLE s4 = tl_server(dotted, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);

    /* \\.\pipe\* lists them, each once, with its current instances. */
    int n;
    WIN32_FIND_DATAA first;
    snprintf(pattern, sizeof pattern, "\\\\.\\pipe\\npipe-test-fnd*-%d*", (int)getpid());
    char *all = find_all(pattern, &n, &first);
    TL_EQ(n, 3);
    char expect[1000];
    snprintf(expect, sizeof expect, "%s|%s|%s|", short_of(a), short_of(b), short_of(dotted));
    TL_ASSERT_MSG(!strcmp(all, expect), "found %s, expected %s (creation order)", all, expect);
    free(all);
    TL_ASSERT(!strcmp(first.cFileName, short_of(a)));
    TL_EQ(first.nFileSizeLow, 2);
    TL_EQ(first.nFileSizeHigh, 0);
    TL_EQ(first.dwFileAttributes, FILE_ATTRIBUTE_NORMAL);
    TL_EQ(first.ftCreationTime.dwLowDateTime | first.ftLastWriteTime.dwHighDateTime, 0);
    TL_EQ(first.cAlternateFileName[0], '\0');

    /* Case-insensitive, '/' for '\', and kernel32's DOS wildcards: a
     * name without a dot matches "X*.*" as in DOS, "*.*" alone is "*",
     * "*.ext" needs the extension, '?' is one character. */
    snprintf(pattern, sizeof pattern, "//./PIPE/NPIPE-TEST-FND?-%d*.*", (int)getpid());
    all = find_all(pattern, &n, NULL);
    TL_EQ(n, 3);
    free(all);
    all = find_all("\\\\.\\pipe\\*.*", &n, NULL);
    TL_ASSERT(strstr(all, short_of(a)) && strstr(all, short_of(dotted)));
    free(all);
    snprintf(pattern, sizeof pattern, "\\\\.\\pipe\\npipe-test-fnd*-%d.ext", (int)getpid());
    all = find_all(pattern, &n, NULL);
    TL_EQ(n, 1);
    free(all);
    snprintf(pattern, sizeof pattern, "\\\\.\\pipe\\npipe-test-fnd?-%d*", (int)getpid());
    all = find_all(pattern, &n, NULL);
    TL_EQ(n, 3);
    free(all);

    /* An exact name, through the W function. */
    WIN32_FIND_DATAW w;
    HANDLE h = FindFirstFileW(tl_wide(b), &w);
    TL_ASSERT(h != INVALID_HANDLE_VALUE);
    TL_EQ(w.nFileSizeLow, 1);
    TL_ASSERT(!memcmp(w.cFileName, tl_wide(short_of(b)), (strlen(short_of(b)) + 1) * 2));
    TL_FAILS(FindNextFileW(h, &w), ERROR_NO_MORE_FILES);
    TL_OK(FindClose(h));
    TL_FAILS(FindClose(h), ERROR_INVALID_HANDLE);
    TL_FAILS(FindNextFileW(h, &w), ERROR_INVALID_HANDLE);

    /* FindFirstFileEx, basic information. */
    WIN32_FIND_DATAA d;
    h = FindFirstFileExA(a, FindExInfoBasic, &d, FindExSearchNameMatch, NULL, 0);
    TL_ASSERT(h != INVALID_HANDLE_VALUE);
    TL_EQ(d.nFileSizeLow, 2);
    TL_OK(FindClose(h));
    TL_OK(CloseHandle(s2));
    h = FindFirstFileA(a, &d);
    TL_EQ(d.nFileSizeLow, 1);
    TL_OK(FindClose(h));

    CloseHandle(s1);
    CloseHandle(s3);
    CloseHandle(s4);
}

static void test_find_errors(void **state)
{
    (void)state;
    WIN32_FIND_DATAA d;
    SetLastError(0);
    TL_EQ(FindFirstFileA("\\\\.\\pipe\\npipe-test-no-such-pipe-*", &d), INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
    TL_EQ(FindFirstFileA("\\\\.\\pipe\\", &d), INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_FILE_NOT_FOUND);
    TL_EQ(FindFirstFileA("\\\\.\\pipe\\LOCAL\\*", &d), INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_PATH_NOT_FOUND); /* npfs has no subdirectories */
    TL_EQ(FindFirstFileA("C:\\Windows\\*", &d), INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
    TL_EQ(FindFirstFileA("\\\\server\\pipe\\*", &d), INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_BAD_NETPATH);
    TL_EQ(FindFirstFileA("", &d), INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_PATH_NOT_FOUND);
    TL_EQ(FindFirstFileExA("\\\\.\\pipe\\*", FindExInfoMaxInfoLevel, &d,
                           FindExSearchNameMatch, NULL, 0),
          INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    TL_EQ(FindFirstFileExA("\\\\.\\pipe\\*", FindExInfoStandard, &d,
                           FindExSearchNameMatch, NULL, 0x100),
          INVALID_HANDLE_VALUE);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    TL_FAILS(FindClose(INVALID_HANDLE_VALUE), ERROR_INVALID_HANDLE);
    TL_FAILS(FindClose(NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(FindNextFileA((HANDLE)&d, &d), ERROR_INVALID_HANDLE);
}

/* More pipes than one query returns; pipes made and removed while a
 * search is under way are found or not, but nothing twice. */
static void test_find_many(void **state)
{
    (void)state;
    enum { N = 600 };
    static HANDLE pipes[N + 1];
    char name[128], pattern[128];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "\\\\.\\pipe\\npipe-test-fmany-%d-%04d", (int)getpid(), i);
        pipes[i] = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    }
    snprintf(pattern, sizeof pattern, "\\\\.\\pipe\\npipe-test-fmany-%d-*", (int)getpid());
    WIN32_FIND_DATAA d;
    HANDLE h = FindFirstFileA(pattern, &d);
    TL_ASSERT(h != INVALID_HANDLE_VALUE);
    TL_ASSERT(!strcmp(d.cFileName + strlen(d.cFileName) - 4, "0000"));
    /* Now: one more pipe (it comes last), and the last old one goes. */
    snprintf(name, sizeof name, "\\\\.\\pipe\\npipe-test-fmany-%d-new", (int)getpid());
    pipes[N] = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    TL_OK(CloseHandle(pipes[N - 1]));
    static bool seen[N];
    int count = 1;
    bool new_seen = false;
    seen[0] = true;
    while (FindNextFileA(h, &d)) {
        count++;
        const char *tail = d.cFileName + strlen(d.cFileName) - 4;
        if (!strcmp(d.cFileName + strlen(d.cFileName) - 3, "new")) {
            TL_ASSERT(!new_seen);
            new_seen = true;
            continue;
        }
        int i = atoi(tail);
        TL_ASSERT_MSG(!seen[i], "%s twice", d.cFileName);
        TL_ASSERT_MSG(i != N - 1, "a closed pipe was listed");
        seen[i] = true;
    }
    TL_EQ(GetLastError(), ERROR_NO_MORE_FILES);
    TL_OK(FindClose(h));
    TL_EQ(count, N); /* N - 1 old ones and the new one */
    TL_ASSERT(new_seen);
    for (int i = 0; i < N - 1; i++)
        CloseHandle(pipes[i]);
    CloseHandle(pipes[N]);
}

/* ---- NtQueryDirectoryFile ------------------------------------------------ */

static HANDLE open_root(ACCESS_MASK access)
{
    static const WCHAR root[] = {'\\', '?', '?', '\\', 'p', 'i', 'p', 'e', '\\'};
    UNICODE_STRING us = {sizeof root, sizeof root, (PWSTR)root};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    HANDLE h = NULL;
    NTSTATUS status = NtOpenFile(&h, access, &oa, &iosb, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT);
    TL_ASSERT_MSG(NT_SUCCESS(status), "opening the root: 0x%08x", (unsigned)status);
    return h;
}

static UNICODE_STRING ustr(const char *s)
{
    WCHAR *w = tl_wide(s);
    USHORT n = 0;
    while (w[n])
        n++;
    return (UNICODE_STRING){(USHORT)(n * 2), (USHORT)(n * 2), w};
}

static void test_query_directory(void **state)
{
    (void)state;
    char a[300], b[300], pattern[64];
    snprintf(a, sizeof a, "%s", tl_pipe_name("qda"));
    snprintf(b, sizeof b, "%s", tl_pipe_name("qdb"));
    snprintf(pattern, sizeof pattern, "npipe-test-qd?-%d-*", (int)getpid());
    HANDLE s1 = tl_server(a, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 7, 0, 0);
    HANDLE s2 = tl_server(b, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, PIPE_UNLIMITED_INSTANCES, 0, 0);
    HANDLE root = open_root(FILE_LIST_DIRECTORY | SYNCHRONIZE);
    _Alignas(8) UCHAR buf[4096];
    IO_STATUS_BLOCK iosb;
    UNICODE_STRING mask = ustr(pattern);

    /* One entry at a time; the mask sticks. */
    NTSTATUS status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                           FileDirectoryInformation, TRUE, &mask, TRUE);
    TL_EQ(status, STATUS_SUCCESS);
    FILE_DIRECTORY_INFORMATION *e = (FILE_DIRECTORY_INFORMATION *)buf;
    TL_EQ(e->NextEntryOffset, 0);
    TL_EQ(iosb.Information, offsetof(FILE_DIRECTORY_INFORMATION, FileName) + e->FileNameLength);
    TL_EQ(e->FileNameLength, strlen(short_of(a)) * 2);
    TL_ASSERT(!memcmp(e->FileName, tl_wide(short_of(a)), e->FileNameLength));
    TL_EQ(e->EndOfFile.QuadPart, 1);      /* current instances */
    TL_EQ(e->AllocationSize.QuadPart, 7); /* maximum instances */
    TL_EQ(e->FileAttributes, FILE_ATTRIBUTE_NORMAL);
    TL_EQ(e->CreationTime.QuadPart | e->LastWriteTime.QuadPart, 0);
    ULONG first_index = e->FileIndex;
    status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                  FileDirectoryInformation, TRUE, NULL, FALSE);
    TL_EQ(status, STATUS_SUCCESS);
    TL_EQ(e->AllocationSize.QuadPart, 0xFFFFFFFFLL); /* unlimited */
    TL_ASSERT(e->FileIndex > first_index);
    status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                  FileDirectoryInformation, TRUE, NULL, FALSE);
    TL_EQ(status, STATUS_NO_MORE_FILES);

    /* Restart: both at once, chained and 8-aligned, in other classes. */
    static const FILE_INFORMATION_CLASS classes[] = {
        FileFullDirectoryInformation, FileBothDirectoryInformation, FileNamesInformation};
    for (size_t k = 0; k < 3; k++) {
        memset(&iosb, 0, sizeof iosb);
        status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                      classes[k], FALSE, NULL, TRUE);
        TL_EQ(status, STATUS_SUCCESS);
        ULONG next = *(ULONG *)buf;
        TL_ASSERT(next > 0 && next % 8 == 0);
        TL_EQ(*(ULONG *)(buf + next), 0); /* the second is the last */
        TL_ASSERT(iosb.Information > next);
    }
    FILE_BOTH_DIR_INFORMATION both;
    status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                  FileBothDirectoryInformation, TRUE, NULL, TRUE);
    memcpy(&both, buf, sizeof both);
    TL_EQ(both.ShortNameLength, 0);
    TL_EQ(both.EndOfFile.QuadPart, 1);

    /* A new mask on restart; nothing matches: NO_SUCH_FILE, then NO_MORE. */
    UNICODE_STRING none = ustr("npipe-test-nothing-*");
    status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                  FileNamesInformation, FALSE, &none, TRUE);
    TL_EQ(status, STATUS_NO_SUCH_FILE);

    /* Buffers: too small for the fixed part, then for the name. */
    status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, 10,
                                  FileDirectoryInformation, TRUE, &mask, TRUE);
    TL_EQ(status, STATUS_INFO_LENGTH_MISMATCH);
    status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf,
                                  offsetof(FILE_DIRECTORY_INFORMATION, FileName) + 4,
                                  FileDirectoryInformation, TRUE, &mask, TRUE);
    TL_EQ(status, STATUS_BUFFER_OVERFLOW);
    TL_EQ(e->FileNameLength, strlen(short_of(a)) * 2); /* the whole length */
    TL_EQ(iosb.Information, offsetof(FILE_DIRECTORY_INFORMATION, FileName) + 4);
    status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                  FileDirectoryInformation, TRUE, NULL, FALSE);
    TL_EQ(status, STATUS_SUCCESS); /* the entry that did not fit comes again */
    TL_EQ(e->FileNameLength, strlen(short_of(a)) * 2);

    status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                  FileStandardInformation, TRUE, NULL, TRUE);
    TL_EQ(status, STATUS_INVALID_INFO_CLASS);
    /* Not a directory; a handle without FILE_LIST_DIRECTORY. */
    status = NtQueryDirectoryFile(s1, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                  FileDirectoryInformation, TRUE, NULL, TRUE);
    TL_EQ(status, STATUS_INVALID_PARAMETER);
    HANDLE weak = open_root(FILE_READ_ATTRIBUTES | SYNCHRONIZE);
    status = NtQueryDirectoryFile(weak, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                  FileDirectoryInformation, TRUE, NULL, TRUE);
    TL_EQ(status, STATUS_ACCESS_DENIED);
    TL_OK(CloseHandle(weak));
    TL_OK(CloseHandle(root));
    CloseHandle(s1);
    CloseHandle(s2);
}

/* npipe's class: the instances and who is on each end. */
static void test_query_npipe_class(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("qdn");
    HANDLE s1 = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 2, 100, 200);
    HANDLE s2 = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 2, 100, 200);
    HANDLE c = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    tl_write(s1, "abc", 3);
    HANDLE root = open_root(FILE_LIST_DIRECTORY | SYNCHRONIZE);
    _Alignas(8) UCHAR buf[4096];
    IO_STATUS_BLOCK iosb;
    UNICODE_STRING mask = ustr(short_of(name));
    NTSTATUS status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buf, sizeof buf,
                                           FileNpipePipeInformation, FALSE, &mask, TRUE);
    TL_EQ(status, STATUS_SUCCESS);
    NPIPE_PIPE_INFORMATION *p = (NPIPE_PIPE_INFORMATION *)buf;
    TL_EQ(p->NextEntryOffset, 0);
    TL_EQ(p->Flags, 0);
    TL_EQ(p->OwnerUid, getuid());
    TL_EQ(p->NamedPipeType, FILE_PIPE_MESSAGE_TYPE);
    TL_EQ(p->NamedPipeConfiguration, FILE_PIPE_FULL_DUPLEX);
    TL_EQ(p->MaximumInstances, 2);
    TL_EQ(p->CurrentInstances, 2);
    TL_EQ(p->InstanceCount, 2);
    TL_EQ(p->InstanceOffset % 8, 0);
    TL_EQ(iosb.Information, p->InstanceOffset + 2 * sizeof(NPIPE_INSTANCE_INFORMATION));
    NPIPE_INSTANCE_INFORMATION *i = (NPIPE_INSTANCE_INFORMATION *)(buf + p->InstanceOffset);
    DWORD session;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session));
    TL_EQ(i[0].NamedPipeState, FILE_PIPE_CONNECTED_STATE);
    TL_EQ(i[0].Flags, NPIPE_INSTANCE_SERVER_OPEN | NPIPE_INSTANCE_CLIENT_OPEN |
                          NPIPE_INSTANCE_CLIENT_KNOWN);
    TL_EQ(i[0].ServerProcessId, getpid());
    TL_EQ(i[0].ServerSessionId, session);
    TL_EQ(i[0].ClientProcessId, getpid());
    TL_EQ(i[0].ClientSessionId, session);
    TL_EQ(i[0].OutboundBytes, 3);
    TL_EQ(i[0].InboundBytes, 0);
    TL_EQ(i[1].NamedPipeState, FILE_PIPE_LISTENING_STATE);
    TL_EQ(i[1].Flags, NPIPE_INSTANCE_SERVER_OPEN);
    TL_EQ(i[1].ClientProcessId, 0);
    TL_NE(i[0].InstanceId, i[1].InstanceId);
    TL_OK(CloseHandle(root));
    CloseHandle(c);
    CloseHandle(s1);
    CloseHandle(s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_find_pipes),
        TL_TEST(test_find_errors),
        TL_TEST(test_find_many),
        TL_TEST(test_query_directory),
        TL_TEST(test_query_npipe_class),
    };
    return TL_RUN(tests);
}
