/*
 * connect.c — `npipe connect NAME`: a pipe client that sends its stdin to
 * the pipe and writes what comes back to stdout, like nc or socat.
 */
#include "tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npipe connect [OPTIONS] NAME\n"
            "\n"
            "Open the pipe NAME as a client (CreateFile), send standard input to it\n"
            "and copy what the server sends to standard output.  NAME is short\n"
            "(myservice) or full (\\\\.\\pipe\\myservice).\n"
            "\n"
            "When standard input ends, npipe keeps copying what the server sends\n"
            "until the server closes or disconnects; with --quit-on-eof it closes\n"
            "as soon as the server has read all of its input instead.  Named pipes\n"
            "cannot be half-closed, so npipe also sends a zero-length write when its\n"
            "input ends: on a message pipe that is a zero-length message, npipe's\n"
            "\"end of input\", and npipe serve closes its command's input then.  A\n"
            "zero-length message from the server likewise ends its output, and the\n"
            "connection is over once both sides have ended their input.\n"
            "\n"
            "Options:\n"
            "  -m, --message       message mode: each input line (with its newline)\n"
            "                      is one message; read the pipe in message mode\n"
            "  -t, --timeout MS    how long to wait for a free instance when all are\n"
            "                      busy (default: the server's default timeout)\n"
            "  -w, --wait          wait for the pipe to be created, too (for MS, or\n"
            "                      for ever without --timeout)\n"
            "  -q, --quit-on-eof   close once standard input has ended and the\n"
            "                      server has read it all (to upload on a byte pipe)\n"
            "  -h, --help          this text\n"
            "\n"
            "Examples:\n"
            "  npipe connect myservice                  talk to \\\\.\\pipe\\myservice\n"
            "  echo hello | npipe connect -m upper      one message; print the answer\n"
            "  npipe connect -w -t 5000 logs > log.txt  wait up to 5 s for the pipe\n"
            "  npipe connect -q inbox < report.txt      send a file, then close\n"
            "\n"
            "Exit status: 0 when the connection ended normally, 1 on errors (no such\n"
            "pipe, all instances busy, no broker), 2 usage error.\n");
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Opens the pipe for reading and writing, or for the one direction it
 * allows (an inbound or outbound pipe); *access gets what was granted. */
static HANDLE open_pipe(const char *path, DWORD *access)
{
    static const DWORD tries[] = {
        GENERIC_READ | GENERIC_WRITE,
        GENERIC_WRITE,                         /* an inbound pipe */
        GENERIC_READ | FILE_WRITE_ATTRIBUTES,  /* an outbound pipe */
    };
    DWORD first_error = ERROR_SUCCESS;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        HANDLE h = CreateFileA(path, tries[i], 0, NULL, OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE) {
            *access = tries[i];
            return h;
        }
        DWORD error = GetLastError();
        if (i == 0)
            first_error = error;
        if (error != ERROR_ACCESS_DENIED)
            break;
    }
    SetLastError(first_error);
    return INVALID_HANDLE_VALUE;
}

int cmd_connect(int argc, char **argv)
{
    bool message = false, wait_for_pipe = false, quit_on_eof = false;
    unsigned long timeout = NMPWAIT_USE_DEFAULT_WAIT;
    bool timeout_given = false;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_is_help(a)) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--message")) {
            message = true;
        } else if (!strcmp(a, "-w") || !strcmp(a, "--wait")) {
            wait_for_pipe = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quit-on-eof")) {
            quit_on_eof = true;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--timeout")) {
            if (++i == argc || !tool_parse_uint(argv[i], 1, 0xFFFFFFFEUL, &timeout))
                return tool_usage_error("connect", "--timeout needs milliseconds (1 or more)");
            timeout_given = true;
        } else if (a[0] == '-' && a[1]) {
            return tool_usage_error("connect", "unknown option '%s'", a);
        } else if (name) {
            return tool_usage_error("connect", "too many arguments");
        } else {
            name = a;
        }
    }
    if (!name)
        return tool_usage_error("connect", "which pipe? (npipe connect NAME)");
    char *path = tool_pipe_path(name);
    if (!path)
        return EXIT_FAIL;

    uint64_t deadline = timeout_given ? now_ms() + timeout : UINT64_MAX;
    DWORD access = 0;
    HANDLE pipe;
    for (;;) {
        pipe = open_pipe(path, &access);
        if (pipe != INVALID_HANDLE_VALUE)
            break;
        DWORD error = GetLastError();
        if (error == ERROR_PIPE_BUSY) {
            DWORD wait = NMPWAIT_USE_DEFAULT_WAIT;
            if (timeout_given) {
                uint64_t now = now_ms();
                wait = now >= deadline ? 1 : (DWORD)(deadline - now);
            }
            if (WaitNamedPipeA(path, wait) || GetLastError() == ERROR_FILE_NOT_FOUND)
                continue; /* an instance is free (or the pipe went): try again */
            error = GetLastError();
            if (error == ERROR_SEM_TIMEOUT)
                error = ERROR_PIPE_BUSY;
        } else if (error == ERROR_FILE_NOT_FOUND && wait_for_pipe && now_ms() < deadline) {
            usleep(50 * 1000);
            continue;
        }
        tool_report_error(error, "cannot connect to %s", path);
        if (error == ERROR_FILE_NOT_FOUND)
            fprintf(stderr, "%s: (no server has created it; 'npipe list' shows the "
                            "pipes there are)\n", tool_name);
        tool_broker_hint(error);
        free(path);
        return EXIT_FAIL;
    }
    if (message) {
        DWORD mode = PIPE_READMODE_MESSAGE | PIPE_WAIT;
        if (!SetNamedPipeHandleState(pipe, &mode, NULL, NULL)) {
            DWORD error = GetLastError();
            tool_report_error(error, "%s: message read mode", path);
            if (error == ERROR_INVALID_PARAMETER)
                fprintf(stderr, "%s: (it is a byte pipe; connect without --message)\n",
                        tool_name);
            CloseHandle(pipe);
            free(path);
            return EXIT_FAIL;
        }
    }
    struct tool_relay relay = {
        .pipe = pipe,
        .in_fd = (access & GENERIC_WRITE) ? 0 : -1,
        .out_fd = (access & GENERIC_READ) ? 1 : -1,
        .message = message,
        .quit_on_eof = quit_on_eof,
    };
    DWORD error = tool_relay_run(&relay);
    CloseHandle(pipe);
    if (error) {
        tool_report_error(error, "%s", path);
        free(path);
        return EXIT_FAIL;
    }
    free(path);
    return EXIT_OK;
}
