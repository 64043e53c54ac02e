/*
 * ke_private.h — the wait block, shared by dispatcher.c and wait.c.
 */
#ifndef NPIPE_KE_PRIVATE_H
#define NPIPE_KE_PRIVATE_H

#include "ke/ke.h"

typedef struct _KE_WAIT KE_WAIT, *PKE_WAIT;

typedef struct _KE_WAIT_ENTRY {
    LIST_ENTRY Link; /* in Object->WaitList while the wait is on */
    PKE_DISPATCHER Object;
    PKE_WAIT Wait;
} KE_WAIT_ENTRY, *PKE_WAIT_ENTRY;

struct _KE_WAIT {
    PIRP Irp;
    PETHREAD Thread;
    ULONG Count;
    BOOLEAN WaitAll;
    BOOLEAN Alertable;
    BOOLEAN Queued; /* entries are on the objects' lists */
    KTIMER Timer;
    KDPC Dpc;
    OB_HEADER *Headers[KE_MAXIMUM_WAIT_OBJECTS];
    KE_WAIT_ENTRY Entries[KE_MAXIMUM_WAIT_OBJECTS];
};

BOOLEAN ke_try_satisfy(PKE_WAIT wait);
/* Takes the wait off everything and completes its request with Status. */
VOID ke_end_wait(PKE_WAIT wait, NTSTATUS Status);

#endif
