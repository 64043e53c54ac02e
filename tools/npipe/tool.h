/*
 * tool.h — what the subcommands of the `npipe` command share.
 *
 * The tool is an ordinary npipe program: it uses the public Win32 and
 * native APIs (<npipe/windows.h>, <npipe/winternl.h>: list and monitor
 * use NtQueryDirectoryFile and NtNotifyChangeDirectoryFileEx on the pipe
 * root) and nothing of the library's insides, except the table of Win32
 * error names and texts (src/win32/errtext.c, compiled into the tool by
 * CMake) so that errors read "ERROR_PIPE_BUSY (231): All pipe instances
 * are busy." rather than a bare number.
 *
 * Exit codes follow the usual convention: 0 success, 1 failure, 2 usage.
 */
#ifndef NPIPE_TOOL_H
#define NPIPE_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <npipe/windows.h>
#include <npipe/winternl.h>

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

/* ---- Pipe names ------------------------------------------------------ */

#define TOOL_PIPE_PREFIX "\\\\.\\pipe\\"

/* A NAME as given on the command line, short ("foo") or full
 * ("\\.\pipe\foo", "//./pipe/foo"), as the full Win32 name in a new
 * string (NULL when out of memory). */
char *tool_pipe_path(const char *name);
/* The short form of a full name (a pointer into it), for messages. */
const char *tool_short_name(const char *path);

/* ---- Strings ---------------------------------------------------------- */

/* UTF-16 (chars units) to a new UTF-8 string; never NULL. */
char *tool_utf8(const WCHAR *s, size_t chars);
/* UTF-8 to a new NUL-terminated UTF-16 string (NULL when out of memory);
 * *chars gets its length. */
WCHAR *tool_utf16(const char *s, size_t *chars);
/* s as a JSON string literal, quotes included, on out. */
void tool_json_string(FILE *out, const char *s);
/* Case-insensitive glob with * and ? (ASCII case folding). */
bool tool_glob(const char *pattern, const char *name);

/* ---- Numbers and names ------------------------------------------------ */

/* Parses a decimal in [min, max]; false if it is not one. */
bool tool_parse_uint(const char *s, unsigned long min, unsigned long max,
                     unsigned long *value);
/* "listening", "connected", ... for a FILE_PIPE_*_STATE. */
const char *tool_state_name(ULONG state);
/* A session id for humans: "-" when unknown ((ULONG)-1). */
const char *tool_session_text(ULONG session, char *buf, size_t size);

/* Opens the pipe root, \\.\pipe\, for listing or watching.  On failure
 * reports the error (as `what`) and returns NULL. */
HANDLE tool_open_root(const char *what);
/* Reports a failed native call: its NTSTATUS as the Win32 error. */
void tool_report_status(LONG status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- Relaying between a pipe and file descriptors (relay.c) ----------- */

struct tool_relay {
    HANDLE pipe;
    int in_fd;     /* bytes for the pipe (stdin, or the command's stdout);
                      -1: none (a pipe we may only read) */
    int out_fd;    /* the pipe's bytes go here (stdout, or the command's
                      stdin); -1: none (a pipe we may only write) */
    bool message;  /* lines are messages; a zero-length message ends input */
    bool command;  /* in_fd's end (the command's exit) ends the connection;
                      else the peer's end does */
    bool close_out; /* close out_fd when the pipe has nothing more for it */
    bool quit_on_eof; /* peer-driven: end once our input has ended and the
                         peer has read it, without waiting for the peer's */
};

/* Moves bytes both ways until the connection is over (see relay.c).
 * Returns ERROR_SUCCESS, or the Win32 error that ended it abnormally. */
DWORD tool_relay_run(struct tool_relay *relay);

/* Subcommands: argv[0] is the subcommand's name. */
int cmd_demo(int argc, char **argv);
int cmd_session(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_connect(int argc, char **argv);
int cmd_call(int argc, char **argv);
int cmd_monitor(int argc, char **argv);

#endif /* NPIPE_TOOL_H */
