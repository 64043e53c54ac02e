/*
 * strsafe.h — the bounded string functions of Windows' strsafe.h:
 * StringCch* (sizes in characters) and StringCb* (sizes in bytes) Copy,
 * CopyN, Cat, CatN, Printf, VPrintf and Length, with their Ex forms for
 * Copy, Cat and Printf; each in A and W forms, with generic names that
 * follow UNICODE.
 *
 * They return S_OK, STRSAFE_E_INSUFFICIENT_BUFFER (the result was
 * truncated — it is still NUL-terminated) or STRSAFE_E_INVALID_PARAMETER
 * (a destination size of 0 or above STRSAFE_MAX_CCH, a destination that is
 * not terminated within its size, for Cat and Length).  The Printf
 * functions follow Microsoft's printf rules: %s in a W function is a WCHAR
 * string, %ls always is, %ld is 32 bits (docs/porting.md).
 *
 * Unlike Windows' header this one is not inline: the functions live in
 * libnpipe.  It does not deprecate strcpy and friends (Windows' does unless
 * STRSAFE_NO_DEPRECATE is defined).
 */
#ifndef NPIPE_STRSAFE_H
#define NPIPE_STRSAFE_H

#include <stdarg.h>
#include <stddef.h>

#include "windef.h"
#include "winerror.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STRSAFE_MAX_CCH 2147483647
#define STRSAFE_MAX_LENGTH (STRSAFE_MAX_CCH - 1)

/* Ex flags; the low byte is the fill byte for STRSAFE_FILL_BEHIND_NULL
 * and STRSAFE_FILL_ON_FAILURE. */
#define STRSAFE_IGNORE_NULLS 0x00000100
#define STRSAFE_FILL_BEHIND_NULL 0x00000200
#define STRSAFE_FILL_ON_FAILURE 0x00000400
#define STRSAFE_NULL_ON_FAILURE 0x00000800
#define STRSAFE_NO_TRUNCATION 0x00001000
#define STRSAFE_FILL_BYTE(x) ((unsigned long)(((x) & 0x000000FF) | STRSAFE_FILL_BEHIND_NULL))
#define STRSAFE_FAILURE_BYTE(x) ((unsigned long)(((x) & 0x000000FF) | STRSAFE_FILL_ON_FAILURE))
#define STRSAFE_GET_FILL_PATTERN(dwFlags) ((int)((dwFlags) & 0x000000FF))

#ifndef STRSAFE_E_INSUFFICIENT_BUFFER
#define STRSAFE_E_INSUFFICIENT_BUFFER ((HRESULT)0x8007007AL)
#define STRSAFE_E_INVALID_PARAMETER ((HRESULT)0x80070057L)
#define STRSAFE_E_END_OF_FILE ((HRESULT)0x80070026L)
#endif

typedef char *STRSAFE_LPSTR;
typedef const char *STRSAFE_LPCSTR;
typedef WCHAR *STRSAFE_LPWSTR;
typedef const WCHAR *STRSAFE_LPCWSTR;
typedef const WCHAR *STRSAFE_PCNZWCH;
typedef const char *STRSAFE_PCNZCH;

HRESULT StringCchCopyA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc);
HRESULT StringCchCopyW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc);
HRESULT StringCbCopyA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszSrc);
HRESULT StringCbCopyW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszSrc);
HRESULT StringCchCopyExA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc,
                         STRSAFE_LPSTR *ppszDestEnd, size_t *pcchRemaining,
                         DWORD dwFlags);
HRESULT StringCchCopyExW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc,
                         STRSAFE_LPWSTR *ppszDestEnd, size_t *pcchRemaining,
                         DWORD dwFlags);
HRESULT StringCbCopyExA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszSrc,
                        STRSAFE_LPSTR *ppszDestEnd, size_t *pcbRemaining,
                        DWORD dwFlags);
HRESULT StringCbCopyExW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszSrc,
                        STRSAFE_LPWSTR *ppszDestEnd, size_t *pcbRemaining,
                        DWORD dwFlags);
HRESULT StringCchCopyNA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_PCNZCH pszSrc,
                        size_t cchToCopy);
HRESULT StringCchCopyNW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_PCNZWCH pszSrc,
                        size_t cchToCopy);
HRESULT StringCbCopyNA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_PCNZCH pszSrc,
                       size_t cbToCopy);
HRESULT StringCbCopyNW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_PCNZWCH pszSrc,
                       size_t cbToCopy);

HRESULT StringCchCatA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc);
HRESULT StringCchCatW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc);
HRESULT StringCbCatA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszSrc);
HRESULT StringCbCatW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszSrc);
HRESULT StringCchCatExA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszSrc,
                        STRSAFE_LPSTR *ppszDestEnd, size_t *pcchRemaining,
                        DWORD dwFlags);
HRESULT StringCchCatExW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszSrc,
                        STRSAFE_LPWSTR *ppszDestEnd, size_t *pcchRemaining,
                        DWORD dwFlags);
HRESULT StringCbCatExA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszSrc,
                       STRSAFE_LPSTR *ppszDestEnd, size_t *pcbRemaining,
                       DWORD dwFlags);
HRESULT StringCbCatExW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszSrc,
                       STRSAFE_LPWSTR *ppszDestEnd, size_t *pcbRemaining,
                       DWORD dwFlags);
HRESULT StringCchCatNA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_PCNZCH pszSrc,
                       size_t cchToAppend);
HRESULT StringCchCatNW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_PCNZWCH pszSrc,
                       size_t cchToAppend);
HRESULT StringCbCatNA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_PCNZCH pszSrc,
                      size_t cbToAppend);
HRESULT StringCbCatNW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_PCNZWCH pszSrc,
                      size_t cbToAppend);

HRESULT StringCchPrintfA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszFormat, ...);
HRESULT StringCchPrintfW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszFormat, ...);
HRESULT StringCbPrintfA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszFormat, ...);
HRESULT StringCbPrintfW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszFormat, ...);
HRESULT StringCchVPrintfA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPCSTR pszFormat,
                          va_list argList);
HRESULT StringCchVPrintfW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPCWSTR pszFormat,
                          va_list argList);
HRESULT StringCbVPrintfA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPCSTR pszFormat,
                         va_list argList);
HRESULT StringCbVPrintfW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPCWSTR pszFormat,
                         va_list argList);
HRESULT StringCchPrintfExA(STRSAFE_LPSTR pszDest, size_t cchDest, STRSAFE_LPSTR *ppszDestEnd,
                           size_t *pcchRemaining, DWORD dwFlags,
                           STRSAFE_LPCSTR pszFormat, ...);
HRESULT StringCchPrintfExW(STRSAFE_LPWSTR pszDest, size_t cchDest, STRSAFE_LPWSTR *ppszDestEnd,
                           size_t *pcchRemaining, DWORD dwFlags,
                           STRSAFE_LPCWSTR pszFormat, ...);
HRESULT StringCbPrintfExA(STRSAFE_LPSTR pszDest, size_t cbDest, STRSAFE_LPSTR *ppszDestEnd,
                          size_t *pcbRemaining, DWORD dwFlags,
                          STRSAFE_LPCSTR pszFormat, ...);
HRESULT StringCbPrintfExW(STRSAFE_LPWSTR pszDest, size_t cbDest, STRSAFE_LPWSTR *ppszDestEnd,
                          size_t *pcbRemaining, DWORD dwFlags,
                          STRSAFE_LPCWSTR pszFormat, ...);

HRESULT StringCchLengthA(STRSAFE_PCNZCH psz, size_t cchMax, size_t *pcchLength);
HRESULT StringCchLengthW(STRSAFE_PCNZWCH psz, size_t cchMax, size_t *pcchLength);
HRESULT StringCbLengthA(STRSAFE_PCNZCH psz, size_t cbMax, size_t *pcbLength);
HRESULT StringCbLengthW(STRSAFE_PCNZWCH psz, size_t cbMax, size_t *pcbLength);

#if defined(UNICODE) || defined(_UNICODE)
#define StringCchCopy StringCchCopyW
#define StringCbCopy StringCbCopyW
#define StringCchCopyEx StringCchCopyExW
#define StringCbCopyEx StringCbCopyExW
#define StringCchCopyN StringCchCopyNW
#define StringCbCopyN StringCbCopyNW
#define StringCchCat StringCchCatW
#define StringCbCat StringCbCatW
#define StringCchCatEx StringCchCatExW
#define StringCbCatEx StringCbCatExW
#define StringCchCatN StringCchCatNW
#define StringCbCatN StringCbCatNW
#define StringCchPrintf StringCchPrintfW
#define StringCbPrintf StringCbPrintfW
#define StringCchVPrintf StringCchVPrintfW
#define StringCbVPrintf StringCbVPrintfW
#define StringCchPrintfEx StringCchPrintfExW
#define StringCbPrintfEx StringCbPrintfExW
#define StringCchLength StringCchLengthW
#define StringCbLength StringCbLengthW
#else
#define StringCchCopy StringCchCopyA
#define StringCbCopy StringCbCopyA
#define StringCchCopyEx StringCchCopyExA
#define StringCbCopyEx StringCbCopyExA
#define StringCchCopyN StringCchCopyNA
#define StringCbCopyN StringCbCopyNA
#define StringCchCat StringCchCatA
#define StringCbCat StringCbCatA
#define StringCchCatEx StringCchCatExA
#define StringCbCatEx StringCbCatExA
#define StringCchCatN StringCchCatNA
#define StringCbCatN StringCbCatNA
#define StringCchPrintf StringCchPrintfA
#define StringCbPrintf StringCbPrintfA
#define StringCchVPrintf StringCchVPrintfA
#define StringCbVPrintf StringCbVPrintfA
#define StringCchPrintfEx StringCchPrintfExA
#define StringCbPrintfEx StringCbPrintfExA
#define StringCchLength StringCchLengthA
#define StringCbLength StringCbLengthA
#endif

#ifdef __cplusplus
}
#endif
#endif /* NPIPE_STRSAFE_H */
