/*
 * tchar.h — generic-text mappings: one source for ANSI and UNICODE builds.
 *
 * By default a build is ANSI: TCHAR is char, _T("x") is "x", _tmain is
 * main and _tprintf is printf (npipe's ANSI code page is UTF-8).  Defining
 * _UNICODE (or UNICODE) makes it wide: TCHAR is WCHAR (16 bits), _T("x")
 * and TEXT("x") are u"x" — 16-bit literals, as L"x" is on Windows — _tmain
 * is wmain (whose main() comes from libnpipe_wmain.a, see npipe_crt.h), and
 * the _tcs* and _t*printf names map to npipe's 16-bit runtime, which
 * follows Microsoft's printf rules (%s in a wide format is a wide string).
 * <stdio.h>, <string.h> and <stdlib.h> stay usable alongside.
 *
 * Only the mappings Windows programs commonly use are here; docs/porting.md
 * lists them.
 */
#ifndef NPIPE_TCHAR_H
#define NPIPE_TCHAR_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "windef.h"
#include "npipe_crt.h"

#if defined(_UNICODE) || defined(UNICODE)

typedef WCHAR _TCHAR, _TSCHAR, _TUCHAR, _TXCHAR;
typedef int _TINT; /* MSVC: wint_t, a 16-bit value in an int here */
#define __T(x) u##x
#define _TEOF (-1) /* npipe has no WEOF for 16-bit characters */

#define _tmain wmain

#define _tprintf npipe_wprintf
#define _vtprintf npipe_vwprintf
#define _ftprintf npipe_fwprintf
#define _vftprintf npipe_vfwprintf
#define _stprintf npipe__swprintf
#define _sntprintf npipe__snwprintf
#define _vsntprintf npipe__vsnwprintf
#define _fputts npipe_fputws
#define _putts npipe__putws
#define _fgetts npipe_fgetws

#define _tcslen npipe_wcslen
#define _tcsnlen npipe_wcsnlen
#define _tcscpy npipe_wcscpy
#define _tcsncpy npipe_wcsncpy
#define _tcscat npipe_wcscat
#define _tcsncat npipe_wcsncat
#define _tcscmp npipe_wcscmp
#define _tcsncmp npipe_wcsncmp
#define _tcsicmp npipe_wcsicmp
#define _tcsnicmp npipe_wcsnicmp
#define _tcschr npipe_wcschr
#define _tcsrchr npipe_wcsrchr
#define _tcsstr npipe_wcsstr
#define _tcsdup npipe_wcsdup
#define _tcstol npipe_wcstol
#define _tcstoul npipe_wcstoul
#define _ttoi npipe_wtoi
#define _tstoi npipe_wtoi
#define _ttol npipe_wcstol_10
#define _totupper npipe_towupper
#define _totlower npipe_towlower
#define _istspace(c) iswspace((wint_t)(c))
#define _istdigit(c) iswdigit((wint_t)(c))
#define _istalpha(c) iswalpha((wint_t)(c))
#define _istalnum(c) iswalnum((wint_t)(c))
#define _istupper(c) iswupper((wint_t)(c))
#define _istlower(c) iswlower((wint_t)(c))
#define _istprint(c) iswprint((wint_t)(c))
#define _istxdigit(c) iswxdigit((wint_t)(c))

static inline long npipe_wcstol_10(const WCHAR *s) { return npipe_wcstol(s, NULL, 10); }

#else /* ANSI */

typedef char _TCHAR, _TSCHAR, _TXCHAR;
typedef unsigned char _TUCHAR;
typedef int _TINT;
#define __T(x) x
#define _TEOF EOF

#define _tmain main

#define _tprintf printf
#define _vtprintf vprintf
#define _ftprintf fprintf
#define _vftprintf vfprintf
#define _stprintf sprintf
#define _sntprintf snprintf
#define _vsntprintf vsnprintf
#define _fputts fputs
#define _putts puts
#define _fgetts fgets

#define _tcslen strlen
#define _tcsnlen strnlen
#define _tcscpy strcpy
#define _tcsncpy strncpy
#define _tcscat strcat
#define _tcsncat strncat
#define _tcscmp strcmp
#define _tcsncmp strncmp
#define _tcsicmp strcasecmp
#define _tcsnicmp strncasecmp
#define _tcschr strchr
#define _tcsrchr strrchr
#define _tcsstr strstr
#define _tcsdup strdup
#define _tcstol strtol
#define _tcstoul strtoul
#define _ttoi atoi
#define _tstoi atoi
#define _ttol atol
#define _totupper toupper
#define _totlower tolower
#define _istspace(c) isspace((unsigned char)(c))
#define _istdigit(c) isdigit((unsigned char)(c))
#define _istalpha(c) isalpha((unsigned char)(c))
#define _istalnum(c) isalnum((unsigned char)(c))
#define _istupper(c) isupper((unsigned char)(c))
#define _istlower(c) islower((unsigned char)(c))
#define _istprint(c) isprint((unsigned char)(c))
#define _istxdigit(c) isxdigit((unsigned char)(c))

#endif

#define _T(x) __T(x)
#define _TEXT(x) __T(x)

#endif /* NPIPE_TCHAR_H */
