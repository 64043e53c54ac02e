/*
 * name.c — Win32 pipe names to NT paths, and the UTF-8 / UTF-16
 * conversions behind the A functions.
 *
 * Names.  \\.\pipe\NAME becomes \??\pipe\NAME, which the broker resolves
 * to \Device\NamedPipe\NAME.  The prefix is matched case-insensitively,
 * with '/' accepted for '\' in it (Windows reads //./pipe/x as \\.\pipe\x),
 * and \\?\pipe\NAME works as it does on Windows.  NAME itself is literal:
 * no '.', '..' or slash processing (Windows' own tests open a pipe called
 * "a<>*?|\"/b"), and pipe names are compared case-insensitively by the
 * broker.  The whole Win32 string is at most 256 characters (Microsoft's
 * "Pipe Names"); longer names are refused before any request is made.
 * Each API maps the kinds of np_parse_pipe_name to the error Windows gives
 * for it (see file.c and pipe.c).
 *
 * Strings.  npipe's ANSI code page is UTF-8: A functions convert with the
 * rules of MultiByteToWideChar(CP_UTF8) — invalid sequences, overlong
 * forms and encoded surrogates become U+FFFD — and back the same way.
 */
#include "win32/internal.h"

#include <stdint.h>
#include <stdlib.h>

size_t np_wcslen(LPCWSTR s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* ---- Pipe names ------------------------------------------------------------- */

static bool is_sep(WCHAR c) { return c == '\\' || c == '/'; }

static WCHAR ascii_lower(WCHAR c)
{
    return c >= 'A' && c <= 'Z' ? (WCHAR)(c + 32) : c;
}

/* Does s start with the lowercase ASCII word w, ignoring case? */
static bool has_word(LPCWSTR s, const char *w)
{
    for (; *w; s++, w++)
        if (ascii_lower(*s) != (WCHAR)*w)
            return false;
    return true;
}

/* After "\\server\": is the next component "pipe", ending the string or
 * followed by a separator?  Returns its length (4) or 0. */
static size_t pipe_component(LPCWSTR s)
{
    if (!has_word(s, "pipe"))
        return 0;
    return s[4] == 0 || is_sep(s[4]) ? 4 : 0;
}

enum np_name_kind np_parse_pipe_name(LPCWSTR path, struct np_pipe_name *out)
{
    if (!is_sep(path[0]) || !is_sep(path[1]))
        return NP_NAME_OTHER;
    size_t server_end = 2;
    while (path[server_end] && !is_sep(path[server_end]))
        server_end++;
    if (server_end == 2 || !path[server_end])
        return NP_NAME_OTHER; /* "\\" or "\\server" alone */
    LPCWSTR rest = path + server_end + 1;
    if (!pipe_component(rest))
        return NP_NAME_OTHER;
    bool local = server_end == 3 && (path[2] == '.' || path[2] == '?');
    if (!local)
        return NP_NAME_REMOTE_PIPE;
    size_t len = np_wcslen(path);
    if (len > NP_MAX_PIPE_PATH)
        return NP_NAME_TOO_LONG;
    static const char prefix[] = "\\??\\pipe";
    size_t n = 0;
    for (; prefix[n]; n++)
        out->nt_path[n] = (WCHAR)prefix[n];
    LPCWSTR tail = rest + 4; /* after "pipe": "" or a separator and NAME */
    out->has_separator = *tail != 0;
    if (out->has_separator) {
        out->nt_path[n++] = '\\';
        tail++;
    }
    out->name_start = (USHORT)n;
    while (*tail)
        out->nt_path[n++] = *tail++;
    out->nt_chars = (USHORT)n;
    out->nt_path[n] = 0;
    return NP_NAME_LOCAL_PIPE;
}

void np_nt_string(struct np_pipe_name *name, USHORT chars, UNICODE_STRING *us)
{
    us->Buffer = name->nt_path;
    us->Length = (USHORT)(chars * sizeof(WCHAR));
    us->MaximumLength = us->Length;
}

/* ---- UTF-8 to UTF-16 ---------------------------------------------------------- */

#define REPLACEMENT 0xFFFD

/* Decodes one code point at s (of n bytes left); *used gets its length. */
static uint32_t utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
    static const uint32_t min_of[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned char c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2
               : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    *used = 1;
    if (len == 1)
        return c;
    if (len == 0 || len > n)
        return REPLACEMENT;
    uint32_t cp = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *used = i; /* resume at the byte that broke the sequence */
            return REPLACEMENT;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *used = len;
    if (cp < min_of[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return REPLACEMENT;
    return cp;
}

BOOL np_a_to_w(LPCSTR in, LPWSTR *out)
{
    *out = NULL;
    if (!in)
        return TRUE;
    size_t n = 0;
    while (in[n])
        n++;
    /* Every byte yields at most one UTF-16 unit (4 bytes give 2). */
    LPWSTR w = malloc((n + 1) * sizeof(WCHAR));
    if (!w)
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, o = 0;
    while (i < n) {
        size_t used;
        uint32_t cp = utf8_decode(s + i, n - i, &used);
        i += used;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            w[o++] = (WCHAR)(0xD800 | (cp >> 10));
            w[o++] = (WCHAR)(0xDC00 | (cp & 0x3FF));
        } else {
            w[o++] = (WCHAR)cp;
        }
    }
    w[o] = 0;
    *out = w;
    return TRUE;
}

/* ---- UTF-16 to UTF-8 ------------------------------------------------------------ */

/* Encodes cp into buf (4 bytes); returns its length. */
static size_t utf8_encode(uint32_t cp, unsigned char *buf)
{
    if (cp < 0x80) {
        buf[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (unsigned char)(0xC0 | (cp >> 6));
        buf[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (unsigned char)(0xE0 | (cp >> 12));
        buf[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (unsigned char)(0xF0 | (cp >> 18));
    buf[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The code point of the UTF-16 unit(s) at in[i]; advances *i. */
static uint32_t utf16_decode(LPCWSTR in, size_t n, size_t *i)
{
    uint32_t c = in[(*i)++];
    if (c >= 0xD800 && c <= 0xDBFF && *i < n && in[*i] >= 0xDC00 &&
        in[*i] <= 0xDFFF)
        return 0x10000 + ((c - 0xD800) << 10) + (in[(*i)++] - 0xDC00u);
    if (c >= 0xD800 && c <= 0xDFFF)
        return REPLACEMENT;
    return c;
}

size_t np_w_to_a(LPCWSTR in, ptrdiff_t chars, LPSTR out, size_t size)
{
    size_t n = chars < 0 ? np_wcslen(in) : (size_t)chars;
    size_t need = 0, i = 0;
    while (i < n) {
        unsigned char buf[4];
        size_t len = utf8_encode(utf16_decode(in, n, &i), buf);
        for (size_t k = 0; k < len; k++, need++)
            if (need < size)
                out[need] = (char)buf[k];
    }
    if (size)
        out[need < size ? need : size - 1] = 0;
    return need + 1;
}
