/*
 * list.c — `npipe list [PATTERN]`: every pipe in the namespace, with its
 * instances and, for each, its state and who is on each end.
 *
 * The listing is NtQueryDirectoryFile on the pipe root, \\.\pipe\, as
 * Sysinternals' PipeList does on Windows — but with npipe's own class,
 * FileNpipePipeInformation, which adds per instance the state and the
 * server's and client's process and session ids that npfs recorded when
 * each end opened (IoGetRequestorProcessId / IoGetRequestorSessionId).
 * The broker shows another user's pipes by name only, unless the caller is
 * root.
 */
#include "tool.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUERY_BUFFER (256u * 1024u)

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: npipe list [--json] [PATTERN]\n"
            "\n"
            "List the pipes in \\\\.\\pipe\\ (those whose names match PATTERN, with *\n"
            "and ?, case-insensitively): for each pipe its type, owner, and current\n"
            "and maximum instances; for each instance its state (listening,\n"
            "connected, disconnected, closing) and the process id and session of\n"
            "its server and of its client, as the broker recorded them when each\n"
            "end opened.  Another user's pipes show their names only, unless you\n"
            "are root.\n"
            "\n"
            "Options:\n"
            "  -j, --json     one JSON document, for scripts (see npipe(1))\n"
            "  -h, --help     this text\n"
            "\n"
            "Examples:\n"
            "  npipe list                every pipe\n"
            "  npipe list 'mojo*'        pipes whose names start with mojo\n"
            "  npipe list --json | jq '.pipes[].name'\n"
            "\n"
            "Exit status: 0 success (also when no pipe matches), 1 failure (no\n"
            "broker), 2 usage error.\n");
}

struct instance {
    NPIPE_INSTANCE_INFORMATION info;
};

struct pipe_entry {
    char *name;
    NPIPE_PIPE_INFORMATION info; /* the fixed part */
    struct instance *instances;
    ULONG count;
};

struct listing {
    struct pipe_entry *pipes;
    size_t count, cap;
};

static bool add_entry(struct listing *l, const UCHAR *e, ULONG room)
{
    const ULONG fixed = offsetof(NPIPE_PIPE_INFORMATION, FileName);
    NPIPE_PIPE_INFORMATION info;
    if (room < fixed)
        return false;
    memcpy(&info, e, fixed);
    if (info.FileNameLength > room - fixed || (info.FileNameLength & 1))
        return false;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct pipe_entry *p = realloc(l->pipes, cap * sizeof *p);
        if (!p)
            return false;
        l->pipes = p;
        l->cap = cap;
    }
    struct pipe_entry *p = &l->pipes[l->count];
    memset(p, 0, sizeof *p);
    p->info = info;
    WCHAR *name = malloc(info.FileNameLength + sizeof(WCHAR));
    if (!name)
        return false;
    memcpy(name, e + fixed, info.FileNameLength);
    p->name = tool_utf8(name, info.FileNameLength / sizeof(WCHAR));
    free(name);
    ULONG n = info.InstanceCount;
    if (!(info.Flags & NPIPE_PIPE_DETAILS_HIDDEN) && n) {
        if (info.InstanceOffset > room ||
            n > (room - info.InstanceOffset) / sizeof(NPIPE_INSTANCE_INFORMATION))
            n = 0; /* malformed: keep the name */
        p->instances = calloc(n ? n : 1, sizeof *p->instances);
        for (ULONG i = 0; p->instances && i < n; i++)
            memcpy(&p->instances[i].info,
                   e + info.InstanceOffset + i * sizeof(NPIPE_INSTANCE_INFORMATION),
                   sizeof(NPIPE_INSTANCE_INFORMATION));
        p->count = p->instances ? n : 0;
    }
    l->count++;
    return true;
}

/* The whole listing; false after reporting an error. */
static bool query(HANDLE root, const char *pattern, struct listing *l)
{
    UCHAR *buffer = malloc(QUERY_BUFFER);
    if (!buffer)
        return false;
    UNICODE_STRING us = {0};
    WCHAR *wide = NULL;
    if (pattern) {
        size_t chars;
        wide = tool_utf16(pattern, &chars);
        if (!wide || chars > 256) {
            free(wide);
            free(buffer);
            tool_report_error(ERROR_FILENAME_EXCED_RANGE, "pattern '%s'", pattern);
            return false;
        }
        us.Buffer = wide;
        us.Length = us.MaximumLength = (USHORT)(chars * sizeof(WCHAR));
    }
    bool ok = true;
    for (bool first = true;; first = false) {
        IO_STATUS_BLOCK iosb = {0};
        NTSTATUS status = NtQueryDirectoryFile(root, NULL, NULL, NULL, &iosb, buffer,
                                               QUERY_BUFFER, FileNpipePipeInformation,
                                               FALSE, first && pattern ? &us : NULL,
                                               first);
        if (status == STATUS_NO_MORE_FILES || status == STATUS_NO_SUCH_FILE)
            break;
        if (!NT_SUCCESS(status)) {
            tool_report_status(status, "listing %s", TOOL_PIPE_PREFIX);
            ok = false;
            break;
        }
        ULONG filled = (ULONG)iosb.Information, at = 0;
        while (at < filled) {
            if (!add_entry(l, buffer + at, filled - at))
                break;
            ULONG next;
            memcpy(&next, buffer + at, sizeof next);
            if (!next)
                break;
            at += next;
        }
    }
    free(wide);
    free(buffer);
    return ok;
}

static int by_name(const void *a, const void *b)
{
    const struct pipe_entry *x = a, *y = b;
    int c = strcasecmp(x->name, y->name);
    return c ? c : strcmp(x->name, y->name);
}

static const char *type_name(ULONG type)
{
    return type == FILE_PIPE_MESSAGE_TYPE ? "message" : "byte";
}

static const char *direction_name(ULONG configuration)
{
    switch (configuration) {
    case FILE_PIPE_INBOUND: return "inbound";
    case FILE_PIPE_OUTBOUND: return "outbound";
    default: return "duplex";
    }
}

static const char *user_name(ULONG uid, char *buf, size_t size)
{
    struct passwd pw, *found = NULL;
    char scratch[1024];
    if (getpwuid_r((uid_t)uid, &pw, scratch, sizeof scratch, &found) == 0 && found)
        snprintf(buf, size, "%s", found->pw_name);
    else
        snprintf(buf, size, "%lu", (unsigned long)uid);
    return buf;
}

/* ---- JSON ----------------------------------------------------------------- */

static void json_session(FILE *out, ULONG session)
{
    if (session == (ULONG)-1)
        fputs("null", out);
    else
        fprintf(out, "%lu", (unsigned long)session);
}

static void print_json(const struct listing *l)
{
    FILE *out = stdout;
    fputs("{\"pipes\": [", out);
    for (size_t i = 0; i < l->count; i++) {
        const struct pipe_entry *p = &l->pipes[i];
        const NPIPE_PIPE_INFORMATION *f = &p->info;
        char path[600];
        snprintf(path, sizeof path, "%s%s", TOOL_PIPE_PREFIX, p->name);
        fputs(i ? ",\n  {" : "\n  {", out);
        fputs("\"name\": ", out);
        tool_json_string(out, p->name);
        fputs(", \"path\": ", out);
        tool_json_string(out, path);
        if (f->Flags & NPIPE_PIPE_DETAILS_HIDDEN) {
            fputs(", \"details\": false}", out);
            continue;
        }
        char user[256];
        fprintf(out, ", \"details\": true, \"owner_uid\": %lu, \"owner\": ",
                (unsigned long)f->OwnerUid);
        tool_json_string(out, user_name(f->OwnerUid, user, sizeof user));
        fprintf(out, ", \"type\": \"%s\", \"direction\": \"%s\", "
                     "\"current_instances\": %lu, \"max_instances\": ",
                type_name(f->NamedPipeType), direction_name(f->NamedPipeConfiguration),
                (unsigned long)f->CurrentInstances);
        if (f->MaximumInstances == 0xFFFFFFFFu)
            fputs("null", out);
        else
            fprintf(out, "%lu", (unsigned long)f->MaximumInstances);
        fputs(", \"instances\": [", out);
        for (ULONG k = 0; k < p->count; k++) {
            const NPIPE_INSTANCE_INFORMATION *n = &p->instances[k].info;
            fprintf(out, "%s\n    {\"id\": %lu, \"state\": \"%s\", \"server\": {\"pid\": %lu, "
                         "\"session\": ",
                    k ? "," : "", (unsigned long)n->InstanceId,
                    tool_state_name(n->NamedPipeState), (unsigned long)n->ServerProcessId);
            json_session(out, n->ServerSessionId);
            fprintf(out, ", \"open\": %s}, \"client\": ",
                    (n->Flags & NPIPE_INSTANCE_SERVER_OPEN) ? "true" : "false");
            if (n->Flags & NPIPE_INSTANCE_CLIENT_KNOWN) {
                fprintf(out, "{\"pid\": %lu, \"session\": ", (unsigned long)n->ClientProcessId);
                json_session(out, n->ClientSessionId);
                fprintf(out, ", \"open\": %s}",
                        (n->Flags & NPIPE_INSTANCE_CLIENT_OPEN) ? "true" : "false");
            } else {
                fputs("null", out);
            }
            fprintf(out, ", \"inbound_bytes\": %lu, \"outbound_bytes\": %lu, "
                         "\"inbound_quota\": %lu, \"outbound_quota\": %lu}",
                    (unsigned long)n->InboundBytes, (unsigned long)n->OutboundBytes,
                    (unsigned long)n->InboundQuota, (unsigned long)n->OutboundQuota);
        }
        fputs(p->count ? "\n  ]}" : "]}", out);
    }
    fputs(l->count ? "\n]}\n" : "]}\n", out);
}

/* ---- Text ------------------------------------------------------------------- */

enum { C_NAME, C_TYPE, C_OWNER, C_INST, C_STATE, C_SPID, C_SSES, C_CPID, C_CSES, C_N };

struct row {
    char cell[C_N][96];
};

static void print_text(const struct listing *l, const char *pattern)
{
    if (!l->count) {
        if (pattern)
            printf("No pipe matches '%s'.\n", pattern);
        else
            printf("No pipes.\n");
        return;
    }
    size_t nrows = 1;
    for (size_t i = 0; i < l->count; i++)
        nrows += l->pipes[i].count ? l->pipes[i].count : 1;
    struct row *rows = calloc(nrows, sizeof *rows);
    if (!rows)
        return;
    static const char *const heads[C_N] = {"PIPE", "TYPE", "OWNER", "INSTANCES",
                                           "STATE", "SERVER", "SESSION", "CLIENT",
                                           "SESSION"};
    for (int c = 0; c < C_N; c++)
        snprintf(rows[0].cell[c], sizeof rows[0].cell[c], "%s", heads[c]);
    size_t r = 1;
    char **long_names = calloc(nrows, sizeof *long_names);
    if (!long_names) {
        free(rows);
        return;
    }
    for (size_t i = 0; i < l->count; i++) {
        const struct pipe_entry *p = &l->pipes[i];
        const NPIPE_PIPE_INFORMATION *f = &p->info;
        struct row *row = &rows[r];
        long_names[r] = p->name;
        if (f->Flags & NPIPE_PIPE_DETAILS_HIDDEN) {
            snprintf(row->cell[C_TYPE], sizeof row->cell[C_TYPE],
                     "(another user's pipe)");
            r++;
            continue;
        }
        snprintf(row->cell[C_TYPE], sizeof row->cell[C_TYPE], "%s", type_name(f->NamedPipeType));
        char user[64];
        snprintf(row->cell[C_OWNER], sizeof row->cell[C_OWNER], "%s",
                 user_name(f->OwnerUid, user, sizeof user));
        if (f->MaximumInstances == 0xFFFFFFFFu)
            snprintf(row->cell[C_INST], sizeof row->cell[C_INST], "%lu/unlimited",
                     (unsigned long)f->CurrentInstances);
        else
            snprintf(row->cell[C_INST], sizeof row->cell[C_INST], "%lu/%lu",
                     (unsigned long)f->CurrentInstances, (unsigned long)f->MaximumInstances);
        for (ULONG k = 0; k < (p->count ? p->count : 1); k++, r++) {
            row = &rows[r];
            if (!p->count)
                break;
            const NPIPE_INSTANCE_INFORMATION *n = &p->instances[k].info;
            char s[32];
            snprintf(row->cell[C_STATE], sizeof row->cell[C_STATE], "%s",
                     tool_state_name(n->NamedPipeState));
            snprintf(row->cell[C_SPID], sizeof row->cell[C_SPID], "%lu%s",
                     (unsigned long)n->ServerProcessId,
                     (n->Flags & NPIPE_INSTANCE_SERVER_OPEN) ? "" : " (closed)");
            snprintf(row->cell[C_SSES], sizeof row->cell[C_SSES], "%s",
                     tool_session_text(n->ServerSessionId, s, sizeof s));
            if (n->Flags & NPIPE_INSTANCE_CLIENT_KNOWN) {
                snprintf(row->cell[C_CPID], sizeof row->cell[C_CPID], "%lu%s",
                         (unsigned long)n->ClientProcessId,
                         (n->Flags & NPIPE_INSTANCE_CLIENT_OPEN) ? "" : " (closed)");
                snprintf(row->cell[C_CSES], sizeof row->cell[C_CSES], "%s",
                         tool_session_text(n->ClientSessionId, s, sizeof s));
            } else {
                snprintf(row->cell[C_CPID], sizeof row->cell[C_CPID], "-");
                snprintf(row->cell[C_CSES], sizeof row->cell[C_CSES], "-");
            }
        }
        if (!p->count)
            r++;
    }
    /* Column widths; a pipe name longer than 40 gets a line of its own. */
    size_t width[C_N] = {0};
    for (size_t i = 0; i < r; i++)
        for (int c = 0; c < C_N; c++) {
            size_t len = c == C_NAME && long_names[i] ? strlen(long_names[i])
                                                      : strlen(rows[i].cell[c]);
            if (c == C_NAME && len > 40)
                continue;
            if (c == C_TYPE && !rows[i].cell[C_OWNER][0] && i)
                continue; /* the hidden marker spans the columns */
            if (len > width[c])
                width[c] = len;
        }
    for (size_t i = 0; i < r; i++) {
        const char *name = long_names[i] ? long_names[i] : rows[i].cell[C_NAME];
        if (strlen(name) > 40) {
            printf("%s\n", name);
            name = "";
        }
        printf("%-*s", (int)width[C_NAME], name);
        int last = C_N - 1;
        while (last > 0 && !rows[i].cell[last][0])
            last--;
        for (int c = 1; c <= last; c++)
            printf("  %-*s", c == last ? 0 : (int)width[c], rows[i].cell[c]);
        printf("\n");
    }
    free(long_names);
    free(rows);
}

int cmd_list(int argc, char **argv)
{
    bool json = false;
    const char *pattern = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (tool_is_help(a)) {
            usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
            json = true;
        } else if (a[0] == '-' && a[1]) {
            return tool_usage_error("list", "unknown option '%s'", a);
        } else if (pattern) {
            return tool_usage_error("list", "too many arguments (one PATTERN)");
        } else {
            pattern = tool_short_name(a);
        }
    }
    if (pattern && !*pattern)
        pattern = NULL;
    HANDLE root = tool_open_root("list");
    if (!root)
        return EXIT_FAIL;
    struct listing l = {0};
    bool ok = query(root, pattern, &l);
    CloseHandle(root);
    if (ok) {
        if (l.count)
            qsort(l.pipes, l.count, sizeof *l.pipes, by_name);
        if (json)
            print_json(&l);
        else
            print_text(&l, pattern);
    }
    for (size_t i = 0; i < l.count; i++) {
        free(l.pipes[i].name);
        free(l.pipes[i].instances);
    }
    free(l.pipes);
    return ok ? EXIT_OK : EXIT_FAIL;
}
