/*
 * message.c — FormatMessageA / FormatMessageW.
 *
 * Message definitions come from two places: the system's message table
 * (FORMAT_MESSAGE_FROM_SYSTEM), which is npipe's table of Win32 error
 * texts (errtext.c) plus the few codes below that the functions around the
 * pipes return, in English; and a caller's string
 * (FORMAT_MESSAGE_FROM_STRING).  npipe has no message-table resources in
 * modules, so FORMAT_MESSAGE_FROM_HMODULE finds nothing
 * (ERROR_RESOURCE_TYPE_NOT_FOUND) — unless FROM_SYSTEM is given too, when
 * the system table is searched next, as on Windows.
 *
 * The text is then processed as Windows does:
 *   %1 .. %99     inserts, each optionally with a printf format: %1!d!
 *                 (default !s!; in FormatMessageW a plain s is a WCHAR
 *                 string, as in wprintf); * width and precision take the
 *                 next inserts' numbers (%1!*.*s! uses %2 and %3 for them)
 *   %0            ends the message, with no line break
 *   %n            a hard line break (CR LF)
 *   %r            a bare carriage return; %t a tab
 *   %% %. %! %space   the character itself
 * FORMAT_MESSAGE_IGNORE_INSERTS copies the %1-style inserts through
 * unchanged (the other escapes are still processed).  The low byte of the
 * flags sets the line handling: 0 keeps the definition's line breaks;
 * FORMAT_MESSAGE_MAX_WIDTH_MASK (0xFF) turns each of them into a space and
 * keeps only %n breaks; a width in between does the same and also breaks
 * lines at spaces so that none is longer than that width.  A system
 * message's definition ends with a line break, as the ones in Windows'
 * message tables do, so "The handle is invalid.\r\n" is what callers get by
 * default.
 *
 * Arguments: a va_list* by default, or an array of DWORD_PTR with
 * FORMAT_MESSAGE_ARGUMENT_ARRAY.  Each insert's argument is read with the
 * type its format names (a pointer for s, 32 bits for d without a size
 * prefix, 64 for I64d).  Inserts with no argument source fail with
 * ERROR_INVALID_PARAMETER, where Windows would read garbage or crash.
 *
 * Languages: only English text exists; dwLanguageId may be 0 (the usual
 * search), LANG_NEUTRAL / LANG_ENGLISH with any sublanguage, or the user /
 * system default; any other language fails with
 * ERROR_RESOURCE_LANG_NOT_FOUND.
 */
#include "win32/internal.h"
#include "win32/errtext.h"
#include "win32/textutil.h"

#include <stdlib.h>
#include <string.h>

/* Messages for codes that npipe's functions return and the shared table
 * does not carry yet. */
static const struct {
    DWORD code;
    const char *text;
} extra_messages[] = {
    {ERROR_NO_UNICODE_TRANSLATION,
     "No mapping for the Unicode character exists in the target multi-byte "
     "code page."},
    {ERROR_RESOURCE_TYPE_NOT_FOUND,
     "The specified resource type cannot be found in the image file."},
    {ERROR_RESOURCE_LANG_NOT_FOUND,
     "The specified resource language ID cannot be found in the image file."},
};

static const char *system_text(DWORD code)
{
    const char *t = npipe_error_message(code);
    if (t)
        return t;
    for (size_t i = 0; i < sizeof extra_messages / sizeof extra_messages[0]; i++)
        if (extra_messages[i].code == code)
            return extra_messages[i].text;
    return NULL;
}

static bool language_ok(DWORD lang)
{
    if (lang == 0)
        return true;
    WORD primary = lang & 0x3FF;
    return primary == LANG_NEUTRAL || primary == LANG_ENGLISH ||
           lang == LANG_USER_DEFAULT || lang == LANG_SYSTEM_DEFAULT;
}

/* ---- Arguments ------------------------------------------------------------------ */

#define MAX_INSERTS 99

/* What one insert's format needs from its argument. */
enum arg_kind { ARG_NONE, ARG_INT32, ARG_INT64, ARG_PTR, ARG_DOUBLE };

union arg_value {
    uint64_t i;
    const void *p;
    double d;
};

/* The values of inserts 1..n, read once in order: va_list arguments can
 * only be read that way.  A format with * widths reads the next inserts
 * as 32-bit numbers. */
struct insert_args {
    union arg_value v[MAX_INSERTS + 1];
    enum arg_kind kind[MAX_INSERTS + 1];
    int count;
};

/* The source np_format_one reads one insert's value (and its * values)
 * from. */
struct insert_src {
    struct np_fmt_src src;
    const struct insert_args *args;
    int next; /* the insert to give next */
};

static const union arg_value *take(struct insert_src *s)
{
    static const union arg_value zero;
    if (s->next < 1 || s->next > s->args->count)
        return &zero;
    return &s->args->v[s->next++];
}

static uint64_t is_get_int(struct np_fmt_src *src, int bytes)
{
    uint64_t v = take((struct insert_src *)src)->i;
    return bytes == 8 ? v : (uint32_t)v;
}

static const void *is_get_ptr(struct np_fmt_src *src)
{
    return take((struct insert_src *)src)->p;
}

static double is_get_double(struct np_fmt_src *src)
{
    return take((struct insert_src *)src)->d;
}

static long double is_get_ldouble(struct np_fmt_src *src)
{
    return take((struct insert_src *)src)->d;
}

/* The argument kind of a printf conversion such as "-8.3I64x". */
static enum arg_kind kind_of_spec(const char *spec, int *stars)
{
    size_t n = strlen(spec);
    *stars = 0;
    for (size_t i = 0; i < n; i++)
        if (spec[i] == '*')
            (*stars)++;
    char conv = n ? spec[n - 1] : 's';
    switch (conv) {
    case 'd': case 'i': case 'u': case 'o': case 'x': case 'X':
        if (strstr(spec, "I64") || strstr(spec, "ll") || strchr(spec, 'q'))
            return ARG_INT64;
        if (strchr(spec, 'z') || strchr(spec, 't') || strchr(spec, 'j') ||
            (strchr(spec, 'I') && !strstr(spec, "I32")))
            return ARG_INT64;
        return ARG_INT32;
    case 'c': case 'C':
        return ARG_INT32;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
        return ARG_DOUBLE;
    default:
        return ARG_PTR;
    }
}

/* ---- Reading the definition ------------------------------------------------------------- */

/* The definition as UTF-8, with a reader over it. */
struct def {
    const char *s;
    size_t i, len;
};

static int peekc(const struct def *d, size_t ahead)
{
    return d->i + ahead < d->len ? (unsigned char)d->s[d->i + ahead] : 0;
}

/* After "%" and the first digit: reads the insert number and its !spec!.
 * Returns the number (1..99), copying the spec (without the !s) into spec
 * ("s" when there is none). */
static int read_insert(struct def *d, char *spec, size_t cap)
{
    int num = peekc(d, 0) - '0';
    d->i++;
    if (peekc(d, 0) >= '0' && peekc(d, 0) <= '9') {
        num = num * 10 + (peekc(d, 0) - '0');
        d->i++;
    }
    snprintf(spec, cap, "s");
    if (peekc(d, 0) == '!') {
        size_t end = d->i + 1;
        while (end < d->len && d->s[end] != '!')
            end++;
        if (end < d->len) {
            size_t n = end - d->i - 1;
            if (n && n < cap) {
                memcpy(spec, d->s + d->i + 1, n);
                spec[n] = 0;
            }
            d->i = end + 1;
        }
    }
    return num;
}

/* First pass: which inserts are used and how, so their arguments can be
 * read in order. */
static void scan_inserts(const char *text, size_t len, struct insert_args *a)
{
    struct def d = {text, 0, len};
    while (d.i < d.len) {
        if (peekc(&d, 0) != '%') {
            d.i++;
            continue;
        }
        d.i++;
        int c = peekc(&d, 0);
        if (c >= '1' && c <= '9') {
            char spec[64];
            int num = read_insert(&d, spec, sizeof spec);
            int stars;
            enum arg_kind k = kind_of_spec(spec, &stars);
            if (num + stars > MAX_INSERTS)
                continue;
            if (a->kind[num] == ARG_NONE)
                a->kind[num] = k;
            for (int s = 1; s <= stars; s++)
                if (a->kind[num + s] == ARG_NONE)
                    a->kind[num + s] = ARG_INT32;
            if (num + stars > a->count)
                a->count = num + stars;
        } else if (c) {
            d.i++;
        }
    }
}

static void load_args(struct insert_args *a, va_list *ap, const DWORD_PTR *array)
{
    for (int n = 1; n <= a->count; n++) {
        enum arg_kind k = a->kind[n] == ARG_NONE ? ARG_PTR : a->kind[n];
        if (array) {
            a->v[n].i = array[n - 1]; /* pointer-sized values */
            if (k == ARG_INT32)
                a->v[n].i = (uint32_t)a->v[n].i;
            continue;
        }
        switch (k) {
        case ARG_INT32: a->v[n].i = va_arg(*ap, unsigned int); break;
        case ARG_INT64: a->v[n].i = va_arg(*ap, unsigned long long); break;
        case ARG_DOUBLE: a->v[n].d = va_arg(*ap, double); break;
        default: a->v[n].p = va_arg(*ap, const void *); break;
        }
    }
}

/* ---- Output with line handling ------------------------------------------------------------ */

struct out {
    struct np_buf buf;
    unsigned width;   /* 0: keep breaks; 0xFF: no wrapping; else wrap here */
    size_t line_start; /* offset in buf of the current line */
};

static void out_text(struct out *o, const char *s, size_t n)
{
    np_buf_put(&o->buf, s, n);
}

static void out_hard_break(struct out *o)
{
    out_text(o, "\r\n", 2);
    o->line_start = o->buf.len;
}

/* Wraps the current line at its last space once it is longer than the
 * width (counting bytes of UTF-8 as characters is close enough for
 * English text). */
static void wrap(struct out *o)
{
    if (o->width == 0 || o->width == FORMAT_MESSAGE_MAX_WIDTH_MASK)
        return;
    while (o->buf.len - o->line_start > o->width) {
        size_t limit = o->line_start + o->width;
        size_t sp = limit;
        while (sp > o->line_start && o->buf.data[sp] != ' ')
            sp--;
        if (sp == o->line_start)
            return; /* one long word: left as it is */
        /* Replace the space by CR LF. */
        char *data;
        np_buf_putc(&o->buf, 0);
        if (o->buf.failed)
            return;
        data = o->buf.data;
        memmove(data + sp + 2, data + sp + 1, o->buf.len - 1 - (sp + 1));
        data[sp] = '\r';
        data[sp + 1] = '\n';
        o->line_start = sp + 2;
    }
}

/* Formats the definition `text` into o.  Returns false with the last error
 * set on failure. */
static bool format_text(struct out *o, const char *text, size_t len,
                        DWORD flags, va_list *ap, bool wide)
{
    struct insert_args *args = NULL;
    bool inserts = !(flags & FORMAT_MESSAGE_IGNORE_INSERTS);
    if (inserts) {
        args = calloc(1, sizeof *args);
        if (!args)
            return np_fail(ERROR_NOT_ENOUGH_MEMORY);
        scan_inserts(text, len, args);
        if (args->count) {
            if (!ap) {
                free(args);
                return np_fail(ERROR_INVALID_PARAMETER);
            }
            load_args(args, (flags & FORMAT_MESSAGE_ARGUMENT_ARRAY) ? NULL : ap,
                      (flags & FORMAT_MESSAGE_ARGUMENT_ARRAY)
                          ? (const DWORD_PTR *)(void *)ap
                          : NULL);
        }
    }
    struct def d = {text, 0, len};
    while (d.i < d.len) {
        int c = peekc(&d, 0);
        if (c == '\r' || c == '\n') { /* a line break of the definition */
            d.i += (c == '\r' && peekc(&d, 1) == '\n') ? 2 : 1;
            if (o->width == 0)
                out_hard_break(o);
            else {
                out_text(o, " ", 1);
                wrap(o);
            }
            continue;
        }
        if (c != '%') {
            size_t start = d.i;
            while (d.i < d.len && d.s[d.i] != '%' && d.s[d.i] != '\r' &&
                   d.s[d.i] != '\n')
                d.i++;
            out_text(o, d.s + start, d.i - start);
            wrap(o);
            continue;
        }
        d.i++;
        c = peekc(&d, 0);
        if (c >= '1' && c <= '9') {
            size_t start = d.i - 1;
            char spec[64];
            int num = read_insert(&d, spec, sizeof spec);
            if (!inserts) {
                out_text(o, d.s + start, d.i - start);
                continue;
            }
            struct insert_src src = {
                .src = {is_get_int, is_get_ptr, is_get_double, is_get_ldouble},
                .args = args,
            };
            /* The * values come from the inserts after this one, and are
             * read before the value itself. */
            int stars;
            kind_of_spec(spec, &stars);
            struct np_buf piece = {0};
            if (stars) {
                /* np_format_one reads * first, then the value: give it the
                 * inserts num+1.., then num. */
                struct insert_args *tmp = malloc(sizeof *tmp);
                if (!tmp) {
                    free(args);
                    return np_fail(ERROR_NOT_ENOUGH_MEMORY);
                }
                *tmp = *args;
                for (int s = 0; s < stars; s++)
                    tmp->v[1 + s] = args->v[num + 1 + s];
                tmp->v[1 + stars] = args->v[num];
                tmp->count = 1 + stars;
                src.args = tmp;
                src.next = 1;
                np_format_one(&piece, spec, wide, wide, &src.src);
                free(tmp);
            } else {
                src.next = num;
                np_format_one(&piece, spec, wide, wide, &src.src);
            }
            out_text(o, piece.data ? piece.data : "", piece.len);
            np_buf_free(&piece);
            wrap(o);
            continue;
        }
        switch (c) {
        case 0:
            break; /* a lone % at the end: dropped */
        case '0':
            d.i = d.len; /* end of message, no break */
            break;
        case 'n':
            d.i++;
            out_hard_break(o);
            break;
        case 'r':
            d.i++;
            out_text(o, "\r", 1);
            break;
        case 't':
            d.i++;
            out_text(o, "\t", 1);
            break;
        default: { /* %% %. %! %space and anything else: the character */
            size_t start = d.i++;
            while (d.i < d.len && ((unsigned char)d.s[d.i] & 0xC0) == 0x80)
                d.i++;
            out_text(o, d.s + start, d.i - start);
            break;
        }
        }
    }
    free(args);
    if (o->buf.failed)
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    return TRUE;
}

/* ---- The two entry points ------------------------------------------------------------------ */

#define FORMAT_MESSAGE_VALID                                                    \
    (FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_IGNORE_INSERTS |           \
     FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_FROM_HMODULE |                 \
     FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ARGUMENT_ARRAY |               \
     FORMAT_MESSAGE_MAX_WIDTH_MASK)

/* Windows refuses to allocate more than this for a formatted message. */
#define MAX_ALLOCATED_BYTES (128u * 1024u)

/* The common part: produces the message as UTF-8 in *result (malloc'd).
 * `wide`: called from FormatMessageW (lpSource is then UTF-16). */
static bool format_message(DWORD flags, LPCVOID source, DWORD id, DWORD lang,
                           va_list *args, bool wide, struct np_buf *result)
{
    const char *def = NULL;
    char *owned = NULL;
    bool system_def = false;
    if (flags & FORMAT_MESSAGE_FROM_STRING) {
        if (flags & (FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_FROM_SYSTEM) ||
            !source)
            return np_fail(ERROR_INVALID_PARAMETER);
        if (wide) {
            owned = np_utf16_dup_utf8(source);
            if (!owned)
                return np_fail(ERROR_NOT_ENOUGH_MEMORY);
            def = owned;
        } else {
            def = source;
        }
    } else {
        if (!(flags & (FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_FROM_SYSTEM)))
            return np_fail(ERROR_INVALID_PARAMETER);
        if (!language_ok(lang))
            return np_fail(ERROR_RESOURCE_LANG_NOT_FOUND);
        if (flags & FORMAT_MESSAGE_FROM_SYSTEM)
            def = system_text(id);
        if (!def) {
            /* No module has a message table; the system has no such id. */
            if (flags & FORMAT_MESSAGE_FROM_SYSTEM)
                return np_fail(ERROR_MR_MID_NOT_FOUND);
            return np_fail(ERROR_RESOURCE_TYPE_NOT_FOUND);
        }
        system_def = true;
    }
    struct out o = {.width = flags & FORMAT_MESSAGE_MAX_WIDTH_MASK};
    size_t len = strlen(def);
    bool ok = format_text(&o, def, len, flags, args, wide);
    /* A system message's definition ends with a line break. */
    if (ok && system_def) {
        if (o.width == 0)
            out_hard_break(&o);
        else
            out_text(&o, " ", 1);
        if (o.buf.failed)
            ok = np_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    free(owned);
    if (!ok) {
        np_buf_free(&o.buf);
        return false;
    }
    if (!np_buf_finish(&o.buf)) {
        np_buf_free(&o.buf);
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    *result = o.buf;
    return true;
}

NPIPE_API DWORD WINAPI FormatMessageA(DWORD dwFlags, LPCVOID lpSource,
                                      DWORD dwMessageId, DWORD dwLanguageId,
                                      LPSTR lpBuffer, DWORD nSize,
                                      va_list *Arguments)
{
    if ((dwFlags & ~FORMAT_MESSAGE_VALID) || !lpBuffer)
        return np_fail(ERROR_INVALID_PARAMETER);
    struct np_buf msg;
    if (!format_message(dwFlags, lpSource, dwMessageId, dwLanguageId, Arguments,
                        false, &msg))
        return 0;
    DWORD n = (DWORD)msg.len;
    if (dwFlags & FORMAT_MESSAGE_ALLOCATE_BUFFER) {
        LPSTR *out = (LPSTR *)(void *)lpBuffer;
        *out = NULL;
        if (msg.len + 1 > MAX_ALLOCATED_BYTES) {
            np_buf_free(&msg);
            return np_fail(ERROR_MORE_DATA);
        }
        size_t size = msg.len + 1 > nSize ? msg.len + 1 : nSize;
        LPSTR p = LocalAlloc(LMEM_FIXED, size);
        if (!p) {
            np_buf_free(&msg);
            return np_fail(ERROR_NOT_ENOUGH_MEMORY);
        }
        memcpy(p, msg.data, msg.len + 1);
        *out = p;
    } else {
        if (msg.len + 1 > nSize) {
            np_buf_free(&msg);
            return np_fail(ERROR_INSUFFICIENT_BUFFER);
        }
        memcpy(lpBuffer, msg.data, msg.len + 1);
    }
    np_buf_free(&msg);
    return n;
}

NPIPE_API DWORD WINAPI FormatMessageW(DWORD dwFlags, LPCVOID lpSource,
                                      DWORD dwMessageId, DWORD dwLanguageId,
                                      LPWSTR lpBuffer, DWORD nSize,
                                      va_list *Arguments)
{
    if ((dwFlags & ~FORMAT_MESSAGE_VALID) || !lpBuffer)
        return np_fail(ERROR_INVALID_PARAMETER);
    struct np_buf msg;
    if (!format_message(dwFlags, lpSource, dwMessageId, dwLanguageId, Arguments,
                        true, &msg))
        return 0;
    size_t units = np_utf8_to_utf16(msg.data, msg.len, NULL, 0, NULL);
    if (dwFlags & FORMAT_MESSAGE_ALLOCATE_BUFFER) {
        LPWSTR *out = (LPWSTR *)(void *)lpBuffer;
        *out = NULL;
        if ((units + 1) * sizeof(WCHAR) > MAX_ALLOCATED_BYTES) {
            np_buf_free(&msg);
            return np_fail(ERROR_MORE_DATA);
        }
        size_t count = units + 1 > nSize ? units + 1 : nSize;
        LPWSTR p = LocalAlloc(LMEM_FIXED, count * sizeof(WCHAR));
        if (!p) {
            np_buf_free(&msg);
            return np_fail(ERROR_NOT_ENOUGH_MEMORY);
        }
        np_utf8_to_utf16(msg.data, msg.len, p, units, NULL);
        p[units] = 0;
        *out = p;
    } else {
        if (units + 1 > nSize) {
            np_buf_free(&msg);
            return np_fail(ERROR_INSUFFICIENT_BUFFER);
        }
        np_utf8_to_utf16(msg.data, msg.len, lpBuffer, units, NULL);
        lpBuffer[units] = 0;
    }
    np_buf_free(&msg);
    return (DWORD)units;
}
