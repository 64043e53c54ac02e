/*
 * windef.h — the basic Windows types, with Windows' sizes on Linux.
 *
 * DWORD, ULONG and LONG are 32 bits whatever the size of a Linux `long`;
 * WCHAR is 16 bits (char16_t) so that u"..." literals are wide strings, as
 * L"..." is on Windows. Everything here is plain C17 and has no dependency
 * on the rest of npipe.
 */
#ifndef NPIPE_WINDEF_H
#define NPIPE_WINDEF_H

#include <stddef.h>
#include <stdint.h>
#include <uchar.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WINAPI
#define WINAPI
#endif
#ifndef NTAPI
#define NTAPI
#endif
#ifndef CALLBACK
#define CALLBACK
#endif
#ifndef VOID
#define VOID void
#endif
#ifndef CONST
#define CONST const
#endif
#ifndef IN
#define IN
#define OUT
#define OPTIONAL
#endif

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

typedef int32_t BOOL, *PBOOL, *LPBOOL;
typedef uint8_t BYTE, *PBYTE, *LPBYTE;
typedef uint8_t BOOLEAN, *PBOOLEAN;
typedef uint8_t UCHAR, *PUCHAR;
typedef char CHAR, *PCHAR, CCHAR;
typedef uint16_t WORD, *PWORD, *LPWORD, USHORT, *PUSHORT;
typedef int16_t SHORT, CSHORT;
typedef uint32_t DWORD, *PDWORD, *LPDWORD;
typedef uint32_t ULONG, *PULONG, UINT, *PUINT;
typedef int32_t LONG, *PLONG, *LPLONG, INT, *PINT;
typedef int64_t LONGLONG, *PLONGLONG;
typedef uint64_t ULONGLONG, *PULONGLONG, ULONG64, DWORD64;
typedef intptr_t LONG_PTR, INT_PTR, *PLONG_PTR;
typedef uintptr_t ULONG_PTR, UINT_PTR, DWORD_PTR, *PULONG_PTR;
typedef uintptr_t SIZE_T, *PSIZE_T;
typedef intptr_t SSIZE_T;
typedef void *PVOID, *LPVOID;
typedef const void *LPCVOID, *PCVOID;
typedef void *HANDLE, **PHANDLE, **LPHANDLE;
typedef HANDLE HMODULE, HINSTANCE, HLOCAL, HGLOBAL;
typedef LONG NTSTATUS, *PNTSTATUS;
typedef LONG HRESULT;
typedef UCHAR KIRQL, *PKIRQL, KPROCESSOR_MODE;
typedef ULONG ACCESS_MASK, *PACCESS_MASK;

typedef char16_t WCHAR, *PWCHAR, *PWSTR, *LPWSTR;
typedef const WCHAR *PCWSTR, *LPCWSTR;
typedef char *PSTR, *LPSTR;
typedef const char *PCSTR, *LPCSTR;

#if defined(UNICODE) || defined(_UNICODE)
typedef WCHAR TCHAR;
#else
typedef char TCHAR;
#endif
typedef TCHAR *LPTSTR, *PTSTR;
typedef const TCHAR *LPCTSTR, *PCTSTR;

typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        DWORD LowPart;
        DWORD HighPart;
    };
    struct {
        DWORD LowPart;
        DWORD HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _UNICODE_STRING {
    USHORT Length;        /* bytes, without a terminating NUL */
    USHORT MaximumLength; /* bytes */
    PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

#define NT_SUCCESS(s) (((NTSTATUS)(s)) >= 0)
#define NT_INFORMATION(s) ((((ULONG)(s)) >> 30) == 1)
#define NT_WARNING(s) ((((ULONG)(s)) >> 30) == 2)
#define NT_ERROR(s) ((((ULONG)(s)) >> 30) == 3)

#define MAKELONG(lo, hi) ((LONG)(((WORD)(lo)) | ((DWORD)((WORD)(hi))) << 16))
#define LOWORD(l) ((WORD)((DWORD_PTR)(l) & 0xffff))
#define HIWORD(l) ((WORD)((DWORD_PTR)(l) >> 16))

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#define MAX_PATH 260

_Static_assert(sizeof(DWORD) == 4, "DWORD is 32 bits");
_Static_assert(sizeof(ULONG) == 4, "ULONG is 32 bits");
_Static_assert(sizeof(WCHAR) == 2, "WCHAR is 16 bits");

#ifdef __cplusplus
}
#endif
#endif /* NPIPE_WINDEF_H */
