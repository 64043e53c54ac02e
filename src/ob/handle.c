/*
 * handle.c — per-process handle tables.
 *
 * A handle is an index into its process's table, shifted left by two so
 * values look like Windows' (4, 8, 12, ...).  Each entry holds a pointer
 * reference to its object, the access granted when the handle was made,
 * and its attributes (OBJ_INHERIT).  A process can only ever name entries
 * of its own table: the table is found from the kernel-verified identity
 * of the channel, never from the request.
 */
#include "ob/ob.h"

#include <stdlib.h>

#include "ps/ps.h"
#include "ps/quota.h"

struct ob_handle_entry {
    OB_HEADER *object; /* NULL: free slot */
    ACCESS_MASK granted;
    ULONG attributes;
};

struct ob_handle_table {
    struct ob_handle_entry *entries;
    ULONG capacity;
    ULONG used;
    ULONG free_hint;
};

ULONG ob_max_handles_per_process = 16384;

struct ob_handle_table *ob_create_handle_table(void)
{
    return calloc(1, sizeof(struct ob_handle_table));
}

void ob_destroy_handle_table(struct ob_handle_table *table)
{
    if (!table)
        return;
    free(table->entries);
    free(table);
}

static bool grow(struct ob_handle_table *t)
{
    ULONG cap = t->capacity ? t->capacity * 2 : 16;
    if (cap > ob_max_handles_per_process)
        cap = ob_max_handles_per_process;
    if (cap <= t->capacity)
        return false;
    struct ob_handle_entry *e = realloc(t->entries, cap * sizeof *e);
    if (!e)
        return false;
    for (ULONG i = t->capacity; i < cap; i++)
        e[i] = (struct ob_handle_entry){0};
    t->entries = e;
    t->capacity = cap;
    return true;
}

NTSTATUS ob_insert_handle(PEPROCESS process, OB_HEADER *object,
                          ACCESS_MASK granted, ULONG attributes, ULONG *handle)
{
    struct ob_handle_table *t = process->handles;
    if (process->terminated)
        return STATUS_PROCESS_IS_TERMINATING;
    /* A full table (the process's limit) and the user's limit fail the way
     * NT's object manager fails when ExCreateHandle cannot make a handle. */
    if (t->used >= ob_max_handles_per_process)
        return STATUS_INSUFFICIENT_RESOURCES;
    NTSTATUS status = ps_quota_charge_handle(process);
    if (!NT_SUCCESS(status))
        return status;
    if (t->used >= t->capacity && !grow(t)) {
        ps_quota_return_handle(process);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ULONG i = t->free_hint;
    while (t->entries[i].object)
        i = (i + 1) % t->capacity;
    t->entries[i] = (struct ob_handle_entry){object, granted, attributes};
    t->used++;
    t->free_hint = (i + 1) % t->capacity;
    object->handle_count++;
    ob_reference_object(object);
    *handle = (i + 1) << 2;
    return STATUS_SUCCESS;
}

NTSTATUS ob_insert_handle_at(PEPROCESS process, ULONG handle, OB_HEADER *object,
                             ACCESS_MASK granted, ULONG attributes)
{
    struct ob_handle_table *t = process->handles;
    if (handle == 0 || (handle & 3) || handle >= OB_HANDLE_LIMIT)
        return STATUS_INVALID_HANDLE;
    ULONG i = (handle >> 2) - 1;
    if (i >= ob_max_handles_per_process)
        return STATUS_INSUFFICIENT_RESOURCES; /* as a full table (decision 21) */
    while (i >= t->capacity)
        if (!grow(t))
            return STATUS_INSUFFICIENT_RESOURCES;
    if (t->entries[i].object)
        return STATUS_OBJECT_NAME_COLLISION;
    NTSTATUS status = ps_quota_charge_handle(process);
    if (!NT_SUCCESS(status))
        return status;
    t->entries[i] = (struct ob_handle_entry){object, granted, attributes};
    t->used++;
    object->handle_count++;
    ob_reference_object(object);
    return STATUS_SUCCESS;
}

static struct ob_handle_entry *lookup(PEPROCESS process, ULONG handle)
{
    struct ob_handle_table *t = process->handles;
    if (handle == 0 || (handle & 3) || handle >= OB_HANDLE_LIMIT)
        return NULL;
    ULONG i = (handle >> 2) - 1;
    if (i >= t->capacity || !t->entries[i].object)
        return NULL;
    return &t->entries[i];
}

NTSTATUS ob_reference_by_handle(PEPROCESS process, ULONG handle,
                                const OB_TYPE *type, OB_HEADER **object,
                                ACCESS_MASK *granted, ULONG *attributes)
{
    struct ob_handle_entry *e = lookup(process, handle);
    if (!e)
        return STATUS_INVALID_HANDLE;
    if (type && e->object->type != type)
        return STATUS_OBJECT_TYPE_MISMATCH;
    ob_reference_object(e->object);
    *object = e->object;
    if (granted)
        *granted = e->granted;
    if (attributes)
        *attributes = e->attributes;
    return STATUS_SUCCESS;
}

static void release_entry(PEPROCESS process, struct ob_handle_entry *e)
{
    OB_HEADER *object = e->object;
    *e = (struct ob_handle_entry){0};
    process->handles->used--;
    ps_quota_return_handle(process);
    if (--object->handle_count == 0 && object->type->last_handle_closed)
        object->type->last_handle_closed(object, process);
    ob_dereference_object(object);
}

#define HANDLE_FLAG_INHERIT_BIT 1u
#define HANDLE_FLAG_PROTECT_BIT 2u
/* OBJ_INHERIT is the attribute that carries HANDLE_FLAG_INHERIT; protection
 * from close lives in a bit of the attributes no OBJ_ value uses. */
#define ATTR_INHERIT 0x00000002u
#define ATTR_PROTECT 0x80000000u

NTSTATUS ob_close_handle(PEPROCESS process, ULONG handle)
{
    struct ob_handle_entry *e = lookup(process, handle);
    if (!e)
        return STATUS_INVALID_HANDLE;
    if (e->attributes & ATTR_PROTECT)
        return STATUS_HANDLE_NOT_CLOSABLE;
    release_entry(process, e);
    return STATUS_SUCCESS;
}

NTSTATUS ob_handle_flags(PEPROCESS process, ULONG handle, ULONG mask,
                         ULONG flags, ULONG *before)
{
    struct ob_handle_entry *e = lookup(process, handle);
    if (!e)
        return STATUS_INVALID_HANDLE;
    *before = ((e->attributes & ATTR_INHERIT) ? HANDLE_FLAG_INHERIT_BIT : 0) |
              ((e->attributes & ATTR_PROTECT) ? HANDLE_FLAG_PROTECT_BIT : 0);
    if (mask & HANDLE_FLAG_INHERIT_BIT)
        e->attributes = (e->attributes & ~ATTR_INHERIT) |
                        ((flags & HANDLE_FLAG_INHERIT_BIT) ? ATTR_INHERIT : 0);
    if (mask & HANDLE_FLAG_PROTECT_BIT)
        e->attributes = (e->attributes & ~ATTR_PROTECT) |
                        ((flags & HANDLE_FLAG_PROTECT_BIT) ? ATTR_PROTECT : 0);
    return STATUS_SUCCESS;
}

void ob_close_all_handles(PEPROCESS process)
{
    struct ob_handle_table *t = process->handles;
    for (ULONG i = 0; i < t->capacity; i++)
        if (t->entries[i].object) /* protected or not: the process is gone */
            release_entry(process, &t->entries[i]);
}

void ob_close_noninheritable_handles(PEPROCESS process)
{
    struct ob_handle_table *t = process->handles;
    for (ULONG i = 0; i < t->capacity; i++)
        if (t->entries[i].object && !(t->entries[i].attributes & ATTR_INHERIT))
            release_entry(process, &t->entries[i]);
}

ULONG ob_handle_count(PEPROCESS process) { return process->handles->used; }

ACCESS_MASK ob_map_generic_file_access(ACCESS_MASK access)
{
    /* FILE_GENERIC_* from winnt.h, spelled out to keep ob/ free of windows.h */
    const ACCESS_MASK file_generic_read = 0x00120089;
    const ACCESS_MASK file_generic_write = 0x00120116;
    const ACCESS_MASK file_generic_execute = 0x001200A0;
    const ACCESS_MASK file_all_access = 0x001F01FF;
    ACCESS_MASK out = access & 0x0FFFFFFF;
    if (access & 0x80000000)
        out |= file_generic_read;
    if (access & 0x40000000)
        out |= file_generic_write;
    if (access & 0x20000000)
        out |= file_generic_execute;
    if (access & 0x10000000)
        out |= file_all_access;
    return out;
}
