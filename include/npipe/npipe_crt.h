/*
 * npipe_crt.h — the wide-character C runtime a Windows program expects,
 * for 16-bit WCHAR strings.
 *
 * Linux's wchar_t is 32 bits, so glibc's wcslen, wprintf and friends cannot
 * read a Windows program's wide strings.  npipe provides 16-bit versions
 * under npipe_ names; <tchar.h> maps _tcslen, _tprintf, ... to them in
 * UNICODE builds, and in the -fshort-wchar build mode (below) this header
 * also maps the standard wide names (wcslen, wprintf, ...) to them.
 *
 * The wide printf functions follow Microsoft's rules (%s is a WCHAR string
 * in a wide format, %S a narrow one; %ld is 32 bits; %I64d; see
 * docs/porting.md) and write UTF-8 to the FILE.
 *
 * -fshort-wchar mode.  Code that passes raw L"..." literals to W functions
 * needs a 16-bit wchar_t: build it with -fshort-wchar (as Wine's winegcc
 * does).  wchar_t is then the same type as WCHAR, and — because glibc's
 * wide functions still expect 32-bit characters — this header replaces the
 * usual wide string and stdio functions with npipe's by macro
 * (wcslen -> npipe_wcslen, wprintf -> npipe_wprintf, ...).  Wide functions
 * it does not list (wcsftime, mbstowcs, the <wctype.h> classification of
 * characters beyond one unit, ...) must not be used in that mode.  Define
 * NPIPE_NO_CRT_REMAP to keep the standard names untouched.
 *
 * Entry point.  A UNICODE program's _tmain is wmain; npipe's small static
 * library libnpipe_wmain.a (on the pkg-config link line) supplies a main()
 * that converts the UTF-8 command line and environment to UTF-16 and calls
 * wmain(argc, argv, envp).  It is only linked into programs that have no
 * main of their own.
 */
#ifndef NPIPE_CRT_H
#define NPIPE_CRT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "windef.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Strings (16-bit units; comparisons by unit value, _wcsicmp after
 * lower-casing each unit). */
size_t npipe_wcslen(const WCHAR *s);
size_t npipe_wcsnlen(const WCHAR *s, size_t max);
WCHAR *npipe_wcscpy(WCHAR *dst, const WCHAR *src);
WCHAR *npipe_wcsncpy(WCHAR *dst, const WCHAR *src, size_t n);
WCHAR *npipe_wcscat(WCHAR *dst, const WCHAR *src);
WCHAR *npipe_wcsncat(WCHAR *dst, const WCHAR *src, size_t n);
int npipe_wcscmp(const WCHAR *a, const WCHAR *b);
int npipe_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n);
int npipe_wcsicmp(const WCHAR *a, const WCHAR *b);
int npipe_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n);
WCHAR *npipe_wcschr(const WCHAR *s, WCHAR c);
WCHAR *npipe_wcsrchr(const WCHAR *s, WCHAR c);
WCHAR *npipe_wcsstr(const WCHAR *hay, const WCHAR *needle);
WCHAR *npipe_wcsdup(const WCHAR *s); /* free() the result */
long npipe_wcstol(const WCHAR *s, WCHAR **end, int base);
unsigned long npipe_wcstoul(const WCHAR *s, WCHAR **end, int base);
int npipe_wtoi(const WCHAR *s);
WCHAR npipe_towupper(WCHAR c);
WCHAR npipe_towlower(WCHAR c);

/* Formatted output.  Counts are in WCHARs.  npipe_swprintf and
 * npipe_vswprintf are ISO-style (count includes the NUL; -1 when the
 * output did not fit, which is then truncated and terminated);
 * npipe__snwprintf is Microsoft's _snwprintf (no NUL when the output fills
 * the buffer exactly, -1 when it does not fit); npipe__swprintf is the
 * legacy count-less _swprintf. */
int npipe_wprintf(const WCHAR *fmt, ...);
int npipe_vwprintf(const WCHAR *fmt, va_list ap);
int npipe_fwprintf(FILE *f, const WCHAR *fmt, ...);
int npipe_vfwprintf(FILE *f, const WCHAR *fmt, va_list ap);
int npipe_swprintf(WCHAR *buf, size_t count, const WCHAR *fmt, ...);
int npipe_vswprintf(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap);
int npipe__snwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, ...);
int npipe__vsnwprintf(WCHAR *buf, size_t count, const WCHAR *fmt, va_list ap);
int npipe__swprintf(WCHAR *buf, const WCHAR *fmt, ...);
int npipe_fputws(const WCHAR *s, FILE *f);
int npipe__putws(const WCHAR *s); /* adds a newline, as puts does */
/* Reads a line of UTF-8 from f into s as UTF-16 (at most n - 1 units, NUL
 * terminated, the newline kept); NULL at end of file or on error. */
WCHAR *npipe_fgetws(WCHAR *s, int n, FILE *f);

/* The wmain entry: converts argv and envp to UTF-16 and calls fn. */
int npipe_run_wmain(int argc, char **argv, char **envp,
                    int (*fn)(int, WCHAR **, WCHAR **));

#ifdef __cplusplus
}
#endif

/* ---- -fshort-wchar mode: the standard wide names are npipe's ---------------- */
#if defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2 &&                  \
    !defined(NPIPE_NO_CRT_REMAP) && !defined(__cplusplus)
#include <wchar.h> /* first, so that its declarations keep their names */
#define wcslen npipe_wcslen
#define wcsnlen npipe_wcsnlen
#define wcscpy npipe_wcscpy
#define wcsncpy npipe_wcsncpy
#define wcscat npipe_wcscat
#define wcsncat npipe_wcsncat
#define wcscmp npipe_wcscmp
#define wcsncmp npipe_wcsncmp
#define _wcsicmp npipe_wcsicmp
#define _wcsnicmp npipe_wcsnicmp
#define wcschr npipe_wcschr
#define wcsrchr npipe_wcsrchr
#define wcsstr npipe_wcsstr
#define wcsdup npipe_wcsdup
#define _wcsdup npipe_wcsdup
#define wcstol npipe_wcstol
#define wcstoul npipe_wcstoul
#define _wtoi npipe_wtoi
#define wprintf npipe_wprintf
#define vwprintf npipe_vwprintf
#define fwprintf npipe_fwprintf
#define vfwprintf npipe_vfwprintf
#define swprintf npipe_swprintf
#define vswprintf npipe_vswprintf
#define _snwprintf npipe__snwprintf
#define _vsnwprintf npipe__vsnwprintf
#define fputws npipe_fputws
#define _putws npipe__putws
#define fgetws npipe_fgetws
#endif

#endif /* NPIPE_CRT_H */
