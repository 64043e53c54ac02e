/*
 * serve.c — `npipe serve NAME`: a pipe server.  Without --exec it relays
 * its stdin and stdout to one client and exits when that client is done;
 * with --exec CMD it serves clients for ever, inetd-style, running CMD
 * once per connection with the pipe as CMD's stdin and stdout.
 *
 * --exec: the pipe handle is the broker's, not a file descriptor, so CMD
 * cannot inherit it.  Each connection gets two Unix pipes for CMD's stdin
 * and stdout, and relay.c pumps bytes between them and the pipe handle.
 * Each of the N instances (--instances) has a worker thread that loops
 * ConnectNamedPipe → run CMD → relay until CMD's output ends →
 * FlushFileBuffers → DisconnectNamedPipe, the classic Windows server
 * loop; so N clients are served at once.  CMD runs with the client's
 * identity in its environment, as npfs recorded it:
 *   NPIPE_PIPE            the pipe's full name
 *   NPIPE_CLIENT_PID      GetNamedPipeClientProcessId
 *   NPIPE_CLIENT_SESSION  GetNamedPipeClientSessionId
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_EXEC_INSTANCES 4

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npipe serve [OPTIONS] NAME\n"
            "\n"
            "Create the pipe NAME (CreateNamedPipe) and serve clients on it.  NAME is\n"
            "short (myservice) or full (\\\\.\\pipe\\myservice).\n"
            "\n"
            "Without --exec: wait for one client, send it standard input and copy\n"
            "what it sends to standard output; exit when the client closes, or when\n"
            "both sides have ended their input (see below), or with --quit-on-eof\n"
            "when standard input has ended and the client has read it all.\n"
            "\n"
            "With --exec CMD: serve clients until stopped (Ctrl-C, SIGTERM), running\n"
            "'sh -c CMD' for each connection with the pipe as its standard input and\n"
            "output, like inetd.  CMD learns who connected from its environment:\n"
            "NPIPE_PIPE (the pipe's name), NPIPE_CLIENT_PID and NPIPE_CLIENT_SESSION\n"
            "(the client's process and session, as the broker vouches for them).\n"
            "When CMD's output ends, the client gets what is left, and the instance\n"
            "waits for the next client.\n"
            "\n"
            "End of input: named pipes cannot be half-closed, so npipe sends a\n"
            "zero-length write when its input (or CMD's output) ends; on a message\n"
            "pipe that is a zero-length message, and npipe connect and serve treat\n"
            "receiving one as the end of the other side's input (CMD's stdin closes).\n"
            "\n"
            "Options:\n"
            "  -m, --message        a message pipe: each line (with its newline) is one\n"
            "                       message; zero-length messages end input\n"
            "  -n, --instances N    instances of the pipe, that is clients served at\n"
            "                       once (1-254, or 'unlimited' without --exec; default\n"
            "                       %d with --exec, else 1)\n"
            "  -e, --exec CMD       run CMD (with /bin/sh -c) for each connection\n"
            "  -q, --quit-on-eof    without --exec: close once standard input has ended\n"
            "                       and the client has read it all\n"
            "  -v, --verbose        say on stderr who connects and how CMD ends\n"
            "  -h, --help           this text\n"
            "\n"
            "Examples:\n"
            "  npipe serve chat                       talk to the first client to come\n"
            "  npipe serve -q report < report.txt     hand a file to one client\n"
            "  npipe serve -m -e 'tr a-z A-Z' upper   answer each client in upper case\n"
            "  npipe serve -n 8 -e 'echo \"hello, pid $NPIPE_CLIENT_PID\"' hello\n"
            "  npipe serve -e 'cat /var/log/syslog' log  send a file to whoever asks\n"
            "\n"
            "Exit status: 0 when the client (without --exec) is done, 1 on errors\n"
            "(the pipe exists with other settings, no broker...), 2 usage error.\n",
            DEFAULT_EXEC_INSTANCES);
}

struct server {
    const char *path;
    const char *command;
    bool message;
    bool verbose;
    bool quit_on_eof;
    DWORD instances;
};

static HANDLE create_instance(const struct server *s)
{
    DWORD mode = s->message ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
                            : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
    return CreateNamedPipeA(s->path, PIPE_ACCESS_DUPLEX, mode | PIPE_WAIT,
                            s->instances, 64 * 1024, 64 * 1024, 0, NULL);
}

/* Waits for a client; true when one is connected. */
static bool wait_client(HANDLE pipe)
{
    if (ConnectNamedPipe(pipe, NULL))
        return true;
    return GetLastError() == ERROR_PIPE_CONNECTED; /* it came first */
}

/* ---- serve without --exec -------------------------------------------------- */

static int serve_stdio(const struct server *s)
{
    HANDLE pipe = create_instance(s);
    if (pipe == INVALID_HANDLE_VALUE) {
        DWORD error = GetLastError();
        tool_report_error(error, "cannot create %s", s->path);
        tool_broker_hint(error);
        return EXIT_FAIL;
    }
    if (s->verbose)
        fprintf(stderr, "%s: waiting for a client on %s\n", tool_name, s->path);
    if (!wait_client(pipe)) {
        tool_report_error(GetLastError(), "%s: ConnectNamedPipe", s->path);
        CloseHandle(pipe);
        return EXIT_FAIL;
    }
    if (s->verbose) {
        ULONG pid = 0, session = 0;
        GetNamedPipeClientProcessId(pipe, &pid);
        GetNamedPipeClientSessionId(pipe, &session);
        fprintf(stderr, "%s: client pid %lu (session %lu) connected\n", tool_name,
                (unsigned long)pid, (unsigned long)session);
    }
    struct tool_relay relay = {.pipe = pipe, .in_fd = 0, .out_fd = 1,
                               .message = s->message, .quit_on_eof = s->quit_on_eof};
    DWORD error = tool_relay_run(&relay);
    if (!error)
        FlushFileBuffers(pipe); /* let the client read everything first */
    CloseHandle(pipe);
    if (error) {
        tool_report_error(error, "%s", s->path);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* ---- serve --exec ------------------------------------------------------------ */

/* environ with the connection's variables in place of any old ones. */
static char **command_environment(const struct server *s, ULONG pid, ULONG session,
                                  char *vars[3])
{
    static const char *const ours[] = {"NPIPE_PIPE=", "NPIPE_CLIENT_PID=",
                                       "NPIPE_CLIENT_SESSION="};
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = malloc((n + 4) * sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t j = 0; j < 3; j++)
            if (!strncmp(environ[i], ours[j], strlen(ours[j])))
                replaced = true;
        if (!replaced)
            env[k++] = environ[i];
    }
    if (asprintf(&vars[0], "NPIPE_PIPE=%s", s->path) < 0)
        vars[0] = NULL;
    if (asprintf(&vars[1], "NPIPE_CLIENT_PID=%lu", (unsigned long)pid) < 0)
        vars[1] = NULL;
    if (session == (ULONG)-1 || asprintf(&vars[2], "NPIPE_CLIENT_SESSION=%lu",
                                         (unsigned long)session) < 0)
        vars[2] = NULL;
    for (size_t j = 0; j < 3; j++)
        if (vars[j])
            env[k++] = vars[j];
    env[k] = NULL;
    return env;
}

/* Starts sh -c CMD with stdin from *to_cmd and stdout into *from_cmd (our
 * ends come back in those); the process id, or -1 with errno set. */
static pid_t spawn_command(const struct server *s, char **env, int *to_cmd,
                           int *from_cmd)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(out, O_CLOEXEC) < 0) {
        int e = errno;
        close(in[0]);
        close(in[1]);
        errno = e;
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawnattr_init(&attr);
    /* The command gets ordinary signals: npipe ignores SIGPIPE, and the
     * worker threads may block some. */
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    char *argv[] = {"sh", "-c", (char *)s->command, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        errno = rc;
        return -1;
    }
    *to_cmd = in[1];
    *from_cmd = out[0];
    return pid;
}

static void report_exit(const struct server *s, pid_t pid, int status)
{
    if (!s->verbose)
        return;
    if (WIFEXITED(status))
        fprintf(stderr, "%s: command (pid %d) exited with status %d\n", tool_name,
                (int)pid, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        fprintf(stderr, "%s: command (pid %d) killed by signal %d\n", tool_name,
                (int)pid, WTERMSIG(status));
}

/* One connection on a connected instance. */
static void serve_connection(const struct server *s, HANDLE pipe, int instance)
{
    ULONG pid = 0, session = (ULONG)-1;
    GetNamedPipeClientProcessId(pipe, &pid);
    if (!GetNamedPipeClientSessionId(pipe, &session))
        session = (ULONG)-1;
    if (s->verbose)
        fprintf(stderr, "%s: instance %d: client pid %lu (session %lu) connected\n",
                tool_name, instance, (unsigned long)pid, (unsigned long)session);
    char *vars[3] = {NULL, NULL, NULL};
    char **env = command_environment(s, pid, session, vars);
    int to_cmd = -1, from_cmd = -1;
    pid_t child = env ? spawn_command(s, env, &to_cmd, &from_cmd) : -1;
    free(env);
    for (int i = 0; i < 3; i++)
        free(vars[i]);
    if (child < 0) {
        fprintf(stderr, "%s: cannot run '%s': %s\n", tool_name, s->command,
                strerror(errno));
        DisconnectNamedPipe(pipe);
        return;
    }
    struct tool_relay relay = {
        .pipe = pipe,
        .in_fd = from_cmd,
        .out_fd = to_cmd,
        .message = s->message,
        .command = true,
        .close_out = true,
    };
    DWORD error = tool_relay_run(&relay); /* ends with the pipe disconnected */
    if (error)
        tool_report_error(error, "instance %d: relaying for client pid %lu", instance,
                          (unsigned long)pid);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    report_exit(s, child, status);
}

struct worker {
    const struct server *server;
    HANDLE pipe;
    int instance;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        if (!wait_client(w->pipe)) {
            DWORD error = GetLastError();
            tool_report_error(error, "instance %d: ConnectNamedPipe", w->instance);
            if (error == ERROR_NO_DATA) { /* the client came and went */
                DisconnectNamedPipe(w->pipe);
                continue;
            }
            exit(EXIT_FAIL); /* the broker is gone, most likely */
        }
        serve_connection(w->server, w->pipe, w->instance);
    }
    return NULL;
}

static int serve_exec(const struct server *s)
{
    struct worker *workers = calloc(s->instances, sizeof *workers);
    if (!workers)
        return EXIT_FAIL;
    /* Every instance first, so that a failure is reported before serving. */
    for (DWORD i = 0; i < s->instances; i++) {
        workers[i].server = s;
        workers[i].instance = (int)i + 1;
        workers[i].pipe = create_instance(s);
        if (workers[i].pipe == INVALID_HANDLE_VALUE) {
            DWORD error = GetLastError();
            tool_report_error(error, "cannot create instance %lu of %s",
                              (unsigned long)i + 1, s->path);
            if (error == ERROR_PIPE_BUSY || error == ERROR_ACCESS_DENIED)
                fprintf(stderr, "%s: (is another server using this name, with other "
                                "settings or all its instances?)\n", tool_name);
            tool_broker_hint(error);
            return EXIT_FAIL;
        }
    }
    if (s->verbose)
        fprintf(stderr, "%s: serving %s with %lu instance%s: %s\n", tool_name, s->path,
                (unsigned long)s->instances, s->instances == 1 ? "" : "s", s->command);
    for (DWORD i = 1; i < s->instances; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker_main, &workers[i]) != 0) {
            fprintf(stderr, "%s: cannot start a thread\n", tool_name);
            return EXIT_FAIL;
        }
        pthread_detach(t);
    }
    worker_main(&workers[0]); /* never returns */
    return EXIT_FAIL;
}

int cmd_serve(int argc, char **argv)
{
    struct server s = {0};
    const char *name = NULL;
    unsigned long instances = 0;
    bool unlimited = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_is_help(a)) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--message")) {
            s.message = true;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            s.verbose = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quit-on-eof")) {
            s.quit_on_eof = true;
        } else if (!strcmp(a, "-n") || !strcmp(a, "--instances")) {
            if (++i == argc)
                return tool_usage_error("serve", "--instances needs a number");
            if (!strcmp(argv[i], "unlimited"))
                unlimited = true;
            else if (!tool_parse_uint(argv[i], 1, PIPE_UNLIMITED_INSTANCES - 1, &instances))
                return tool_usage_error("serve", "--instances: 1 to %d, or 'unlimited'",
                                        PIPE_UNLIMITED_INSTANCES - 1);
        } else if (!strcmp(a, "-e") || !strcmp(a, "--exec")) {
            if (++i == argc || !*argv[i])
                return tool_usage_error("serve", "--exec needs a command");
            s.command = argv[i];
        } else if (a[0] == '-' && a[1]) {
            return tool_usage_error("serve", "unknown option '%s'", a);
        } else if (name) {
            return tool_usage_error("serve", "too many arguments");
        } else {
            name = a;
        }
    }
    if (!name)
        return tool_usage_error("serve", "which pipe? (npipe serve NAME)");
    if (unlimited && s.command)
        return tool_usage_error("serve", "--exec needs a number of instances: one "
                                         "thread serves each");
    s.instances = unlimited ? PIPE_UNLIMITED_INSTANCES
                  : instances ? (DWORD)instances
                  : s.command ? DEFAULT_EXEC_INSTANCES : 1;
    char *path = tool_pipe_path(name);
    if (!path)
        return EXIT_FAIL;
    s.path = path;
    int rc = s.command ? serve_exec(&s) : serve_stdio(&s);
    free(path);
    return rc;
}
