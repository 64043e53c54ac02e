/*
 * time.c — GetTickCount, GetTickCount64, QueryPerformanceCounter and
 * QueryPerformanceFrequency.  (Sleep and SleepEx live with the waits.)
 *
 * The tick count is milliseconds since boot, including time spent
 * suspended, as on Windows: Linux's CLOCK_BOOTTIME.  GetTickCount is its
 * low 32 bits and so wraps after 49.7 days, as Windows' does.
 *
 * The performance counter is CLOCK_MONOTONIC in units of 100 ns, so its
 * frequency is 10 MHz — the value current Windows reports on most
 * machines — and a program's "ticks / frequency" arithmetic gives seconds
 * with the resolution Linux offers.
 */
#include "win32/internal.h"

#include <time.h>

#define QPC_FREQUENCY 10000000LL

static ULONGLONG ms_of(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ULONGLONG)ts.tv_sec * 1000u + (ULONGLONG)ts.tv_nsec / 1000000u;
}

NPIPE_API ULONGLONG WINAPI GetTickCount64(void) { return ms_of(CLOCK_BOOTTIME); }

NPIPE_API DWORD WINAPI GetTickCount(void) { return (DWORD)ms_of(CLOCK_BOOTTIME); }

/* Never fails on systems that run Windows XP or later, Microsoft says; a
 * NULL pointer is the one failure left (ERROR_NOACCESS). */
NPIPE_API BOOL WINAPI QueryPerformanceCounter(LARGE_INTEGER *lpPerformanceCount)
{
    if (!lpPerformanceCount)
        return np_fail(ERROR_NOACCESS);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lpPerformanceCount->QuadPart =
        (LONGLONG)ts.tv_sec * QPC_FREQUENCY + ts.tv_nsec / 100;
    return TRUE;
}

NPIPE_API BOOL WINAPI QueryPerformanceFrequency(LARGE_INTEGER *lpFrequency)
{
    if (!lpFrequency)
        return np_fail(ERROR_NOACCESS);
    lpFrequency->QuadPart = QPC_FREQUENCY;
    return TRUE;
}
