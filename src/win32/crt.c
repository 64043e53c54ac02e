/*
 * crt.c — the 16-bit wide-character stdio of npipe_crt.h (what _tprintf,
 * _ftprintf, _stprintf, ... are in UNICODE builds) and the wmain entry.
 *
 * Output is UTF-8 on the FILE: the wide printf functions format with
 * Microsoft's rules (format.c) and write the result with fwrite, so they
 * mix freely with printf and puts on the same stream (glibc's own wide
 * functions would switch the stream to wide orientation).  Counts returned
 * are in UTF-16 units, as Windows counts WCHARs.
 */
#include "win32/internal.h"
#include "win32/textutil.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <npipe/npipe_crt.h>

/* Formats into *b; false if memory ran out. */
static bool wformat(struct np_buf *b, const WCHAR *fmt, va_list ap)
{
    struct np_fmt_va src;
    np_fmt_va_init(&src, ap);
    np_vformat(b, fmt, true, true, &src.src);
    np_fmt_va_end(&src);
    return np_buf_finish(b) != NULL;
}

static size_t units_of(const struct np_buf *b)
{
    return np_utf8_to_utf16(b->data, b->len, NULL, 0, NULL);
}

NPIPE_API int npipe_vfwprintf(FILE *f, const WCHAR *fmt, va_list ap)
{
    if (!f || !fmt)
        return -1;
    struct np_buf b = {0};
    if (!wformat(&b, fmt, ap)) {
        np_buf_free(&b);
        return -1;
    }
    size_t units = units_of(&b);
    int r = fwrite(b.data, 1, b.len, f) == b.len && units <= INT_MAX ? (int)units : -1;
    np_buf_free(&b);
    return r;
}

NPIPE_API int npipe_fwprintf(FILE *f, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = npipe_vfwprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

NPIPE_API int npipe_vwprintf(const WCHAR *fmt, va_list ap)
{
    return npipe_vfwprintf(stdout, fmt, ap);
}

NPIPE_API int npipe_wprintf(const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = npipe_vfwprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}

/* Formats into buf[count].  mode 0: ISO vswprintf (always terminated; -1
 * if truncated); mode 1: _vsnwprintf (terminated only if there is room;
 * -1 if truncated); mode 2: legacy _swprintf (no bound). */
static int sformat(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap, int mode)
{
    if (!buf || !fmt || (mode == 0 && count == 0))
        return -1;
    struct np_buf b = {0};
    if (!wformat(&b, fmt, ap)) {
        np_buf_free(&b);
        return -1;
    }
    size_t units = units_of(&b);
    int r;
    if (mode == 2) {
        np_utf8_to_utf16(b.data, b.len, buf, units, NULL);
        buf[units] = 0;
        r = units <= INT_MAX ? (int)units : -1;
    } else if (mode == 0) {
        size_t n = units < count ? units : count - 1;
        np_utf8_to_utf16(b.data, b.len, buf, n, NULL);
        buf[n] = 0;
        r = units < count && units <= INT_MAX ? (int)units : -1;
    } else {
        size_t n = units < count ? units : count;
        np_utf8_to_utf16(b.data, b.len, buf, n, NULL);
        if (units < count)
            buf[units] = 0;
        r = units <= count && units <= INT_MAX ? (int)units : -1;
    }
    np_buf_free(&b);
    return r;
}

NPIPE_API int npipe_vswprintf(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap)
{
    return sformat(buf, count, fmt, ap, 0);
}

NPIPE_API int npipe_swprintf(WCHAR *buf, size_t count, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = sformat(buf, count, fmt, ap, 0);
    va_end(ap);
    return r;
}

NPIPE_API int npipe__vsnwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap)
{
    return sformat(buf, count, fmt, ap, 1);
}

NPIPE_API int npipe__snwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = sformat(buf, count, fmt, ap, 1);
    va_end(ap);
    return r;
}

NPIPE_API int npipe__swprintf(WCHAR *buf, const WCHAR *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = sformat(buf, 0, fmt, ap, 2);
    va_end(ap);
    return r;
}

NPIPE_API int npipe_fputws(const WCHAR *s, FILE *f)
{
    char *u = np_utf16_dup_utf8(s);
    if (!u)
        return EOF;
    int r = fputs(u, f) >= 0 ? 0 : EOF;
    free(u);
    return r;
}

NPIPE_API int npipe__putws(const WCHAR *s)
{
    if (npipe_fputws(s, stdout) == EOF || fputc('\n', stdout) == EOF)
        return EOF;
    return 0;
}

/* Reads one character's bytes at a time (a multi-byte character is never
 * split) until a newline (kept), end of file, or n - 1 units. */
NPIPE_API WCHAR *npipe_fgetws(WCHAR *s, int n, FILE *f)
{
    if (!s || n <= 0 || !f)
        return NULL;
    size_t cap = (size_t)(n - 1);
    char *line = malloc(cap * 4 + 4);
    if (!line)
        return NULL;
    size_t len = 0, units = 0;
    while (units < cap) {
        int c = fgetc(f);
        if (c == EOF)
            break;
        line[len++] = (char)c;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        for (int k = 0; k < more; k++) {
            int d = fgetc(f);
            if (d == EOF)
                break;
            if ((d & 0xC0) != 0x80) {
                ungetc(d, f);
                break;
            }
            line[len++] = (char)d;
        }
        units = np_utf8_to_utf16(line, len, NULL, 0, NULL);
        if (c == '\n')
            break;
    }
    if (len == 0) {
        free(line);
        return NULL;
    }
    if (units > cap)
        units = cap; /* a surrogate pair that did not fit: cut */
    np_utf8_to_utf16(line, len, s, units, NULL);
    s[units] = 0;
    free(line);
    return s;
}

/* ---- The wmain entry ------------------------------------------------------------------- */

static WCHAR **wide_vector(char **v, int count)
{
    WCHAR **w = calloc((size_t)count + 1, sizeof *w);
    if (!w)
        return NULL;
    for (int i = 0; i < count; i++) {
        w[i] = np_utf8_dup_utf16(v[i]);
        if (!w[i])
            return NULL;
    }
    return w;
}

/* The converted vectors live as long as the process, like argv itself
 * (and stay reachable: not static, so their stores are kept). */
WCHAR **np_run_wmain_argv, **np_run_wmain_envp;

NPIPE_API int npipe_run_wmain(int argc, char **argv, char **envp,
                              int (*fn)(int, WCHAR **, WCHAR **))
{
    int envc = 0;
    while (envp && envp[envc])
        envc++;
    WCHAR **wargv = np_run_wmain_argv = wide_vector(argv, argc);
    WCHAR **wenvp = np_run_wmain_envp = wide_vector(envp, envc);
    if (!wargv || !wenvp) {
        fputs("npipe: out of memory converting the command line\n", stderr);
        return 1;
    }
    return fn(argc, wargv, wenvp);
}
