/*
 * format.c — a printf with Microsoft's rules, for the functions whose
 * Linux counterparts would read their arguments differently: _tprintf and
 * friends in UNICODE builds (WCHAR formats), the StringCchPrintf family,
 * and FormatMessage's %1!spec! inserts.
 *
 * Why not vsnprintf alone: in a Windows program %s in a wide function is a
 * WCHAR string, %S swaps narrow and wide, %ls is a 16-bit string and %ld a
 * 32-bit LONG, %I64d exists, and %p has no "0x".  Each conversion is parsed
 * here; integers and floating-point values are then handed to vsnprintf
 * with an explicit C length modifier, strings and characters are converted
 * and padded here.  Output is collected as UTF-8 (np_buf) and converted to
 * UTF-16 by the wide callers.
 */
#include "win32/textutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- np_buf ------------------------------------------------------------------------ */

static bool buf_reserve(struct np_buf *b, size_t more)
{
    if (b->failed)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void np_buf_put(struct np_buf *b, const char *s, size_t n)
{
    if (n && buf_reserve(b, n)) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    }
}

void np_buf_putc(struct np_buf *b, char c) { np_buf_put(b, &c, 1); }

void np_buf_put_cp(struct np_buf *b, uint32_t cp)
{
    WCHAR units[2];
    size_t n = 0;
    if (cp >= 0xD800 && cp <= 0xDFFF)
        cp = 0xFFFD;
    if (cp > 0x10FFFF)
        cp = 0xFFFD;
    if (cp >= 0x10000) {
        units[n++] = (WCHAR)(0xD800 | ((cp - 0x10000) >> 10));
        units[n++] = (WCHAR)(0xDC00 | ((cp - 0x10000) & 0x3FF));
    } else {
        units[n++] = (WCHAR)cp;
    }
    np_buf_put_utf16(b, units, n);
}

void np_buf_put_utf16(struct np_buf *b, const WCHAR *s, size_t n)
{
    size_t need = np_utf16_to_utf8(s, n, NULL, 0, NULL);
    if (need && buf_reserve(b, need)) {
        np_utf16_to_utf8(s, n, b->data + b->len, need, NULL);
        b->len += need;
    }
}

char *np_buf_finish(struct np_buf *b)
{
    if (!buf_reserve(b, 0))
        return NULL;
    b->data[b->len] = 0;
    return b->data;
}

void np_buf_free(struct np_buf *b)
{
    free(b->data);
    *b = (struct np_buf){0};
}

/* ---- va_list source ----------------------------------------------------------------- */

static uint64_t va_get_int(struct np_fmt_src *s, int bytes)
{
    struct np_fmt_va *v = (struct np_fmt_va *)s;
    return bytes == 8 ? (uint64_t)va_arg(v->ap, unsigned long long)
                      : (uint64_t)va_arg(v->ap, unsigned int);
}

static const void *va_get_ptr(struct np_fmt_src *s)
{
    return va_arg(((struct np_fmt_va *)s)->ap, const void *);
}

static double va_get_double(struct np_fmt_src *s)
{
    return va_arg(((struct np_fmt_va *)s)->ap, double);
}

static long double va_get_ldouble(struct np_fmt_src *s)
{
    return va_arg(((struct np_fmt_va *)s)->ap, long double);
}

void np_fmt_va_init(struct np_fmt_va *v, va_list ap)
{
    v->src.get_int = va_get_int;
    v->src.get_ptr = va_get_ptr;
    v->src.get_double = va_get_double;
    v->src.get_ldouble = va_get_ldouble;
    va_copy(v->ap, ap);
}

void np_fmt_va_end(struct np_fmt_va *v) { va_end(v->ap); }

/* ---- One conversion ---------------------------------------------------------------- */

enum len_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_BIG_L, LEN_PTR, LEN_W };

struct spec {
    char flags[8]; /* "-+ #0'" as given */
    int width;     /* -1: none */
    int precision; /* -1: none */
    enum len_mod len;
    char conv;
};

/* Units a UTF-8 string will take in the output: bytes, or UTF-16 units. */
static size_t out_units(const char *s, size_t n, bool out_wide)
{
    if (!out_wide)
        return n;
    size_t units = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80)
            units += c >= 0xF0 ? 2 : 1;
    }
    return units;
}

static bool has_flag(const struct spec *sp, char f)
{
    return strchr(sp->flags, f) != NULL;
}

/* Pads text (UTF-8) to the spec's width. */
static void put_padded(struct np_buf *b, const struct spec *sp, const char *s,
                       size_t n, bool out_wide)
{
    size_t units = out_units(s, n, out_wide);
    size_t pad = sp->width > 0 && (size_t)sp->width > units ? (size_t)sp->width - units : 0;
    bool left = has_flag(sp, '-');
    char fill = !left && has_flag(sp, '0') ? '0' : ' ';
    if (!left)
        for (size_t i = 0; i < pad; i++)
            np_buf_putc(b, fill);
    np_buf_put(b, s, n);
    if (left)
        for (size_t i = 0; i < pad; i++)
            np_buf_putc(b, ' ');
}

/* Is this conversion's string or character a wide one? */
static bool arg_is_wide(const struct spec *sp, bool wide)
{
    if (sp->len == LEN_H || sp->len == LEN_HH)
        return false;
    if (sp->len == LEN_L || sp->len == LEN_W)
        return true;
    bool upper = sp->conv == 'S' || sp->conv == 'C';
    return wide != upper;
}

static void put_string(struct np_buf *b, const struct spec *sp, bool wide,
                       bool out_wide, struct np_fmt_src *src)
{
    const void *p = src->get_ptr(src);
    struct np_buf tmp = {0};
    if (!p) {
        static const char null_text[] = "(null)";
        size_t n = sizeof null_text - 1;
        if (sp->precision >= 0 && (size_t)sp->precision < n)
            n = (size_t)sp->precision;
        np_buf_put(&tmp, null_text, n);
    } else if (arg_is_wide(sp, wide)) {
        const WCHAR *w = p;
        size_t n = 0;
        while ((sp->precision < 0 || n < (size_t)sp->precision) && w[n])
            n++;
        np_buf_put_utf16(&tmp, w, n);
    } else {
        const char *s = p;
        size_t n = sp->precision >= 0 ? strnlen(s, (size_t)sp->precision) : strlen(s);
        np_buf_put(&tmp, s, n);
    }
    put_padded(b, sp, tmp.data ? tmp.data : "", tmp.len, out_wide);
    np_buf_free(&tmp);
}

static void put_char(struct np_buf *b, const struct spec *sp, bool wide,
                     bool out_wide, struct np_fmt_src *src)
{
    uint32_t c = (uint32_t)src->get_int(src, 4);
    struct np_buf tmp = {0};
    if (arg_is_wide(sp, wide))
        np_buf_put_cp(&tmp, c & 0xFFFF);
    else
        np_buf_putc(&tmp, (char)c);
    put_padded(b, sp, tmp.data ? tmp.data : "", tmp.len, out_wide);
    np_buf_free(&tmp);
}

/* Builds "%<flags><width>.<precision><cmod><conv>" for vsnprintf. */
static void c_spec(char *out, size_t cap, const struct spec *sp, const char *cmod,
                   char conv)
{
    int n = snprintf(out, cap, "%%%s", sp->flags);
    if (sp->width >= 0)
        n += snprintf(out + n, cap - (size_t)n, "%d", sp->width);
    if (sp->precision >= 0)
        n += snprintf(out + n, cap - (size_t)n, ".%d", sp->precision);
    snprintf(out + n, cap - (size_t)n, "%s%c", cmod, conv);
}

static void put_vsn(struct np_buf *b, const char *cfmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put_vsn(struct np_buf *b, const char *cfmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, cfmt);
    int n = vsnprintf(small, sizeof small, cfmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        np_buf_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = true;
        return;
    }
    va_start(ap, cfmt);
    vsnprintf(big, (size_t)n + 1, cfmt, ap);
    va_end(ap);
    np_buf_put(b, big, (size_t)n);
    free(big);
}

static int int_bytes(enum len_mod len)
{
    return len == LEN_LL || len == LEN_PTR ? 8 : 4;
}

static void convert(struct np_buf *b, struct spec *sp, bool wide, bool out_wide,
                    struct np_fmt_src *src)
{
    char cfmt[64];
    /* Windows' printf has no ' flag; glibc's would group digits. */
    char *q = strchr(sp->flags, '\'');
    if (q)
        memmove(q, q + 1, strlen(q));
    switch (sp->conv) {
    case 'd':
    case 'i': {
        uint64_t raw = src->get_int(src, int_bytes(sp->len));
        long long v;
        if (sp->len == LEN_HH)
            v = (signed char)raw;
        else if (sp->len == LEN_H)
            v = (short)raw;
        else if (int_bytes(sp->len) == 4)
            v = (int32_t)raw;
        else
            v = (long long)raw;
        c_spec(cfmt, sizeof cfmt, sp, "ll", sp->conv);
        put_vsn(b, cfmt, v);
        return;
    }
    case 'u':
    case 'o':
    case 'x':
    case 'X': {
        uint64_t raw = src->get_int(src, int_bytes(sp->len));
        unsigned long long v;
        if (sp->len == LEN_HH)
            v = (unsigned char)raw;
        else if (sp->len == LEN_H)
            v = (unsigned short)raw;
        else if (int_bytes(sp->len) == 4)
            v = (uint32_t)raw;
        else
            v = raw;
        c_spec(cfmt, sizeof cfmt, sp, "ll", sp->conv);
        put_vsn(b, cfmt, v);
        return;
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
        if (sp->len == LEN_BIG_L) {
            long double v = src->get_ldouble(src);
            c_spec(cfmt, sizeof cfmt, sp, "L", sp->conv);
            put_vsn(b, cfmt, v);
        } else {
            double v = src->get_double(src);
            c_spec(cfmt, sizeof cfmt, sp, "", sp->conv);
            put_vsn(b, cfmt, v);
        }
        return;
    case 'p': {
        const void *p = src->get_ptr(src);
        struct spec hex = *sp;
        hex.precision = (int)(2 * sizeof(void *));
        c_spec(cfmt, sizeof cfmt, &hex, "ll", 'X');
        put_vsn(b, cfmt, (unsigned long long)(uintptr_t)p);
        return;
    }
    case 's':
    case 'S':
        put_string(b, sp, wide, out_wide, src);
        return;
    case 'c':
    case 'C':
        put_char(b, sp, wide, out_wide, src);
        return;
    case 'n':
        (void)src->get_ptr(src);
        return;
    default:
        return;
    }
}

/* ---- Parsing ------------------------------------------------------------------------ */

/* A format read unit by unit, narrow or wide. */
struct fmt_reader {
    const char *n;
    const WCHAR *w;
    size_t i;
};

static uint32_t peek(const struct fmt_reader *r, size_t ahead)
{
    return r->w ? r->w[r->i + ahead] : (unsigned char)r->n[r->i + ahead];
}

/* After a '%': reads the spec up to and including its conversion
 * character.  Returns false (consuming nothing) when the text is not a
 * complete conversion; `*` widths are fetched from src. */
static bool parse_spec(struct fmt_reader *r, struct spec *sp,
                       struct np_fmt_src *src)
{
    size_t start = r->i;
    size_t nf = 0;
    *sp = (struct spec){.width = -1, .precision = -1};
    for (uint32_t c; (c = peek(r, 0)) && strchr("-+ #0'", (int)c); r->i++)
        if (nf + 1 < sizeof sp->flags)
            sp->flags[nf++] = (char)c;
    if (peek(r, 0) == '*') {
        int w = (int)(int32_t)src->get_int(src, 4);
        r->i++;
        if (w < 0) {
            if (nf + 1 < sizeof sp->flags)
                sp->flags[nf++] = '-';
            w = w == INT32_MIN ? INT32_MAX : -w;
        }
        sp->width = w;
    } else {
        while (peek(r, 0) >= '0' && peek(r, 0) <= '9') {
            int d = (int)(peek(r, 0) - '0');
            sp->width = (sp->width < 0 ? 0 : sp->width);
            sp->width = sp->width > 100000000 ? sp->width : sp->width * 10 + d;
            r->i++;
        }
    }
    if (peek(r, 0) == '.') {
        r->i++;
        sp->precision = 0;
        if (peek(r, 0) == '*') {
            int p = (int)(int32_t)src->get_int(src, 4);
            r->i++;
            sp->precision = p < 0 ? -1 : p;
        } else {
            while (peek(r, 0) >= '0' && peek(r, 0) <= '9') {
                int d = (int)(peek(r, 0) - '0');
                sp->precision = sp->precision > 100000000 ? sp->precision
                                                          : sp->precision * 10 + d;
                r->i++;
            }
        }
    }
    switch (peek(r, 0)) {
    case 'h':
        r->i++;
        sp->len = LEN_H;
        if (peek(r, 0) == 'h') {
            r->i++;
            sp->len = LEN_HH;
        }
        break;
    case 'l':
        r->i++;
        sp->len = LEN_L;
        if (peek(r, 0) == 'l') {
            r->i++;
            sp->len = LEN_LL;
        }
        break;
    case 'L':
        r->i++;
        sp->len = LEN_BIG_L;
        break;
    case 'q':
        r->i++;
        sp->len = LEN_LL;
        break;
    case 'w':
        r->i++;
        sp->len = LEN_W;
        break;
    case 'j':
    case 'z':
    case 't':
        r->i++;
        sp->len = LEN_PTR;
        break;
    case 'I':
        r->i++;
        if (peek(r, 0) == '6' && peek(r, 1) == '4') {
            r->i += 2;
            sp->len = LEN_LL;
        } else if (peek(r, 0) == '3' && peek(r, 1) == '2') {
            r->i += 2;
            sp->len = LEN_NONE;
        } else {
            sp->len = LEN_PTR;
        }
        break;
    default:
        break;
    }
    uint32_t c = peek(r, 0);
    if (!c || !strchr("diuoxXeEfFgGaAcCsSpn", (int)c)) {
        r->i = start;
        return false;
    }
    sp->conv = (char)c;
    r->i++;
    return true;
}

void np_vformat(struct np_buf *b, const void *fmt, bool wide, bool out_wide,
                struct np_fmt_src *src)
{
    struct fmt_reader r = {.n = wide ? NULL : fmt, .w = wide ? fmt : NULL};
    for (;;) {
        size_t lit = r.i;
        while (peek(&r, 0) && peek(&r, 0) != '%')
            r.i++;
        if (r.i > lit) {
            if (wide)
                np_buf_put_utf16(b, r.w + lit, r.i - lit);
            else
                np_buf_put(b, r.n + lit, r.i - lit);
        }
        if (!peek(&r, 0))
            return;
        r.i++; /* the '%' */
        if (peek(&r, 0) == '%') {
            np_buf_putc(b, '%');
            r.i++;
            continue;
        }
        struct spec sp;
        if (!parse_spec(&r, &sp, src)) {
            np_buf_putc(b, '%'); /* not a conversion: printed as it is */
            continue;
        }
        convert(b, &sp, wide, out_wide, src);
    }
}

void np_format_one(struct np_buf *b, const char *spec, bool wide, bool out_wide,
                   struct np_fmt_src *src)
{
    struct fmt_reader r = {.n = spec};
    struct spec sp;
    if (!parse_spec(&r, &sp, src) || peek(&r, 0)) {
        np_buf_putc(b, '%');
        np_buf_put(b, spec, strlen(spec));
        return;
    }
    convert(b, &sp, wide, out_wide, src);
}
