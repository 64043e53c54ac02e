/*
 * demo.c — `npipe demo`: a named-pipe server and client in two processes,
 * each telling what it learned about the other.
 *
 * The command forks twice and never calls npipe itself:
 *
 *   server child   starts a new audit session (if the kernel lets it),
 *                  CreateNamedPipe, reports "ready" to the parent,
 *                  ConnectNamedPipe, then answers the client;
 *   client child   starts a new audit session, reports to the parent,
 *                  waits for "go", WaitNamedPipe + CreateFile, message read
 *                  mode, then talks: WriteFile, ReadFile, TransactNamedPipe.
 *
 * Conversation lines are written by the children as they happen, each line
 * with one write(2); the order is causal (a sender prints before sending, a
 * receiver after receiving), so the output reads top to bottom.  What each
 * side learned is sent to the parent as text and printed at the end, server
 * first.  Each side checks the ids the broker gave it against /proc, and
 * the demo fails (exit 1) if any of them disagree.
 *
 * A new session: a process writes its own uid to /proc/self/loginuid.  The
 * kernel allows that to a process whose audit session is still unset, and
 * to one with CAP_AUDIT_CONTROL; it must happen before the process has
 * threads, so it comes first in each child.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEMO_TIMEOUT_SECONDS 30
#define CAP_AUDIT_CONTROL_BIT 30
#define BUFFER_SIZE 4096

/* ---- Small helpers -------------------------------------------------------- */

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads fd to EOF into a new string (never NULL). */
static char *slurp(int fd)
{
    size_t cap = 1024, len = 0;
    char *s = malloc(cap);
    if (!s)
        return strdup("");
    for (;;) {
        if (len + 1 >= cap) {
            char *t = realloc(s, cap * 2);
            if (!t)
                break;
            s = t;
            cap *= 2;
        }
        ssize_t n = read(fd, s + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    s[len] = '\0';
    return s;
}

/* One line of the conversation, "  who  text", in a single write. */
static void say(const char *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const char *who, const char *fmt, ...)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "  %-7s ", who);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    write_all(STDOUT_FILENO, line, (size_t)n);
}

/* A failed call, as a conversation line. */
static void say_failure(const char *who, const char *call, DWORD error)
{
    char text[512];
    say(who, "%s failed: %s", call, tool_error_text(error, text, sizeof text));
}

/* Text accumulated for the parent: what a side learned. */
struct report {
    char text[4096];
    size_t len;
    int mismatches;
};

static void add(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct report *r, const char *fmt, ...)
{
    if (r->len >= sizeof r->text - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->text + r->len, sizeof r->text - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n;
    if (r->len >= sizeof r->text)
        r->len = sizeof r->text - 1;
}

static bool parent_of(long pid, long *ppid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool found = false;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "PPid:", 5) == 0) {
            *ppid = strtol(line + 5, NULL, 10);
            found = true;
            break;
        }
    fclose(f);
    return found;
}

static bool have_cap_audit_control(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return false;
    char line[256];
    bool have = false;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "CapEff:", 7) == 0) {
            unsigned long long caps = strtoull(line + 7, NULL, 16);
            have = (caps >> CAP_AUDIT_CONTROL_BIT) & 1;
            break;
        }
    fclose(f);
    return have;
}

/* ---- Sessions ------------------------------------------------------------- */

struct session_outcome {
    int error;             /* 0: a new session was started; else an errno */
    bool have_before, have_after;
    unsigned long before, after; /* raw /proc/self/sessionid values */
};

/* Starts a fresh audit session for this (single-threaded) process. */
static void start_new_session(struct session_outcome *o)
{
    memset(o, 0, sizeof *o);
    o->have_before = tool_read_sessionid(0, &o->before);
    int fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        o->error = errno;
    } else {
        char uid[32];
        int n = snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
        ssize_t w = write(fd, uid, (size_t)n);
        o->error = w == n ? 0 : (w < 0 ? errno : EIO);
        close(fd);
    }
    o->have_after = tool_read_sessionid(0, &o->after);
    if (!o->error && (!o->have_after || (o->have_before && o->after == o->before)))
        o->error = EIO; /* the write "worked" but nothing changed */
}

/* Why the kernel said no, in words a newcomer can act on. */
static void explain_refusal(const struct session_outcome *o, char *buf, size_t size)
{
    const char *code = o->error == EPERM    ? "EPERM"
                       : o->error == ENOENT ? "ENOENT"
                       : o->error == EACCES ? "EACCES"
                       : o->error == EINVAL ? "EINVAL"
                                            : NULL;
    char codebuf[32];
    if (!code) {
        snprintf(codebuf, sizeof codebuf, "errno %d", o->error);
        code = codebuf;
    }
    if (o->error == ENOENT)
        snprintf(buf, size, "could not start a new audit session (%s): this kernel "
                 "has no audit support (no /proc/self/loginuid)", code);
    else if (o->error == EPERM && o->have_before && o->before != TOOL_AUDIT_UNSET &&
             !have_cap_audit_control())
        snprintf(buf, size, "could not start a new audit session (%s): your session "
                 "is already set (%lu) and you lack CAP_AUDIT_CONTROL", code, o->before);
    else if (o->error == EPERM && o->have_before && o->before != TOOL_AUDIT_UNSET)
        snprintf(buf, size, "could not start a new audit session (%s): the kernel "
                 "refused even with CAP_AUDIT_CONTROL (a container's user namespace, "
                 "or loginuid made immutable)", code);
    else if (o->error == EPERM)
        snprintf(buf, size, "could not start a new audit session (%s): the kernel "
                 "refused (loginuid is immutable on this system)", code);
    else
        snprintf(buf, size, "could not start a new audit session (%s): %s", code,
                 strerror(o->error));
}

static void describe_session(const struct session_outcome *o, char *buf, size_t size)
{
    unsigned long raw = o->after;
    if (!o->have_after)
        snprintf(buf, size, "session 0 (no /proc/self/sessionid: no audit support)");
    else if (raw == TOOL_AUDIT_UNSET)
        snprintf(buf, size, "session 0 (no login session: audit session unset)");
    else
        snprintf(buf, size, "session %lu", raw);
}

/* ---- What goes from the children to the parent ----------------------------- */

struct ready {
    long pid;
    bool tried_session; /* false with --same-session */
    struct session_outcome session;
    DWORD error; /* server: CreateNamedPipe's error, 0 if it worked */
};

/* ---- Checks against /proc ----------------------------------------------- */

/* A peer's pid from the broker, checked: it must be the demo's other child. */
static void check_peer_pid(struct report *r, const char *call, DWORD pid,
                           const char *peer)
{
    long ppid;
    if (!parent_of((long)pid, &ppid)) {
        add(r, "  %-29s %-7lu MISMATCH: no process %lu in /proc\n", call,
            (unsigned long)pid, (unsigned long)pid);
        r->mismatches++;
    } else if (ppid != (long)getppid()) {
        add(r, "  %-29s %-7lu MISMATCH: process %lu is not the demo's %s\n",
            call, (unsigned long)pid, (unsigned long)pid, peer);
        r->mismatches++;
    } else {
        add(r, "  %-29s %-7lu ok: /proc/%lu is the demo's %s\n", call,
            (unsigned long)pid, (unsigned long)pid, peer);
    }
}

/* A session from the broker, checked against /proc/PID/sessionid. */
static void check_session(struct report *r, const char *call, DWORD session,
                          long pid)
{
    unsigned long raw;
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%ld/sessionid", pid);
    else
        snprintf(path, sizeof path, "/proc/self/sessionid");
    if (!tool_read_sessionid(pid, &raw)) {
        add(r, "  %-29s %-7lu (cannot read %s to check)\n", call,
            (unsigned long)session, path);
    } else if (tool_npipe_session(raw) != session) {
        add(r, "  %-29s %-7lu MISMATCH: %s says %lu\n", call,
            (unsigned long)session, path, raw);
        r->mismatches++;
    } else if (raw == TOOL_AUDIT_UNSET) {
        add(r, "  %-29s %-7lu ok: %s is unset, i.e. session 0\n", call,
            (unsigned long)session, path);
    } else {
        add(r, "  %-29s %-7lu ok: %s is %lu\n", call,
            (unsigned long)session, path, raw);
    }
}

/* The lines every side shows about itself and its pipe. */
static void describe_self_and_pipe(struct report *r, HANDLE h)
{
    char text[512];
    DWORD me = GetCurrentProcessId();
    if ((long)me == (long)getpid()) {
        add(r, "  %-29s %-7lu ok: the same as getpid()\n", "GetCurrentProcessId",
            (unsigned long)me);
    } else {
        add(r, "  %-29s %-7lu MISMATCH: getpid() is %ld\n", "GetCurrentProcessId",
            (unsigned long)me, (long)getpid());
        r->mismatches++;
    }
    DWORD session;
    if (ProcessIdToSessionId(me, &session)) {
        check_session(r, "ProcessIdToSessionId", session, 0);
    } else {
        add(r, "  %-29s failed: %s\n", "ProcessIdToSessionId",
            tool_error_text(GetLastError(), text, sizeof text));
        r->mismatches++;
    }

    DWORD flags, out_size, in_size, max_instances;
    if (GetNamedPipeInfo(h, &flags, &out_size, &in_size, &max_instances)) {
        char max[32];
        if (max_instances == PIPE_UNLIMITED_INSTANCES)
            snprintf(max, sizeof max, "unlimited instances");
        else
            snprintf(max, sizeof max, "at most %lu instance%s",
                     (unsigned long)max_instances, max_instances == 1 ? "" : "s");
        add(r, "  %-29s %s end, %s pipe, %s\n", "GetNamedPipeInfo",
            (flags & PIPE_SERVER_END) ? "server" : "client",
            (flags & PIPE_TYPE_MESSAGE) ? "message" : "byte", max);
        add(r, "  %-29s buffers: %lu bytes out, %lu bytes in\n", "",
            (unsigned long)out_size, (unsigned long)in_size);
    } else {
        add(r, "  %-29s failed: %s\n", "GetNamedPipeInfo",
            tool_error_text(GetLastError(), text, sizeof text));
        r->mismatches++;
    }
}

/* ---- The server ------------------------------------------------------------ */

/* Reads one message into buf as a string; false if the read failed. */
static bool read_message(HANDLE h, char *buf, DWORD size, DWORD *len)
{
    if (ReadFile(h, buf, size - 1, len, NULL)) {
        buf[*len] = '\0';
        return true;
    }
    return false;
}

static int run_server(const char *name, int to_parent, bool new_session)
{
    struct ready ready = {.pid = getpid(), .tried_session = new_session};
    if (new_session)
        start_new_session(&ready.session);
    else
        ready.session.have_after = tool_read_sessionid(0, &ready.session.after);

    HANDLE h = CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                1, BUFFER_SIZE, BUFFER_SIZE, 0, NULL);
    if (h == INVALID_HANDLE_VALUE)
        ready.error = GetLastError();
    write_all(to_parent, &ready, sizeof ready);
    if (h == INVALID_HANDLE_VALUE)
        return EXIT_FAIL;

    struct report r = {0};
    int status = EXIT_FAIL;
    char buf[BUFFER_SIZE];
    DWORD len;

    if (!ConnectNamedPipe(h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
        say_failure("server", "ConnectNamedPipe", GetLastError());
        goto out;
    }
    if (!read_message(h, buf, sizeof buf, &len)) {
        say_failure("server", "ReadFile", GetLastError());
        goto out;
    }
    say("server", "<- ReadFile           \"%s\"", buf);

    /* The client is blocked reading our answer: it is alive to be checked. */
    DWORD client_pid = 0, client_session = 0;
    add(&r, "What the server (pid %ld) learned through its pipe handle\n",
        (long)getpid());
    if (GetNamedPipeClientProcessId(h, &client_pid))
        check_peer_pid(&r, "GetNamedPipeClientProcessId", client_pid,
                       "client");
    else {
        say_failure("server", "GetNamedPipeClientProcessId", GetLastError());
        goto out;
    }
    if (GetNamedPipeClientSessionId(h, &client_session))
        check_session(&r, "GetNamedPipeClientSessionId",
                      client_session, (long)client_pid);
    else {
        say_failure("server", "GetNamedPipeClientSessionId", GetLastError());
        goto out;
    }
    describe_self_and_pipe(&r, h);

    snprintf(buf, sizeof buf, "hello, client; this is the server, pid %ld", (long)getpid());
    say("server", "-> WriteFile          \"%s\"", buf);
    if (!WriteFile(h, buf, (DWORD)strlen(buf), &len, NULL)) {
        say_failure("server", "WriteFile", GetLastError());
        goto out;
    }

    if (!read_message(h, buf, sizeof buf, &len)) {
        say_failure("server", "ReadFile", GetLastError());
        goto out;
    }
    say("server", "<- ReadFile           \"%s\"", buf);
    snprintf(buf, sizeof buf, "npfs says you are pid %lu in session %lu",
             (unsigned long)client_pid, (unsigned long)client_session);
    say("server", "-> WriteFile          \"%s\"", buf);
    if (!WriteFile(h, buf, (DWORD)strlen(buf), &len, NULL)) {
        say_failure("server", "WriteFile", GetLastError());
        goto out;
    }

    /* The client hangs up: a read then fails with ERROR_BROKEN_PIPE. */
    if (read_message(h, buf, sizeof buf, &len)) {
        say("server", "<- ReadFile           \"%s\" (unexpected)", buf);
        goto out;
    }
    if (GetLastError() != ERROR_BROKEN_PIPE) {
        say_failure("server", "ReadFile", GetLastError());
        goto out;
    }
    say("server", "<- ReadFile           ERROR_BROKEN_PIPE: the client closed its end");
    if (!DisconnectNamedPipe(h)) {
        say_failure("server", "DisconnectNamedPipe", GetLastError());
        goto out;
    }
    say("server", "DisconnectNamedPipe, CloseHandle: done");
    status = r.mismatches ? EXIT_FAIL : EXIT_OK;
out:
    CloseHandle(h);
    write_all(to_parent, r.text, r.len);
    return status;
}

/* ---- The client ------------------------------------------------------------ */

static int run_client(const char *name, int to_parent, int from_parent, bool new_session)
{
    struct ready ready = {.pid = getpid(), .tried_session = new_session};
    if (new_session)
        start_new_session(&ready.session);
    else
        ready.session.have_after = tool_read_sessionid(0, &ready.session.after);
    write_all(to_parent, &ready, sizeof ready);
    char go;
    if (!read_all(from_parent, &go, 1))
        return EXIT_FAIL; /* the parent gave up */

    struct report r = {0};
    int status = EXIT_FAIL;
    char buf[BUFFER_SIZE];
    DWORD len;
    HANDLE h = INVALID_HANDLE_VALUE;

    for (int tries = 0;; tries++) {
        if (!WaitNamedPipeA(name, 5000)) {
            say_failure("client", "WaitNamedPipe", GetLastError());
            return EXIT_FAIL;
        }
        h = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
                        NULL);
        if (h != INVALID_HANDLE_VALUE)
            break;
        if (GetLastError() != ERROR_PIPE_BUSY || tries == 10) {
            say_failure("client", "CreateFile", GetLastError());
            return EXIT_FAIL;
        }
    }
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (!SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
        say_failure("client", "SetNamedPipeHandleState", GetLastError());
        goto out;
    }
    say("client", "WaitNamedPipe, CreateFile: connected to the server");
    say("client", "SetNamedPipeHandleState: read mode is now message");

    snprintf(buf, sizeof buf, "hello from pid %ld", (long)getpid());
    say("client", "-> WriteFile          \"%s\"", buf);
    if (!WriteFile(h, buf, (DWORD)strlen(buf), &len, NULL)) {
        say_failure("client", "WriteFile", GetLastError());
        goto out;
    }
    if (!read_message(h, buf, sizeof buf, &len)) {
        say_failure("client", "ReadFile", GetLastError());
        goto out;
    }
    say("client", "<- ReadFile           \"%s\"", buf);

    /* The server is blocked reading our next message: alive to be checked. */
    DWORD server_pid = 0, server_session = 0;
    add(&r, "What the client (pid %ld) learned through its pipe handle\n",
        (long)getpid());
    if (GetNamedPipeServerProcessId(h, &server_pid))
        check_peer_pid(&r, "GetNamedPipeServerProcessId", server_pid,
                       "server");
    else {
        say_failure("client", "GetNamedPipeServerProcessId", GetLastError());
        goto out;
    }
    if (GetNamedPipeServerSessionId(h, &server_session))
        check_session(&r, "GetNamedPipeServerSessionId",
                      server_session, (long)server_pid);
    else {
        say_failure("client", "GetNamedPipeServerSessionId", GetLastError());
        goto out;
    }
    describe_self_and_pipe(&r, h);

    char question[] = "who am I, according to npfs?";
    say("client", "-> TransactNamedPipe  \"%s\"", question);
    if (!TransactNamedPipe(h, question, (DWORD)strlen(question), buf, sizeof buf - 1,
                           &len, NULL)) {
        say_failure("client", "TransactNamedPipe", GetLastError());
        goto out;
    }
    buf[len] = '\0';
    say("client", "<- TransactNamedPipe  \"%s\"", buf);
    say("client", "CloseHandle");
    status = r.mismatches ? EXIT_FAIL : EXIT_OK;
out:
    CloseHandle(h);
    write_all(to_parent, r.text, r.len);
    return status;
}

/* ---- The parent ------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npipe demo [--same-session]\n"
            "\n"
            "Run a Windows named-pipe server and client in two Linux processes and\n"
            "show what each learns about the other.\n"
            "\n"
            "The server creates \\\\.\\pipe\\npipe-demo-PID (message mode) and waits in\n"
            "ConnectNamedPipe; the client finds it with WaitNamedPipe, opens it with\n"
            "CreateFile, switches to message read mode, says hello, and makes one\n"
            "TransactNamedPipe call. Then each side prints the other's process id\n"
            "and session id as the pipe reports them (GetNamedPipeClientProcessId,\n"
            "GetNamedPipeServerSessionId, ...), its own (ProcessIdToSessionId), and\n"
            "the pipe's settings (GetNamedPipeInfo), each checked against /proc.\n"
            "\n"
            "Sessions: each side first tries to start a new Linux audit session by\n"
            "writing its uid to /proc/self/loginuid, so that the two ends are in\n"
            "different sessions. The kernel allows that to root (CAP_AUDIT_CONTROL)\n"
            "and to a process whose session is still unset; otherwise the demo says\n"
            "why both ends share one.\n"
            "\n"
            "Options:\n"
            "  --same-session   do not start new sessions: both ends stay in yours\n"
            "  -h, --help       this text\n"
            "\n"
            "Examples:\n"
            "  npipe demo                       uses the usual broker (started on demand)\n"
            "  NPIPE_BROKER=/tmp/b npipe demo   a private broker on /tmp/b\n"
            "  sudo npipe demo                  two sessions even after you logged in\n"
            "\n"
            "Exit status: 0 if the conversation worked and every id matched /proc,\n"
            "1 otherwise, 2 for a usage error.\n");
}

/* "  LABEL     text..." wrapped at 78 columns under the text's start. */
static void print_wrapped(const char *label, const char *text)
{
    const int indent = 12, width = 78;
    printf("  %-9s ", label);
    int col = indent;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t word = strcspn(p, " ");
        if (!word)
            break;
        if (col > indent && col + 1 + (int)word > width) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)word, p);
        col += (int)word;
        p += word;
    }
    putchar('\n');
}

static void print_sessions(const struct ready *server, const struct ready *client)
{
    char s[128], c[128];
    describe_session(&server->session, s, sizeof s);
    describe_session(&client->session, c, sizeof c);
    bool server_new = server->tried_session && server->session.error == 0;
    bool client_new = client->tried_session && client->session.error == 0;
    printf("  server    pid %ld, %s%s\n", server->pid, s, server_new ? " (new)" : "");
    printf("  client    pid %ld, %s%s\n", client->pid, c, client_new ? " (new)" : "");

    bool same = server->session.have_after && client->session.have_after &&
                server->session.after == client->session.after;
    char text[768];
    if (server_new && client_new && !same) {
        print_wrapped("sessions", "each child started its own audit session by "
                      "writing its uid to /proc/self/loginuid before touching npipe, "
                      "so the two ends are in different sessions.");
        return;
    }
    if (!server->tried_session) {
        if (same)
            snprintf(text, sizeof text, "--same-session: both ends stay in your %s.", s);
        else
            snprintf(text, sizeof text, "--same-session: each end stays in the session "
                     "it started in.");
        print_wrapped("sessions", text);
        return;
    }
    const struct ready *refused = !server_new ? server : client;
    char why[512];
    explain_refusal(&refused->session, why, sizeof why);
    if (same)
        snprintf(text, sizeof text, "%s; both ends share %s.", why, s);
    else
        snprintf(text, sizeof text, "%s (the %s).", why,
                 refused == server ? "server" : "client");
    print_wrapped("sessions", text);
}

static void wait_child(pid_t pid, const char *who, int *status)
{
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) {
            *status = EXIT_FAIL;
            return;
        }
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return;
    *status = EXIT_FAIL;
    if (WIFSIGNALED(ws)) {
        if (WTERMSIG(ws) == SIGALRM)
            fprintf(stderr, "%s: demo: the %s gave up after %d seconds\n", tool_name,
                    who, DEMO_TIMEOUT_SECONDS);
        else if (WTERMSIG(ws) != SIGTERM)
            fprintf(stderr, "%s: demo: the %s died of signal %d (%s)\n", tool_name, who,
                    WTERMSIG(ws), strsignal(WTERMSIG(ws)));
    }
}

int cmd_demo(int argc, char **argv)
{
    bool new_sessions = true;
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) {
            usage(stdout);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--same-session") == 0)
            new_sessions = false;
        else if (argv[i][0] == '-')
            return tool_usage_error("demo", "unknown option '%s'", argv[i]);
        else
            return tool_usage_error("demo", "unexpected argument '%s'", argv[i]);
    }

    char name[64];
    snprintf(name, sizeof name, "\\\\.\\pipe\\npipe-demo-%ld", (long)getpid());
    signal(SIGPIPE, SIG_IGN);

    printf("npipe demo: a Windows named-pipe server and client in two Linux processes\n\n");
    printf("  pipe      %s (message mode, 1 instance)\n", name);
    fflush(stdout);

    int srv[2], cli[2], go[2];
    if (pipe(srv) < 0) {
        perror("npipe: pipe");
        return EXIT_FAIL;
    }
    pid_t server = fork();
    if (server < 0) {
        perror("npipe: fork");
        return EXIT_FAIL;
    }
    if (server == 0) {
        close(srv[0]);
        alarm(DEMO_TIMEOUT_SECONDS);
        exit(run_server(name, srv[1], new_sessions));
    }
    close(srv[1]);

    struct ready sready, cready;
    if (!read_all(srv[0], &sready, sizeof sready)) {
        fprintf(stderr, "%s: demo: the server exited before creating the pipe\n",
                tool_name);
        int ignored;
        wait_child(server, "server", &ignored);
        return EXIT_FAIL;
    }
    if (sready.error) {
        char text[512];
        printf("\n");
        fflush(stdout);
        fprintf(stderr, "%s: demo: the server's CreateNamedPipe failed: %s\n", tool_name,
                tool_error_text(sready.error, text, sizeof text));
        tool_broker_hint(sready.error);
        int ignored;
        wait_child(server, "server", &ignored);
        return EXIT_FAIL;
    }

    if (pipe(cli) < 0 || pipe(go) < 0) {
        perror("npipe: pipe");
        kill(server, SIGTERM);
        return EXIT_FAIL;
    }
    pid_t client = fork();
    if (client < 0) {
        perror("npipe: fork");
        kill(server, SIGTERM);
        return EXIT_FAIL;
    }
    if (client == 0) {
        close(srv[0]);
        close(cli[0]);
        close(go[1]);
        alarm(DEMO_TIMEOUT_SECONDS);
        exit(run_client(name, cli[1], go[0], new_sessions));
    }
    close(cli[1]);
    close(go[0]);
    if (!read_all(cli[0], &cready, sizeof cready)) {
        fprintf(stderr, "%s: demo: the client exited before it started\n", tool_name);
        kill(server, SIGTERM);
        int ignored;
        wait_child(client, "client", &ignored);
        wait_child(server, "server", &ignored);
        return EXIT_FAIL;
    }

    print_sessions(&sready, &cready);
    printf("\nConversation, as each process saw it (-> sends, <- receives)\n");
    printf("  server  CreateNamedPipe, then ConnectNamedPipe: waiting for a client\n");
    fflush(stdout);
    write_all(go[1], "g", 1);
    close(go[1]);

    /* The client finishes first; if it failed, the server may still be
     * waiting for it, so it is stopped before its report is read. */
    char *client_text = slurp(cli[0]);
    close(cli[0]);
    int status = EXIT_OK;
    wait_child(client, "client", &status);
    if (status != EXIT_OK)
        kill(server, SIGTERM);
    char *server_text = slurp(srv[0]);
    close(srv[0]);
    wait_child(server, "server", &status);

    if (*server_text)
        printf("\n%s", server_text);
    if (*client_text)
        printf("\n%s", client_text);
    free(server_text);
    free(client_text);

    printf("\nWhere the answers come from\n"
           "  Not from the peer. The broker, npiped, identified each process by its\n"
           "  socket (SO_PEERCRED / SO_PEERPIDFD) and read its session from\n"
           "  /proc/PID/sessionid. Its npfs driver recorded both when it handled each\n"
           "  end's create IRP (IoGetRequestorProcessId, IoGetRequestorSessionId); the\n"
           "  GetNamedPipe*ProcessId / *SessionId calls read them back from there.\n");
    if (status == EXIT_OK)
        printf("\nDemo finished: the conversation worked and every id matched /proc.\n");
    else
        printf("\nDemo FAILED: see the messages above.\n");
    return status;
}
