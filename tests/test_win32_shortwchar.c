/*
 * test_win32_shortwchar.c — the -fshort-wchar build mode: code that passes
 * raw L"..." literals and wchar_t buffers to W functions, and uses the
 * standard wide string functions on them, works when built with
 * -fshort-wchar (tests/CMakeLists.txt builds this file so, as
 * docs/porting.md tells users to).  wchar_t is then 16 bits, the same type
 * as WCHAR, and <windows.h> maps wcslen, wcscpy, swprintf, ... to npipe's
 * 16-bit runtime.
 */
#include "testlib.h"

#include <wchar.h>

#include <npipe/strsafe.h>

_Static_assert(sizeof(wchar_t) == 2, "this test must be built with -fshort-wchar");

static void test_literals_to_w_functions(void **state)
{
    (void)state;
    const wchar_t *name = L"\\\\.\\pipe\\npipe-test-shortwchar";
    HANDLE s = CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 512, 512, 0,
                                NULL);
    TL_ASSERT(s != INVALID_HANDLE_VALUE);
    TL_OK(WaitNamedPipeW(name, 1000));
    HANDLE c = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
                           NULL);
    TL_ASSERT(c != INVALID_HANDLE_VALUE);
    wchar_t msg[] = L"w\u00E9de";
    DWORD n;
    TL_OK(WriteFile(c, msg, sizeof msg, &n, NULL));
    wchar_t back[16];
    TL_OK(ReadFile(s, back, sizeof back, &n, NULL));
    TL_EQ(n, sizeof msg);
    TL_ASSERT(wcscmp(back, msg) == 0);
    TL_OK(CloseHandle(c));
    TL_OK(CloseHandle(s));
}

static void test_standard_wide_names(void **state)
{
    (void)state;
    wchar_t buf[32];
    TL_EQ(wcslen(L"four"), 4);
    wcscpy(buf, L"ab");
    wcscat(buf, L"cd");
    TL_EQ(wcslen(buf), 4);
    TL_ASSERT(wcscmp(buf, L"abcd") == 0);
    TL_ASSERT(_wcsicmp(buf, L"ABCD") == 0);
    TL_ASSERT(wcschr(buf, L'c') == buf + 2);
    TL_EQ(swprintf(buf, 32, L"%s-%d", L"x\u00E9", 7), 4);
    TL_ASSERT(wcscmp(buf, L"x\u00E9-7") == 0);
    TL_EQ(lstrlenW(L"abc"), 3);
    TL_EQ(StringCchCopyW(buf, 32, L"strsafe"), S_OK);
    TL_EQ(wcslen(buf), 7);
    char utf8[16];
    TL_EQ(WideCharToMultiByte(CP_UTF8, 0, L"\u00E9", -1, utf8, 16, NULL, NULL), 3);
    TL_ASSERT(strcmp(utf8, "\xC3\xA9") == 0);
    TL_EQ(MultiByteToWideChar(CP_UTF8, 0, "\xE2\x82\xAC", -1, buf, 32), 2);
    TL_EQ(buf[0], L'\u20AC');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_literals_to_w_functions),
        TL_TEST(test_standard_wide_names),
    };
    return TL_RUN(tests);
}
