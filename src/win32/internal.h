/*
 * internal.h — what the Win32 layer of libnpipe shares between its files:
 * the export macro, last-error helpers, and the name and string helpers of
 * name.c.  Internal; not installed.
 *
 * The Win32 layer speaks only Win32 errors to its callers and only the
 * native (Nt*) API below; RtlNtStatusToDosError is the one bridge.
 */
#ifndef NPIPE_WIN32_INTERNAL_H
#define NPIPE_WIN32_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <npipe/windows.h>
#include <npipe/winternl.h>

/* Public functions are exported explicitly: the library is built with
 * -fvisibility=hidden. */
#ifndef NPIPE_API
#define NPIPE_API __attribute__((visibility("default")))
#endif

/* ---- error.c ------------------------------------------------------------- */

/* Sets the last error and returns FALSE, for `return fail(...)`. */
BOOL np_fail(DWORD error);
/* Sets the last error from an NTSTATUS and returns FALSE. */
BOOL np_fail_status(NTSTATUS status);

/* ---- file.c -------------------------------------------------------------- */

/* The start of ReadFile, WriteFile and TransactNamedPipe: zeroes the byte
 * count, marks the OVERLAPPED pending and reads its offset (if any). */
void np_begin_io(LPDWORD count, LPOVERLAPPED ov, LARGE_INTEGER *offset);

/* kernel32's arguments for an NT I/O call: the OVERLAPPED is the
 * IO_STATUS_BLOCK (else `local` is), and it is also the APC context (the
 * completion port's value) unless hEvent's low bit is set. */
PIO_STATUS_BLOCK np_io_block(LPOVERLAPPED ov, IO_STATUS_BLOCK *local);
PVOID np_io_context(LPOVERLAPPED ov);

/* The end of ReadFile, WriteFile and TransactNamedPipe: STATUS_PENDING is
 * FALSE with ERROR_IO_PENDING; otherwise the byte count (the transferred
 * bytes for STATUS_SUCCESS and for a warning without OVERLAPPED — a
 * partial message: ERROR_MORE_DATA — else 0), the last error and the
 * BOOL.  The OVERLAPPED was filled by the NT call. */
BOOL np_finish_io(NTSTATUS status, const IO_STATUS_BLOCK *iosb, LPDWORD count,
                  LPOVERLAPPED ov);

/* ---- sync.c ------------------------------------------------------------- */

/* WaitForMultipleObjectsEx without the Win32 result mapping: the wait's
 * NTSTATUS (STATUS_WAIT_0 + i, STATUS_TIMEOUT, STATUS_USER_APC after the
 * due completion routines ran, or an error). */
NTSTATUS np_wait(DWORD count, const HANDLE *handles, bool wait_all,
                 DWORD timeout_ms, bool alertable);

/* The buffer an alertable request offers for the ids of due completion
 * routines (the broker sends them all at once). */
#define NP_APC_BUFFER (64u * 1024u)

/* ---- name.c ------------------------------------------------------------- */

/* The Win32 limit on a whole pipe name such as \\.\pipe\NAME. */
#define NP_MAX_PIPE_PATH 256

enum np_name_kind {
    NP_NAME_LOCAL_PIPE,  /* \\.\pipe\NAME (or \\?\pipe\NAME) */
    NP_NAME_REMOTE_PIPE, /* \\server\pipe\NAME, server not "." */
    NP_NAME_TOO_LONG,    /* a local pipe name over NP_MAX_PIPE_PATH */
    NP_NAME_OTHER,       /* anything else: npipe has no file system */
};

/* A local pipe name as the NT layer wants it: \??\pipe\NAME. */
struct np_pipe_name {
    WCHAR nt_path[NP_MAX_PIPE_PATH + 1];
    USHORT nt_chars;    /* length of nt_path, no terminator */
    USHORT name_start;  /* index in nt_path where NAME begins */
    bool has_separator; /* \\.\pipe\... rather than bare \\.\pipe */
};

/* Classifies a Win32 path; fills *out for NP_NAME_LOCAL_PIPE.  The prefix
 * is matched case-insensitively and its separators may be '/' or '\'; the
 * NAME part is taken literally. */
enum np_name_kind np_parse_pipe_name(LPCWSTR path, struct np_pipe_name *out);

/* A UNICODE_STRING over the whole NT path, or over its first `chars`. */
void np_nt_string(struct np_pipe_name *name, USHORT chars, UNICODE_STRING *us);

size_t np_wcslen(LPCWSTR s);

/* UTF-8 (npipe's ANSI code page) to a new NUL-terminated UTF-16 string.
 * A NULL input gives *out = NULL and TRUE.  Invalid bytes become U+FFFD,
 * as MultiByteToWideChar(CP_UTF8) does.  FALSE (with ERROR_NOT_ENOUGH_
 * MEMORY set) only when memory runs out.  Free with free(). */
BOOL np_a_to_w(LPCSTR in, LPWSTR *out);

/* UTF-16 (of `chars` units, or up to its NUL if chars is -1) to UTF-8 in
 * out[size], NUL-terminated.  Returns the bytes needed including the NUL;
 * nothing is written past `size`.  Lone surrogates become U+FFFD. */
size_t np_w_to_a(LPCWSTR in, ptrdiff_t chars, LPSTR out, size_t size);

#endif /* NPIPE_WIN32_INTERNAL_H */
