/*
 * common.c — error messages and small /proc helpers for the subcommands.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
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
