/*
 * monitor.c — `npipe monitor [PATTERN]`: a live stream of pipe events.
 *
 * The stream is change notification on the pipe root: the tool opens
 * \\.\pipe\ and calls NtNotifyChangeDirectoryFileEx in a loop with npipe's
 * class DirectoryNotifyNpipeInformation, whose records carry the event
 * (created, opened, connected, disconnected, closed) and the process and
 * session that caused it — what npfs learned from IoGetRequestorProcessId /
 * IoGetRequestorSessionId.  The broker reports the caller's own pipes only
 * (every user's to root), keeps events for the caller between calls in a
 * bounded buffer, and says so (STATUS_NOTIFY_ENUM_DIR) when some had to
 * be dropped because the monitor fell behind: it never waits for a slow
 * monitor.
 */
#include "tool.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_BUFFER (64u * 1024u)

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npipe monitor [--json] [--count N] [PATTERN]\n"
            "\n"
            "Print pipe events as they happen, one line each: a server created an\n"
            "instance (created), a client opened the pipe (opened), the server's\n"
            "ConnectNamedPipe accepted it (connected), the server disconnected it\n"
            "(disconnected), an end closed its last handle (closed).  Each line says\n"
            "which process did it and in which session, as the broker knows them,\n"
            "the instance's state afterwards, and the number of instances.  Only\n"
            "your own pipes are shown (every pipe, if you are root); PATTERN (with\n"
            "* and ?) selects pipes by name.  Stop with Ctrl-C.\n"
            "\n"
            "Options:\n"
            "  -j, --json       one JSON object per line, for scripts (see npipe(1))\n"
            "  -c, --count N    exit after N events\n"
            "  -h, --help       this text\n"
            "\n"
            "Examples:\n"
            "  npipe monitor                 everything on your pipes\n"
            "  npipe monitor 'myservice*'    only these\n"
            "  npipe monitor --json --count 1 myservice    wait for one event\n"
            "\n"
            "Exit status: 0 after N events (--count), 1 on errors (no broker), 2\n"
            "usage error.\n");
}

static const char *event_name(ULONG action)
{
    switch (action) {
    case NPIPE_PIPE_EVENT_CREATED: return "created";
    case NPIPE_PIPE_EVENT_OPENED: return "opened";
    case NPIPE_PIPE_EVENT_CONNECTED: return "connected";
    case NPIPE_PIPE_EVENT_DISCONNECTED: return "disconnected";
    case NPIPE_PIPE_EVENT_CLOSED: return "closed";
    default: return "?";
    }
}

/* FILETIME to seconds and milliseconds since 1970. */
static void event_time(LARGE_INTEGER t, time_t *sec, int *ms)
{
    long long since_1970 = t.QuadPart - 116444736000000000LL;
    if (since_1970 < 0)
        since_1970 = 0;
    *sec = (time_t)(since_1970 / 10000000);
    *ms = (int)(since_1970 % 10000000 / 10000);
}

static void print_text(const NPIPE_PIPE_EVENT_INFORMATION *e, const char *name)
{
    time_t sec;
    int ms;
    event_time(e->Time, &sec, &ms);
    struct tm tm;
    char when[32];
    strftime(when, sizeof when, "%H:%M:%S", localtime_r(&sec, &tm));
    char session[16], max[24];
    if (e->MaximumInstances == 0xFFFFFFFFu)
        snprintf(max, sizeof max, "unlimited");
    else
        snprintf(max, sizeof max, "%lu", (unsigned long)e->MaximumInstances);
    printf("%s.%03d  %-12s  %s  by %s pid %lu (session %s)  instance %lu %s, %lu/%s\n",
           when, ms, event_name(e->Action), name,
           e->End == FILE_PIPE_SERVER_END ? "server" : "client",
           (unsigned long)e->ProcessId, tool_session_text(e->SessionId, session, sizeof session),
           (unsigned long)e->InstanceId, tool_state_name(e->NamedPipeState),
           (unsigned long)e->CurrentInstances, max);
}

static void json_session(ULONG session)
{
    if (session == (ULONG)-1)
        fputs("null", stdout);
    else
        printf("%lu", (unsigned long)session);
}

static void print_json(const NPIPE_PIPE_EVENT_INFORMATION *e, const char *name)
{
    time_t sec;
    int ms;
    event_time(e->Time, &sec, &ms);
    struct tm tm;
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", gmtime_r(&sec, &tm));
    printf("{\"time\": \"%s.%03dZ\", \"event\": \"%s\", \"pipe\": ", when, ms,
           event_name(e->Action));
    tool_json_string(stdout, name);
    printf(", \"instance\": %lu, \"end\": \"%s\", \"pid\": %lu, \"session\": ",
           (unsigned long)e->InstanceId,
           e->End == FILE_PIPE_SERVER_END ? "server" : "client",
           (unsigned long)e->ProcessId);
    json_session(e->SessionId);
    printf(", \"state\": \"%s\", \"current_instances\": %lu, \"max_instances\": ",
           tool_state_name(e->NamedPipeState), (unsigned long)e->CurrentInstances);
    if (e->MaximumInstances == 0xFFFFFFFFu)
        fputs("null", stdout);
    else
        printf("%lu", (unsigned long)e->MaximumInstances);
    printf(", \"server\": {\"pid\": %lu, \"session\": ", (unsigned long)e->ServerProcessId);
    json_session(e->ServerSessionId);
    fputs("}, \"client\": ", stdout);
    if (e->ClientProcessId) {
        printf("{\"pid\": %lu, \"session\": ", (unsigned long)e->ClientProcessId);
        json_session(e->ClientSessionId);
        fputs("}", stdout);
    } else {
        fputs("null", stdout);
    }
    fputs("}\n", stdout);
}

int cmd_monitor(int argc, char **argv)
{
    bool json = false;
    const char *pattern = NULL;
    unsigned long count = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_is_help(a)) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "-c") || !strcmp(a, "--count")) {
            if (++i == argc || !tool_parse_uint(argv[i], 1, 0xFFFFFFFFUL, &count))
                return tool_usage_error("monitor", "--count needs a number (1 or more)");
        } else if (a[0] == '-' && a[1]) {
            return tool_usage_error("monitor", "unknown option '%s'", a);
        } else if (pattern) {
            return tool_usage_error("monitor", "too many arguments (one PATTERN)");
        } else {
            pattern = tool_short_name(a);
        }
    }
    HANDLE root = tool_open_root("monitor");
    if (!root)
        return EXIT_FAIL;
    if (isatty(2))
        fprintf(stderr, "%s: watching %s%s (%s); Ctrl-C to stop\n", tool_name,
                TOOL_PIPE_PREFIX, pattern ? pattern : "*",
                geteuid() == 0 ? "every user's pipes" : "your pipes");
    UCHAR *buffer = malloc(NOTIFY_BUFFER);
    if (!buffer)
        return EXIT_FAIL;
    unsigned long seen = 0;
    int rc = EXIT_OK;
    while (!count || seen < count) {
        IO_STATUS_BLOCK iosb = {0};
        NTSTATUS status = NtNotifyChangeDirectoryFileEx(
            root, NULL, NULL, NULL, &iosb, buffer, NOTIFY_BUFFER,
            FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_SIZE, FALSE,
            DirectoryNotifyNpipeInformation);
        if (status == STATUS_NOTIFY_ENUM_DIR) {
            fflush(stdout);
            fprintf(stderr, "%s: some events were lost: the monitor fell behind\n",
                    tool_name);
            continue;
        }
        if (!NT_SUCCESS(status)) {
            tool_report_status(status, "watching %s", TOOL_PIPE_PREFIX);
            rc = EXIT_FAIL;
            break;
        }
        const ULONG fixed = offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName);
        ULONG filled = (ULONG)iosb.Information, at = 0;
        while (at + fixed <= filled && (!count || seen < count)) {
            NPIPE_PIPE_EVENT_INFORMATION e;
            memcpy(&e, buffer + at, fixed);
            if (e.FileNameLength > filled - at - fixed)
                break;
            WCHAR *w = malloc(e.FileNameLength + sizeof(WCHAR));
            if (!w)
                break;
            memcpy(w, buffer + at + fixed, e.FileNameLength);
            char *name = tool_utf8(w, e.FileNameLength / sizeof(WCHAR));
            free(w);
            if (!pattern || tool_glob(pattern, name)) {
                if (json)
                    print_json(&e, name);
                else
                    print_text(&e, name);
                fflush(stdout);
                seen++;
            }
            free(name);
            if (!e.NextEntryOffset)
                break;
            at += e.NextEntryOffset;
        }
    }
    free(buffer);
    CloseHandle(root);
    return rc;
}
