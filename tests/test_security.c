/*
 * test_security.c — who may use what.
 *
 *   - Handles are per process: a handle value passed to another process —
 *     of the same user or not — names nothing there (ERROR_INVALID_HANDLE),
 *     whether it goes through the library or straight onto the wire.
 *   - A per-user broker's socket directory is private (0700) and its socket
 *     0600, and it serves only its own user and root.
 *   - A system broker (npiped --system) enforces Windows' default pipe
 *     security for pipes created without a security descriptor: the
 *     creator's user and root get full access, other users read access only
 *     (a write or duplex open fails with ERROR_ACCESS_DENIED), and only the
 *     creator's user and root may add an instance
 *     (FILE_CREATE_PIPE_INSTANCE), so nobody can put an instance of their
 *     own in front of a service's clients.
 *
 * The two-user tests need root (to create two users with useradd and to
 * switch to them); they start their own --system broker on a private
 * socket, and remove the users afterwards.  Without root they are skipped,
 * saying why.
 */
#include "robustlib.h"

#include <grp.h>
#include <pwd.h>
#include <sys/syscall.h>

#include <npipe/winternl.h>

/* ---- Handles are per process ------------------------------------------------ */

struct hctx {
    const char *name;
    tl_rdv r;
    uint32_t wire[4];
    int count;
};

/* The epoch tag of this process's handles (channel.h: the bits above 24),
 * learned from a handle of its own, which is closed again so that no wire
 * value is in use here. */
static uintptr_t own_epoch_tag(const char *name)
{
    HANDLE h = TL_HANDLE(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                          PIPE_UNLIMITED_INSTANCES, 512, 512, 0, NULL));
    uintptr_t tag = (uintptr_t)h & ~(uintptr_t)0xFFFFFF;
    TL_OK(CloseHandle(h));
    return tag;
}

static void try_foreign_handle(HANDLE h)
{
    char buf[8];
    DWORD n;
    TL_FAILS(ReadFile(h, buf, sizeof buf, &n, NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(WriteFile(h, "x", 1, &n, NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(FlushFileBuffers(h), ERROR_INVALID_HANDLE);
    TL_FAILS(DisconnectNamedPipe(h), ERROR_INVALID_HANDLE);
    TL_FAILS(GetNamedPipeInfo(h, NULL, NULL, NULL, NULL), ERROR_INVALID_HANDLE);
    ULONG pid;
    TL_FAILS(GetNamedPipeClientProcessId(h, &pid), ERROR_INVALID_HANDLE);
    HANDLE dup;
    TL_FAILS(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &dup, 0,
                             FALSE, DUPLICATE_SAME_ACCESS),
             ERROR_INVALID_HANDLE);
    TL_FAILS(SetHandleInformation(h, HANDLE_FLAG_PROTECT_FROM_CLOSE,
                                  HANDLE_FLAG_PROTECT_FROM_CLOSE),
             ERROR_INVALID_HANDLE);
    TL_FAILS(CloseHandle(h), ERROR_INVALID_HANDLE);
}

/* Straight onto the wire, past the library's own checks. */
static void try_foreign_wire(uint32_t wire)
{
    int fd = rb_connect(tl_broker_path());
    static const uint16_t ops[] = {NP_OP_READ, NP_OP_WRITE, NP_OP_FLUSH,
                                   NP_OP_FSCTL, NP_OP_QUERY_INFO, NP_OP_SET_INFO,
                                   NP_OP_DUPLICATE, NP_OP_HANDLE_FLAGS, NP_OP_CLOSE};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        struct np_request q;
        rb_header(&q, ops[i], 100 + i);
        q.handle = wire;
        char payload[8] = "data";
        size_t plen = 0;
        if (ops[i] == NP_OP_READ) {
            q.out_len = 8;
        } else if (ops[i] == NP_OP_WRITE) {
            q.in_len = 4;
            plen = 4;
        } else if (ops[i] == NP_OP_FSCTL) {
            q.args.io.code = FSCTL_PIPE_PEEK;
            q.out_len = 64;
        } else if (ops[i] == NP_OP_QUERY_INFO) {
            q.args.io.code = FilePipeLocalInformation;
            q.out_len = sizeof(FILE_PIPE_LOCAL_INFORMATION);
        } else if (ops[i] == NP_OP_SET_INFO) {
            q.args.io.code = FilePipeInformation;
            q.in_len = 8;
            plen = 8;
            memset(payload, 0, sizeof payload);
        } else if (ops[i] == NP_OP_DUPLICATE) {
            q.args.duplicate.options = 2; /* DUPLICATE_SAME_ACCESS */
        }
        TL_ASSERT(rb_send(fd, &q, payload, plen));
        unsigned char buf[512];
        ssize_t n = rb_recv(fd, buf, sizeof buf, 10000);
        TL_ASSERT_MSG(n >= (ssize_t)sizeof(struct np_reply),
                      "no reply to op %u (%zd)", ops[i], n);
        struct np_reply r;
        memcpy(&r, buf, sizeof r);
        TL_EQ(r.id, q.id);
        TL_ASSERT_MSG(r.status == (int32_t)STATUS_INVALID_HANDLE,
                      "op %u on another process's handle %#x: status 0x%08x",
                      ops[i], wire, (unsigned)r.status);
    }
    close(fd);
}

static int foreign_user_of_handles(void *arg)
{
    struct hctx *c = arg;
    uintptr_t tag = own_epoch_tag(tl_pipe_name("sec-own"));
    int n = (int)tl_wait_signal(&c->r);
    for (int i = 0; i < n; i++) {
        uint32_t wire = (uint32_t)tl_wait_signal(&c->r);
        /* As the owner wrote it, and re-tagged as one of ours. */
        try_foreign_handle((HANDLE)(uintptr_t)wire);
        try_foreign_handle((HANDLE)(tag | wire));
        try_foreign_wire(wire);
    }
    tl_signal(&c->r, 1);
    return 0;
}

static void test_handles_are_per_process(void **state)
{
    struct hctx c = {.name = tl_pipe_name("sec-h")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 4, 512, 512);
    HANDLE cl = tl_client(c.name, GENERIC_READ | GENERIC_WRITE);
    HANDLE dup;
    TL_OK(DuplicateHandle(GetCurrentProcess(), s, GetCurrentProcess(), &dup, 0,
                          FALSE, DUPLICATE_SAME_ACCESS));
    HANDLE mine[3] = {s, cl, dup};
    /* A process of the same user (a fork) and an exec'd-like fresh one are
     * the same to the broker: a new process with no handles. */
    pid_t pid = tl_spawn(foreign_user_of_handles, &c);
    tl_signal(&c.r, 3);
    for (int i = 0; i < 3; i++)
        tl_signal(&c.r, (long long)((uintptr_t)mine[i] & 0xFFFFFF));
    tl_expect_signal(&c.r, 1);
    tl_join(pid);
    /* Ours still work, untouched. */
    tl_write_str(cl, "still ours");
    tl_expect_str(dup, "still ours");
    TL_OK(CloseHandle(dup));
    TL_OK(CloseHandle(cl));
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- The per-user broker --------------------------------------------------- */

static int per_user_dir_child(void *arg)
{
    const char *xdg = arg;
    unsetenv("NPIPE_BROKER");
    setenv("XDG_RUNTIME_DIR", xdg, 1);
    setenv("NPIPE_NPIPED", rb_npiped_path(), 1); /* the library starts it */
    /* The system broker would be used first if one answered. */
    struct stat st;
    if (stat("/run/npipe/broker", &st) == 0) {
        printf("a system broker socket exists: the per-user one is not used\n");
        return TL_SKIP_STATUS;
    }
    HANDLE h = tl_server(tl_pipe_name("sec-pu"), PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                         1, 512, 512);
    TL_OK(CloseHandle(h));
    char path[300];
    snprintf(path, sizeof path, "%s/npipe", xdg);
    TL_ASSERT(stat(path, &st) == 0);
    TL_EQ(st.st_mode & 07777, 0700);
    TL_EQ(st.st_uid, geteuid());
    snprintf(path, sizeof path, "%s/npipe/broker", xdg);
    TL_ASSERT(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    TL_EQ(st.st_mode & 0777, 0600);
    /* Stop the broker the library started (it would idle-exit later). */
    int fd = rb_connect(path);
    struct ucred cred;
    socklen_t len = sizeof cred;
    TL_ASSERT(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0);
    close(fd);
    kill(cred.pid, SIGTERM);
    return 0;
}

static int per_user_dir_refused(void *arg)
{
    const char *xdg = arg;
    unsetenv("NPIPE_BROKER");
    setenv("XDG_RUNTIME_DIR", xdg, 1);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/npipe", xdg);
    TL_ASSERT(chmod(dir, 0755) == 0);
    /* A directory others can look into is not a private broker's. */
    TL_HANDLE_FAILS(CreateNamedPipeA(tl_pipe_name("sec-pu2"), PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE, 1, 512, 512, 0, NULL),
                    ERROR_ACCESS_DENIED);
    return 0;
}

static void test_per_user_broker_is_private(void **state)
{
    char *xdg = rb_private_dir("sec-xdg");
    chmod(xdg, 0700);
    int rc = tl_wait(tl_spawn(per_user_dir_child, xdg));
    if (rc == TL_SKIP_STATUS)
        skip();
    TL_EQ(rc, 0);
    tl_join(tl_spawn(per_user_dir_refused, xdg));
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", xdg);
    TL_ASSERT(system(cmd) == 0);
}

/* ---- Two users on a system broker -------------------------------------------- */

#define USER_A "npipe-test-a"
#define USER_B "npipe-test-b"

static struct {
    bool ready;
    const char *why;
    uid_t uid[2];
    gid_t gid[2];
    pid_t broker;
    char path[256];
} two;

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void remove_users(void)
{
    /* Idempotent: a user that is not there is fine. */
    run("userdel " USER_A " >/dev/null 2>&1");
    run("userdel " USER_B " >/dev/null 2>&1");
}

static bool make_user(const char *name, int i)
{
    if (!getpwnam(name)) {
        char cmd[256];
        snprintf(cmd, sizeof cmd,
                 "useradd --system --no-create-home --user-group "
                 "--shell /usr/sbin/nologin %s >/dev/null 2>&1",
                 name);
        if (run(cmd) != 0)
            return false;
    }
    struct passwd *pw = getpwnam(name);
    if (!pw)
        return false;
    two.uid[i] = pw->pw_uid;
    two.gid[i] = pw->pw_gid;
    return true;
}

static int group_setup(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        two.why = "not root: cannot create two users to test pipe security";
        return 0;
    }
    if (run("command -v useradd >/dev/null && command -v userdel >/dev/null") != 0) {
        two.why = "useradd/userdel are not installed";
        return 0;
    }
    if (!make_user(USER_A, 0) || !make_user(USER_B, 1)) {
        remove_users();
        two.why = "useradd failed";
        return 0;
    }
    atexit(remove_users);
    snprintf(two.path, sizeof two.path, "%s/broker", rb_private_dir("sec-sys"));
    two.broker = rb_start_broker(two.path, (const char *[]){"--system", NULL});
    two.ready = true;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (two.broker > 0) {
        rb_stop_broker(two.broker);
        rb_remove_dir_of(two.path);
    }
    if (two.ready)
        remove_users();
    return 0;
}

static void need_two_users(void)
{
    if (!two.ready) {
        printf("[  SKIPPED ] %s\n", two.why ? two.why : "no test users");
        skip();
    }
}

/* Who a child runs as: 0 user A, 1 user B, 2 root. */
struct job {
    int as;
    int (*fn)(void *);
    void *arg;
};

struct sctx {
    const char *name;
    tl_rdv r;
    pid_t server_pid;
};

static int as_user(void *arg)
{
    struct job *j = arg;
    setenv("NPIPE_BROKER", two.path, 1);
    setenv("NPIPE_NPIPED", "/bin/false", 1); /* never start another */
    if (j->as < 2) {
        TL_ASSERT(setgroups(0, NULL) == 0);
        TL_ASSERT(setgid(two.gid[j->as]) == 0);
        TL_ASSERT(setuid(two.uid[j->as]) == 0);
        TL_EQ(geteuid(), two.uid[j->as]);
    }
    return j->fn(j->arg);
}

static pid_t spawn_as(int who, int (*fn)(void *), void *arg)
{
    static struct job jobs[16];
    static int next;
    struct job *j = &jobs[next++ % 16];
    *j = (struct job){who, fn, arg};
    return tl_spawn(as_user, j);
}

/* User A's service: a duplex message pipe with a few instances, answering
 * every client with its own pid, until told to stop. */
static int service_a(void *arg)
{
    struct sctx *c = arg;
    HANDLE s[3];
    for (int i = 0; i < 3; i++)
        s[i] = tl_server(c->name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 4, 512, 512);
    tl_signal(&c->r, 1);
    tl_wait_signal(&c->r);
    for (int i = 0; i < 3; i++)
        TL_OK(CloseHandle(s[i]));
    return 0;
}

static int user_b_opens(void *arg)
{
    struct sctx *c = arg;
    /* Read access: allowed; the server's identity can be asked. */
    HANDLE h = tl_client(c->name, GENERIC_READ);
    ULONG pid = 0;
    TL_OK(GetNamedPipeServerProcessId(h, &pid));
    TL_EQ(pid, (ULONG)c->server_pid);
    DWORD state;
    TL_OK(GetNamedPipeHandleStateA(h, &state, NULL, NULL, NULL, NULL, 0));
    TL_OK(CloseHandle(h));
    /* Anything that writes: denied. */
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_READ | FILE_WRITE_ATTRIBUTES, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_ALL, 0, NULL, OPEN_EXISTING, 0, NULL),
                    ERROR_ACCESS_DENIED);
    /* No instance of its own in front of A's clients. */
    TL_HANDLE_FAILS(CreateNamedPipeA(c->name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 4, 512,
                                     512, 0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateNamedPipeA(c->name, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE, 4,
                                     512, 512, 0, NULL),
                    ERROR_ACCESS_DENIED);
    /* Its own pipes are its own. */
    HANDLE mine = tl_server(tl_pipe_name("sec-b-own"), PIPE_ACCESS_DUPLEX,
                            PIPE_TYPE_BYTE, 2, 512, 512);
    TL_OK(CloseHandle(mine));
    return 0;
}

static int owner_or_root_opens(void *arg)
{
    struct sctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    DWORD mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    ULONG pid = 0;
    TL_OK(GetNamedPipeServerProcessId(h, &pid));
    TL_EQ(pid, (ULONG)c->server_pid);
    TL_OK(CloseHandle(h));
    /* ...and may add an instance (the pipe allows four; A made three). */
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE, 4, 512, 512);
    TL_OK(CloseHandle(s));
    return 0;
}

static void test_default_pipe_security(void **state)
{
    need_two_users();
    struct sctx c = {.name = tl_pipe_name("sec-svc")};
    tl_rdv_init(&c.r);
    c.server_pid = spawn_as(0, service_a, &c);
    tl_expect_signal(&c.r, 1);
    tl_join(spawn_as(1, user_b_opens, &c));       /* another user */
    tl_join(spawn_as(0, owner_or_root_opens, &c)); /* the creator's user */
    tl_join(spawn_as(2, owner_or_root_opens, &c)); /* root */
    tl_signal(&c.r, 0);
    tl_join(c.server_pid);
    tl_rdv_close(&c.r);
}

/* B reads what A's server writes: read access is real access. */
static int service_a_writes(void *arg)
{
    struct sctx *c = arg;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_OUTBOUND, PIPE_TYPE_BYTE, 1, 512, 512);
    tl_signal(&c->r, 1);
    tl_connect(s);
    tl_write_str(s, "from A to anyone");
    TL_OK(FlushFileBuffers(s));
    TL_OK(CloseHandle(s));
    return 0;
}

static int user_b_reads(void *arg)
{
    struct sctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ);
    tl_expect_str(h, "from A to anyone");
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_other_user_reads(void **state)
{
    need_two_users();
    struct sctx c = {.name = tl_pipe_name("sec-read")};
    tl_rdv_init(&c.r);
    pid_t a = spawn_as(0, service_a_writes, &c);
    tl_expect_signal(&c.r, 1);
    tl_join(spawn_as(1, user_b_reads, &c));
    tl_join(a);
    tl_rdv_close(&c.r);
}

/* Root's pipes: users get read access only, as with SYSTEM's pipes. */
static int root_service(void *arg)
{
    struct sctx *c = arg;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 512, 512);
    tl_signal(&c->r, 1);
    tl_wait_signal(&c->r);
    TL_OK(CloseHandle(s));
    return 0;
}

static int user_a_against_root(void *arg)
{
    struct sctx *c = arg;
    TL_HANDLE_FAILS(CreateFileA(c->name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                                OPEN_EXISTING, 0, NULL),
                    ERROR_ACCESS_DENIED);
    TL_HANDLE_FAILS(CreateNamedPipeA(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2,
                                     512, 512, 0, NULL),
                    ERROR_ACCESS_DENIED);
    HANDLE h = tl_client(c->name, GENERIC_READ);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_root_pipe(void **state)
{
    need_two_users();
    struct sctx c = {.name = tl_pipe_name("sec-root")};
    tl_rdv_init(&c.r);
    pid_t s = spawn_as(2, root_service, &c);
    tl_expect_signal(&c.r, 1);
    tl_join(spawn_as(0, user_a_against_root, &c));
    tl_signal(&c.r, 0);
    tl_join(s);
    tl_rdv_close(&c.r);
}

/* A per-user broker (no --system) serves its own user and root only. */
static int refused_by_per_user_broker(void *arg)
{
    const char *path = arg;
    setenv("NPIPE_BROKER", path, 1);
    setenv("NPIPE_NPIPED", "/bin/false", 1);
    TL_ASSERT(setgroups(0, NULL) == 0);
    TL_ASSERT(setgid(two.gid[0]) == 0);
    TL_ASSERT(setuid(two.uid[0]) == 0);
    SetLastError(0);
    HANDLE h = CreateNamedPipeA(tl_pipe_name("sec-pub"), PIPE_ACCESS_DUPLEX,
                                PIPE_TYPE_BYTE, 1, 512, 512, 0, NULL);
    TL_ASSERT_MSG(h == INVALID_HANDLE_VALUE, "a root broker served user A");
    /* The broker hangs up at once on a raw connection too. */
    int fd = rb_connect(path);
    char buf[64];
    TL_EQ(rb_recv(fd, buf, sizeof buf, 10000), 0);
    close(fd);
    return 0;
}

static void test_per_user_broker_refuses_others(void **state)
{
    need_two_users();
    char path[300];
    snprintf(path, sizeof path, "%s/broker", rb_private_dir("sec-pu3"));
    pid_t b = rb_start_broker(path, NULL);
    /* The socket must be reachable for the test to mean anything. */
    chmod(path, 0666);
    tl_join(tl_spawn(refused_by_per_user_broker, path));
    rb_stop_broker(b);
    rb_remove_dir_of(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_handles_are_per_process),
        TL_TEST(test_per_user_broker_is_private),
        TL_TEST(test_default_pipe_security),
        TL_TEST(test_other_user_reads),
        TL_TEST(test_root_pipe),
        TL_TEST(test_per_user_broker_refuses_others),
    };
    tl_init();
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
