/*
 * call.c — `npipe call NAME MESSAGE`: one request, one answer, with
 * CallNamedPipe (open, message read mode, TransactNamedPipe, close).
 */
#include "tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REPLY (1024u * 1024u)

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npipe call [OPTIONS] NAME MESSAGE\n"
            "\n"
            "Send MESSAGE to the message pipe NAME and print the server's answer,\n"
            "with CallNamedPipe: it opens the pipe (waiting for a free instance if\n"
            "all are busy), switches to message read mode, writes MESSAGE as one\n"
            "message, reads one message back, and closes.  MESSAGE '-' means\n"
            "standard input, whole.  The answer is printed as it came, plus a\n"
            "newline if it does not end with one.\n"
            "\n"
            "Options:\n"
            "  -t, --timeout MS    how long to wait for a free instance (default: the\n"
            "                      server's default timeout)\n"
            "  -h, --help          this text\n"
            "\n"
            "The server answers each message with one: a Windows server, or\n"
            "npipe serve with a command that answers line by line (see below).\n"
            "\n"
            "Examples:\n"
            "  npipe serve -m -e 'read -r l; echo \"you said: $l\"' echo &\n"
            "  npipe call echo hi                  you said: hi\n"
            "  npipe call -t 2000 myservice ping   give up after 2 s if it is busy\n"
            "  npipe call myservice - < req.json   the request from a file\n"
            "\n"
            "Exit status: 0 if an answer came, 1 on errors (no such pipe, a byte pipe,\n"
            "an answer longer than 1 MiB, no broker), 2 usage error.\n");
}

static char *read_stdin(size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *bigger = cap < MAX_REPLY * 16 ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t k = read(0, buf + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            free(buf);
            return NULL;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    *len = n;
    return buf;
}

int cmd_call(int argc, char **argv)
{
    unsigned long timeout = NMPWAIT_USE_DEFAULT_WAIT;
    const char *args[2];
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_is_help(a)) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "-t") || !strcmp(a, "--timeout")) {
            if (++i == argc || !tool_parse_uint(argv[i], 1, 0xFFFFFFFEUL, &timeout))
                return tool_usage_error("call", "--timeout needs milliseconds (1 or more)");
        } else if (!strcmp(a, "--")) {
            for (i++; i < argc; i++) {
                if (nargs == 2)
                    return tool_usage_error("call", "too many arguments");
                args[nargs++] = argv[i];
            }
        } else if (a[0] == '-' && a[1]) {
            return tool_usage_error("call", "unknown option '%s'", a);
        } else if (nargs == 2) {
            return tool_usage_error("call", "too many arguments (quote the message)");
        } else {
            args[nargs++] = a;
        }
    }
    if (nargs < 2)
        return tool_usage_error("call", "usage: npipe call NAME MESSAGE");
    char *path = tool_pipe_path(args[0]);
    if (!path)
        return EXIT_FAIL;
    size_t len;
    char *request;
    if (!strcmp(args[1], "-")) {
        request = read_stdin(&len);
        if (!request) {
            fprintf(stderr, "%s: cannot read the message from standard input\n", tool_name);
            free(path);
            return EXIT_FAIL;
        }
    } else {
        request = strdup(args[1]);
        len = strlen(args[1]);
    }
    char *reply = malloc(MAX_REPLY);
    DWORD got = 0;
    BOOL ok = reply && request &&
              CallNamedPipeA(path, request, (DWORD)len, reply, MAX_REPLY, &got, timeout);
    DWORD error = ok ? ERROR_SUCCESS : reply && request ? GetLastError()
                                                       : ERROR_NOT_ENOUGH_MEMORY;
    if (ok || error == ERROR_MORE_DATA) {
        fwrite(reply, 1, got, stdout);
        if (got == 0 || reply[got - 1] != '\n')
            fputc('\n', stdout);
        fflush(stdout);
    }
    if (!ok) {
        tool_report_error(error, "CallNamedPipe(%s)", path);
        if (error == ERROR_MORE_DATA)
            fprintf(stderr, "%s: (the answer is longer than %u bytes; the rest was "
                            "lost when the pipe closed)\n", tool_name, MAX_REPLY);
        else if (error == ERROR_INVALID_PARAMETER)
            fprintf(stderr, "%s: (a byte pipe? CallNamedPipe needs a message pipe; "
                            "try npipe connect)\n", tool_name);
        else if (error == ERROR_FILE_NOT_FOUND)
            fprintf(stderr, "%s: (no server has created it; 'npipe list' shows the "
                            "pipes there are)\n", tool_name);
        tool_broker_hint(error);
    }
    free(reply);
    free(request);
    free(path);
    return ok ? EXIT_OK : EXIT_FAIL;
}
