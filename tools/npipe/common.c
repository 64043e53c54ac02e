/*
 * common.c — what the subcommands share: error messages, pipe names,
 * strings, JSON, and small /proc helpers.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "win32/errtext.h"

const char *tool_name = "npipe";

const char *tool_error_text(DWORD error, char *buf, size_t size)
{
    const char *name = npipe_error_name(error);
    const char *message = npipe_error_message(error);
    if (name && message)
        snprintf(buf, size, "%s (%lu): %s", name, (unsigned long)error, message);
    else if (name)
        snprintf(buf, size, "%s (%lu)", name, (unsigned long)error);
    else
        snprintf(buf, size, "error %lu", (unsigned long)error);
    return buf;
}

void tool_report_error(DWORD error, const char *fmt, ...)
{
    char what[512], text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "%s: %s: %s\n", tool_name, what,
            tool_error_text(error, text, sizeof text));
}

void tool_broker_hint(DWORD error)
{
    if (error == ERROR_PATH_NOT_FOUND)
        fprintf(stderr, "%s: no npipe broker answered and none could be started;\n"
                "%s: run with NPIPE_DEBUG=1 to see where the library looked\n",
                tool_name, tool_name);
    else if (error == ERROR_ACCESS_DENIED)
        fprintf(stderr, "%s: (if this is about the broker: its socket or directory "
                "is not yours; run with NPIPE_DEBUG=1 to see which)\n", tool_name);
}

int tool_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", tool_name);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (command)
        fprintf(stderr, "\nTry '%s %s --help'.\n", tool_name, command);
    else
        fprintf(stderr, "\nTry '%s --help'.\n", tool_name);
    return EXIT_USAGE;
}

bool tool_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

bool tool_read_sessionid(long pid, unsigned long *raw)
{
    char path[64], buf[32];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%ld/sessionid", pid);
    else
        snprintf(path, sizeof path, "/proc/self/sessionid");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *end;
    errno = 0;
    unsigned long value = strtoul(buf, &end, 10);
    if (errno || end == buf)
        return false;
    *raw = value;
    return true;
}

/* ---- Pipe names ------------------------------------------------------------ */

static bool is_sep(char c) { return c == '\\' || c == '/'; }

char *tool_pipe_path(const char *name)
{
    if (is_sep(name[0]) && is_sep(name[1]))
        return strdup(name); /* already \\.\pipe\NAME (or someone else's) */
    size_t n = strlen(TOOL_PIPE_PREFIX) + strlen(name) + 1;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s%s", TOOL_PIPE_PREFIX, name);
    return path;
}

const char *tool_short_name(const char *path)
{
    /* \\.\pipe\ or \\?\pipe\, with either kind of slash, any case */
    if (strlen(path) > 9 && is_sep(path[0]) && is_sep(path[1]) &&
        (path[2] == '.' || path[2] == '?') && is_sep(path[3]) &&
        strncasecmp(path + 4, "pipe", 4) == 0 && is_sep(path[8]))
        return path + 9;
    return path;
}

/* ---- Strings ------------------------------------------------------------------ */

char *tool_utf8(const WCHAR *s, size_t chars)
{
    char *out = malloc(chars * 3 + 1);
    if (!out)
        return strdup("");
    size_t o = 0;
    for (size_t i = 0; i < chars; i++) {
        uint32_t c = s[i];
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < chars && s[i + 1] >= 0xDC00 &&
            s[i + 1] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00u);
            i++;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xE0 | (c >> 12));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | (c >> 18));
            out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = '\0';
    return out;
}

WCHAR *tool_utf16(const char *s, size_t *chars)
{
    size_t n = strlen(s);
    WCHAR *w = malloc((n + 1) * sizeof(WCHAR));
    if (!w)
        return NULL;
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c = u[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > n) {
            w[o++] = 0xFFFD;
            i++;
            continue;
        }
        if (len > 1)
            c &= 0x3F >> (len - 1);
        bool bad = false;
        for (size_t k = 1; k < len; k++) {
            if ((u[i + k] & 0xC0) != 0x80)
                bad = true;
            c = (c << 6) | (u[i + k] & 0x3F);
        }
        i += bad ? 1 : len;
        if (bad || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
            w[o++] = 0xFFFD;
        } else if (c >= 0x10000) {
            c -= 0x10000;
            w[o++] = (WCHAR)(0xD800 | (c >> 10));
            w[o++] = (WCHAR)(0xDC00 | (c & 0x3FF));
        } else {
            w[o++] = (WCHAR)c;
        }
    }
    w[o] = 0;
    *chars = o;
    return w;
}

void tool_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static char fold(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

bool tool_glob(const char *p, const char *n)
{
    const char *star = NULL, *resume = NULL;
    while (*n) {
        if (*p == '*') {
            star = ++p;
            resume = n;
        } else if (*p == '?' || (*p && fold(*p) == fold(*n))) {
            p++;
            n++;
        } else if (star) {
            p = star;
            n = ++resume;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* ---- Numbers and names ---------------------------------------------------------- */

bool tool_parse_uint(const char *s, unsigned long min, unsigned long max,
                     unsigned long *value)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *value = v;
    return true;
}

const char *tool_state_name(ULONG state)
{
    switch (state) {
    case FILE_PIPE_DISCONNECTED_STATE: return "disconnected";
    case FILE_PIPE_LISTENING_STATE: return "listening";
    case FILE_PIPE_CONNECTED_STATE: return "connected";
    case FILE_PIPE_CLOSING_STATE: return "closing";
    case 0: return "gone";
    default: return "?";
    }
}

const char *tool_session_text(ULONG session, char *buf, size_t size)
{
    if (session == (ULONG)-1)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%lu", (unsigned long)session);
    return buf;
}

void tool_report_status(LONG status, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    tool_report_error(RtlNtStatusToDosError(status), "%s", what);
}

HANDLE tool_open_root(const char *what)
{
    static const WCHAR root[] = {'\\', '?', '?', '\\', 'p', 'i', 'p', 'e', '\\'};
    UNICODE_STRING us = {sizeof root, sizeof root, (PWSTR)root};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE, NULL, NULL);
    IO_STATUS_BLOCK iosb;
    HANDLE h;
    NTSTATUS status = NtOpenFile(&h, FILE_LIST_DIRECTORY | SYNCHRONIZE, &oa, &iosb,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 FILE_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT);
    if (!NT_SUCCESS(status)) {
        tool_report_status(status, "%s: opening %s", what, TOOL_PIPE_PREFIX);
        tool_broker_hint(RtlNtStatusToDosError(status));
        return NULL;
    }
    return h;
}
