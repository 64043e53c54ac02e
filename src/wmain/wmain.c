/*
 * wmain.c — libnpipe_wmain.a: the main() of programs whose entry point is
 * wmain (a UNICODE build's _tmain).
 *
 * It is a static library on purpose: the linker takes its one object only
 * when the program has no main of its own, so listing it on every link line
 * (pkg-config does) costs nothing.  main converts the UTF-8 command line and
 * environment to UTF-16 and calls wmain; Windows programs declare wmain
 * with two or three parameters, and the extra argument is harmless to a
 * two-parameter wmain on every ABI npipe runs on.  The object depends on
 * nothing in libnpipe, so the order of the libraries on a link line does
 * not matter.  (The same conversion is exported as npipe_run_wmain for
 * programs that write their own main.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <npipe/windef.h>

int wmain(int argc, WCHAR **argv, WCHAR **envp);

/* UTF-8 to a new UTF-16 string; an ill-formed byte becomes U+FFFD. */
static WCHAR *widen(const char *s)
{
    size_t len = strlen(s);
    WCHAR *out = malloc((len + 1) * sizeof *out); /* never more units than bytes */
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        int more = b >= 0xF0 && b <= 0xF4 ? 3 : b >= 0xE0 && b <= 0xEF ? 2 : b >= 0xC2 && b < 0xE0 ? 1 : 0;
        unsigned long cp = more == 3 ? b & 7u : more == 2 ? b & 15u : more == 1 ? b & 31u : b;
        int k = 1;
        if (b >= 0x80 && !more) {
            cp = 0xFFFD;
        } else {
            for (; k <= more && i + (size_t)k < len &&
                   ((unsigned char)s[i + (size_t)k] & 0xC0) == 0x80;
                 k++)
                cp = (cp << 6) | ((unsigned char)s[i + (size_t)k] & 0x3Fu);
            if (k <= more || (more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) ||
                (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
                cp = 0xFFFD;
        }
        i += (size_t)k;
        if (cp >= 0x10000) {
            out[n++] = (WCHAR)(0xD800 | ((cp - 0x10000) >> 10));
            out[n++] = (WCHAR)(0xDC00 | ((cp - 0x10000) & 0x3FF));
        } else {
            out[n++] = (WCHAR)cp;
        }
    }
    out[n] = 0;
    return out;
}

static WCHAR **widen_all(char **v, int count)
{
    WCHAR **w = calloc((size_t)count + 1, sizeof *w);
    for (int i = 0; w && i < count; i++)
        if (!(w[i] = widen(v[i])))
            return NULL;
    return w;
}

/* The converted vectors live as long as the process, as argv does (and
 * stay reachable: not static, so their stores are kept). */
WCHAR **npipe_wmain_argv, **npipe_wmain_envp;

int main(int argc, char **argv, char **envp)
{
    int envc = 0;
    while (envp && envp[envc])
        envc++;
    npipe_wmain_argv = widen_all(argv, argc);
    npipe_wmain_envp = widen_all(envp, envc);
    if (!npipe_wmain_argv || !npipe_wmain_envp) {
        fputs("out of memory converting the command line\n", stderr);
        return 1;
    }
    return wmain(argc, npipe_wmain_argv, npipe_wmain_envp);
}
