/*
 * test_win32_text.c — the string, message, heap and time functions around
 * the pipes, in an ANSI build: MultiByteToWideChar / WideCharToMultiByte,
 * lstr*, <strsafe.h>, FormatMessage, the heap and Local* functions,
 * GetTickCount and the performance counter, and <tchar.h>'s ANSI mappings.
 *
 * Expected values are Windows' documented behaviour (Microsoft Learn pages
 * of each function) unless a comment says npipe differs, and why.
 */
#include "testlib.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include <npipe/strsafe.h>
#include <npipe/tchar.h>

/* ---- MultiByteToWideChar / WideCharToMultiByte ------------------------------------- */

static void test_mb_to_wc_basics(void **state)
{
    (void)state;
    WCHAR out[16];
    /* "aé€😀": 1 + 2 + 3 + 4 bytes, 1 + 1 + 1 + 2 UTF-16 units. */
    const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0), 6); /* with the NUL */
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, s, 10, NULL, 0), 5);
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, s, -1, out, 16), 6);
    TL_EQ(out[0], 'a');
    TL_EQ(out[1], 0xE9);
    TL_EQ(out[2], 0x20AC);
    TL_EQ(out[3], 0xD83D);
    TL_EQ(out[4], 0xDE00);
    TL_EQ(out[5], 0);
    /* The ANSI code page is UTF-8, and accepts the ANSI flags. */
    TL_EQ(GetACP(), CP_UTF8);
    TL_EQ(MultiByteToWideChar(CP_ACP, MB_PRECOMPOSED, s, -1, out, 16), 6);
    TL_EQ(out[2], 0x20AC);
    /* Too small: what fits, then ERROR_INSUFFICIENT_BUFFER and 0. */
    SetLastError(0);
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, s, -1, out, 3), 0);
    TL_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
}

static void test_mb_to_wc_errors(void **state)
{
    (void)state;
    WCHAR out[16];
    SetLastError(0);
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, "abc", 0, out, 16), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, NULL, 3, out, 16), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, "abc", -2, out, 16), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, "abc", 3, NULL, 16), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    TL_EQ(MultiByteToWideChar(CP_UTF8, MB_PRECOMPOSED, "abc", 3, out, 16), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_FLAGS);
    SetLastError(0);
    TL_EQ(MultiByteToWideChar(12345, 0, "abc", 3, out, 16), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);

    /* Ill-formed UTF-8: one U+FFFD per maximal ill-formed subpart. */
    const char bad[] = "a\x80" "b\xE2\x82" "c\xC0\xAF" "d";
    int n = MultiByteToWideChar(CP_UTF8, 0, bad, (int)strlen(bad), out, 16);
    /* a FFFD b FFFD c FFFD FFFD d */
    TL_EQ(n, 8);
    TL_EQ(out[1], 0xFFFD);
    TL_EQ(out[3], 0xFFFD);
    TL_EQ(out[5], 0xFFFD);
    TL_EQ(out[6], 0xFFFD);
    TL_EQ(out[7], 'd');
    SetLastError(0);
    TL_EQ(MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, bad, -1, out, 16), 0);
    TL_EQ(GetLastError(), ERROR_NO_UNICODE_TRANSLATION);
    /* An encoded surrogate is ill-formed too. */
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, "\xED\xA0\x80", 3, out, 16), 3);
    TL_EQ(out[0], 0xFFFD);
}

static void test_wc_to_mb(void **state)
{
    (void)state;
    const WCHAR w[] = {'a', 0xE9, 0x20AC, 0xD83D, 0xDE00, 0};
    char out[32];
    TL_EQ(WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL), 11);
    TL_EQ(WideCharToMultiByte(CP_UTF8, 0, w, -1, out, 32, NULL, NULL), 11);
    TL_ASSERT(strcmp(out, "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == 0);
    /* A lone surrogate becomes U+FFFD, or fails with WC_ERR_INVALID_CHARS. */
    const WCHAR lone[] = {'x', 0xD800, 'y'};
    TL_EQ(WideCharToMultiByte(CP_UTF8, 0, lone, 3, out, 32, NULL, NULL), 5);
    TL_MEMEQ(out, "x\xEF\xBF\xBDy", 5);
    SetLastError(0);
    TL_EQ(WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, lone, 3, out, 32, NULL, NULL), 0);
    TL_EQ(GetLastError(), ERROR_NO_UNICODE_TRANSLATION);
    /* CP_UTF8 takes no default character. */
    BOOL used;
    SetLastError(0);
    TL_EQ(WideCharToMultiByte(CP_UTF8, 0, w, -1, out, 32, NULL, &used), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0);
    TL_EQ(WideCharToMultiByte(CP_UTF8, WC_NO_BEST_FIT_CHARS, w, -1, out, 32, NULL, NULL), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_FLAGS);
    /* ... while the ANSI code page accepts both, and never needs it. */
    used = TRUE;
    TL_EQ(WideCharToMultiByte(CP_ACP, WC_NO_BEST_FIT_CHARS, w, -1, out, 32, "?", &used), 11);
    TL_EQ(used, FALSE);
    /* Too small. */
    SetLastError(0);
    TL_EQ(WideCharToMultiByte(CP_UTF8, 0, w, -1, out, 4, NULL, NULL), 0);
    TL_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    /* Windows-1252: the euro sign is 0x80; a character it lacks is the
     * default character. */
    const WCHAR euro[] = {0x20AC, 0x4E2D, 0};
    used = FALSE;
    TL_EQ(WideCharToMultiByte(1252, 0, euro, -1, out, 32, NULL, &used), 3);
    TL_EQ((unsigned char)out[0], 0x80);
    TL_EQ(out[1], '?');
    TL_EQ(used, TRUE);
    WCHAR back[4];
    TL_EQ(MultiByteToWideChar(1252, 0, "\x80", 1, back, 4), 1);
    TL_EQ(back[0], 0x20AC);
}

/* ---- lstr* ------------------------------------------------------------------------- */

static void test_lstr(void **state)
{
    (void)state;
    char buf[16];
    TL_EQ(lstrlenA("hello"), 5);
    TL_EQ(lstrlenA(NULL), 0);
    TL_EQ(lstrlenW(u"wide"), 4);
    TL_ASSERT(lstrcmpA("abc", "abc") == 0);
    TL_ASSERT(lstrcmpA("abc", "abd") < 0);
    TL_ASSERT(lstrcmpA("apple", "Banana") < 0);  /* not byte order */
    TL_ASSERT(lstrcmpA("abc", "ABC") < 0);       /* lower case first */
    TL_ASSERT(lstrcmpA("ABC", "abc") > 0);
    TL_ASSERT(lstrcmpA("ab", "abc") < 0);
    TL_ASSERT(lstrcmpA("1", "a") < 0);           /* digits before letters */
    TL_ASSERT(lstrcmpiA("HeLLo", "hello") == 0);
    TL_ASSERT(lstrcmpiW(u"\u00C9t\u00E9", u"\u00E9T\u00C9") == 0);
    TL_ASSERT(lstrcmpW(u"abc", u"abd") < 0);
    TL_ASSERT(lstrcpyA(buf, "copy") == buf);
    TL_ASSERT(strcmp(buf, "copy") == 0);
    TL_ASSERT(lstrcatA(buf, "cat") == buf);
    TL_ASSERT(strcmp(buf, "copycat") == 0);
    TL_ASSERT(lstrcpynA(buf, "truncate me", 5) == buf);
    TL_ASSERT(strcmp(buf, "trun") == 0); /* n - 1 characters and the NUL */
    WCHAR w[8];
    lstrcpyW(w, u"ab");
    lstrcatW(w, u"cd");
    TL_EQ(lstrlenW(w), 4);
    lstrcpynW(w, u"xyz", 2);
    TL_EQ(w[0], 'x');
    TL_EQ(w[1], 0);
    TL_ASSERT(lstrcpyA(NULL, "x") == NULL);
}

/* ---- strsafe ------------------------------------------------------------------------ */

static void test_strsafe_copy_cat(void **state)
{
    (void)state;
    char d[8];
    TL_EQ(StringCchCopyA(d, sizeof d, "short"), S_OK);
    TL_ASSERT(strcmp(d, "short") == 0);
    TL_EQ(StringCchCopyA(d, sizeof d, "much too long"), STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_ASSERT(strcmp(d, "much to") == 0); /* truncated, terminated */
    TL_EQ(StringCchCopyA(d, 0, "x"), STRSAFE_E_INVALID_PARAMETER);
    TL_EQ(StringCchCopyA(d, (size_t)STRSAFE_MAX_CCH + 1, "x"), STRSAFE_E_INVALID_PARAMETER);
    TL_EQ(d[0], 0);

    TL_EQ(StringCchCopyA(d, sizeof d, "ab"), S_OK);
    TL_EQ(StringCchCatA(d, sizeof d, "cd"), S_OK);
    TL_ASSERT(strcmp(d, "abcd") == 0);
    TL_EQ(StringCchCatA(d, sizeof d, "efghij"), STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_ASSERT(strcmp(d, "abcdefg") == 0);
    char unterminated[4] = {'x', 'y', 'z', 'w'};
    TL_EQ(StringCchCatA(unterminated, 4, "a"), STRSAFE_E_INVALID_PARAMETER);

    TL_EQ(StringCchCopyNA(d, sizeof d, "abcdef", 3), S_OK);
    TL_ASSERT(strcmp(d, "abc") == 0);
    TL_EQ(StringCchCatNA(d, sizeof d, "defgh", 2), S_OK);
    TL_ASSERT(strcmp(d, "abcde") == 0);

    WCHAR w[6];
    TL_EQ(StringCbCopyW(w, sizeof w, u"wide"), S_OK);
    TL_EQ(lstrlenW(w), 4);
    TL_EQ(StringCbCatW(w, sizeof w, u"ns"), STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_EQ(lstrlenW(w), 5);
    TL_EQ(w[4], 'n');

    size_t len = 99;
    TL_EQ(StringCchLengthA("hello", 10, &len), S_OK);
    TL_EQ(len, 5);
    TL_EQ(StringCchLengthA("hello", 5, &len), STRSAFE_E_INVALID_PARAMETER);
    TL_EQ(len, 0);
    TL_EQ(StringCbLengthW(u"abc", 100, &len), S_OK);
    TL_EQ(len, 6);
    TL_EQ(StringCchLengthA(NULL, 10, &len), STRSAFE_E_INVALID_PARAMETER);
}

static void test_strsafe_ex(void **state)
{
    (void)state;
    char d[8];
    char *end = NULL;
    size_t rem = 0;
    TL_EQ(StringCchCopyExA(d, sizeof d, "abc", &end, &rem, 0), S_OK);
    TL_ASSERT(end == d + 3);
    TL_EQ(rem, 5);
    TL_EQ(StringCchCopyExA(d, sizeof d, NULL, &end, &rem, STRSAFE_IGNORE_NULLS), S_OK);
    TL_EQ(d[0], 0);
    TL_EQ(StringCchCopyExA(d, sizeof d, "x", NULL, NULL, STRSAFE_FILL_BYTE('z')), S_OK);
    TL_EQ(d[1], 0);
    TL_EQ(d[2], 'z');
    TL_EQ(d[7], 'z');
    TL_EQ(StringCchCopyExA(d, sizeof d, "far too long", NULL, NULL, STRSAFE_NO_TRUNCATION),
          STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_EQ(d[0], 0);
    TL_EQ(StringCchCopyA(d, sizeof d, "keep"), S_OK);
    TL_EQ(StringCchCatExA(d, sizeof d, "too long", &end, &rem, STRSAFE_NO_TRUNCATION),
          STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_ASSERT(strcmp(d, "keep") == 0);
    TL_ASSERT(end == d + 4);
    TL_EQ(rem, 4);
    TL_EQ(StringCchCopyExA(d, sizeof d, "far too long", NULL, NULL,
                           STRSAFE_FAILURE_BYTE('#')),
          STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_EQ(d[0], '#');
    TL_EQ(d[7], 0);
    TL_EQ(StringCchPrintfExA(d, sizeof d, &end, &rem, STRSAFE_NULL_ON_FAILURE,
                             "%s", "overflowing"),
          STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_EQ(d[0], 0);
}

static void test_strsafe_printf(void **state)
{
    (void)state;
    char d[128];
    TL_EQ(StringCchPrintfA(d, sizeof d, "%d|%5s|%-3d|%ld|%I64d|%llx", -7, "ab", 4,
                           (LONG)-2, (LONGLONG)1 << 40, 0xABCULL),
          S_OK);
    TL_ASSERT_MSG(strcmp(d, "-7|   ab|4  |-2|1099511627776|abc") == 0, "got %s", d);
    /* Microsoft's rules: %ls / %S / %ws are WCHAR strings in an A function. */
    TL_EQ(StringCchPrintfA(d, sizeof d, "%ls,%S,%ws,%hs,%c,%lc", u"w1", u"w2", u"w3", "n",
                           'c', (WCHAR)0x20AC),
          S_OK);
    TL_ASSERT_MSG(strcmp(d, "w1,w2,w3,n,c,\xE2\x82\xAC") == 0, "got %s", d);
    TL_EQ(StringCchPrintfA(d, sizeof d, "%p", (void *)0x1234), S_OK);
    TL_ASSERT_MSG(strcmp(d, "0000000000001234") == 0, "got %s", d);
    TL_EQ(StringCchPrintfA(d, sizeof d, "%.2f %5.1e %%", 3.14159, 12345.0), S_OK);
    TL_ASSERT_MSG(strcmp(d, "3.14 1.2e+04 %") == 0, "got %s", d);
    TL_EQ(StringCchPrintfA(d, sizeof d, "%s", (char *)NULL), S_OK);
    TL_ASSERT(strcmp(d, "(null)") == 0);
    TL_EQ(StringCchPrintfA(d, sizeof d, "%*d|%-*d|%.*s", 4, 1, 3, 2, 2, "xyz"), S_OK);
    TL_ASSERT_MSG(strcmp(d, "   1|2  |xy") == 0, "got %s", d);
    TL_EQ(StringCchPrintfA(d, 6, "%s", "0123456789"), STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_ASSERT(strcmp(d, "01234") == 0);

    /* W: %s is a WCHAR string, %S / %hs narrow. */
    WCHAR w[64];
    TL_EQ(StringCchPrintfW(w, 64, u"%s=%d;%S;%hs", u"k\u00E9y", 42, "n1", "n2"), S_OK);
    const WCHAR expect[] = u"k\u00E9y=42;n1;n2";
    TL_MEMEQ(w, expect, sizeof expect);
    TL_EQ(StringCchPrintfW(w, 4, u"%s", u"abcdef"), STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_EQ(lstrlenW(w), 3);
    TL_EQ(StringCbPrintfW(w, 10, u"%d", 123456), STRSAFE_E_INSUFFICIENT_BUFFER);
    TL_EQ(lstrlenW(w), 4);
}

/* ---- FormatMessage ---------------------------------------------------------------------- */

static DWORD fmt_va(DWORD flags, const char *text, char *out, DWORD size, ...)
{
    va_list ap;
    va_start(ap, size);
    DWORD n = FormatMessageA(flags, text, 0, 0, out, size, &ap);
    va_end(ap);
    return n;
}

static void test_format_message_system(void **state)
{
    (void)state;
    char buf[256];
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                             NULL, ERROR_PIPE_BUSY,
                             MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), buf, sizeof buf,
                             NULL);
    TL_ASSERT_MSG(strcmp(buf, "All pipe instances are busy.\r\n") == 0, "got [%s]", buf);
    TL_EQ(n, strlen(buf));
    /* MAX_WIDTH_MASK: the definition's line break becomes a space. */
    n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS |
                           FORMAT_MESSAGE_MAX_WIDTH_MASK,
                       NULL, ERROR_BROKEN_PIPE, 0, buf, sizeof buf, NULL);
    TL_ASSERT_MSG(strcmp(buf, "The pipe has been ended. ") == 0, "got [%s]", buf);
    /* The sample programs' pattern: allocate, then LocalFree. */
    LPSTR msg = NULL;
    n = FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                           FORMAT_MESSAGE_IGNORE_INSERTS,
                       NULL, ERROR_ACCESS_DENIED, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                       (LPSTR)&msg, 0, NULL);
    TL_ASSERT(msg != NULL);
    TL_ASSERT(strcmp(msg, "Access is denied.\r\n") == 0);
    TL_EQ(n, 19);
    TL_ASSERT(LocalSize(msg) >= 20);
    TL_ASSERT(LocalFree(msg) == NULL);
    /* Every error the pipe functions return has a text. */
    static const DWORD codes[] = {ERROR_PIPE_BUSY, ERROR_NO_DATA, ERROR_PIPE_NOT_CONNECTED,
                                  ERROR_MORE_DATA, ERROR_PIPE_CONNECTED, ERROR_PIPE_LISTENING,
                                  ERROR_BAD_PIPE, ERROR_SEM_TIMEOUT, ERROR_IO_PENDING,
                                  ERROR_OPERATION_ABORTED, ERROR_NO_UNICODE_TRANSLATION,
                                  ERROR_INVALID_HANDLE, ERROR_NOT_SUPPORTED};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        SetLastError(0);
        TL_ASSERT_MSG(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM |
                                         FORMAT_MESSAGE_IGNORE_INSERTS,
                                     NULL, codes[i], 0, buf, sizeof buf, NULL) > 2,
                      "no message for %lu (error %lu)", (unsigned long)codes[i],
                      (unsigned long)GetLastError());
    }
    /* Unknown ids, languages, buffers. */
    SetLastError(0);
    TL_EQ(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, 0x2468ACE, 0, buf, sizeof buf,
                         NULL),
          0);
    TL_EQ(GetLastError(), ERROR_MR_MID_NOT_FOUND);
    SetLastError(0);
    TL_EQ(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_PIPE_BUSY,
                         MAKELANGID(0x07 /* German */, SUBLANG_DEFAULT), buf, sizeof buf,
                         NULL),
          0);
    TL_EQ(GetLastError(), ERROR_RESOURCE_LANG_NOT_FOUND);
    SetLastError(0);
    TL_EQ(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL, ERROR_PIPE_BUSY, 0, buf, 5, NULL),
          0);
    TL_EQ(GetLastError(), ERROR_INSUFFICIENT_BUFFER);
    SetLastError(0);
    TL_EQ(FormatMessageA(FORMAT_MESSAGE_FROM_HMODULE, NULL, ERROR_PIPE_BUSY, 0, buf,
                         sizeof buf, NULL),
          0);
    TL_EQ(GetLastError(), ERROR_RESOURCE_TYPE_NOT_FOUND);
    /* HRESULT_FROM_WIN32 gets the Win32 text. */
    TL_ASSERT(FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM, NULL,
                             (DWORD)HRESULT_FROM_WIN32(ERROR_PIPE_BUSY), 0, buf, sizeof buf,
                             NULL) > 0);
    TL_ASSERT(strcmp(buf, "All pipe instances are busy.\r\n") == 0);

    WCHAR w[128];
    n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                       ERROR_FILE_NOT_FOUND, 0, w, 128, NULL);
    const WCHAR expect[] = u"The system cannot find the file specified.\r\n";
    TL_EQ(n, sizeof expect / sizeof expect[0] - 1);
    TL_MEMEQ(w, expect, sizeof expect);
}

static void test_format_message_inserts(void **state)
{
    (void)state;
    char buf[256];
    DWORD n = fmt_va(FORMAT_MESSAGE_FROM_STRING, "%1 has %2!d! items (%3!04x!)%0 ignored",
                     buf, sizeof buf, "box", 12, 0xAB);
    TL_ASSERT_MSG(strcmp(buf, "box has 12 items (00ab)") == 0, "got [%s]", buf);
    TL_EQ(n, strlen(buf));
    /* Out of order, repeated; escapes. */
    fmt_va(FORMAT_MESSAGE_FROM_STRING, "%2-%1-%2 100%% done.%nnext%tline%.%!", buf,
           sizeof buf, "a", "b");
    TL_ASSERT_MSG(strcmp(buf, "b-a-b 100% done.\r\nnext\tline.!") == 0, "got [%s]", buf);
    /* A 64-bit insert from a va_list. */
    fmt_va(FORMAT_MESSAGE_FROM_STRING, "%1!I64u! %2!s!", buf, sizeof buf,
           (ULONGLONG)10000000000ULL, "end");
    TL_ASSERT_MSG(strcmp(buf, "10000000000 end") == 0, "got [%s]", buf);
    /* * width and precision come from the next inserts. */
    fmt_va(FORMAT_MESSAGE_FROM_STRING, "[%1!*.*s!]", buf, sizeof buf, "abcdef", 5, 3);
    TL_ASSERT_MSG(strcmp(buf, "[  abc]") == 0, "got [%s]", buf);
    /* An argument array. */
    DWORD_PTR args[] = {(DWORD_PTR)"x", 7};
    FormatMessageA(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY,
                   "%1=%2!u!", 0, 0, buf, sizeof buf, (va_list *)args);
    TL_ASSERT_MSG(strcmp(buf, "x=7") == 0, "got [%s]", buf);
    /* IGNORE_INSERTS keeps the inserts as they are. */
    FormatMessageA(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_IGNORE_INSERTS,
                   "%1 and %2!d!", 0, 0, buf, sizeof buf, NULL);
    TL_ASSERT_MSG(strcmp(buf, "%1 and %2!d!") == 0, "got [%s]", buf);
    /* Inserts with no arguments: refused (Windows would crash). */
    SetLastError(0);
    TL_EQ(FormatMessageA(FORMAT_MESSAGE_FROM_STRING, "%1", 0, 0, buf, sizeof buf, NULL), 0);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    /* A line width: breaks at spaces. */
    FormatMessageA(FORMAT_MESSAGE_FROM_STRING | 10, "one two three four five", 0, 0, buf,
                   sizeof buf, NULL);
    TL_ASSERT_MSG(strcmp(buf, "one two\r\nthree four\r\nfive") == 0, "got [%s]", buf);
    /* FormatMessageW: %1 is a WCHAR string. */
    WCHAR w[64];
    DWORD_PTR wargs[] = {(DWORD_PTR)u"\u00FCber", 3};
    n = FormatMessageW(FORMAT_MESSAGE_FROM_STRING | FORMAT_MESSAGE_ARGUMENT_ARRAY,
                       u"%1 x%2!d!", 0, 0, w, 64, (va_list *)wargs);
    const WCHAR expect[] = u"\u00FCber x3";
    TL_EQ(n, 7);
    TL_MEMEQ(w, expect, sizeof expect);
}

/* ---- Heap ---------------------------------------------------------------------------- */

static void test_heap(void **state)
{
    (void)state;
    HANDLE heap = GetProcessHeap();
    TL_ASSERT(heap != NULL);
    unsigned char *p = HeapAlloc(heap, HEAP_ZERO_MEMORY, 100);
    TL_ASSERT(p != NULL);
    for (int i = 0; i < 100; i++)
        TL_EQ(p[i], 0);
    TL_EQ(HeapSize(heap, 0, p), 100);
    TL_EQ((uintptr_t)p % 16, 0);
    memset(p, 0xAA, 100);
    p = HeapReAlloc(heap, HEAP_ZERO_MEMORY, p, 300);
    TL_ASSERT(p != NULL);
    TL_EQ(p[99], 0xAA);
    TL_EQ(p[100], 0);
    TL_EQ(p[299], 0);
    TL_EQ(HeapSize(heap, 0, p), 300);
    TL_ASSERT(HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, p, 1000) == NULL);
    TL_ASSERT(HeapReAlloc(heap, HEAP_REALLOC_IN_PLACE_ONLY, p, 50) == p);
    TL_OK(HeapFree(heap, 0, p));
    TL_OK(HeapFree(heap, 0, NULL));
    /* A pointer that is not one of the heap's blocks is refused. */
    static char not_a_block[64] __attribute__((aligned(16)));
    TL_FAILS(HeapFree(heap, 0, not_a_block + 48), ERROR_INVALID_PARAMETER);

    HANDLE mine = HeapCreate(0, 0, 1000);
    TL_ASSERT(mine != NULL);
    void *a = HeapAlloc(mine, 0, 600);
    TL_ASSERT(a != NULL);
    TL_ASSERT(HeapAlloc(mine, 0, 600) == NULL); /* over the maximum */
    TL_FAILS(HeapFree(heap, 0, a), ERROR_INVALID_PARAMETER); /* wrong heap */
    TL_ASSERT(HeapAlloc(mine, 0, 10) != NULL);
    TL_OK(HeapDestroy(mine)); /* frees both */
    TL_FAILS(HeapDestroy(heap), ERROR_INVALID_HANDLE);

    HLOCAL l = LocalAlloc(LPTR, 40);
    TL_ASSERT(l != NULL);
    TL_EQ(((char *)l)[39], 0);
    TL_EQ(LocalSize(l), 40);
    TL_ASSERT(LocalLock(l) == l);
    TL_ASSERT(LocalFree(l) == NULL);
    HGLOBAL g = GlobalAlloc(GPTR, 8);
    TL_ASSERT(g != NULL);
    TL_EQ(GlobalSize(g), 8);
    TL_ASSERT(GlobalFree(g) == NULL);
}

/* ---- Time ------------------------------------------------------------------------------ */

static void test_time(void **state)
{
    (void)state;
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    ULONGLONG boot_ms = (ULONGLONG)ts.tv_sec * 1000 + (ULONGLONG)ts.tv_nsec / 1000000;
    ULONGLONG t64 = GetTickCount64();
    TL_ASSERT(t64 >= boot_ms && t64 - boot_ms < 1000);
    DWORD t32 = GetTickCount();
    TL_ASSERT((DWORD)(t32 - (DWORD)t64) < 1000); /* the low 32 bits */
    LARGE_INTEGER f, a, b;
    TL_OK(QueryPerformanceFrequency(&f));
    TL_EQ(f.QuadPart, 10000000);
    TL_OK(QueryPerformanceCounter(&a));
    ULONGLONG t0 = GetTickCount64();
    tl_sleep_ms(60);
    TL_OK(QueryPerformanceCounter(&b));
    ULONGLONG t1 = GetTickCount64();
    LONGLONG us = (b.QuadPart - a.QuadPart) * 1000000 / f.QuadPart;
    TL_ASSERT_MSG(us >= 59000 && us < 5000000, "%lld us", (long long)us);
    TL_ASSERT(t1 - t0 >= 59);
}

/* ---- <tchar.h>, ANSI ------------------------------------------------------------------ */

static void test_tchar_ansi(void **state)
{
    (void)state;
    TCHAR buf[32];
    TL_EQ(sizeof(TCHAR), 1);
    TL_EQ(sizeof(_T("ab")), 3);
    TL_EQ(sizeof(TEXT("ab")), 3);
    _tcscpy(buf, _T("Pipe"));
    _tcscat(buf, _T("Name"));
    TL_EQ(_tcslen(buf), 8);
    TL_ASSERT(_tcsicmp(buf, _T("PIPENAME")) == 0);
    TL_EQ(_ttoi(_T("42")), 42);
    _stprintf(buf, _T("%d-%s"), 5, _T("x"));
    TL_ASSERT(_tcscmp(buf, _T("5-x")) == 0);
    TL_EQ(lstrlen(buf), 3);
    TL_EQ(StringCchLength(buf, 32, NULL), S_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_mb_to_wc_basics),
        TL_TEST(test_mb_to_wc_errors),
        TL_TEST(test_wc_to_mb),
        TL_TEST(test_lstr),
        TL_TEST(test_strsafe_copy_cat),
        TL_TEST(test_strsafe_ex),
        TL_TEST(test_strsafe_printf),
        TL_TEST(test_format_message_system),
        TL_TEST(test_format_message_inserts),
        TL_TEST(test_heap),
        TL_TEST(test_time),
        TL_TEST(test_tchar_ansi),
    };
    return TL_RUN(tests);
}
