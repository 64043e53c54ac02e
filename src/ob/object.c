/*
 * object.c — object headers and reference counting.
 *
 * Two counts, as in NT: handles (the user's view; reaching zero runs the
 * type's "last handle closed" step, for a file IRP_MJ_CLEANUP) and
 * pointers (everyone's view, including each handle; reaching zero deletes).
 */
#include "ob/ob.h"

ULONG ob_live_objects; /* for the broker's statistics */

void ob_init_object(OB_HEADER *object, const OB_TYPE *type)
{
    ob_live_objects++;
    object->type = type;
    object->handle_count = 0;
    object->pointer_count = 1;
}

void ob_reference_object(OB_HEADER *object) { object->pointer_count++; }

void ob_dereference_object(OB_HEADER *object)
{
    if (--object->pointer_count != 0)
        return;
    ob_live_objects--;
    if (object->type->delete_object)
        object->type->delete_object(object);
}
