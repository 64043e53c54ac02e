/*
 * test_win32_wide.c — a UNICODE build: TCHAR is WCHAR, TEXT()/_T() are
 * 16-bit literals, the generic names are the W functions, _tprintf and
 * the StringCch functions follow Microsoft's wide printf rules, and the
 * program's entry point is _tmain = wmain, called by libnpipe_wmain.a's
 * main with the command line converted to UTF-16.
 *
 * Built with -DUNICODE -D_UNICODE (tests/CMakeLists.txt).
 */
#include "testlib.h"

#include <stdlib.h>
#include <unistd.h>

#include <npipe/strsafe.h>
#include <npipe/tchar.h>

static int g_argc;
static TCHAR **g_argv;

static void test_types_and_literals(void **state)
{
    (void)state;
    TL_EQ(sizeof(TCHAR), 2);
    TL_EQ(sizeof(TEXT("ab")), 6);
    TL_EQ(sizeof(_T("ab")), 6);
    const TCHAR *s = TEXT("\u00E9t\u00E9");
    TL_EQ(s[0], 0xE9);
    TL_EQ(lstrlen(s), 3); /* lstrlenW */
    TL_EQ(_tcslen(_T("four")), 4);
    TCHAR buf[32];
    _tcscpy(buf, _T("Pipe"));
    _tcscat(buf, _T("Name"));
    TL_ASSERT(_tcscmp(buf, _T("PipeName")) == 0);
    TL_ASSERT(_tcsicmp(buf, _T("PIPENAME")) == 0);
    TL_ASSERT(_tcsstr(buf, _T("Na")) == buf + 4);
    TL_ASSERT(_tcschr(buf, 'N') == buf + 4);
    TL_ASSERT(_tcsrchr(buf, 'e') == buf + 7);
    TL_EQ(_ttoi(_T("  -17x")), -17);
    TL_EQ(_totupper('a'), 'A');
}

static void test_entry_point(void **state)
{
    (void)state;
    /* argv[0] arrives converted: it ends with the program's name. */
    TL_ASSERT(g_argc >= 1);
    const TCHAR *name = _T("test_win32_wide");
    size_t n = _tcslen(g_argv[0]), m = _tcslen(name);
    TL_ASSERT(n >= m);
    TL_ASSERT(_tcscmp(g_argv[0] + n - m, name) == 0);
    TL_ASSERT(g_argv[g_argc] == NULL);
}

static void test_wide_printf(void **state)
{
    (void)state;
    TCHAR buf[64];
    TL_EQ(StringCchPrintf(buf, 64, TEXT("%s:%d:%S:%c"), TEXT("w\u00FC"), -3, "narrow",
                          (TCHAR)0x263A),
          S_OK);
    TL_ASSERT(_tcscmp(buf, TEXT("w\u00FC:-3:narrow:\u263A")) == 0);
    TL_EQ(_stprintf(buf, _T("[%5s]"), _T("ab")), 7);
    TL_ASSERT(_tcscmp(buf, _T("[   ab]")) == 0);
    TL_EQ(_sntprintf(buf, 3, _T("%s"), _T("abcdef")), -1);
    TL_EQ(npipe_swprintf(buf, 4, u"%s", u"abcdef"), -1);
    TL_ASSERT(_tcscmp(buf, _T("abc")) == 0);

    /* _tprintf / _ftprintf write UTF-8. */
    FILE *f = tmpfile();
    TL_ASSERT(f != NULL);
    TL_EQ(_ftprintf(f, _T("%s=%d \u20AC\n"), _T("k\u00E9y"), 5), 8);
    rewind(f);
    char line[64] = {0};
    TL_ASSERT(fgets(line, sizeof line, f) != NULL);
    TL_ASSERT_MSG(strcmp(line, "k\xC3\xA9y=5 \xE2\x82\xAC\n") == 0, "got [%s]", line);
    rewind(f);
    TCHAR wline[64];
    TL_ASSERT(_fgetts(wline, 64, f) != NULL);
    TL_ASSERT(_tcscmp(wline, _T("k\u00E9y=5 \u20AC\n")) == 0);
    fclose(f);
}

static void test_generic_names(void **state)
{
    (void)state;
    TCHAR buf[128];
    DWORD n = FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
                            NULL, ERROR_PIPE_BUSY, 0, buf, 128, NULL);
    TL_ASSERT(n > 0);
    TL_ASSERT(_tcscmp(buf, TEXT("All pipe instances are busy.\r\n")) == 0);

    /* A pipe through the W functions with TEXT() names. */
    LPCTSTR name = TEXT("\\\\.\\pipe\\npipe-test-wide-\u00FC");
    HANDLE s = CreateNamedPipe(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE |
                               PIPE_READMODE_MESSAGE, 1, 512, 512, 0, NULL);
    TL_ASSERT(s != INVALID_HANDLE_VALUE);
    HANDLE c = CreateFile(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
                          NULL);
    TL_ASSERT(c != INVALID_HANDLE_VALUE);
    const TCHAR msg[] = TEXT("hello \u263A");
    DWORD w;
    TL_OK(WriteFile(c, msg, sizeof msg, &w, NULL));
    TCHAR back[32];
    DWORD r;
    TL_OK(ReadFile(s, back, sizeof back, &r, NULL));
    TL_EQ(r, sizeof msg);
    TL_ASSERT(lstrcmp(back, msg) == 0);
    CloseHandle(c);
    CloseHandle(s);
}

int _tmain(int argc, TCHAR *argv[])
{
    g_argc = argc;
    g_argv = argv;
    const struct CMUnitTest tests[] = {
        TL_TEST(test_types_and_literals),
        TL_TEST(test_entry_point),
        TL_TEST(test_wide_printf),
        TL_TEST(test_generic_names),
    };
    return TL_RUN(tests);
}
