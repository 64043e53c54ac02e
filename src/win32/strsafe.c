/*
 * strsafe.c — the functions of <strsafe.h>, for char and WCHAR.
 *
 * Every function works on a destination of cchDest characters (the Cb
 * forms divide their byte counts by the character size) and always leaves
 * it NUL-terminated when cchDest is valid.  Results, as documented for
 * Windows:
 *   S_OK                           everything fitted;
 *   STRSAFE_E_INSUFFICIENT_BUFFER  the result was truncated to fit;
 *   STRSAFE_E_INVALID_PARAMETER    cchDest is 0 or above STRSAFE_MAX_CCH
 *                                  (the destination is then emptied if it
 *                                  has any room), a Cat destination is not
 *                                  terminated within cchDest, a Length
 *                                  string is not terminated within cchMax,
 *                                  a count to copy is above the maximum.
 * The Ex forms add where the result ends and how much room is left (set on
 * success and on truncation), STRSAFE_IGNORE_NULLS (a NULL source is "",
 * and with it a NULL destination of size 0 is allowed), and what to leave
 * behind: STRSAFE_FILL_BEHIND_NULL, and on failure STRSAFE_FILL_ON_FAILURE,
 * STRSAFE_NULL_ON_FAILURE or STRSAFE_NO_TRUNCATION (no partial result:
 * Copy leaves "", Cat leaves the original string).
 *
 * The Printf functions format with Microsoft's rules (format.c).
 */
#include "win32/internal.h"
#include "win32/textutil.h"

#include <stdlib.h>
#include <string.h>

#include <npipe/strsafe.h>

#define EX_VALID_FLAGS                                                          \
    (0xFF | STRSAFE_IGNORE_NULLS | STRSAFE_FILL_BEHIND_NULL |                   \
     STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE | STRSAFE_NO_TRUNCATION)

/* ---- A character-size independent core ----------------------------------------------
 *
 * Strings are handled as arrays of `unit`-byte characters through these
 * two helpers, so one implementation serves A and W. */

static size_t ulen_max(const void *s, size_t unit, size_t max, bool *found)
{
    size_t n = 0;
    for (; n < max; n++) {
        bool zero = unit == 1 ? ((const char *)s)[n] == 0
                              : ((const WCHAR *)s)[n] == 0;
        if (zero) {
            *found = true;
            return n;
        }
    }
    *found = false;
    return n;
}

static void uset0(void *s, size_t unit, size_t at)
{
    if (unit == 1)
        ((char *)s)[at] = 0;
    else
        ((WCHAR *)s)[at] = 0;
}

static void *uat(void *s, size_t unit, size_t at) { return (char *)s + at * unit; }

/* The result of an operation, for the Ex epilogue. */
struct op {
    void *dest;
    size_t cch;      /* destination size in characters (valid) */
    size_t unit;
    size_t orig_len; /* Cat: the length before appending */
    bool is_cat;
};

/* Sets the Ex outputs and applies the flags; returns hr. */
static HRESULT finish_ex(const struct op *op, HRESULT hr, size_t len,
                         void **end, size_t *remaining, DWORD flags)
{
    if (op->cch == 0 || !op->dest)
        goto outputs;
    if (SUCCEEDED(hr)) {
        if (flags & STRSAFE_FILL_BEHIND_NULL && op->cch - len > 1)
            memset(uat(op->dest, op->unit, len + 1), STRSAFE_GET_FILL_PATTERN(flags),
                   (op->cch - len - 1) * op->unit);
    } else if (flags & STRSAFE_FILL_ON_FAILURE) {
        int fill = STRSAFE_GET_FILL_PATTERN(flags);
        memset(op->dest, fill, op->cch * op->unit);
        if (fill == 0) {
            len = 0;
        } else {
            len = op->cch - 1;
            uset0(op->dest, op->unit, len);
        }
    } else if (flags & STRSAFE_NULL_ON_FAILURE) {
        uset0(op->dest, op->unit, 0);
        len = 0;
    } else if ((flags & STRSAFE_NO_TRUNCATION) && hr == STRSAFE_E_INSUFFICIENT_BUFFER) {
        len = op->is_cat ? op->orig_len : 0;
        uset0(op->dest, op->unit, len);
    }
outputs:
    if (SUCCEEDED(hr) || hr == STRSAFE_E_INSUFFICIENT_BUFFER) {
        if (end)
            *end = op->dest ? uat(op->dest, op->unit, len) : NULL;
        if (remaining)
            *remaining = op->cch - len;
    }
    return hr;
}

/* Copies at most `max` characters of src (stopping at its NUL) to dest at
 * `at`, leaving room for the NUL; returns the new length and sets *hr. */
static size_t copy_into(void *dest, size_t cch, size_t unit, size_t at,
                        const void *src, size_t max, HRESULT *hr)
{
    bool found;
    size_t n = ulen_max(src, unit, max, &found);
    size_t room = cch - at - 1;
    *hr = S_OK;
    if (n > room) {
        n = room;
        *hr = STRSAFE_E_INSUFFICIENT_BUFFER;
    }
    memmove(uat(dest, unit, at), src, n * unit);
    uset0(dest, unit, at + n);
    return at + n;
}

/* Copy and CopyN, plain and Ex. */
static HRESULT copy_common(void *dest, size_t cch, size_t unit, const void *src,
                           size_t max, void **end, size_t *remaining,
                           DWORD flags, bool ex)
{
    static const WCHAR empty[1] = {0};
    struct op op = {dest, cch, unit, 0, false};
    if (ex && (flags & ~EX_VALID_FLAGS))
        return STRSAFE_E_INVALID_PARAMETER;
    bool ignore_nulls = ex && (flags & STRSAFE_IGNORE_NULLS);
    if (!src && ignore_nulls)
        src = empty;
    if (cch > STRSAFE_MAX_CCH || (!dest && cch) || (cch == 0 && !ignore_nulls) ||
        max > STRSAFE_MAX_CCH || !src) {
        if (dest && cch && cch <= STRSAFE_MAX_CCH)
            uset0(dest, unit, 0);
        else if (dest && cch > STRSAFE_MAX_CCH)
            uset0(dest, unit, 0);
        op.cch = cch > STRSAFE_MAX_CCH ? 0 : cch;
        return finish_ex(&op, STRSAFE_E_INVALID_PARAMETER, 0, end, remaining, flags);
    }
    if (cch == 0) { /* IGNORE_NULLS with an empty destination */
        bool found;
        size_t n = ulen_max(src, unit, max ? 1 : 0, &found);
        HRESULT hr = n == 0 ? S_OK
                     : dest ? STRSAFE_E_INSUFFICIENT_BUFFER
                            : STRSAFE_E_INVALID_PARAMETER;
        return finish_ex(&op, hr, 0, end, remaining, flags);
    }
    HRESULT hr;
    size_t len = copy_into(dest, cch, unit, 0, src, max, &hr);
    return finish_ex(&op, hr, len, end, remaining, flags);
}

/* Cat and CatN, plain and Ex. */
static HRESULT cat_common(void *dest, size_t cch, size_t unit, const void *src,
                          size_t max, void **end, size_t *remaining,
                          DWORD flags, bool ex)
{
    static const WCHAR empty[1] = {0};
    struct op op = {dest, cch, unit, 0, true};
    if (ex && (flags & ~EX_VALID_FLAGS))
        return STRSAFE_E_INVALID_PARAMETER;
    bool ignore_nulls = ex && (flags & STRSAFE_IGNORE_NULLS);
    if (!src && ignore_nulls)
        src = empty;
    if (cch > STRSAFE_MAX_CCH || (!dest && cch) || (cch == 0 && !ignore_nulls) ||
        max > STRSAFE_MAX_CCH || !src) {
        op.cch = 0; /* the destination is left alone */
        return finish_ex(&op, STRSAFE_E_INVALID_PARAMETER, 0, end, remaining, flags);
    }
    if (cch == 0) {
        bool found;
        size_t n = ulen_max(src, unit, max ? 1 : 0, &found);
        HRESULT hr = n == 0 ? S_OK
                     : dest ? STRSAFE_E_INSUFFICIENT_BUFFER
                            : STRSAFE_E_INVALID_PARAMETER;
        return finish_ex(&op, hr, 0, end, remaining, flags);
    }
    bool found;
    size_t at = ulen_max(dest, unit, cch, &found);
    if (!found) { /* not a string: nothing appended, nothing changed */
        op.cch = 0;
        return finish_ex(&op, STRSAFE_E_INVALID_PARAMETER, 0, end, remaining, flags);
    }
    op.orig_len = at;
    HRESULT hr;
    size_t len = copy_into(dest, cch, unit, at, src, max, &hr);
    return finish_ex(&op, hr, len, end, remaining, flags);
}

/* Printf, plain and Ex: formats, then copies as Copy does. */
static HRESULT printf_common(void *dest, size_t cch, size_t unit, const void *fmt,
                             va_list ap, void **end, size_t *remaining,
                             DWORD flags, bool ex)
{
    static const WCHAR empty[1] = {0};
    struct op op = {dest, cch, unit, 0, false};
    if (ex && (flags & ~EX_VALID_FLAGS))
        return STRSAFE_E_INVALID_PARAMETER;
    bool ignore_nulls = ex && (flags & STRSAFE_IGNORE_NULLS);
    if (!fmt && ignore_nulls)
        fmt = empty;
    if (cch > STRSAFE_MAX_CCH || (!dest && cch) || (cch == 0 && !ignore_nulls) ||
        !fmt) {
        if (dest && cch)
            uset0(dest, unit, 0);
        op.cch = cch > STRSAFE_MAX_CCH ? 0 : cch;
        return finish_ex(&op, STRSAFE_E_INVALID_PARAMETER, 0, end, remaining, flags);
    }
    struct np_buf b = {0};
    struct np_fmt_va src;
    np_fmt_va_init(&src, ap);
    np_vformat(&b, fmt, unit != 1, unit != 1, &src.src);
    np_fmt_va_end(&src);
    if (!np_buf_finish(&b)) {
        np_buf_free(&b);
        if (cch)
            uset0(dest, unit, 0);
        return finish_ex(&op, STRSAFE_E_INSUFFICIENT_BUFFER, 0, end, remaining, flags);
    }
    HRESULT hr;
    size_t len = 0;
    if (cch == 0) {
        hr = b.len == 0 ? S_OK : dest ? STRSAFE_E_INSUFFICIENT_BUFFER
                                      : STRSAFE_E_INVALID_PARAMETER;
    } else if (unit == 1) {
        len = copy_into(dest, cch, 1, 0, b.data, b.len, &hr);
    } else {
        size_t units = np_utf8_to_utf16(b.data, b.len, NULL, 0, NULL);
        WCHAR *w = malloc((units + 1) * sizeof(WCHAR));
        if (!w) {
            uset0(dest, unit, 0);
            hr = STRSAFE_E_INSUFFICIENT_BUFFER;
        } else {
            np_utf8_to_utf16(b.data, b.len, w, units, NULL);
            w[units] = 0;
            len = copy_into(dest, cch, unit, 0, w, units, &hr);
            free(w);
        }
    }
    np_buf_free(&b);
    return finish_ex(&op, hr, len, end, remaining, flags);
}

static HRESULT length_common(const void *s, size_t max, size_t unit, size_t *out)
{
    if (!s || max > STRSAFE_MAX_CCH) {
        if (out)
            *out = 0;
        return STRSAFE_E_INVALID_PARAMETER;
    }
    bool found;
    size_t n = ulen_max(s, unit, max, &found);
    if (out)
        *out = found ? n : 0;
    return found ? S_OK : STRSAFE_E_INVALID_PARAMETER;
}

/* cbDest to cchDest, refusing sizes beyond the maximum (made 0, which the
 * core then reports as STRSAFE_E_INVALID_PARAMETER, except with
 * IGNORE_NULLS where 0 is allowed: a byte count above the maximum is made
 * an impossible character count instead). */
static size_t cb_to_cch(size_t cb, size_t unit)
{
    if (cb / unit > STRSAFE_MAX_CCH)
        return (size_t)STRSAFE_MAX_CCH + 1;
    return cb / unit;
}

/* The Cb Ex forms report the remaining room in bytes, including a trailing
 * odd byte the W forms cannot use. */
static void cb_remaining(size_t *pcb, size_t cch_rem, size_t cb, size_t unit, HRESULT hr)
{
    if (pcb && (SUCCEEDED(hr) || hr == STRSAFE_E_INSUFFICIENT_BUFFER))
        *pcb = cch_rem * unit + cb % unit;
}

/* ---- The exported functions ----------------------------------------------------------- */

#define CCH_MAX_ALL ((size_t)STRSAFE_MAX_CCH)

NPIPE_API HRESULT StringCchCopyA(STRSAFE_LPSTR d, size_t cch, STRSAFE_LPCSTR s)
{
    return copy_common(d, cch, 1, s, CCH_MAX_ALL, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCchCopyW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_LPCWSTR s)
{
    return copy_common(d, cch, 2, s, CCH_MAX_ALL, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCbCopyA(STRSAFE_LPSTR d, size_t cb, STRSAFE_LPCSTR s)
{
    return copy_common(d, cb_to_cch(cb, 1), 1, s, CCH_MAX_ALL, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCbCopyW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_LPCWSTR s)
{
    return copy_common(d, cb_to_cch(cb, 2), 2, s, CCH_MAX_ALL, NULL, NULL, 0, false);
}

NPIPE_API HRESULT StringCchCopyExA(STRSAFE_LPSTR d, size_t cch, STRSAFE_LPCSTR s,
                                   STRSAFE_LPSTR *end, size_t *rem, DWORD flags)
{
    return copy_common(d, cch, 1, s, CCH_MAX_ALL, (void **)end, rem, flags, true);
}
NPIPE_API HRESULT StringCchCopyExW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_LPCWSTR s,
                                   STRSAFE_LPWSTR *end, size_t *rem, DWORD flags)
{
    return copy_common(d, cch, 2, s, CCH_MAX_ALL, (void **)end, rem, flags, true);
}
NPIPE_API HRESULT StringCbCopyExA(STRSAFE_LPSTR d, size_t cb, STRSAFE_LPCSTR s,
                                  STRSAFE_LPSTR *end, size_t *rem, DWORD flags)
{
    size_t r;
    HRESULT hr = copy_common(d, cb_to_cch(cb, 1), 1, s, CCH_MAX_ALL, (void **)end,
                             &r, flags, true);
    cb_remaining(rem, r, cb, 1, hr);
    return hr;
}
NPIPE_API HRESULT StringCbCopyExW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_LPCWSTR s,
                                  STRSAFE_LPWSTR *end, size_t *rem, DWORD flags)
{
    size_t r;
    HRESULT hr = copy_common(d, cb_to_cch(cb, 2), 2, s, CCH_MAX_ALL, (void **)end,
                             &r, flags, true);
    cb_remaining(rem, r, cb, 2, hr);
    return hr;
}

NPIPE_API HRESULT StringCchCopyNA(STRSAFE_LPSTR d, size_t cch, STRSAFE_PCNZCH s,
                                  size_t n)
{
    return copy_common(d, cch, 1, s, n, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCchCopyNW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_PCNZWCH s,
                                  size_t n)
{
    return copy_common(d, cch, 2, s, n, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCbCopyNA(STRSAFE_LPSTR d, size_t cb, STRSAFE_PCNZCH s,
                                 size_t cbn)
{
    return copy_common(d, cb_to_cch(cb, 1), 1, s, cb_to_cch(cbn, 1), NULL, NULL, 0,
                       false);
}
NPIPE_API HRESULT StringCbCopyNW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_PCNZWCH s,
                                 size_t cbn)
{
    return copy_common(d, cb_to_cch(cb, 2), 2, s, cb_to_cch(cbn, 2), NULL, NULL, 0,
                       false);
}

NPIPE_API HRESULT StringCchCatA(STRSAFE_LPSTR d, size_t cch, STRSAFE_LPCSTR s)
{
    return cat_common(d, cch, 1, s, CCH_MAX_ALL, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCchCatW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_LPCWSTR s)
{
    return cat_common(d, cch, 2, s, CCH_MAX_ALL, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCbCatA(STRSAFE_LPSTR d, size_t cb, STRSAFE_LPCSTR s)
{
    return cat_common(d, cb_to_cch(cb, 1), 1, s, CCH_MAX_ALL, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCbCatW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_LPCWSTR s)
{
    return cat_common(d, cb_to_cch(cb, 2), 2, s, CCH_MAX_ALL, NULL, NULL, 0, false);
}

NPIPE_API HRESULT StringCchCatExA(STRSAFE_LPSTR d, size_t cch, STRSAFE_LPCSTR s,
                                  STRSAFE_LPSTR *end, size_t *rem, DWORD flags)
{
    return cat_common(d, cch, 1, s, CCH_MAX_ALL, (void **)end, rem, flags, true);
}
NPIPE_API HRESULT StringCchCatExW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_LPCWSTR s,
                                  STRSAFE_LPWSTR *end, size_t *rem, DWORD flags)
{
    return cat_common(d, cch, 2, s, CCH_MAX_ALL, (void **)end, rem, flags, true);
}
NPIPE_API HRESULT StringCbCatExA(STRSAFE_LPSTR d, size_t cb, STRSAFE_LPCSTR s,
                                 STRSAFE_LPSTR *end, size_t *rem, DWORD flags)
{
    size_t r;
    HRESULT hr = cat_common(d, cb_to_cch(cb, 1), 1, s, CCH_MAX_ALL, (void **)end, &r,
                            flags, true);
    cb_remaining(rem, r, cb, 1, hr);
    return hr;
}
NPIPE_API HRESULT StringCbCatExW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_LPCWSTR s,
                                 STRSAFE_LPWSTR *end, size_t *rem, DWORD flags)
{
    size_t r;
    HRESULT hr = cat_common(d, cb_to_cch(cb, 2), 2, s, CCH_MAX_ALL, (void **)end, &r,
                            flags, true);
    cb_remaining(rem, r, cb, 2, hr);
    return hr;
}

NPIPE_API HRESULT StringCchCatNA(STRSAFE_LPSTR d, size_t cch, STRSAFE_PCNZCH s,
                                 size_t n)
{
    return cat_common(d, cch, 1, s, n, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCchCatNW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_PCNZWCH s,
                                 size_t n)
{
    return cat_common(d, cch, 2, s, n, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCbCatNA(STRSAFE_LPSTR d, size_t cb, STRSAFE_PCNZCH s,
                                size_t cbn)
{
    return cat_common(d, cb_to_cch(cb, 1), 1, s, cb_to_cch(cbn, 1), NULL, NULL, 0,
                      false);
}
NPIPE_API HRESULT StringCbCatNW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_PCNZWCH s,
                                size_t cbn)
{
    return cat_common(d, cb_to_cch(cb, 2), 2, s, cb_to_cch(cbn, 2), NULL, NULL, 0,
                      false);
}

NPIPE_API HRESULT StringCchVPrintfA(STRSAFE_LPSTR d, size_t cch, STRSAFE_LPCSTR f,
                                    va_list ap)
{
    return printf_common(d, cch, 1, f, ap, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCchVPrintfW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_LPCWSTR f,
                                    va_list ap)
{
    return printf_common(d, cch, 2, f, ap, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCbVPrintfA(STRSAFE_LPSTR d, size_t cb, STRSAFE_LPCSTR f,
                                   va_list ap)
{
    return printf_common(d, cb_to_cch(cb, 1), 1, f, ap, NULL, NULL, 0, false);
}
NPIPE_API HRESULT StringCbVPrintfW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_LPCWSTR f,
                                   va_list ap)
{
    return printf_common(d, cb_to_cch(cb, 2), 2, f, ap, NULL, NULL, 0, false);
}

NPIPE_API HRESULT StringCchPrintfA(STRSAFE_LPSTR d, size_t cch, STRSAFE_LPCSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    HRESULT hr = printf_common(d, cch, 1, f, ap, NULL, NULL, 0, false);
    va_end(ap);
    return hr;
}
NPIPE_API HRESULT StringCchPrintfW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_LPCWSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    HRESULT hr = printf_common(d, cch, 2, f, ap, NULL, NULL, 0, false);
    va_end(ap);
    return hr;
}
NPIPE_API HRESULT StringCbPrintfA(STRSAFE_LPSTR d, size_t cb, STRSAFE_LPCSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    HRESULT hr = printf_common(d, cb_to_cch(cb, 1), 1, f, ap, NULL, NULL, 0, false);
    va_end(ap);
    return hr;
}
NPIPE_API HRESULT StringCbPrintfW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_LPCWSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    HRESULT hr = printf_common(d, cb_to_cch(cb, 2), 2, f, ap, NULL, NULL, 0, false);
    va_end(ap);
    return hr;
}

NPIPE_API HRESULT StringCchPrintfExA(STRSAFE_LPSTR d, size_t cch, STRSAFE_LPSTR *end,
                                     size_t *rem, DWORD flags, STRSAFE_LPCSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    HRESULT hr = printf_common(d, cch, 1, f, ap, (void **)end, rem, flags, true);
    va_end(ap);
    return hr;
}
NPIPE_API HRESULT StringCchPrintfExW(STRSAFE_LPWSTR d, size_t cch, STRSAFE_LPWSTR *end,
                                     size_t *rem, DWORD flags, STRSAFE_LPCWSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    HRESULT hr = printf_common(d, cch, 2, f, ap, (void **)end, rem, flags, true);
    va_end(ap);
    return hr;
}
NPIPE_API HRESULT StringCbPrintfExA(STRSAFE_LPSTR d, size_t cb, STRSAFE_LPSTR *end,
                                    size_t *rem, DWORD flags, STRSAFE_LPCSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    size_t r;
    HRESULT hr = printf_common(d, cb_to_cch(cb, 1), 1, f, ap, (void **)end, &r, flags,
                               true);
    va_end(ap);
    cb_remaining(rem, r, cb, 1, hr);
    return hr;
}
NPIPE_API HRESULT StringCbPrintfExW(STRSAFE_LPWSTR d, size_t cb, STRSAFE_LPWSTR *end,
                                    size_t *rem, DWORD flags, STRSAFE_LPCWSTR f, ...)
{
    va_list ap;
    va_start(ap, f);
    size_t r;
    HRESULT hr = printf_common(d, cb_to_cch(cb, 2), 2, f, ap, (void **)end, &r, flags,
                               true);
    va_end(ap);
    cb_remaining(rem, r, cb, 2, hr);
    return hr;
}

NPIPE_API HRESULT StringCchLengthA(STRSAFE_PCNZCH s, size_t max, size_t *len)
{
    return length_common(s, max, 1, len);
}
NPIPE_API HRESULT StringCchLengthW(STRSAFE_PCNZWCH s, size_t max, size_t *len)
{
    return length_common(s, max, 2, len);
}
NPIPE_API HRESULT StringCbLengthA(STRSAFE_PCNZCH s, size_t cb, size_t *len)
{
    HRESULT hr = length_common(s, cb_to_cch(cb, 1), 1, len);
    return hr;
}
NPIPE_API HRESULT StringCbLengthW(STRSAFE_PCNZWCH s, size_t cb, size_t *len)
{
    HRESULT hr = length_common(s, cb_to_cch(cb, 2), 2, len);
    if (len)
        *len *= sizeof(WCHAR);
    return hr;
}
