/*
 * tool.h — what the subcommands of the `npipe` command share.
 *
 * The tool is an ordinary npipe program: it uses the public Win32 API
 * (<npipe/windows.h>) and nothing of the library's insides, except the
 * table of Win32 error names and texts (src/win32/errtext.c, compiled into
 * the tool by CMake) so that errors read "ERROR_PIPE_BUSY (231): All pipe
 * instances are busy." rather than a bare number.
 *
 * Exit codes follow the usual convention: 0 success, 1 failure, 2 usage.
 */
#ifndef NPIPE_TOOL_H
#define NPIPE_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <npipe/windows.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* The program name for messages ("npipe"). */
extern const char *tool_name;

/* "ERROR_PIPE_BUSY (231): All pipe instances are busy." into buf. */
const char *tool_error_text(DWORD error, char *buf, size_t size);

/* "npipe: WHAT: ERROR_NAME (n): message" on stderr; WHAT is printf-like. */
void tool_report_error(DWORD error, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* After the first call to npipe failed with `error`: if the error means
 * that no broker could be reached or trusted, says so on stderr, with how
 * to see more (NPIPE_DEBUG=1). */
void tool_broker_hint(DWORD error);

/* "npipe: message" on stderr, then a hint to try --help; returns EXIT_USAGE. */
int tool_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* True if arg is -h or --help. */
bool tool_is_help(const char *arg);

/* The Linux audit session of a process as /proc shows it.  *raw gets the
 * number in /proc/PID/sessionid (4294967295 when unset); false if the file
 * cannot be read (no such process, or a kernel without audit support). */
bool tool_read_sessionid(long pid, unsigned long *raw);

/* npipe's session for a raw audit session: unset means session 0. */
#define TOOL_AUDIT_UNSET 4294967295UL
static inline unsigned long tool_npipe_session(unsigned long raw)
{
    return raw == TOOL_AUDIT_UNSET ? 0 : raw;
}

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_demo(int argc, char **argv);
int cmd_session(int argc, char **argv);

#endif /* NPIPE_TOOL_H */
