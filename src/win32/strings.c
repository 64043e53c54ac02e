/*
 * strings.c — MultiByteToWideChar / WideCharToMultiByte, the lstr*
 * functions, GetACP / GetOEMCP, and the 16-bit wide-string functions that
 * <tchar.h> maps _tcs* to in UNICODE builds (npipe_wcs*; Linux's own
 * wcs* work on 32-bit wchar_t).
 *
 * Code pages.  npipe's ANSI and OEM code pages are UTF-8 (GetACP() is
 * 65001): CP_ACP, CP_OEMCP, CP_MACCP, CP_THREAD_ACP and CP_UTF8 all
 * convert UTF-8.  Besides those, Windows-1252 and ISO 8859-1 (28591) are
 * there for programs that name them; any other code page fails with
 * ERROR_INVALID_PARAMETER, as Windows does for one it does not have.
 *
 * UTF-8 follows Windows: an ill-formed sequence becomes U+FFFD (one per
 * maximal ill-formed subpart), or fails with ERROR_NO_UNICODE_TRANSLATION
 * under MB_ERR_INVALID_CHARS / WC_ERR_INVALID_CHARS; CP_UTF8 accepts no
 * other flag (ERROR_INVALID_FLAGS) and no default character
 * (ERROR_INVALID_PARAMETER).  The ANSI code page names accept the flags
 * Windows programs pass for their ANSI code page (MB_PRECOMPOSED,
 * WC_COMPOSITECHECK, WC_NO_BEST_FIT_CHARS, ...) and ignore them: UTF-8 has
 * nothing for them to change.
 */
#include "win32/internal.h"
#include "win32/textutil.h"

#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <npipe/npipe_crt.h>

/* ---- UTF-8 <-> UTF-16 ------------------------------------------------------------ */

static size_t put_cp16(WCHAR *out, size_t cap, size_t at, uint32_t cp)
{
    if (cp >= 0x10000) {
        cp -= 0x10000;
        if (at < cap)
            out[at] = (WCHAR)(0xD800 | (cp >> 10));
        if (at + 1 < cap)
            out[at + 1] = (WCHAR)(0xDC00 | (cp & 0x3FF));
        return 2;
    }
    if (at < cap)
        out[at] = (WCHAR)cp;
    return 1;
}

/* Decodes one code point at in[*i] (len bytes in all); advances *i.
 * Returns the code point, or 0xFFFD with *bad set for an ill-formed
 * subpart (which it consumes whole). */
static uint32_t next_utf8(const unsigned char *in, size_t len, size_t *i,
                          bool *bad)
{
    unsigned char b = in[*i];
    *bad = false;
    if (b < 0x80) {
        (*i)++;
        return b;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xBF;
    uint32_t cp;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        cp = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (b == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        cp = b & 0x07;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        (*i)++;
        *bad = true;
        return 0xFFFD;
    }
    size_t k = 1;
    for (; k <= need; k++) {
        if (*i + k >= len)
            break;
        unsigned char c = in[*i + k];
        if (c < lo || c > hi)
            break;
        lo = 0x80;
        hi = 0xBF;
        cp = (cp << 6) | (c & 0x3F);
    }
    if (k <= need) { /* the lead and the valid bytes after it: one U+FFFD */
        *i += k;
        *bad = true;
        return 0xFFFD;
    }
    *i += need + 1;
    return cp;
}

size_t np_utf8_to_utf16(const char *in, size_t len, WCHAR *out, size_t cap,
                        bool *invalid)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, n = 0;
    bool any_bad = false;
    while (i < len) {
        bool bad;
        uint32_t cp = next_utf8(s, len, &i, &bad);
        any_bad |= bad;
        n += put_cp16(out, cap, n, cp);
    }
    if (invalid)
        *invalid = any_bad;
    return n;
}

/* One code point from UTF-16 at in[*i]; a lone surrogate is U+FFFD. */
static uint32_t next_utf16(const WCHAR *in, size_t len, size_t *i, bool *bad)
{
    uint32_t c = in[(*i)++];
    *bad = false;
    if (c >= 0xD800 && c <= 0xDBFF && *i < len && in[*i] >= 0xDC00 &&
        in[*i] <= 0xDFFF)
        return 0x10000 + ((c - 0xD800) << 10) + (in[(*i)++] - 0xDC00);
    if (c >= 0xD800 && c <= 0xDFFF) {
        *bad = true;
        return 0xFFFD;
    }
    return c;
}

static size_t utf8_len(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static void put_utf8(char *out, size_t cap, size_t at, uint32_t cp)
{
    unsigned char tmp[4];
    size_t n = utf8_len(cp);
    if (n == 1) {
        tmp[0] = (unsigned char)cp;
    } else if (n == 2) {
        tmp[0] = (unsigned char)(0xC0 | (cp >> 6));
        tmp[1] = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (n == 3) {
        tmp[0] = (unsigned char)(0xE0 | (cp >> 12));
        tmp[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        tmp[0] = (unsigned char)(0xF0 | (cp >> 18));
        tmp[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        tmp[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[3] = (unsigned char)(0x80 | (cp & 0x3F));
    }
    for (size_t k = 0; k < n && at + k < cap; k++)
        out[at + k] = (char)tmp[k];
}

size_t np_utf16_to_utf8(const WCHAR *in, size_t len, char *out, size_t cap,
                        bool *invalid)
{
    size_t i = 0, n = 0;
    bool any_bad = false;
    while (i < len) {
        bool bad;
        uint32_t cp = next_utf16(in, len, &i, &bad);
        any_bad |= bad;
        put_utf8(out, cap, n, cp);
        n += utf8_len(cp);
    }
    if (invalid)
        *invalid = any_bad;
    return n;
}

size_t np_wstrlen(const WCHAR *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

char *np_utf16_dup_utf8(const WCHAR *s)
{
    if (!s)
        return NULL;
    size_t len = np_wstrlen(s);
    size_t n = np_utf16_to_utf8(s, len, NULL, 0, NULL);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    np_utf16_to_utf8(s, len, out, n, NULL);
    out[n] = 0;
    return out;
}

WCHAR *np_utf8_dup_utf16(const char *s)
{
    if (!s)
        return NULL;
    size_t len = strlen(s);
    size_t n = np_utf8_to_utf16(s, len, NULL, 0, NULL);
    WCHAR *out = malloc((n + 1) * sizeof(WCHAR));
    if (!out)
        return NULL;
    np_utf8_to_utf16(s, len, out, n, NULL);
    out[n] = 0;
    return out;
}

/* ---- Code pages --------------------------------------------------------------- */

enum cp_kind { CP_KIND_UTF8_STRICT, CP_KIND_UTF8_ANSI, CP_KIND_1252,
               CP_KIND_LATIN1, CP_KIND_NONE };

static enum cp_kind classify_cp(UINT cp)
{
    switch (cp) {
    case CP_UTF8: return CP_KIND_UTF8_STRICT;
    case CP_ACP:
    case CP_OEMCP:
    case CP_MACCP:
    case CP_THREAD_ACP: return CP_KIND_UTF8_ANSI;
    case 1252: return CP_KIND_1252;
    case 28591: return CP_KIND_LATIN1;
    default: return CP_KIND_NONE;
    }
}

/* Windows-1252's 0x80..0x9F; 0 where the code page has no character (those
 * bytes map to the C1 control of the same value, as on Windows). */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0,
};

static uint32_t sbcs_to_cp(enum cp_kind kind, unsigned char b)
{
    if (kind == CP_KIND_1252 && b >= 0x80 && b <= 0x9F && cp1252_high[b - 0x80])
        return cp1252_high[b - 0x80];
    return b;
}

/* The byte for a code point, or -1 if the code page has none. */
static int cp_to_sbcs(enum cp_kind kind, uint32_t cp)
{
    if (kind == CP_KIND_1252) {
        for (int k = 0; k < 32; k++)
            if (cp1252_high[k] == cp)
                return 0x80 + k;
        if (cp >= 0x80 && cp <= 0x9F)
            return cp1252_high[cp - 0x80] ? -1 : (int)cp;
    }
    return cp <= 0xFF ? (int)cp : -1;
}

NPIPE_API UINT WINAPI GetACP(void) { return CP_UTF8; }
NPIPE_API UINT WINAPI GetOEMCP(void) { return CP_UTF8; }

NPIPE_API BOOL WINAPI IsValidCodePage(UINT CodePage)
{
    return CodePage != CP_ACP && CodePage != CP_OEMCP && CodePage != CP_MACCP &&
           CodePage != CP_THREAD_ACP && classify_cp(CodePage) != CP_KIND_NONE;
}

#define MB_ANSI_FLAGS (MB_PRECOMPOSED | MB_COMPOSITE | MB_USEGLYPHCHARS | \
                       MB_ERR_INVALID_CHARS)
#define WC_ANSI_FLAGS (WC_COMPOSITECHECK | WC_DISCARDNS | WC_SEPCHARS | \
                       WC_DEFAULTCHAR | WC_NO_BEST_FIT_CHARS | WC_ERR_INVALID_CHARS)

static bool overlaps(const void *a, size_t an, const void *b, size_t bn)
{
    const char *x = a, *y = b;
    return x < y + bn && y < x + an;
}

/*
 * As on Windows: cbMultiByte -1 converts up to and including the NUL, 0 or
 * below -1 is ERROR_INVALID_PARAMETER, as is a NULL input, a negative
 * cchWideChar, a NULL output with a nonzero size and an output that
 * overlaps the input.  cchWideChar 0 asks for the size.  An output that is
 * too small gets what fits and ERROR_INSUFFICIENT_BUFFER (returns 0).
 */
NPIPE_API int WINAPI MultiByteToWideChar(UINT CodePage, DWORD dwFlags,
                                         LPCSTR lpMultiByteStr, int cbMultiByte,
                                         LPWSTR lpWideCharStr, int cchWideChar)
{
    if (!lpMultiByteStr || cbMultiByte == 0 || cbMultiByte < -1 ||
        cchWideChar < 0 || (cchWideChar && !lpWideCharStr))
        return np_fail(ERROR_INVALID_PARAMETER);
    enum cp_kind kind = classify_cp(CodePage);
    if (kind == CP_KIND_NONE)
        return np_fail(ERROR_INVALID_PARAMETER);
    DWORD allowed = kind == CP_KIND_UTF8_STRICT ? MB_ERR_INVALID_CHARS
                                                : MB_ANSI_FLAGS;
    if (dwFlags & ~allowed)
        return np_fail(ERROR_INVALID_FLAGS);
    size_t len = cbMultiByte == -1 ? strlen(lpMultiByteStr) + 1
                                   : (size_t)cbMultiByte;
    size_t cap = (size_t)cchWideChar;
    if (cap && overlaps(lpMultiByteStr, len, lpWideCharStr, cap * sizeof(WCHAR)))
        return np_fail(ERROR_INVALID_PARAMETER);
    size_t need;
    if (kind == CP_KIND_UTF8_STRICT || kind == CP_KIND_UTF8_ANSI) {
        bool invalid;
        need = np_utf8_to_utf16(lpMultiByteStr, len, NULL, 0, &invalid);
        if (invalid && (dwFlags & MB_ERR_INVALID_CHARS))
            return np_fail(ERROR_NO_UNICODE_TRANSLATION);
        if (cap)
            np_utf8_to_utf16(lpMultiByteStr, len, lpWideCharStr, cap, NULL);
    } else {
        need = len;
        for (size_t i = 0; i < len && i < cap; i++)
            lpWideCharStr[i] = (WCHAR)sbcs_to_cp(kind, (unsigned char)lpMultiByteStr[i]);
    }
    if (need > INT32_MAX)
        return np_fail(ERROR_INVALID_PARAMETER);
    if (cap && need > cap)
        return np_fail(ERROR_INSUFFICIENT_BUFFER);
    return (int)need;
}

/*
 * The same rules the other way; for UTF-8 (CP_UTF8 and, here, the ANSI
 * code page too) lpDefaultChar and lpUsedDefaultChar must be NULL with
 * CP_UTF8 (ERROR_INVALID_PARAMETER) and are accepted with CP_ACP, where
 * *lpUsedDefaultChar is set to FALSE: every character has a UTF-8 form
 * (a lone surrogate becomes U+FFFD, not the default character).
 */
NPIPE_API int WINAPI WideCharToMultiByte(UINT CodePage, DWORD dwFlags,
                                         LPCWSTR lpWideCharStr, int cchWideChar,
                                         LPSTR lpMultiByteStr, int cbMultiByte,
                                         LPCSTR lpDefaultChar,
                                         LPBOOL lpUsedDefaultChar)
{
    if (!lpWideCharStr || cchWideChar == 0 || cchWideChar < -1 ||
        cbMultiByte < 0 || (cbMultiByte && !lpMultiByteStr))
        return np_fail(ERROR_INVALID_PARAMETER);
    enum cp_kind kind = classify_cp(CodePage);
    if (kind == CP_KIND_NONE)
        return np_fail(ERROR_INVALID_PARAMETER);
    DWORD allowed = kind == CP_KIND_UTF8_STRICT ? WC_ERR_INVALID_CHARS
                                                : WC_ANSI_FLAGS;
    if (dwFlags & ~allowed)
        return np_fail(ERROR_INVALID_FLAGS);
    if (kind == CP_KIND_UTF8_STRICT && (lpDefaultChar || lpUsedDefaultChar))
        return np_fail(ERROR_INVALID_PARAMETER);
    size_t len = cchWideChar == -1 ? np_wstrlen(lpWideCharStr) + 1
                                   : (size_t)cchWideChar;
    size_t cap = (size_t)cbMultiByte;
    if (cap && overlaps(lpWideCharStr, len * sizeof(WCHAR), lpMultiByteStr, cap))
        return np_fail(ERROR_INVALID_PARAMETER);
    size_t need;
    bool used_default = false;
    if (kind == CP_KIND_UTF8_STRICT || kind == CP_KIND_UTF8_ANSI) {
        bool invalid;
        need = np_utf16_to_utf8(lpWideCharStr, len, NULL, 0, &invalid);
        if (invalid && (dwFlags & WC_ERR_INVALID_CHARS))
            return np_fail(ERROR_NO_UNICODE_TRANSLATION);
        if (cap)
            np_utf16_to_utf8(lpWideCharStr, len, lpMultiByteStr, cap, NULL);
    } else {
        char dflt = lpDefaultChar ? lpDefaultChar[0] : '?';
        size_t i = 0;
        need = 0;
        while (i < len) {
            bool bad;
            uint32_t cp = next_utf16(lpWideCharStr, len, &i, &bad);
            int byte = bad ? -1 : cp_to_sbcs(kind, cp);
            if (byte < 0) {
                if (dwFlags & WC_ERR_INVALID_CHARS)
                    return np_fail(ERROR_NO_UNICODE_TRANSLATION);
                used_default = true;
                byte = (unsigned char)dflt;
            }
            if (need < cap)
                lpMultiByteStr[need] = (char)byte;
            need++;
        }
    }
    if (lpUsedDefaultChar)
        *lpUsedDefaultChar = used_default;
    if (need > INT32_MAX)
        return np_fail(ERROR_INVALID_PARAMETER);
    if (cap && need > cap)
        return np_fail(ERROR_INSUFFICIENT_BUFFER);
    return (int)need;
}

/* ---- Case and ordering ------------------------------------------------------------- */

static locale_t g_utf8_locale;
static pthread_once_t g_locale_once = PTHREAD_ONCE_INIT;

static void init_locale(void)
{
    g_utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

static uint32_t fold_lower(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    pthread_once(&g_locale_once, init_locale);
    return g_utf8_locale ? (uint32_t)towlower_l((wint_t)c, g_utf8_locale) : c;
}

static uint32_t fold_upper(uint32_t c)
{
    if (c < 0x80)
        return c >= 'a' && c <= 'z' ? c - 32 : c;
    pthread_once(&g_locale_once, init_locale);
    return g_utf8_locale ? (uint32_t)towupper_l((wint_t)c, g_utf8_locale) : c;
}

static bool is_alnum_cp(uint32_t c)
{
    if (c < 0x80)
        return isalnum((int)c) != 0;
    pthread_once(&g_locale_once, init_locale);
    return g_utf8_locale ? iswalnum_l((wint_t)c, g_utf8_locale) != 0 : true;
}

/* Sort classes: punctuation and spaces, then digits, then letters. */
static int sort_class(uint32_t c)
{
    if (c >= '0' && c <= '9')
        return 1;
    return is_alnum_cp(c) ? 2 : 0;
}

/* A code point iterator over UTF-8 or UTF-16, NUL-terminated. */
struct cp_iter {
    const void *s;
    bool wide;
    size_t i, len;
};

static void iter_init(struct cp_iter *it, const void *s, bool wide)
{
    it->s = s;
    it->wide = wide;
    it->i = 0;
    it->len = wide ? np_wstrlen(s) : strlen(s);
}

static uint32_t iter_next(struct cp_iter *it)
{
    if (it->i >= it->len)
        return 0;
    bool bad;
    return it->wide ? next_utf16(it->s, it->len, &it->i, &bad)
                    : next_utf8(it->s, it->len, &it->i, &bad);
}

/*
 * lstrcmp / lstrcmpi order strings as CompareString does for the user's
 * locale, in a simplified form: first by character class (punctuation and
 * spaces before digits before letters) and the case-folded character, so
 * that "apple" < "Banana"; then, for lstrcmp only, at the first difference
 * in case, lower case first ("abc" < "ABC").  Windows' "word sort" also
 * gives hyphens and apostrophes almost no weight; npipe does not.
 */
static int compare_strings(const void *a, const void *b, bool wide, bool icase)
{
    struct cp_iter x, y;
    iter_init(&x, a, wide);
    iter_init(&y, b, wide);
    int case_diff = 0;
    for (;;) {
        uint32_t ca = iter_next(&x), cb = iter_next(&y);
        if (!ca || !cb) {
            if (ca != cb)
                return ca ? 1 : -1;
            return icase ? 0 : case_diff;
        }
        uint32_t la = fold_lower(ca), lb = fold_lower(cb);
        if (la != lb) {
            int ka = sort_class(ca), kb = sort_class(cb);
            if (ka != kb)
                return ka < kb ? -1 : 1;
            return la < lb ? -1 : 1;
        }
        if (!case_diff && ca != cb)
            case_diff = ca == la ? -1 : 1; /* lower case sorts first */
    }
}

/* ---- lstr* --------------------------------------------------------------------------- */

/* Windows' lstr* functions survive bad pointers (they catch the fault);
 * npipe checks for NULL, which is the bad pointer seen in practice. */

NPIPE_API int WINAPI lstrlenA(LPCSTR lpString)
{
    return lpString ? (int)strlen(lpString) : 0;
}

NPIPE_API int WINAPI lstrlenW(LPCWSTR lpString)
{
    return lpString ? (int)np_wstrlen(lpString) : 0;
}

NPIPE_API int WINAPI lstrcmpA(LPCSTR lpString1, LPCSTR lpString2)
{
    if (!lpString1 || !lpString2)
        return lpString1 ? 1 : lpString2 ? -1 : 0;
    return compare_strings(lpString1, lpString2, false, false);
}

NPIPE_API int WINAPI lstrcmpW(LPCWSTR lpString1, LPCWSTR lpString2)
{
    if (!lpString1 || !lpString2)
        return lpString1 ? 1 : lpString2 ? -1 : 0;
    return compare_strings(lpString1, lpString2, true, false);
}

NPIPE_API int WINAPI lstrcmpiA(LPCSTR lpString1, LPCSTR lpString2)
{
    if (!lpString1 || !lpString2)
        return lpString1 ? 1 : lpString2 ? -1 : 0;
    return compare_strings(lpString1, lpString2, false, true);
}

NPIPE_API int WINAPI lstrcmpiW(LPCWSTR lpString1, LPCWSTR lpString2)
{
    if (!lpString1 || !lpString2)
        return lpString1 ? 1 : lpString2 ? -1 : 0;
    return compare_strings(lpString1, lpString2, true, true);
}

NPIPE_API LPSTR WINAPI lstrcpyA(LPSTR lpString1, LPCSTR lpString2)
{
    if (!lpString1 || !lpString2)
        return NULL;
    return memmove(lpString1, lpString2, strlen(lpString2) + 1);
}

NPIPE_API LPWSTR WINAPI lstrcpyW(LPWSTR lpString1, LPCWSTR lpString2)
{
    if (!lpString1 || !lpString2)
        return NULL;
    return memmove(lpString1, lpString2, (np_wstrlen(lpString2) + 1) * sizeof(WCHAR));
}

/* Copies at most iMaxLength - 1 characters and always terminates (when
 * iMaxLength is at least 1). */
NPIPE_API LPSTR WINAPI lstrcpynA(LPSTR lpString1, LPCSTR lpString2, int iMaxLength)
{
    if (!lpString1 || !lpString2)
        return NULL;
    if (iMaxLength <= 0)
        return lpString1;
    int i = 0;
    for (; i < iMaxLength - 1 && lpString2[i]; i++)
        lpString1[i] = lpString2[i];
    lpString1[i] = 0;
    return lpString1;
}

NPIPE_API LPWSTR WINAPI lstrcpynW(LPWSTR lpString1, LPCWSTR lpString2,
                                  int iMaxLength)
{
    if (!lpString1 || !lpString2)
        return NULL;
    if (iMaxLength <= 0)
        return lpString1;
    int i = 0;
    for (; i < iMaxLength - 1 && lpString2[i]; i++)
        lpString1[i] = lpString2[i];
    lpString1[i] = 0;
    return lpString1;
}

NPIPE_API LPSTR WINAPI lstrcatA(LPSTR lpString1, LPCSTR lpString2)
{
    if (!lpString1 || !lpString2)
        return NULL;
    memmove(lpString1 + strlen(lpString1), lpString2, strlen(lpString2) + 1);
    return lpString1;
}

NPIPE_API LPWSTR WINAPI lstrcatW(LPWSTR lpString1, LPCWSTR lpString2)
{
    if (!lpString1 || !lpString2)
        return NULL;
    memmove(lpString1 + np_wstrlen(lpString1), lpString2,
            (np_wstrlen(lpString2) + 1) * sizeof(WCHAR));
    return lpString1;
}

/* ---- 16-bit wide-string functions for <tchar.h> ------------------------------------- */

NPIPE_API size_t npipe_wcslen(const WCHAR *s) { return np_wstrlen(s); }

NPIPE_API size_t npipe_wcsnlen(const WCHAR *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

NPIPE_API WCHAR *npipe_wcscpy(WCHAR *dst, const WCHAR *src)
{
    size_t i = 0;
    do
        dst[i] = src[i];
    while (src[i++]);
    return dst;
}

NPIPE_API WCHAR *npipe_wcsncpy(WCHAR *dst, const WCHAR *src, size_t n)
{
    size_t i = 0;
    for (; i < n && src[i]; i++)
        dst[i] = src[i];
    for (; i < n; i++)
        dst[i] = 0;
    return dst;
}

NPIPE_API WCHAR *npipe_wcscat(WCHAR *dst, const WCHAR *src)
{
    npipe_wcscpy(dst + np_wstrlen(dst), src);
    return dst;
}

NPIPE_API WCHAR *npipe_wcsncat(WCHAR *dst, const WCHAR *src, size_t n)
{
    WCHAR *d = dst + np_wstrlen(dst);
    size_t i = 0;
    for (; i < n && src[i]; i++)
        d[i] = src[i];
    d[i] = 0;
    return dst;
}

NPIPE_API int npipe_wcscmp(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a < *b ? -1 : *a > *b;
}

NPIPE_API int npipe_wcsncmp(const WCHAR *a, const WCHAR *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return *a < *b ? -1 : 1;
        if (!*a)
            break;
    }
    return 0;
}

/* _wcsicmp compares after converting to lower case, unit by unit. */
NPIPE_API int npipe_wcsnicmp(const WCHAR *a, const WCHAR *b, size_t n)
{
    for (; n; n--, a++, b++) {
        uint32_t x = fold_lower(*a), y = fold_lower(*b);
        if (x != y)
            return x < y ? -1 : 1;
        if (!x)
            break;
    }
    return 0;
}

NPIPE_API int npipe_wcsicmp(const WCHAR *a, const WCHAR *b)
{
    return npipe_wcsnicmp(a, b, SIZE_MAX);
}

NPIPE_API WCHAR *npipe_wcschr(const WCHAR *s, WCHAR c)
{
    for (;; s++) {
        if (*s == c)
            return (WCHAR *)s;
        if (!*s)
            return NULL;
    }
}

NPIPE_API WCHAR *npipe_wcsrchr(const WCHAR *s, WCHAR c)
{
    const WCHAR *last = NULL;
    for (;; s++) {
        if (*s == c)
            last = s;
        if (!*s)
            return (WCHAR *)last;
    }
}

NPIPE_API WCHAR *npipe_wcsstr(const WCHAR *hay, const WCHAR *needle)
{
    size_t n = np_wstrlen(needle);
    if (!n)
        return (WCHAR *)hay;
    for (; *hay; hay++)
        if (*hay == *needle && npipe_wcsncmp(hay, needle, n) == 0)
            return (WCHAR *)hay;
    return NULL;
}

NPIPE_API WCHAR *npipe_wcsdup(const WCHAR *s)
{
    size_t bytes = (np_wstrlen(s) + 1) * sizeof(WCHAR);
    WCHAR *d = malloc(bytes);
    return d ? memcpy(d, s, bytes) : NULL;
}

/* strtol/strtoul on the ASCII image of the string: numbers are ASCII. */
static char *ascii_image(const WCHAR *s, char *small, size_t cap, size_t *len)
{
    size_t n = np_wstrlen(s);
    char *out = n < cap ? small : malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = s[i] < 0x80 ? (char)s[i] : '\x7f';
    out[n] = 0;
    *len = n;
    return out;
}

NPIPE_API long npipe_wcstol(const WCHAR *s, WCHAR **end, int base)
{
    char small[64];
    size_t n;
    char *a = ascii_image(s, small, sizeof small, &n);
    if (!a) {
        if (end)
            *end = (WCHAR *)s;
        return 0;
    }
    char *e;
    long v = strtol(a, &e, base);
    if (end)
        *end = (WCHAR *)s + (e - a);
    if (a != small)
        free(a);
    return v;
}

NPIPE_API unsigned long npipe_wcstoul(const WCHAR *s, WCHAR **end, int base)
{
    char small[64];
    size_t n;
    char *a = ascii_image(s, small, sizeof small, &n);
    if (!a) {
        if (end)
            *end = (WCHAR *)s;
        return 0;
    }
    char *e;
    unsigned long v = strtoul(a, &e, base);
    if (end)
        *end = (WCHAR *)s + (e - a);
    if (a != small)
        free(a);
    return v;
}

NPIPE_API int npipe_wtoi(const WCHAR *s) { return (int)npipe_wcstol(s, NULL, 10); }

NPIPE_API WCHAR npipe_towupper(WCHAR c)
{
    uint32_t u = fold_upper(c);
    return u <= 0xFFFF ? (WCHAR)u : c;
}

NPIPE_API WCHAR npipe_towlower(WCHAR c)
{
    uint32_t l = fold_lower(c);
    return l <= 0xFFFF ? (WCHAR)l : c;
}
