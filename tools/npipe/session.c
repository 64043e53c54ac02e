/*
 * session.c — `npipe session [PID]`: which session a process is in, as
 * ProcessIdToSessionId answers (the broker reads the process's audit
 * session; unset means session 0).
 */
#include "tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npipe session [--number] [PID]\n"
            "\n"
            "Print the session of process PID (default: this npipe process, which\n"
            "is in the session of the shell that started it), as the Win32 call\n"
            "ProcessIdToSessionId answers it.\n"
            "\n"
            "npipe's session is the Linux audit session (/proc/PID/sessionid): set\n"
            "by the kernel when you log in, inherited by every process you start.\n"
            "A process outside any login (a daemon started at boot) has it unset,\n"
            "which npipe reports as session 0, the services session, as Windows\n"
            "does for its services.\n"
            "\n"
            "Options:\n"
            "  -n, --number   print the session number alone (for scripts)\n"
            "  -h, --help     this text\n"
            "\n"
            "Examples:\n"
            "  npipe session            session 3  (process 4242, this command; ...)\n"
            "  npipe session 1          usually session 0: init is not in a login\n"
            "  npipe session -n $$      the number alone, for this shell\n"
            "\n"
            "Exit status: 0 success, 1 failure (no such process, no broker),\n"
            "2 usage error.\n");
}

int cmd_session(int argc, char **argv)
{
    bool number_only = false;
    const char *pid_arg = NULL;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && tool_is_help(a)) {
            usage(stdout);
            return EXIT_OK;
        }
        if (!options_done && (strcmp(a, "-n") == 0 || strcmp(a, "--number") == 0))
            number_only = true;
        else if (!options_done && strcmp(a, "--") == 0)
            options_done = true;
        else if (!options_done && a[0] == '-' && a[1] != '\0')
            return tool_usage_error("session", "unknown option '%s'", a);
        else if (pid_arg)
            return tool_usage_error("session", "too many arguments");
        else
            pid_arg = a;
    }

    DWORD pid;
    if (pid_arg) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(pid_arg, &end, 10);
        if (errno || end == pid_arg || *end || pid_arg[0] == '-' || v == 0 ||
            v > 0x7fffffffUL)
            return tool_usage_error("session", "not a process id: '%s'", pid_arg);
        pid = (DWORD)v;
    } else {
        pid = GetCurrentProcessId();
    }

    DWORD session = 0;
    if (!ProcessIdToSessionId(pid, &session)) {
        DWORD error = GetLastError();
        tool_report_error(error, "ProcessIdToSessionId(%lu)", (unsigned long)pid);
        if (error == ERROR_INVALID_PARAMETER)
            fprintf(stderr, "%s: (is there a process %lu?)\n", tool_name,
                    (unsigned long)pid);
        tool_broker_hint(error);
        return EXIT_FAIL;
    }
    if (number_only) {
        printf("%lu\n", (unsigned long)session);
        return EXIT_OK;
    }
    printf("session %lu  (process %lu%s", (unsigned long)session, (unsigned long)pid,
           pid_arg ? "" : ", this command");
    unsigned long raw;
    if (!tool_read_sessionid((long)pid, &raw))
        printf(")\n");
    else if (raw == TOOL_AUDIT_UNSET)
        printf("; audit session unset: no login)\n");
    else
        printf("; audit session %lu)\n", raw);
    return EXIT_OK;
}
