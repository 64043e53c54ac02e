/*
 * main.c — `npipe`, the command-line face of npipe: subcommand dispatch and
 * the top-level help.
 */
#include "tool.h"

#include <signal.h>
#include <string.h>

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"demo", cmd_demo,
     "a pipe server and client in two processes (and two sessions),\n"
     "                 showing what each learns about the other"},
    {"list", cmd_list, "the pipes, their instances, and who is on each end"},
    {"serve", cmd_serve, "a pipe server: relay stdin/stdout, or run a command\n"
                         "                 per client (inetd-style)"},
    {"connect", cmd_connect, "a pipe client: stdin to the pipe, the pipe to stdout"},
    {"call", cmd_call, "one message and its answer (CallNamedPipe)"},
    {"monitor", cmd_monitor, "pipe events as they happen, with process and session"},
    {"session", cmd_session, "the session of a process (ProcessIdToSessionId)"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npipe COMMAND [ARGS...]\n"
            "       npipe COMMAND --help\n"
            "\n"
            "Windows named pipes on Linux: commands around libnpipe and its broker,\n"
            "npiped.  A pipe NAME may be short (myservice) or full\n"
            "(\\\\.\\pipe\\myservice).\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < COUNT(subcommands); i++)
        fprintf(out, "  %-14s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out,
            "  %-14s this text, or a command's (npipe help serve)\n"
            "\n"
            "Examples:\n"
            "  npipe demo                         see a server and a client talk\n"
            "  npipe serve -m -e 'tr a-z A-Z' up  a server running tr per client\n"
            "  echo hello | npipe connect -m up   ... and a client: prints HELLO\n"
            "  npipe list                         every pipe, who serves, who is connected\n"
            "  npipe monitor                      watch your pipes come and go\n"
            "  npipe session 1                    the session of process 1\n"
            "\n"
            "The library finds its broker through $NPIPE_BROKER, else the system\n"
            "broker (/run/npipe/broker), else the per-user one, which it starts on\n"
            "demand. Set NPIPE_DEBUG=1 to see how.  See npipe(1) and npiped(8).\n"
            "\n"
            "Exit status: 0 success, 1 failure, 2 usage error.\n",
            "help");
}

int main(int argc, char **argv)
{
    /* A reader that went away is an error to report, not a signal to die of. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (tool_is_help(cmd)) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            usage(stdout);
            return EXIT_OK;
        }
        for (size_t i = 0; i < COUNT(subcommands); i++)
            if (strcmp(argv[2], subcommands[i].name) == 0) {
                char *args[] = {argv[2], "--help", NULL};
                return subcommands[i].run(2, args);
            }
        return tool_usage_error(NULL, "unknown command '%s'", argv[2]);
    }
    for (size_t i = 0; i < COUNT(subcommands); i++)
        if (strcmp(cmd, subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    if (cmd[0] == '-')
        return tool_usage_error(NULL, "unknown option '%s'", cmd);
    return tool_usage_error(NULL, "unknown command '%s'", cmd);
}
