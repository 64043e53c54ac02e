/*
 * test_tool_monitor.c — pipe events: `npipe monitor` run for real, and the
 * change notification under it (NtNotifyChangeDirectoryFileEx on the pipe
 * root) — Windows' class, npipe's class with pids and sessions, a
 * subscriber that falls behind (STATUS_NOTIFY_ENUM_DIR: events are
 * dropped, the broker never waits), a handle closed under a waiting
 * notification (STATUS_NOTIFY_CLEANUP), and other users' pipes kept out.
 */
#include "tool_helpers.h"

#include <npipe/winternl.h>
#include <sys/stat.h>

static HANDLE open_root(void)
{
    static const WCHAR root[] = {'\\', '?', '?', '\\', 'p', 'i', 'p', 'e', '\\'};
    UNICODE_STRING us = {sizeof root, sizeof root, (PWSTR)root};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    HANDLE h = NULL;
    NTSTATUS status = NtOpenFile(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, &oa, &iosb,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT);
    TL_ASSERT_MSG(NT_SUCCESS(status), "opening the root: 0x%08x", (unsigned)status);
    return h;
}

/* ---- The native call ---------------------------------------------------- */

struct notify_ctx {
    HANDLE root;
    DIRECTORY_NOTIFY_INFORMATION_CLASS cls;
    ULONG filter;
    NTSTATUS status;
    int done;
    IO_STATUS_BLOCK iosb;
    _Alignas(8) UCHAR buf[8192];
};

static void *notify_thread(void *arg)
{
    struct notify_ctx *n = arg;
    n->status = NtNotifyChangeDirectoryFileEx(n->root, NULL, NULL, NULL, &n->iosb, n->buf,
                                              sizeof n->buf, n->filter, FALSE, n->cls);
    __atomic_store_n(&n->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static NTSTATUS notify_now(struct notify_ctx *n)
{
    notify_thread(n);
    return n->status;
}

/* The subscription starts with the first call, which returns once
 * something happens: make pipes until it does, then a last one, and read
 * until that one's removal, so that nothing of the setup is left. */
static bool is_mark(const struct notify_ctx *n, ULONG at, const WCHAR *mark, ULONG bytes)
{
    if (n->cls == DirectoryNotifyInformation) {
        const FILE_NOTIFY_INFORMATION *f = (const void *)(n->buf + at);
        return f->Action == FILE_ACTION_REMOVED && f->FileNameLength == bytes &&
               !memcmp(f->FileName, mark, bytes);
    }
    NPIPE_PIPE_EVENT_INFORMATION e;
    memcpy(&e, n->buf + at, offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName));
    return e.Action == NPIPE_PIPE_EVENT_CLOSED && e.FileNameLength == bytes &&
           !memcmp(n->buf + at + offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName), mark,
                   bytes);
}

static void subscribe(struct notify_ctx *n, const char *tag)
{
    pthread_t t = tl_thread_start(notify_thread, n);
    for (int i = 0; i < 200 && !__atomic_load_n(&n->done, __ATOMIC_SEQ_CST); i++) {
        char name[128];
        snprintf(name, sizeof name, "\\\\.\\pipe\\%s-sync-%d", tag, i);
        CloseHandle(tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0));
        tl_sleep_ms(10);
    }
    tl_thread_join(t);
    TL_EQ(n->status, STATUS_SUCCESS);
    char mark[128];
    snprintf(mark, sizeof mark, "\\\\.\\pipe\\%s-mark", tag);
    CloseHandle(tl_server(mark, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0));
    WCHAR wmark[128];
    memcpy(wmark, tl_wide(mark + 9), (strlen(mark + 9) + 1) * sizeof(WCHAR));
    ULONG bytes = (ULONG)strlen(mark + 9) * sizeof(WCHAR);
    for (;;) {
        TL_EQ(notify_now(n), STATUS_SUCCESS);
        ULONG at = 0;
        for (;;) {
            if (is_mark(n, at, wmark, bytes))
                return;
            ULONG next = *(ULONG *)(n->buf + at);
            if (!next)
                break;
            at += next;
        }
    }
}

static void test_notify_windows_class(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("ntfw");
    struct notify_ctx *n = calloc(1, sizeof *n);
    n->root = open_root();
    n->cls = DirectoryNotifyInformation;
    n->filter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_SIZE;
    subscribe(n, tl_pipe_name("ntfwsync") + 9);
    FILE_NOTIFY_INFORMATION *f;
    HANDLE s1 = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 0, 0);
    HANDLE s2 = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 0, 0);
    CloseHandle(s2);
    CloseHandle(s1);
    /* added, modified (2 instances), modified (1), removed: in one go */
    TL_EQ(notify_now(n), STATUS_SUCCESS);
    static const ULONG actions[] = {FILE_ACTION_ADDED, FILE_ACTION_MODIFIED,
                                    FILE_ACTION_MODIFIED, FILE_ACTION_REMOVED};
    ULONG at = 0;
    for (int i = 0; i < 4; i++) {
        f = (FILE_NOTIFY_INFORMATION *)(n->buf + at);
        TL_EQ(f->Action, actions[i]);
        TL_EQ(f->FileNameLength, (strlen(name) - 9) * 2);
        TL_ASSERT(!memcmp(f->FileName, tl_wide(name + 9), f->FileNameLength));
        if (i < 3)
            TL_ASSERT(f->NextEntryOffset > 0);
        at += f->NextEntryOffset;
    }
    TL_EQ(f->NextEntryOffset, 0);
    TL_EQ(n->iosb.Information, at + offsetof(FILE_NOTIFY_INFORMATION, FileName) +
                                   f->FileNameLength);
    /* Another class on the same handle: refused. */
    n->cls = DirectoryNotifyNpipeInformation;
    TL_EQ(notify_now(n), STATUS_INVALID_PARAMETER);
    CloseHandle(n->root);
    free(n);
}

static void test_notify_npipe_class(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("ntfn");
    struct notify_ctx *n = calloc(1, sizeof *n);
    n->root = open_root();
    n->cls = DirectoryNotifyNpipeInformation;
    n->filter = FILE_NOTIFY_CHANGE_FILE_NAME;
    subscribe(n, tl_pipe_name("ntfnsync") + 9);
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 3, 0, 0);
    HANDLE c = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    tl_connect(s);
    CloseHandle(c);
    TL_OK(DisconnectNamedPipe(s));
    CloseHandle(s);
    TL_EQ(notify_now(n), STATUS_SUCCESS);
    static const struct {
        ULONG action, end, state, instances;
    } want[] = {
        {NPIPE_PIPE_EVENT_CREATED, FILE_PIPE_SERVER_END, FILE_PIPE_LISTENING_STATE, 1},
        {NPIPE_PIPE_EVENT_OPENED, FILE_PIPE_CLIENT_END, FILE_PIPE_CONNECTED_STATE, 1},
        {NPIPE_PIPE_EVENT_CONNECTED, FILE_PIPE_SERVER_END, FILE_PIPE_CONNECTED_STATE, 1},
        {NPIPE_PIPE_EVENT_CLOSED, FILE_PIPE_CLIENT_END, FILE_PIPE_CLOSING_STATE, 1},
        {NPIPE_PIPE_EVENT_DISCONNECTED, FILE_PIPE_SERVER_END, FILE_PIPE_DISCONNECTED_STATE, 1},
        {NPIPE_PIPE_EVENT_CLOSED, FILE_PIPE_SERVER_END, 0, 0},
    };
    DWORD session;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session));
    ULONG at = 0, id = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        NPIPE_PIPE_EVENT_INFORMATION e;
        TL_ASSERT_MSG(at + offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName) <= n->iosb.Information,
                      "only %zu events", i);
        memcpy(&e, n->buf + at, offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName));
        TL_EQ(e.Action, want[i].action);
        TL_EQ(e.End, want[i].end);
        TL_EQ(e.NamedPipeState, want[i].state);
        TL_EQ(e.CurrentInstances, want[i].instances);
        TL_EQ(e.MaximumInstances, 3);
        TL_EQ(e.ProcessId, getpid());
        TL_EQ(e.SessionId, session);
        TL_EQ(e.ServerProcessId, getpid());
        TL_EQ(e.ServerSessionId, session);
        TL_ASSERT(e.Time.QuadPart > 116444736000000000LL); /* after 1970 */
        if (i == 0)
            id = e.InstanceId;
        TL_EQ(e.InstanceId, id);
        TL_ASSERT(!memcmp(n->buf + at + offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName),
                          tl_wide(name + 9), e.FileNameLength));
        if (i >= 1 && i <= 3)
            TL_EQ(e.ClientProcessId, getpid());
        at += e.NextEntryOffset;
        if (i + 1 < sizeof want / sizeof want[0])
            TL_ASSERT(e.NextEntryOffset % 8 == 0 && e.NextEntryOffset > 0);
        else
            TL_EQ(e.NextEntryOffset, 0);
    }
    CloseHandle(n->root);
    free(n);
}

/* A subscriber that stops asking loses events, and is told so. */
static void test_notify_overflow(void **state)
{
    (void)state;
    struct notify_ctx *n = calloc(1, sizeof *n);
    n->root = open_root();
    n->cls = DirectoryNotifyNpipeInformation;
    n->filter = FILE_NOTIFY_CHANGE_FILE_NAME;
    subscribe(n, tl_pipe_name("ovfsync") + 9);
    /* ~100 bytes an event, 64 KiB kept: 1500 events are too many. */
    const char *name = tl_pipe_name("overflow");
    for (int i = 0; i < 750; i++)
        CloseHandle(tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0));
    TL_EQ(notify_now(n), STATUS_NOTIFY_ENUM_DIR);
    TL_EQ(n->iosb.Information, 0);
    /* And then it starts afresh. */
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    TL_EQ(notify_now(n), STATUS_SUCCESS);
    TL_EQ(((NPIPE_PIPE_EVENT_INFORMATION *)n->buf)->Action, NPIPE_PIPE_EVENT_CREATED);
    CloseHandle(s);
    CloseHandle(n->root);
    free(n);
}

/* Closing the handle ends a waiting notification: STATUS_NOTIFY_CLEANUP. */
static void test_notify_cleanup(void **state)
{
    (void)state;
    struct notify_ctx *n = calloc(1, sizeof *n);
    n->root = open_root();
    n->cls = DirectoryNotifyNpipeInformation;
    n->filter = FILE_NOTIFY_CHANGE_FILE_NAME;
    pthread_t t = tl_thread_start(notify_thread, n);
    tl_sleep_ms(100);
    TL_OK(CloseHandle(n->root));
    tl_thread_join(t);
    TL_EQ(n->status, STATUS_NOTIFY_CLEANUP);
    /* Bad arguments. */
    n->root = open_root();
    n->filter = 0;
    TL_EQ(notify_now(n), STATUS_INVALID_PARAMETER);
    n->filter = 0x10000;
    TL_EQ(notify_now(n), STATUS_INVALID_PARAMETER);
    n->filter = FILE_NOTIFY_CHANGE_FILE_NAME;
    n->cls = DirectoryNotifyExtendedInformation;
    TL_EQ(notify_now(n), STATUS_INVALID_INFO_CLASS);
    CloseHandle(n->root);
    free(n);
}

/* ---- npipe monitor --------------------------------------------------------- */

/* Makes pipes named <tag>-sync-N until the monitor prints one: from then
 * on it sees everything. */
static void sync_monitor(struct th_proc *m, const char *tag)
{
    char line[512];
    for (int i = 0; i < 100; i++) {
        char name[128];
        snprintf(name, sizeof name, "\\\\.\\pipe\\%s-sync-%d", tag, i);
        CloseHandle(tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0));
        while (th_read_line(m, line, sizeof line, i < 50 ? 100 : 300))
            if (strstr(line, "-sync-"))
                goto synced;
    }
    TL_FAIL("the monitor never reported anything");
synced:
    /* Skip the rest of the sync pipes' events. */
    while (th_read_line(m, line, sizeof line, 150))
        ;
}

static void test_monitor_text(void **state)
{
    (void)state;
    char tag[64];
    snprintf(tag, sizeof tag, "npipe-test-mon-%d", (int)getpid());
    char pattern[80];
    snprintf(pattern, sizeof pattern, "%s*", tag);
    struct th_proc m;
    TH_NPIPE(&m, "monitor", pattern);
    sync_monitor(&m, tag);
    char name[128];
    snprintf(name, sizeof name, "\\\\.\\pipe\\%s-main", tag);
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 2, 0, 0);
    HANDLE c = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    CloseHandle(c);
    CloseHandle(s);
    DWORD session;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session));
    char by_server[96], by_client[96];
    snprintf(by_server, sizeof by_server, "by server pid %d (session %lu)", (int)getpid(),
             (unsigned long)session);
    snprintf(by_client, sizeof by_client, "by client pid %d (session %lu)", (int)getpid(),
             (unsigned long)session);
    static const char *const events[] = {"created", "opened", "closed", "closed"};
    static const char *const states[] = {"listening, 1/2", "connected, 1/2",
                                         "closing, 1/2", "gone, 0/2"};
    for (int i = 0; i < 4; i++) {
        char line[512];
        TL_ASSERT_MSG(th_read_line(&m, line, sizeof line, 5000), "event %d missing", i);
        TL_ASSERT_MSG(strstr(line, events[i]) && strstr(line, name + 9) &&
                          strstr(line, i == 0 || i == 3 ? by_server : by_client) &&
                          strstr(line, states[i]),
                      "event %d: %s", i, line);
    }
    TL_EQ(th_stop(&m, NULL, NULL), 128 + SIGTERM);
}

static void test_monitor_json_count(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("monjson");
    struct th_proc m;
    TH_NPIPE(&m, "monitor", "--json", "--count", "2", (char *)name);
    /* Until it is listening, instances come unseen: make more (and keep
     * them, so that no "closed" comes first). */
    HANDLE s[100];
    int made = 0;
    char line[1024];
    bool seen = false;
    while (!seen && made < 100) {
        s[made++] = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                              PIPE_UNLIMITED_INSTANCES, 0, 0);
        seen = th_read_line(&m, line, sizeof line, 100);
    }
    TL_ASSERT(seen);
    struct th_json e;
    th_json_parse(line, &e);
    TL_ASSERT(!strcmp(th_json_str(&e, "event"), "created"));
    TL_ASSERT(!strcmp(th_json_str(&e, "pipe"), name + 9));
    TL_ASSERT(!strcmp(th_json_str(&e, "end"), "server"));
    TL_ASSERT(!strcmp(th_json_str(&e, "state"), "listening"));
    TL_EQ(th_json_num(&e, "pid"), getpid());
    TL_EQ(th_json_num(&e, "session"), tl_read_sessionid(getpid()));
    TL_ASSERT(th_json_num(&e, "current_instances") >= 1);
    TL_ASSERT(th_json_is_null(&e, "max_instances"));
    TL_ASSERT(th_json_is_null(&e, "client"));
    TL_EQ(th_json_num(th_json_get(&e, "server"), "pid"), getpid());
    TL_ASSERT(th_json_num(&e, "instance") > 0);
    const char *time = th_json_str(&e, "time");
    TL_ASSERT(strlen(time) == 24 && time[10] == 'T' && time[23] == 'Z');
    th_json_free(&e);
    HANDLE c = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    char *out, *err;
    TL_EQ(th_finish(&m, &out, &err, 5000), 0); /* the second event ends it */
    th_json_parse(out, &e);
    TL_ASSERT(!strcmp(th_json_str(&e, "event"), "opened"));
    TL_ASSERT(!strcmp(th_json_str(&e, "end"), "client"));
    TL_EQ(th_json_num(th_json_get(&e, "client"), "pid"), getpid());
    th_json_free(&e);
    free(out);
    free(err);
    CloseHandle(c);
    for (int i = 0; i < made; i++)
        CloseHandle(s[i]);
}

/* As root, on a system broker: a user's monitor hears about its own
 * pipes only; root's about everyone's. */
struct user_ctx {
    const char *broker, *name;
    tl_rdv rdv;
};

static int nobody_pipes(void *arg)
{
    struct user_ctx *c = arg;
    setenv("NPIPE_BROKER", c->broker, 1);
    if (setgid(65534) < 0 || setuid(65534) < 0)
        return 3;
    tl_expect_signal(&c->rdv, 1);
    for (int i = 0; i < 100; i++) {
        CloseHandle(tl_server(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0));
        long long v;
        if (tl_poll_signal(&c->rdv, 100, &v))
            return v == 2 ? 0 : 4;
    }
    return 5;
}

static void test_monitor_other_users(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        skip(); /* needs root: two users and a system broker */
        return;
    }
    char dir[] = "/tmp/npipe-tool-mon-XXXXXX";
    TL_ASSERT(mkdtemp(dir) && chmod(dir, 0755) == 0);
    char broker[128], env_broker[160];
    snprintf(broker, sizeof broker, "%s/broker", dir);
    snprintf(env_broker, sizeof env_broker, "NPIPE_BROKER=%s", broker);
    struct th_proc npiped;
    th_start(&npiped, (char *const[]){(char *)th_npiped(), "--system", "--socket", broker,
                                      NULL});
    struct stat st;
    for (int i = 0; stat(broker, &st) < 0; i++) {
        TL_ASSERT(i < 500);
        tl_sleep_ms(10);
    }
    char *const env[] = {env_broker, "NPIPE_NPIPED=/bin/false", NULL};
    struct th_proc as_root, as_other;
    th_start_env(&as_root, (char *const[]){(char *)th_npipe(), "monitor", "--count", "1", NULL},
                 env);
    th_start_env(&as_other,
                 (char *const[]){"/usr/bin/setpriv", "--reuid=65533", "--regid=65533",
                                 "--clear-groups", (char *)th_npipe(), "monitor", NULL},
                 env);
    tl_sleep_ms(300); /* both are subscribed */
    struct user_ctx c = {.broker = broker, .name = tl_pipe_name("nobodys")};
    tl_rdv_init(&c.rdv);
    pid_t pid = tl_spawn(nobody_pipes, &c);
    tl_signal(&c.rdv, 1);
    char *out, *err;
    TL_EQ(th_finish(&as_root, &out, &err, 8000), 0); /* root saw one */
    TH_CONTAINS(out, c.name + 9);
    free(out);
    free(err);
    tl_signal(&c.rdv, 2);
    tl_join(pid);
    TL_EQ(th_stop(&as_other, &out, &err), 128 + SIGTERM);
    TL_ASSERT_MSG(!strstr(out, c.name + 9), "another user's monitor saw: %s", out);
    free(out);
    free(err);
    tl_rdv_close(&c.rdv);
    TL_EQ(th_stop(&npiped, NULL, NULL), 0);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_notify_windows_class),
        TL_TEST(test_notify_npipe_class),
        TL_TEST(test_notify_overflow),
        TL_TEST(test_notify_cleanup),
        TL_TEST(test_monitor_text),
        TL_TEST(test_monitor_json_count),
        TL_TEST(test_monitor_other_users),
    };
    return TL_RUN(tests);
}
