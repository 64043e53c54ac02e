/*
 * ob.h — the object manager: object headers, handle tables, the namespace.
 *
 * Every kernel object the broker hands out a handle to begins with an
 * OB_HEADER naming its type.  A type is an operation table, as in NT and
 * in Wine's server: what to do when the last handle to an object closes
 * (for a file: IRP_MJ_CLEANUP) and when the last reference goes (for a
 * file: IRP_MJ_CLOSE, then free).  Handles are per process, name an
 * object with the access granted when the handle was made, and have
 * Windows' shape: multiples of 4, never 0.
 */
#ifndef NPIPE_OB_H
#define NPIPE_OB_H

#include <stdbool.h>
#include <npipe/ntifs.h>

typedef struct _OB_HEADER OB_HEADER;

struct _KE_DISPATCHER;

typedef struct _OB_TYPE {
    const char *name;
    /* Waitable objects: where their dispatcher header is (NULL: not
     * waitable). */
    struct _KE_DISPATCHER *(*dispatcher)(OB_HEADER *object);
    void (*last_handle_closed)(OB_HEADER *object, PEPROCESS process);
    void (*delete_object)(OB_HEADER *object);
} OB_TYPE;

struct _OB_HEADER {
    const OB_TYPE *type;
    LONG handle_count;
    LONG pointer_count;
};

void ob_init_object(OB_HEADER *object, const OB_TYPE *type);
extern ULONG ob_live_objects; /* objects made and not yet deleted */
void ob_reference_object(OB_HEADER *object);
void ob_dereference_object(OB_HEADER *object);

/* Handle tables. */
struct ob_handle_table;
struct ob_handle_table *ob_create_handle_table(void);
void ob_destroy_handle_table(struct ob_handle_table *table);

/* The largest handle value (exclusive) the broker gives out: the library
 * keeps the bits above for its own epoch tag. */
#define OB_HANDLE_LIMIT (1u << 24)

/* Default per-process handle limit; npiped --max-handles changes it. */
extern ULONG ob_max_handles_per_process;

NTSTATUS ob_insert_handle(PEPROCESS process, OB_HEADER *object,
                          ACCESS_MASK granted, ULONG attributes,
                          ULONG *handle);
/* The same, at a given value (a child inheriting its parent's handles). */
NTSTATUS ob_insert_handle_at(PEPROCESS process, ULONG handle, OB_HEADER *object,
                             ACCESS_MASK granted, ULONG attributes);
/* Looks a handle up; on success returns a new pointer reference. */
NTSTATUS ob_reference_by_handle(PEPROCESS process, ULONG handle,
                                const OB_TYPE *type, OB_HEADER **object,
                                ACCESS_MASK *granted, ULONG *attributes);
/* STATUS_HANDLE_NOT_CLOSABLE for a handle protected from close. */
NTSTATUS ob_close_handle(PEPROCESS process, ULONG handle);
/* HANDLE_FLAG_INHERIT (1) and HANDLE_FLAG_PROTECT_FROM_CLOSE (2): sets
 * the bits in mask to their values in flags; *before gets the old bits. */
NTSTATUS ob_handle_flags(PEPROCESS process, ULONG handle, ULONG mask,
                         ULONG flags, ULONG *before);
void ob_close_all_handles(PEPROCESS process);
/* After exec: the handles not marked inheritable go. */
void ob_close_noninheritable_handles(PEPROCESS process);
ULONG ob_handle_count(PEPROCESS process);

/* Maps GENERIC_* rights to a file's specific rights. */
ACCESS_MASK ob_map_generic_file_access(ACCESS_MASK access);

/* The namespace: \Device\NamedPipe and the \??\pipe link to it.
 * On success *device is the device that owns the name and *remainder the
 * rest of the path, starting at the backslash after the device name (or
 * empty for the device itself).  remainder points into path. */
NTSTATUS ob_parse_name(const WCHAR *path, USHORT length_bytes,
                       PDEVICE_OBJECT *device, UNICODE_STRING *remainder);
NTSTATUS ob_register_device(const char *nt_name, PDEVICE_OBJECT device);
void ob_unregister_devices(void);

/* Case-insensitive comparison of UTF-16 names, as the object manager and
 * npfs compare them (simple upcasing; see docs/decisions.md). */
WCHAR ob_upcase(WCHAR c);
bool ob_names_equal(const WCHAR *a, USHORT a_bytes, const WCHAR *b,
                    USHORT b_bytes);

#endif /* NPIPE_OB_H */
