/*
 * dispatcher.c — signal states and the waits that watch them.
 *
 * Signalling an object walks its waits oldest first and satisfies each
 * that can now be satisfied: a wait for any object takes this one, a wait
 * for all takes them all if they are all signaled.  An auto-reset object
 * is consumed by the first wait it satisfies, so exactly one waiter wakes.
 */
#include "ke/ke_private.h"

VOID KeInitializeDispatcher(PKE_DISPATCHER Object, BOOLEAN AutoReset, BOOLEAN Signaled)
{
    Object->SignalState = Signaled ? 1 : 0;
    Object->AutoReset = AutoReset;
    InitializeListHead(&Object->WaitList);
}

LONG KeClearObject(PKE_DISPATCHER Object)
{
    LONG previous = Object->SignalState;
    Object->SignalState = 0;
    return previous;
}

LONG KeSignalObject(PKE_DISPATCHER Object)
{
    LONG previous = Object->SignalState;
    Object->SignalState = 1;
    /* Each satisfied wait leaves every list it was on, so start over. */
    bool progress = true;
    while (progress && Object->SignalState > 0) {
        progress = false;
        for (PLIST_ENTRY e = Object->WaitList.Flink; e != &Object->WaitList; e = e->Flink) {
            PKE_WAIT_ENTRY entry = CONTAINING_RECORD(e, KE_WAIT_ENTRY, Link);
            if (ke_try_satisfy(entry->Wait)) {
                progress = true;
                break;
            }
        }
    }
    return previous;
}

static void consume(PKE_DISPATCHER object)
{
    if (object->AutoReset)
        object->SignalState = 0;
}

BOOLEAN ke_try_satisfy(PKE_WAIT wait)
{
    if (!wait->WaitAll) {
        for (ULONG i = 0; i < wait->Count; i++) {
            if (wait->Entries[i].Object->SignalState > 0) {
                consume(wait->Entries[i].Object);
                ke_end_wait(wait, STATUS_WAIT_0 + (NTSTATUS)i);
                return TRUE;
            }
        }
        return FALSE;
    }
    if (wait->Count == 0)
        return FALSE;
    for (ULONG i = 0; i < wait->Count; i++)
        if (wait->Entries[i].Object->SignalState <= 0)
            return FALSE;
    for (ULONG i = 0; i < wait->Count; i++)
        consume(wait->Entries[i].Object);
    ke_end_wait(wait, STATUS_WAIT_0);
    return TRUE;
}
