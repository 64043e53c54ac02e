/*
 * namespace.c — the broker's object namespace.
 *
 * npipe has one directory that matters: \Device\NamedPipe, owned by the
 * npfs driver, and the \??\pipe symbolic link that Win32 names reach it
 * through (\\.\pipe\X becomes \??\pipe\X in the Win32 layer).  The object
 * manager resolves the device part case-insensitively and hands the rest
 * of the path, untouched, to the device's driver, which owns the names
 * below it — just as NT hands a path to a file system.
 */
#include "ob/ob.h"

#include <string.h>
#include <wctype.h>

struct ob_device_name {
    const char *name; /* ASCII */
    PDEVICE_OBJECT device;
};

static struct ob_device_name devices[4];
static size_t device_count;

/* Aliases that resolve to a registered device. */
static const struct {
    const char *link;
    const char *target;
} symbolic_links[] = {
    {"\\??\\pipe", "\\Device\\NamedPipe"},
    {"\\DosDevices\\pipe", "\\Device\\NamedPipe"},
};

WCHAR ob_upcase(WCHAR c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') ? (WCHAR)(c - 32) : c;
    if (c >= 0xD800 && c <= 0xDFFF)
        return c; /* surrogates compare as they are */
    return (WCHAR)towupper(c);
}

bool ob_names_equal(const WCHAR *a, USHORT a_bytes, const WCHAR *b,
                    USHORT b_bytes)
{
    if (a_bytes != b_bytes)
        return false;
    for (USHORT i = 0; i < a_bytes / 2; i++)
        if (ob_upcase(a[i]) != ob_upcase(b[i]))
            return false;
    return true;
}

NTSTATUS ob_register_device(const char *nt_name, PDEVICE_OBJECT device)
{
    if (device_count == sizeof devices / sizeof devices[0])
        return STATUS_INSUFFICIENT_RESOURCES;
    devices[device_count++] = (struct ob_device_name){nt_name, device};
    return STATUS_SUCCESS;
}

void ob_unregister_devices(void) { device_count = 0; }

/* Does the UTF-16 path start with the ASCII prefix, ignoring case, and
 * end there or continue with a backslash? */
static bool has_prefix(const WCHAR *path, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ob_upcase(path[i]) != ob_upcase((WCHAR)(unsigned char)prefix[i]))
            return false;
    return len == n || path[n] == '\\';
}

static PDEVICE_OBJECT find_device(const char *name)
{
    for (size_t i = 0; i < device_count; i++)
        if (strcmp(devices[i].name, name) == 0)
            return devices[i].device;
    return NULL;
}

NTSTATUS ob_parse_name(const WCHAR *path, USHORT length_bytes,
                       PDEVICE_OBJECT *device, UNICODE_STRING *remainder)
{
    size_t len = length_bytes / 2;
    if ((length_bytes & 1) || len == 0 || path[0] != '\\')
        return STATUS_OBJECT_PATH_SYNTAX_BAD;
    const char *matched = NULL, *target = NULL;
    for (size_t i = 0; i < device_count && !matched; i++)
        if (has_prefix(path, len, devices[i].name))
            matched = target = devices[i].name;
    for (size_t i = 0; i < sizeof symbolic_links / sizeof symbolic_links[0] &&
                       !matched;
         i++)
        if (has_prefix(path, len, symbolic_links[i].link)) {
            matched = symbolic_links[i].link;
            target = symbolic_links[i].target;
        }
    if (!matched)
        return STATUS_OBJECT_PATH_NOT_FOUND;
    *device = find_device(target);
    if (!*device)
        return STATUS_OBJECT_PATH_NOT_FOUND;
    size_t skip = strlen(matched);
    remainder->Buffer = (PWSTR)(path + skip);
    remainder->Length = (USHORT)((len - skip) * 2);
    remainder->MaximumLength = remainder->Length;
    return STATUS_SUCCESS;
}
