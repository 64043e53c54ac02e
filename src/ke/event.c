/*
 * event.c — event objects: CreateEvent, SetEvent, ResetEvent, PulseEvent.
 *
 * A manual-reset event stays signaled until reset and wakes every waiter;
 * an auto-reset event wakes one waiter and resets itself.  PulseEvent
 * wakes what it can and leaves the event reset, as Windows does.
 */
#include "ke/ke.h"

#include <stdlib.h>

typedef struct _KE_EVENT {
    OB_HEADER Header;
    KE_DISPATCHER Dispatcher;
} KE_EVENT;

static PKE_DISPATCHER event_dispatcher(OB_HEADER *object)
{
    return &CONTAINING_RECORD(object, KE_EVENT, Header)->Dispatcher;
}

static void event_delete(OB_HEADER *object)
{
    free(CONTAINING_RECORD(object, KE_EVENT, Header));
}

const OB_TYPE ke_event_type = {
    .name = "Event",
    .dispatcher = event_dispatcher,
    .delete_object = event_delete,
};

NTSTATUS ke_create_event(PEPROCESS process, BOOLEAN manual, BOOLEAN initial,
                         ULONG attributes, ULONG *handle)
{
    KE_EVENT *ev = calloc(1, sizeof *ev);
    if (!ev)
        return STATUS_INSUFFICIENT_RESOURCES;
    ob_init_object(&ev->Header, &ke_event_type);
    KeInitializeDispatcher(&ev->Dispatcher, !manual, initial);
    NTSTATUS status = ob_insert_handle(process, &ev->Header,
                                       0x001F0003 /* EVENT_ALL_ACCESS */,
                                       attributes & 0x2 /* OBJ_INHERIT */, handle);
    ob_dereference_object(&ev->Header); /* the handle holds it now */
    return status;
}

VOID ke_set_event_object(OB_HEADER *event)
{
    if (event->type == &ke_event_type)
        KeSignalObject(event_dispatcher(event));
}

NTSTATUS ke_event_action(PEPROCESS process, ULONG handle, ULONG action,
                         LONG *previous)
{
    OB_HEADER *object;
    NTSTATUS status = ob_reference_by_handle(process, handle, &ke_event_type,
                                             &object, NULL, NULL);
    if (!NT_SUCCESS(status))
        return status;
    PKE_DISPATCHER d = event_dispatcher(object);
    switch (action) {
    case 0: /* SetEvent */
        *previous = KeSignalObject(d);
        break;
    case 1: /* ResetEvent */
        *previous = KeClearObject(d);
        break;
    case 2: /* PulseEvent */
        *previous = KeSignalObject(d);
        KeClearObject(d);
        break;
    default:
        status = STATUS_INVALID_PARAMETER;
        break;
    }
    ob_dereference_object(object);
    return status;
}
