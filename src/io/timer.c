/*
 * timer.c — kernel timers on the broker's monotonic clock.
 *
 * KeSetTimer with a DPC, as a driver uses it for timeouts (npfs's
 * FSCTL_PIPE_WAIT).  Set timers sit in a list sorted by due time; the main
 * loop sleeps until the first is due and then runs the expired DPCs.
 */
#include "io/io.h"

#include <time.h>

static LIST_ENTRY timer_list = {&timer_list, &timer_list};

LONGLONG io_now_100ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (LONGLONG)ts.tv_sec * 10000000LL + ts.tv_nsec / 100;
}

VOID KeInitializeDpc(PKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine,
                     PVOID DeferredContext)
{
    Dpc->DeferredRoutine = DeferredRoutine;
    Dpc->DeferredContext = DeferredContext;
}

VOID KeInitializeTimer(PKTIMER Timer)
{
    InitializeListHead(&Timer->TimerListEntry);
    Timer->Inserted = FALSE;
    Timer->Dpc = NULL;
    Timer->DueTime = 0;
}

BOOLEAN KeCancelTimer(PKTIMER Timer)
{
    if (!Timer->Inserted)
        return FALSE;
    RemoveEntryList(&Timer->TimerListEntry);
    Timer->Inserted = FALSE;
    return TRUE;
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
    BOOLEAN was_set = KeCancelTimer(Timer);
    LONGLONG now = io_now_100ns();
    LONGLONG due = DueTime.QuadPart;
    /* Relative (negative): from now.  A client chooses the value, so the
     * sum must not overflow (found by fuzz_requests): too far is never. */
    if (DueTime.QuadPart < 0 && __builtin_sub_overflow(now, DueTime.QuadPart, &due))
        due = INT64_MAX;
    Timer->DueTime = due;
    Timer->Dpc = Dpc;
    PLIST_ENTRY e = timer_list.Flink;
    while (e != &timer_list &&
           CONTAINING_RECORD(e, KTIMER, TimerListEntry)->DueTime <= due)
        e = e->Flink;
    InsertTailList(e, &Timer->TimerListEntry); /* i.e. before e */
    Timer->Inserted = TRUE;
    return was_set;
}

int io_timer_next_timeout_ms(void)
{
    if (IsListEmpty(&timer_list))
        return -1;
    LONGLONG due = CONTAINING_RECORD(timer_list.Flink, KTIMER, TimerListEntry)->DueTime;
    LONGLONG delta = due - io_now_100ns();
    if (delta <= 0)
        return 0;
    LONGLONG ms = (delta + 9999) / 10000;
    return ms > 60000 ? 60000 : (int)ms;
}

void io_timer_run_expired(void)
{
    LONGLONG now = io_now_100ns();
    while (!IsListEmpty(&timer_list)) {
        PKTIMER t = CONTAINING_RECORD(timer_list.Flink, KTIMER, TimerListEntry);
        if (t->DueTime > now)
            break;
        KeCancelTimer(t);
        if (t->Dpc)
            t->Dpc->DeferredRoutine(t->Dpc, t->Dpc->DeferredContext, NULL, NULL);
    }
}
