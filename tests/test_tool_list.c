/*
 * test_tool_list.c — `npipe list`, run for real against pipes this test
 * makes: the JSON output checked field by field (every pipe, instance,
 * state, pid and session against what the test knows), the table, the
 * pattern, and another user's pipes shown by name only (as root, with a
 * system broker of the test's own and two unprivileged users).
 */
#include "tool_helpers.h"

#include <pwd.h>
#include <sys/stat.h>

struct child_ctx {
    const char *name;
    tl_rdv rdv;
};

/* A client in another process: opens the pipe, writes 5 bytes, reports
 * its pid, and stays until told to close. */
static int client_child(void *arg)
{
    struct child_ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write(h, "12345", 5);
    tl_signal(&c->rdv, getpid());
    tl_expect_signal(&c->rdv, 1);
    CloseHandle(h);
    tl_signal(&c->rdv, 2);
    return 0;
}

/* `npipe list --json PATTERN`, parsed. */
static void list_json(const char *pattern, struct th_json *doc)
{
    char *out, *err;
    int rc = TH_RUN(NULL, &out, &err, "list", "--json", (char *)pattern);
    TL_ASSERT_MSG(rc == 0, "npipe list exited with %d: %s", rc, err);
    th_json_parse(out, doc);
    free(out);
    free(err);
}

static const char *short_name(const char *path) { return path + strlen("\\\\.\\pipe\\"); }

static void check_server(const struct th_json *inst, bool open)
{
    const struct th_json *server = th_json_get(inst, "server");
    DWORD session = 0;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session));
    TL_EQ(th_json_num(server, "pid"), getpid());
    TL_EQ(th_json_num(server, "session"), session);
    TL_EQ(th_json_bool(server, "open"), open);
}

static void test_list_json_fields(void **state)
{
    (void)state;
    char a[300], b[300], pattern[64];
    snprintf(a, sizeof a, "%s", tl_pipe_name("lsa"));
    snprintf(b, sizeof b, "%s", tl_pipe_name("lsb"));
    snprintf(pattern, sizeof pattern, "npipe-test-ls?-%d-*", (int)getpid());
    DWORD mode = PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE;
    HANDLE s1 = tl_server(a, PIPE_ACCESS_DUPLEX, mode, 3, 1000, 2000);
    HANDLE s2 = tl_server(a, PIPE_ACCESS_DUPLEX, mode, 3, 1000, 2000);
    HANDLE s3 = tl_server(b, PIPE_ACCESS_INBOUND, PIPE_TYPE_BYTE,
                          PIPE_UNLIMITED_INSTANCES, 0, 0);
    DWORD out_quota, in_quota;
    TL_OK(GetNamedPipeInfo(s1, NULL, &out_quota, &in_quota, NULL));

    struct child_ctx c = {.name = a};
    tl_rdv_init(&c.rdv);
    pid_t pid = tl_spawn(client_child, &c);
    TL_EQ(tl_wait_signal(&c.rdv), pid);
    ULONG child_session = tl_read_sessionid(pid);

    struct th_json doc;
    list_json(pattern, &doc);
    const struct th_json *pipes = th_json_get(&doc, "pipes");
    TL_EQ(pipes->type, TJ_ARR);
    TL_EQ(pipes->n, 2);

    /* The message pipe: two instances, the first connected. */
    const struct th_json *p = &pipes->items[0];
    TL_ASSERT(!strcmp(th_json_str(p, "name"), short_name(a)));
    TL_ASSERT(!strcmp(th_json_str(p, "path"), a));
    TL_EQ(th_json_bool(p, "details"), true);
    TL_EQ(th_json_num(p, "owner_uid"), getuid());
    struct passwd *pw = getpwuid(getuid());
    if (pw)
        TL_ASSERT(!strcmp(th_json_str(p, "owner"), pw->pw_name));
    TL_ASSERT(!strcmp(th_json_str(p, "type"), "message"));
    TL_ASSERT(!strcmp(th_json_str(p, "direction"), "duplex"));
    TL_EQ(th_json_num(p, "current_instances"), 2);
    TL_EQ(th_json_num(p, "max_instances"), 3);
    const struct th_json *inst = th_json_get(p, "instances");
    TL_EQ(inst->type, TJ_ARR);
    TL_EQ(inst->n, 2);
    const struct th_json *i0 = &inst->items[0], *i1 = &inst->items[1];
    TL_ASSERT(th_json_num(i0, "id") > 0 && th_json_num(i1, "id") > 0);
    TL_NE(th_json_num(i0, "id"), th_json_num(i1, "id"));
    TL_ASSERT(!strcmp(th_json_str(i0, "state"), "connected"));
    check_server(i0, true);
    const struct th_json *client = th_json_get(i0, "client");
    TL_EQ(client->type, TJ_OBJ);
    TL_EQ(th_json_num(client, "pid"), pid);
    TL_EQ(th_json_num(client, "session"), child_session);
    TL_EQ(th_json_bool(client, "open"), true);
    TL_EQ(th_json_num(i0, "inbound_bytes"), 5);
    TL_EQ(th_json_num(i0, "outbound_bytes"), 0);
    TL_EQ(th_json_num(i0, "inbound_quota"), in_quota);
    TL_EQ(th_json_num(i0, "outbound_quota"), out_quota);
    TL_ASSERT(!strcmp(th_json_str(i1, "state"), "listening"));
    check_server(i1, true);
    TL_ASSERT(th_json_is_null(i1, "client"));
    TL_EQ(th_json_num(i1, "inbound_bytes"), 0);

    /* The byte pipe: inbound, unlimited, one listening instance. */
    p = &pipes->items[1];
    TL_ASSERT(!strcmp(th_json_str(p, "name"), short_name(b)));
    TL_ASSERT(!strcmp(th_json_str(p, "type"), "byte"));
    TL_ASSERT(!strcmp(th_json_str(p, "direction"), "inbound"));
    TL_EQ(th_json_num(p, "current_instances"), 1);
    TL_ASSERT(th_json_is_null(p, "max_instances"));
    inst = th_json_get(p, "instances");
    TL_EQ(inst->n, 1);
    TL_ASSERT(!strcmp(th_json_str(&inst->items[0], "state"), "listening"));
    th_json_free(&doc);

    /* The client closes: CLOSING, its data still there for the server. */
    tl_signal(&c.rdv, 1);
    tl_expect_signal(&c.rdv, 2);
    tl_join(pid);
    list_json(short_name(a), &doc);
    pipes = th_json_get(&doc, "pipes");
    TL_EQ(pipes->n, 1);
    i0 = &th_json_get(&pipes->items[0], "instances")->items[0];
    TL_ASSERT(!strcmp(th_json_str(i0, "state"), "closing"));
    check_server(i0, true);
    TL_EQ(th_json_num(th_json_get(i0, "client"), "pid"), pid);
    TL_EQ(th_json_bool(th_json_get(i0, "client"), "open"), false);
    TL_EQ(th_json_num(i0, "inbound_bytes"), 5);
    th_json_free(&doc);

    /* Disconnected: no client any more, nothing queued. */
    TL_OK(DisconnectNamedPipe(s1));
    list_json(short_name(a), &doc);
    i0 = &th_json_get(&th_json_get(&doc, "pipes")->items[0], "instances")->items[0];
    TL_ASSERT(!strcmp(th_json_str(i0, "state"), "disconnected"));
    TL_ASSERT(th_json_is_null(i0, "client"));
    TL_EQ(th_json_num(i0, "inbound_bytes"), 0);
    th_json_free(&doc);

    TL_OK(CloseHandle(s1));
    TL_OK(CloseHandle(s2));
    TL_OK(CloseHandle(s3));
    list_json(pattern, &doc);
    TL_EQ(th_json_get(&doc, "pipes")->n, 0);
    th_json_free(&doc);
    tl_rdv_close(&c.rdv);
}

static void test_list_text(void **state)
{
    (void)state;
    char a[300], b[300], pattern[64];
    snprintf(a, sizeof a, "%s", tl_pipe_name("ltxa"));
    snprintf(b, sizeof b, "%s", tl_pipe_name("ltxb"));
    snprintf(pattern, sizeof pattern, "NPIPE-TEST-LTX?-%d-*", (int)getpid());
    HANDLE s1 = tl_server(a, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE, 4, 0, 0);
    HANDLE s2 = tl_server(b, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                          PIPE_UNLIMITED_INSTANCES, 0, 0);
    HANDLE c = tl_client(a, GENERIC_READ | GENERIC_WRITE);
    char *out, *err;
    TL_EQ(TH_RUN(NULL, &out, &err, "list", pattern), 0); /* case-insensitive */
    TH_CONTAINS(out, "PIPE");
    TH_CONTAINS(out, "INSTANCES");
    TH_CONTAINS(out, "STATE");
    TH_CONTAINS(out, short_name(a));
    TH_CONTAINS(out, short_name(b));
    TH_CONTAINS(out, "message");
    TH_CONTAINS(out, "1/4");
    TH_CONTAINS(out, "1/unlimited");
    TH_CONTAINS(out, "connected");
    TH_CONTAINS(out, "listening");
    char pid[32];
    snprintf(pid, sizeof pid, " %d ", (int)getpid());
    TH_CONTAINS(out, pid);
    TL_ASSERT(strstr(out, short_name(a)) < strstr(out, short_name(b))); /* sorted */
    free(out);
    free(err);
    /* A full name as the pattern, and one that matches nothing. */
    TL_EQ(TH_RUN(NULL, &out, &err, "list", a), 0);
    TH_CONTAINS(out, short_name(a));
    TL_ASSERT(!strstr(out, short_name(b)));
    free(out);
    free(err);
    TL_EQ(TH_RUN(NULL, &out, &err, "list", "npipe-test-nothing-like-this-*"), 0);
    TH_CONTAINS(out, "No pipe matches 'npipe-test-nothing-like-this-*'.");
    free(out);
    free(err);
    TL_EQ(TH_RUN(NULL, &out, &err, "list", "--json", "npipe-test-nothing-like-this-*"), 0);
    TL_ASSERT_MSG(!strcmp(out, "{\"pipes\": []}\n"), "got %s", out);
    free(out);
    free(err);
    TL_EQ(TH_RUN(NULL, &out, &err, "list", "a", "b"), 2);
    free(out);
    free(err);
    CloseHandle(c);
    CloseHandle(s1);
    CloseHandle(s2);
}

/* ---- Another user's pipes ------------------------------------------------ */

struct other_ctx {
    const char *broker;
    const char *name;
    tl_rdv rdv;
};

/* As nobody, on the test's system broker: make a pipe and keep it. */
static int nobody_server(void *arg)
{
    struct other_ctx *c = arg;
    setenv("NPIPE_BROKER", c->broker, 1);
    if (setgid(65534) < 0 || setuid(65534) < 0)
        return 3;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 2, 0, 0);
    tl_signal(&c->rdv, 1);
    tl_expect_signal(&c->rdv, 2);
    CloseHandle(s);
    return 0;
}

static void wait_for_socket(const char *path)
{
    struct stat st;
    uint64_t deadline = tl_now_ms() + 5000;
    while (stat(path, &st) < 0) {
        TL_ASSERT_MSG(tl_now_ms() < deadline, "no broker socket at %s", path);
        tl_sleep_ms(10);
    }
}

static void test_list_other_users_pipes(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        skip(); /* needs root: two users and a system broker */
        return;
    }
    char dir[] = "/tmp/npipe-tool-list-XXXXXX";
    TL_ASSERT(mkdtemp(dir));
    TL_ASSERT(chmod(dir, 0755) == 0);
    char broker[128], env_broker[160];
    snprintf(broker, sizeof broker, "%s/broker", dir);
    snprintf(env_broker, sizeof env_broker, "NPIPE_BROKER=%s", broker);
    struct th_proc npiped;
    th_start(&npiped, (char *const[]){(char *)th_npiped(), "--system", "--socket", broker,
                                      NULL});
    wait_for_socket(broker);

    struct other_ctx c = {.broker = broker, .name = tl_pipe_name("other")};
    tl_rdv_init(&c.rdv);
    pid_t pid = tl_spawn(nobody_server, &c);
    tl_expect_signal(&c.rdv, 1);

    char *const env[] = {env_broker, "NPIPE_NPIPED=/bin/false", NULL};
    /* root sees everything */
    struct th_proc p;
    th_start_env(&p, (char *const[]){(char *)th_npipe(), "list", "--json", NULL}, env);
    char *out, *err;
    TL_EQ(th_finish(&p, &out, &err, 5000), 0);
    struct th_json doc;
    th_json_parse(out, &doc);
    const struct th_json *pipe = &th_json_get(&doc, "pipes")->items[0];
    TL_ASSERT(!strcmp(th_json_str(pipe, "name"), short_name(c.name)));
    TL_EQ(th_json_bool(pipe, "details"), true);
    TL_EQ(th_json_num(pipe, "owner_uid"), 65534);
    TL_EQ(th_json_num(th_json_get(&th_json_get(pipe, "instances")->items[0], "server"), "pid"),
          pid);
    th_json_free(&doc);
    free(out);
    free(err);
    /* the owner sees everything */
    th_start_env(&p, (char *const[]){"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                     "--clear-groups", (char *)th_npipe(), "list", "--json",
                                     NULL},
                 env);
    TL_EQ(th_finish(&p, &out, &err, 5000), 0);
    th_json_parse(out, &doc);
    pipe = &th_json_get(&doc, "pipes")->items[0];
    TL_EQ(th_json_bool(pipe, "details"), true);
    TL_EQ(th_json_num(th_json_get(&th_json_get(pipe, "instances")->items[0], "server"), "pid"),
          pid);
    th_json_free(&doc);
    free(out);
    free(err);
    /* another user sees the name only, in JSON and in the table */
    th_start_env(&p, (char *const[]){"/usr/bin/setpriv", "--reuid=65533", "--regid=65533",
                                     "--clear-groups", (char *)th_npipe(), "list", "--json",
                                     NULL},
                 env);
    TL_EQ(th_finish(&p, &out, &err, 5000), 0);
    th_json_parse(out, &doc);
    pipe = &th_json_get(&doc, "pipes")->items[0];
    TL_ASSERT(!strcmp(th_json_str(pipe, "name"), short_name(c.name)));
    TL_EQ(th_json_bool(pipe, "details"), false);
    TL_ASSERT(!th_json_has(pipe, "instances") && !th_json_has(pipe, "owner_uid"));
    th_json_free(&doc);
    free(out);
    free(err);
    th_start_env(&p, (char *const[]){"/usr/bin/setpriv", "--reuid=65533", "--regid=65533",
                                     "--clear-groups", (char *)th_npipe(), "list", NULL},
                 env);
    TL_EQ(th_finish(&p, &out, &err, 5000), 0);
    TH_CONTAINS(out, "(another user's pipe)");
    free(out);
    free(err);

    tl_signal(&c.rdv, 2);
    tl_join(pid);
    tl_rdv_close(&c.rdv);
    TL_EQ(th_stop(&npiped, NULL, NULL), 0);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_list_json_fields),
        TL_TEST(test_list_text),
        TL_TEST(test_list_other_users_pipes),
    };
    return TL_RUN(tests);
}
