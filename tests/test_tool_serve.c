/*
 * test_tool_serve.c — `npipe serve`, `npipe connect` and `npipe call`, run
 * for real: the tool's processes against the test's broker.
 *
 *  - serve --exec runs one command per connection, several at once with
 *    --instances, each with the client's pid and session in its
 *    environment, and relays both ways; a message pipe's zero-length
 *    message ends the command's input and, coming back, the client's;
 *  - serve and connect relay stdin/stdout on a byte pipe, with
 *    --quit-on-eof for the side that ends the conversation;
 *  - call is one CallNamedPipe; errors are Win32 names and messages with
 *    exit status 1, usage errors exit 2.
 */
#include "tool_helpers.h"

#include <sys/stat.h>

/* Waits until the pipe exists and has a listening instance. */
static void await_pipe(const char *name)
{
    uint64_t deadline = tl_now_ms() + 5000;
    while (!WaitNamedPipeA(name, 50)) {
        TL_ASSERT_MSG(tl_now_ms() < deadline, "%s never appeared (error %lu)", name,
                      (unsigned long)GetLastError());
        tl_sleep_ms(10);
    }
}

static char *make_temp_dir(void)
{
    char *dir = strdup("/tmp/npipe-tool-test-XXXXXX");
    TL_ASSERT(dir && mkdtemp(dir));
    return dir;
}

static void remove_dir(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    TL_ASSERT(system(cmd) == 0);
    free(dir);
}

/* Three clients at once, each served by its own command, which checks
 * that the three run together and reports the client the broker saw. */
static void test_serve_exec_concurrent_clients(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("srvexec");
    char *dir = make_temp_dir();
    char command[1024];
    snprintf(command, sizeof command,
             "echo x > '%s'/$$; n=0; "
             "while [ $(ls '%s' | wc -l) -lt 3 ] && [ $n -lt 250 ]; do sleep 0.02; n=$((n+1)); done; "
             "printf '%%s\\n' \"together=$(ls '%s' | wc -l) pid=$NPIPE_CLIENT_PID "
             "session=$NPIPE_CLIENT_SESSION pipe=$NPIPE_PIPE\"; tr a-z A-Z",
             dir, dir, dir);
    struct th_proc server;
    TH_NPIPE(&server, "serve", "--message", "--instances", "3", "--verbose", "--exec",
             command, (char *)name);
    await_pipe(name);

    struct th_proc clients[3];
    for (int i = 0; i < 3; i++) {
        TH_NPIPE(&clients[i], "connect", "-m", (char *)name);
        char line[64];
        snprintf(line, sizeof line, "hello %d\nbye %d\n", i, i);
        th_write(&clients[i], line);
        th_close_stdin(&clients[i]);
    }
    ULONG session = tl_read_sessionid(getpid());
    for (int i = 0; i < 3; i++) {
        char *out, *err;
        int rc = th_finish(&clients[i], &out, &err, 9000);
        TL_ASSERT_MSG(rc == 0, "client %d exited with %d; stderr: %s", i, rc, err);
        char expect[256];
        TH_CONTAINS(out, "together=3 ");
        snprintf(expect, sizeof expect, "pid=%d session=%lu pipe=%s\n",
                 (int)clients[i].pid, (unsigned long)session, name);
        TH_CONTAINS(out, expect);
        snprintf(expect, sizeof expect, "\nHELLO %d\nBYE %d\n", i, i);
        TH_CONTAINS(out, expect);
        free(out);
        free(err);
    }
    char *out, *err;
    int rc = th_stop(&server, &out, &err);
    TL_EQ(rc, 128 + SIGTERM);
    TL_EQ(out[0], '\0'); /* a server with --exec writes nothing itself */
    TH_CONTAINS(err, "serving ");
    TH_CONTAINS(err, "connected");
    TH_CONTAINS(err, "exited with status 0");
    free(out);
    free(err);
    remove_dir(dir);
}

/* An instance serves one client after another; a command that does not
 * read its input still gets its answer through. */
static void test_serve_exec_sequential_byte_pipe(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("srvseq");
    struct th_proc server;
    TH_NPIPE(&server, "serve", "-n", "1", "-e", "echo \"hi $NPIPE_CLIENT_PID\"",
             (char *)name);
    await_pipe(name);
    for (int i = 0; i < 3; i++) {
        struct th_proc client;
        TH_NPIPE(&client, "connect", "--timeout", "5000", (char *)name);
        char *out, *err, expect[64];
        int rc = th_finish(&client, &out, &err, 8000);
        TL_ASSERT_MSG(rc == 0, "client %d: exit %d, stderr %s", i, rc, err);
        snprintf(expect, sizeof expect, "hi %d\n", (int)client.pid);
        TL_ASSERT_MSG(!strcmp(out, expect), "client %d got \"%s\", not \"%s\"", i, out,
                      expect);
        free(out);
        free(err);
    }
    TL_EQ(th_stop(&server, NULL, NULL), 128 + SIGTERM);
}

/* serve and connect on a byte pipe: the server hands over its input and
 * closes (--quit-on-eof); the client's input reaches the server first. */
static void test_serve_and_connect_stdio(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("srvstdio");
    struct th_proc server, client;
    TH_NPIPE(&server, "serve", "--quit-on-eof", (char *)name);
    await_pipe(name);
    TH_NPIPE(&client, "connect", (char *)name);
    th_write(&client, "from the client\n");
    /* Only once the client's line has arrived does the server say its
     * part and hang up. */
    char line[128];
    TL_ASSERT(th_read_line(&server, line, sizeof line, 5000));
    TL_ASSERT(!strcmp(line, "from the client"));
    th_write(&server, "from the server\n");
    th_close_stdin(&server);
    char *out, *err;
    TL_EQ(th_finish(&client, &out, &err, 5000), 0);
    TL_ASSERT_MSG(!strcmp(out, "from the server\n"), "client got \"%s\"", out);
    free(out);
    free(err);
    int rc = th_finish(&server, &out, &err, 5000);
    TL_ASSERT_MSG(rc == 0, "serve exited with %d: %s", rc, err);
    TL_ASSERT_MSG(!strcmp(out, ""), "server got more: \"%s\"", out);
    free(out);
    free(err);
}

/* connect --quit-on-eof uploads to a server that only reads.  (Less than a
 * Unix pipe's buffer, since the test reads the server's output only once
 * the client is done.) */
static void test_connect_upload(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("srvup");
    struct th_proc server, client;
    TH_NPIPE(&server, "serve", (char *)name);
    th_close_stdin(&server); /* it has nothing to say */
    await_pipe(name);
    TH_NPIPE(&client, "connect", "-q", (char *)name);
    size_t n = 48 * 1024;
    char *data = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        data[i] = (char)('a' + i % 26);
    data[n] = '\0';
    th_write(&client, data);
    char *out, *err;
    int rc = th_finish(&client, &out, &err, 8000);
    TL_ASSERT_MSG(rc == 0, "connect exited with %d: %s", rc, err);
    free(out);
    free(err);
    TL_EQ(th_finish(&server, &out, &err, 8000), 0);
    TL_EQ(strlen(out), n);
    TL_ASSERT(!strcmp(out, data));
    free(out);
    free(err);
    free(data);
}

/* Message mode both ways without a command: each side's lines are
 * messages, and the two end-of-input messages end the connection. */
static void test_serve_and_connect_messages(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("srvmsg");
    struct th_proc server, client;
    TH_NPIPE(&server, "serve", "--message", (char *)name);
    th_write(&server, "one\ntwo\n");
    th_close_stdin(&server);
    await_pipe(name);
    TH_NPIPE(&client, "connect", "--message", (char *)name);
    th_write(&client, "three\n\nfour"); /* an empty line, an unterminated one */
    th_close_stdin(&client);
    char *out, *err;
    TL_EQ(th_finish(&client, &out, &err, 5000), 0);
    TL_ASSERT_MSG(!strcmp(out, "one\ntwo\n"), "client got \"%s\"", out);
    free(out);
    free(err);
    TL_EQ(th_finish(&server, &out, &err, 5000), 0);
    TL_ASSERT_MSG(!strcmp(out, "three\n\nfour\n"), "server got \"%s\"", out);
    free(out);
    free(err);
}

/* A Windows program reads the server's messages one by one. */
static void test_serve_messages_to_a_win32_client(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("srvw32");
    struct th_proc server;
    TH_NPIPE(&server, "serve", "-m", "-e", "printf 'alpha\\nbeta\\n'", (char *)name);
    await_pipe(name);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    DWORD mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    char buf[64];
    DWORD n = tl_read(h, buf, sizeof buf);
    TL_EQ(n, 6);
    TL_MEMEQ(buf, "alpha\n", 6);
    n = tl_read(h, buf, sizeof buf);
    TL_EQ(n, 5);
    TL_MEMEQ(buf, "beta\n", 5);
    TL_EQ(tl_read(h, buf, sizeof buf), 0); /* the end-of-input message */
    TL_OK(CloseHandle(h));
    TL_EQ(th_stop(&server, NULL, NULL), 128 + SIGTERM);
}

static void test_call(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("call");
    struct th_proc server;
    TH_NPIPE(&server, "serve", "-m", "-n", "2", "-e",
             "read -r line; echo \"you said: $line\"", (char *)name);
    await_pipe(name);
    char *out, *err;
    TL_EQ(TH_RUN(NULL, &out, &err, "call", (char *)name, "hello"), 0);
    TL_ASSERT_MSG(!strcmp(out, "you said: hello\n"), "got \"%s\"", out);
    free(out);
    free(err);
    /* The short name works as well as the full one. */
    TL_EQ(TH_RUN("from stdin", &out, &err, "call", "-t", "5000",
                 (char *)name + strlen("\\\\.\\pipe\\"), "-"),
          0);
    TL_ASSERT_MSG(!strcmp(out, "you said: from stdin\n"), "got \"%s\"", out);
    free(out);
    free(err);
    TL_EQ(th_stop(&server, NULL, NULL), 128 + SIGTERM);
}

static void test_call_errors(void **state)
{
    (void)state;
    char *out, *err;
    TL_EQ(TH_RUN(NULL, &out, &err, "call", "npipe-test-no-such-pipe", "x"), 1);
    TH_CONTAINS(err, "ERROR_FILE_NOT_FOUND (2): The system cannot find the file specified.");
    free(out);
    free(err);
    /* A byte pipe cannot take a transaction. */
    const char *name = tl_pipe_name("callbyte");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    TL_EQ(TH_RUN(NULL, &out, &err, "call", (char *)name, "x"), 1);
    TH_CONTAINS(err, "ERROR_INVALID_PARAMETER (87)");
    TH_CONTAINS(err, "message pipe");
    free(out);
    free(err);
    TL_OK(CloseHandle(s));
    TL_EQ(TH_RUN(NULL, &out, &err, "call", "only-a-name"), 2);
    TH_CONTAINS(err, "Try 'npipe call --help'");
    free(out);
    free(err);
}

static void test_connect_errors(void **state)
{
    (void)state;
    char *out, *err;
    TL_EQ(TH_RUN(NULL, &out, &err, "connect", "npipe-test-no-such-pipe"), 1);
    TH_CONTAINS(err, "cannot connect to \\\\.\\pipe\\npipe-test-no-such-pipe: "
                     "ERROR_FILE_NOT_FOUND (2)");
    free(out);
    free(err);
    uint64_t start = tl_now_ms();
    TL_EQ(TH_RUN(NULL, &out, &err, "connect", "--wait", "--timeout", "300",
                 "npipe-test-no-such-pipe"),
          1);
    TL_ASSERT(tl_now_ms() - start >= 250);
    TH_CONTAINS(err, "ERROR_FILE_NOT_FOUND");
    free(out);
    free(err);
    /* --message on a byte pipe */
    const char *name = tl_pipe_name("connbyte");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    TL_EQ(TH_RUN(NULL, &out, &err, "connect", "-m", (char *)name), 1);
    TH_CONTAINS(err, "ERROR_INVALID_PARAMETER (87)");
    TH_CONTAINS(err, "byte pipe");
    free(out);
    free(err);
    TL_OK(CloseHandle(s));
    /* All instances busy for longer than --timeout. */
    name = tl_pipe_name("connbusy");
    s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 0, 0);
    HANDLE c = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    TL_EQ(TH_RUN(NULL, &out, &err, "connect", "-t", "200", (char *)name), 1);
    TH_CONTAINS(err, "ERROR_PIPE_BUSY (231)");
    free(out);
    free(err);
    TL_OK(CloseHandle(c));
    TL_OK(CloseHandle(s));
    TL_EQ(TH_RUN(NULL, &out, &err, "connect", "--bogus", "x"), 2);
    free(out);
    free(err);
    TL_EQ(TH_RUN(NULL, &out, &err, "serve", "-n", "0", "x"), 2);
    TH_CONTAINS(err, "--instances");
    free(out);
    free(err);
}

/* connect --wait: the client comes first and waits for the server. */
static void test_connect_waits_for_server(void **state)
{
    (void)state;
    const char *name = tl_pipe_name("connwait");
    struct th_proc client, server;
    TH_NPIPE(&client, "connect", "--wait", "-t", "5000", (char *)name);
    th_close_stdin(&client);
    tl_sleep_ms(200);
    TH_NPIPE(&server, "serve", "-q", (char *)name);
    th_write(&server, "late but here\n");
    th_close_stdin(&server);
    char *out, *err;
    TL_EQ(th_finish(&client, &out, &err, 8000), 0);
    TL_ASSERT_MSG(!strcmp(out, "late but here\n"), "client got \"%s\" (%s)", out, err);
    free(out);
    free(err);
    TL_EQ(th_finish(&server, NULL, NULL, 5000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_serve_exec_concurrent_clients),
        TL_TEST(test_serve_exec_sequential_byte_pipe),
        TL_TEST(test_serve_and_connect_stdio),
        TL_TEST(test_connect_upload),
        TL_TEST(test_serve_and_connect_messages),
        TL_TEST(test_serve_messages_to_a_win32_client),
        TL_TEST(test_call),
        TL_TEST(test_call_errors),
        TL_TEST(test_connect_errors),
        TL_TEST(test_connect_waits_for_server),
    };
    return TL_RUN(tests);
}
