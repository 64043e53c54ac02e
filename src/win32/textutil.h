/*
 * textutil.h — text helpers shared by the "around the pipes" part of the
 * Win32 layer: UTF-8 <-> UTF-16 conversion with MultiByteToWideChar's
 * rules (strings.c), and the printf engine behind _tprintf in wide builds,
 * the StringCchPrintf family and FormatMessage's !format! inserts
 * (format.c).  Internal to libnpipe; not installed.
 */
#ifndef NPIPE_WIN32_TEXTUTIL_H
#define NPIPE_WIN32_TEXTUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <npipe/windef.h>

/* ---- strings.c: conversions ------------------------------------------------ */

/*
 * UTF-8 of `len` bytes to UTF-16.  Writes at most `cap` units to `out`
 * (out may be NULL when cap is 0) and returns the number of units the whole
 * conversion needs.  An ill-formed sequence (a stray continuation byte, a
 * truncated sequence, an overlong form, an encoded surrogate, a value above
 * U+10FFFF) becomes one U+FFFD per maximal ill-formed subpart, as Unicode
 * recommends and Windows does; *invalid (if not NULL) is set when that
 * happened.  NUL bytes are converted like any other character.
 */
size_t np_utf8_to_utf16(const char *in, size_t len, WCHAR *out, size_t cap,
                        bool *invalid);

/* UTF-16 of `len` units to UTF-8, the same way round: a lone surrogate
 * becomes U+FFFD (EF BF BD).  Returns the bytes needed; writes at most
 * `cap`. */
size_t np_utf16_to_utf8(const WCHAR *in, size_t len, char *out, size_t cap,
                        bool *invalid);

/* Length of a NUL-terminated UTF-16 string, in units. */
size_t np_wstrlen(const WCHAR *s);

/* New NUL-terminated copies (malloc; NULL in, NULL out; NULL if memory
 * runs out). */
char *np_utf16_dup_utf8(const WCHAR *s);
WCHAR *np_utf8_dup_utf16(const char *s);

/* ---- format.c: a growable UTF-8 buffer and the printf engine --------------- */

struct np_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed; /* memory ran out; contents are incomplete */
};

void np_buf_put(struct np_buf *b, const char *s, size_t n);
void np_buf_putc(struct np_buf *b, char c);
/* A code point as UTF-8 (U+FFFD for a surrogate or out-of-range value). */
void np_buf_put_cp(struct np_buf *b, uint32_t cp);
void np_buf_put_utf16(struct np_buf *b, const WCHAR *s, size_t n);
/* NUL-terminates (not counted in len) and returns data; NULL if failed. */
char *np_buf_finish(struct np_buf *b);
void np_buf_free(struct np_buf *b);

/*
 * Where a conversion takes its arguments from: a va_list for the printf
 * functions, a table of values for FormatMessage's inserts.
 */
struct np_fmt_src {
    uint64_t (*get_int)(struct np_fmt_src *src, int bytes); /* 4 or 8 */
    const void *(*get_ptr)(struct np_fmt_src *src);
    double (*get_double)(struct np_fmt_src *src);
    long double (*get_ldouble)(struct np_fmt_src *src);
};

struct np_fmt_va {
    struct np_fmt_src src;
    va_list ap;
};
/* Makes *v a source that reads from ap (copied: the caller still owns and
 * ends its own ap; call np_fmt_va_end afterwards). */
void np_fmt_va_init(struct np_fmt_va *v, va_list ap);
void np_fmt_va_end(struct np_fmt_va *v);

/*
 * Formats with Microsoft's printf rules into b (as UTF-8):
 *   fmt       the format, UTF-16 if wide else UTF-8 (NUL-terminated)
 *   wide      the function is a wide one (wprintf, StringCchPrintfW): %s
 *             and %c take WCHAR strings and characters, %S / %C narrow
 *             ones; in a narrow function it is the other way round.  %hs
 *             and %hc are always narrow, %ls, %lc, %ws and %wc always wide.
 *   out_wide  the result will be UTF-16: widths and string precisions are
 *             counted in UTF-16 units rather than bytes
 * Integer sizes follow Windows: no prefix, h, hh and l are 32 bits (l is
 * Windows' LONG), ll, I64 and q are 64, I, z, t and j pointer-sized.  %p
 * prints the pointer as 16 upper-case hex digits, as Microsoft's CRT does;
 * %n is ignored (its pointer is consumed), as the CRT does by default.
 */
void np_vformat(struct np_buf *b, const void *fmt, bool wide, bool out_wide,
                struct np_fmt_src *src);

/* One conversion `spec` (the text between '%' and the conversion
 * character, inclusive, e.g. "-8.3s"), for FormatMessage's !spec! inserts.
 * The same rules as np_vformat. */
void np_format_one(struct np_buf *b, const char *spec, bool wide,
                   bool out_wide, struct np_fmt_src *src);

#endif /* NPIPE_WIN32_TEXTUTIL_H */
