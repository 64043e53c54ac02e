/*
 * dirctl.c — IRP_MJ_DIRECTORY_CONTROL on the root directory: listing the
 * pipes (IRP_MN_QUERY_DIRECTORY) and watching them change
 * (IRP_MN_NOTIFY_CHANGE_DIRECTORY), plus the pipe events the rest of npfs
 * reports (NpReportPipeEvent).
 *
 * The root, \Device\NamedPipe\, is npfs's only directory; its entries are
 * the pipes, one per name, in the order they were created.  As in Windows'
 * npfs, a pipe's EndOfFile is its current number of instances and its
 * AllocationSize its maximum (0xFFFFFFFF: unlimited); there are no times,
 * and the attributes are FILE_ATTRIBUTE_NORMAL.  Each open of the root has
 * its own enumeration state, kept in the file object's FsContext2 (a
 * root CCB): the pattern given by the first query (or a restart), and the
 * FileIndex of the last entry returned.  FileIndex is a serial number
 * given to each pipe name when it is created, so a pipe created or
 * deleted during an enumeration never makes it skip or repeat another.
 *
 * npipe adds a class of its own, FileNpipePipeInformation, that carries
 * each instance's state and who is on each end — the ids npfs recorded
 * from IoGetRequestorProcessId / IoGetRequestorSessionId.  Another user's
 * pipe shows only its name there unless the caller is root.
 *
 * Change notification: a root handle that has asked once is subscribed.
 * Changes are recorded in the handle's bounded buffer and handed to the
 * next pending notify IRP; a subscriber that does not come back for them
 * loses them once the buffer is full, and learns it from
 * STATUS_NOTIFY_ENUM_DIR — reporting an event never waits for anyone.
 * With Windows' DirectoryNotifyInformation class, a pipe name appearing
 * is FILE_ACTION_ADDED, its last instance going FILE_ACTION_REMOVED, and a
 * change in its number of instances (its "size") FILE_ACTION_MODIFIED.
 * npipe's DirectoryNotifyNpipeInformation gives every event with the
 * process and session that caused it, for pipes of the subscriber's own
 * user (every pipe, for root).
 */
#include "npfs/npfs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ob/ob.h" /* ob_upcase: names compare as the namespace compares them */
#include "ps/ps.h" /* the requestor's uid */

#define FILE_ATTRIBUTE_NORMAL_VALUE 0x00000080
#define ALIGN8(n) (((n) + 7u) & ~7u)
#define NO_UID ((uid_t)-1)

/* Events a subscriber may have waiting: at least this much room... */
#define NOTIFY_BUFFER_MIN (64u * 1024u)
/* ...and never more than this, whatever its IRPs' buffers. */
#define NOTIFY_BUFFER_MAX (1024u * 1024u)

typedef struct _NP_ROOT_CCB {
    /* Enumeration. */
    BOOLEAN Started;      /* a query fixed the pattern */
    BOOLEAN Returned;     /* something was returned since (re)starting */
    ULONG LastIndex;      /* FileIndex of the last entry returned */
    WCHAR *Pattern;       /* upcased */
    USHORT PatternChars;
    /* Change notification. */
    BOOLEAN Watching;
    BOOLEAN Overflowed;
    ULONG NotifyClass;
    ULONG CompletionFilter;
    uid_t Uid;            /* whose pipes it may hear about (0: all) */
    LIST_ENTRY WatchLink; /* in Watchers */
    LIST_ENTRY NotifyIrps;
    UCHAR *Events;        /* records, each 8-aligned, NextEntryOffset = size */
    ULONG EventBytes;
    ULONG EventLimit;
} NP_ROOT_CCB;

static LIST_ENTRY Watchers = {&Watchers, &Watchers};
static ULONG LastDirectoryIndex;
static ULONG LastInstanceId;

static ULONG next_serial(ULONG *last)
{
    if (++*last == 0) /* 0 means "none" */
        ++*last;
    return *last;
}

static uid_t requestor_uid(PIRP Irp)
{
    PEPROCESS process = IoGetRequestorProcess(Irp);
    return process ? process->uid : NO_UID;
}

/* The name as the directory lists it: without the leading backslash. */
static const WCHAR *entry_name(PNP_FCB fcb, ULONG *bytes)
{
    *bytes = fcb->Name.Length - sizeof(WCHAR);
    return fcb->Name.Buffer + 1;
}

/* ---- Patterns ----------------------------------------------------------- */

/*
 * FsRtlIsNameInExpression's language, case-insensitively: '*' any run of
 * characters, '?' one character, and the DOS wildcards kernel32 makes of
 * "*." and "?" and ".": '<' (DOS_STAR) any run not reaching past the
 * name's last '.', '>' (DOS_QM) one character other than '.', or nothing
 * at a '.' or at the end, '"' (DOS_DOT) a '.' or the end of the name.
 * Dynamic programming over (pattern position, name position), from the
 * ends backwards: no backtracking blow-up.
 */
static bool name_matches(const WCHAR *pat, ULONG m, const WCHAR *name, ULONG n)
{
    if (m == 1 && pat[0] == '*')
        return true;
    long lastdot = -1;
    for (ULONG j = 0; j < n; j++)
        if (name[j] == '.')
            lastdot = (long)j;
    /* row[j]: does pat[i..] match name[j..]?  Two rows suffice. */
    bool *next = calloc(n + 1, sizeof *next), *row = calloc(n + 1, sizeof *row);
    if (!next || !row) {
        free(next);
        free(row);
        return false;
    }
    next[n] = true; /* the empty pattern matches the empty rest */
    for (ULONG i = m; i-- > 0;) {
        WCHAR p = pat[i];
        for (ULONG j = n + 1; j-- > 0;) {
            bool at_end = j == n;
            bool ok;
            switch (p) {
            case '*':
                ok = next[j] || (!at_end && row[j + 1]);
                break;
            case '?':
                ok = !at_end && next[j + 1];
                break;
            case '<':
                ok = next[j] || (!at_end && (lastdot < 0 || (long)j < lastdot) &&
                                 row[j + 1]);
                break;
            case '>':
                ok = (!at_end && name[j] != '.' && next[j + 1]) ||
                     ((at_end || name[j] == '.') && next[j]);
                break;
            case '"':
                ok = (!at_end && name[j] == '.' && next[j + 1]) || (at_end && next[j]);
                break;
            default:
                ok = !at_end && ob_upcase(name[j]) == p && next[j + 1];
                break;
            }
            row[j] = ok;
        }
        bool *t = next;
        next = row;
        row = t;
        memset(row, 0, (n + 1) * sizeof *row);
    }
    bool result = next[0];
    free(next);
    free(row);
    return result;
}

static NTSTATUS set_pattern(NP_ROOT_CCB *r, PCUNICODE_STRING name)
{
    static const WCHAR star[] = {'*'};
    const WCHAR *src = star;
    USHORT chars = 1;
    if (name && name->Length) {
        src = name->Buffer;
        chars = name->Length / sizeof(WCHAR);
    }
    WCHAR *p = malloc(chars * sizeof(WCHAR));
    if (!p)
        return STATUS_INSUFFICIENT_RESOURCES;
    for (USHORT i = 0; i < chars; i++)
        p[i] = ob_upcase(src[i]);
    free(r->Pattern);
    r->Pattern = p;
    r->PatternChars = chars;
    return STATUS_SUCCESS;
}

/* ---- The root CCB ------------------------------------------------------- */

static NP_ROOT_CCB *root_ccb(PFILE_OBJECT fo)
{
    NP_ROOT_CCB *r = fo->FsContext2;
    if (r)
        return r;
    r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    InitializeListHead(&r->WatchLink);
    InitializeListHead(&r->NotifyIrps);
    fo->FsContext2 = r;
    return r;
}

/* ---- IRP_MN_QUERY_DIRECTORY --------------------------------------------- */

static ULONG fixed_size(FILE_INFORMATION_CLASS cls)
{
    switch ((ULONG)cls) {
    case FileDirectoryInformation: return offsetof(FILE_DIRECTORY_INFORMATION, FileName);
    case FileFullDirectoryInformation: return offsetof(FILE_FULL_DIR_INFORMATION, FileName);
    case FileBothDirectoryInformation: return offsetof(FILE_BOTH_DIR_INFORMATION, FileName);
    case FileNamesInformation: return offsetof(FILE_NAMES_INFORMATION, FileName);
    case (ULONG)FileNpipePipeInformation: return offsetof(NPIPE_PIPE_INFORMATION, FileName);
    default: return 0;
    }
}

static ULONG instance_count(PNP_FCB fcb)
{
    ULONG n = 0;
    for (PLIST_ENTRY e = fcb->CcbList.Flink; e != &fcb->CcbList; e = e->Flink)
        n++;
    return n;
}

static void fill_instance(PNP_CCB ccb, NPIPE_INSTANCE_INFORMATION *out)
{
    *out = (NPIPE_INSTANCE_INFORMATION){
        .InstanceId = ccb->InstanceId,
        .NamedPipeState = ccb->NamedPipeState,
        .ServerProcessId = ccb->Server.ProcessId,
        .ServerSessionId = ccb->Server.SessionId,
        .InboundQuota = ccb->DataQueue[FILE_PIPE_INBOUND].Quota,
        .OutboundQuota = ccb->DataQueue[FILE_PIPE_OUTBOUND].Quota,
        .InboundBytes = NpDataQueueReadable(&ccb->DataQueue[FILE_PIPE_INBOUND]),
        .OutboundBytes = NpDataQueueReadable(&ccb->DataQueue[FILE_PIPE_OUTBOUND]),
    };
    if (ccb->FileObject[FILE_PIPE_SERVER_END])
        out->Flags |= NPIPE_INSTANCE_SERVER_OPEN;
    if (ccb->FileObject[FILE_PIPE_CLIENT_END])
        out->Flags |= NPIPE_INSTANCE_CLIENT_OPEN;
    if (ccb->ClientKnown) {
        out->Flags |= NPIPE_INSTANCE_CLIENT_KNOWN;
        out->ClientProcessId = ccb->Client.ProcessId;
        out->ClientSessionId = ccb->Client.SessionId;
    }
}

/* The size of fcb's entry in class cls (without padding after it). */
static ULONG entry_size(FILE_INFORMATION_CLASS cls, PNP_FCB fcb, bool hidden)
{
    ULONG name_bytes;
    entry_name(fcb, &name_bytes);
    ULONG size = fixed_size(cls) + name_bytes;
    if ((ULONG)cls == (ULONG)FileNpipePipeInformation && !hidden)
        size = ALIGN8(size) + instance_count(fcb) * sizeof(NPIPE_INSTANCE_INFORMATION);
    return size;
}

/* Writes fcb's entry at out, which has room for `room` bytes (at least
 * the fixed part).  Returns the bytes written; *whole is false if the name
 * (or the instances) did not fit. */
static ULONG write_entry(FILE_INFORMATION_CLASS cls, PNP_FCB fcb, bool hidden,
                         UCHAR *out, ULONG room, bool *whole)
{
    ULONG name_bytes;
    const WCHAR *name = entry_name(fcb, &name_bytes);
    ULONG fixed = fixed_size(cls);
    memset(out, 0, fixed);
    ULONG index = fcb->DirectoryIndex;
    LONGLONG current = fcb->CurrentInstances, maximum = fcb->MaximumInstances;
    ULONG *name_length;
    switch ((ULONG)cls) {
    case FileDirectoryInformation:
    case FileFullDirectoryInformation:
    case FileBothDirectoryInformation: {
        /* The three share their first 64 bytes. */
        FILE_DIRECTORY_INFORMATION *d = (FILE_DIRECTORY_INFORMATION *)out;
        d->FileIndex = index;
        d->EndOfFile.QuadPart = current;
        d->AllocationSize.QuadPart = maximum;
        d->FileAttributes = FILE_ATTRIBUTE_NORMAL_VALUE;
        name_length = &d->FileNameLength;
        break;
    }
    case FileNamesInformation: {
        FILE_NAMES_INFORMATION *d = (FILE_NAMES_INFORMATION *)out;
        d->FileIndex = index;
        name_length = &d->FileNameLength;
        break;
    }
    default: { /* FileNpipePipeInformation */
        NPIPE_PIPE_INFORMATION *d = (NPIPE_PIPE_INFORMATION *)out;
        d->FileIndex = index;
        name_length = &d->FileNameLength;
        if (hidden) {
            d->Flags = NPIPE_PIPE_DETAILS_HIDDEN;
            d->OwnerUid = (ULONG)-1;
            break;
        }
        d->OwnerUid = (ULONG)fcb->OwnerUid;
        d->NamedPipeType = fcb->NamedPipeType & FILE_PIPE_MESSAGE_TYPE;
        d->NamedPipeConfiguration = fcb->Configuration;
        d->MaximumInstances = fcb->MaximumInstances;
        d->CurrentInstances = fcb->CurrentInstances;
        break;
    }
    }
    *name_length = name_bytes;
    ULONG n = name_bytes <= room - fixed ? name_bytes : (room - fixed) & ~1u;
    memcpy(out + fixed, name, n);
    *whole = n == name_bytes;
    ULONG used = fixed + n;
    if ((ULONG)cls != (ULONG)FileNpipePipeInformation || hidden || !*whole)
        return used;
    NPIPE_PIPE_INFORMATION *d = (NPIPE_PIPE_INFORMATION *)out;
    ULONG at = ALIGN8(used);
    memset(out + used, 0, at - used);
    ULONG count = 0;
    for (PLIST_ENTRY e = fcb->CcbList.Flink; e != &fcb->CcbList; e = e->Flink) {
        if (at + (count + 1) * sizeof(NPIPE_INSTANCE_INFORMATION) > room) {
            *whole = false;
            break;
        }
        NPIPE_INSTANCE_INFORMATION info;
        fill_instance(CONTAINING_RECORD(e, NP_CCB, FcbLink), &info);
        memcpy(out + at + count * sizeof info, &info, sizeof info);
        count++;
    }
    d->InstanceOffset = at;
    d->InstanceCount = count;
    return at + count * sizeof(NPIPE_INSTANCE_INFORMATION);
}

static NTSTATUS NpQueryDirectory(PIRP Irp, PIO_STACK_LOCATION sp, NP_ROOT_CCB *r,
                                 ULONG_PTR *information)
{
    ULONG length = sp->Parameters.QueryDirectory.Length;
    FILE_INFORMATION_CLASS cls = sp->Parameters.QueryDirectory.FileInformationClass;
    UCHAR *buffer = Irp->UserBuffer;
    ULONG fixed = fixed_size(cls);
    if (!fixed)
        return STATUS_INVALID_INFO_CLASS;
    if (length < fixed)
        return STATUS_INFO_LENGTH_MISMATCH;
    PCUNICODE_STRING name = sp->Parameters.QueryDirectory.FileName;
    if (name && name->Length > NPFS_MAX_NAME_CHARS * sizeof(WCHAR))
        return STATUS_OBJECT_NAME_INVALID;
    if (!r->Started || (sp->Flags & SL_RESTART_SCAN)) {
        /* The pattern is the first query's; a restart may give a new one. */
        if (!r->Started || name) {
            NTSTATUS status = set_pattern(r, name);
            if (!NT_SUCCESS(status))
                return status;
        }
        r->Started = TRUE;
        r->Returned = FALSE;
        r->LastIndex = 0;
    }
    if (sp->Flags & SL_INDEX_SPECIFIED)
        r->LastIndex = sp->Parameters.QueryDirectory.FileIndex;
    uid_t caller = requestor_uid(Irp);
    bool single = (sp->Flags & SL_RETURN_SINGLE_ENTRY) != 0;

    ULONG offset = 0, previous = 0, count = 0;
    NTSTATUS status = STATUS_SUCCESS;
    /* FCBs are on the list in creation order, so their indexes increase. */
    for (PLIST_ENTRY e = NpVcb->FcbList.Flink; e != &NpVcb->FcbList; e = e->Flink) {
        PNP_FCB fcb = CONTAINING_RECORD(e, NP_FCB, VcbLink);
        if (fcb->DirectoryIndex <= r->LastIndex)
            continue;
        ULONG name_bytes;
        const WCHAR *n = entry_name(fcb, &name_bytes);
        if (!name_matches(r->Pattern, r->PatternChars, n, name_bytes / sizeof(WCHAR)))
            continue;
        bool hidden = caller != 0 && caller != fcb->OwnerUid;
        ULONG at = count ? ALIGN8(offset) : 0;
        ULONG size = entry_size(cls, fcb, hidden);
        if (at + size > length) {
            if (count)
                break; /* the next query returns it */
            /* Not even one entry fits: as much of it as does, and the
             * entry stays for the next query. */
            bool whole;
            offset = write_entry(cls, fcb, hidden, buffer, length, &whole);
            *information = offset;
            return STATUS_BUFFER_OVERFLOW;
        }
        bool whole;
        memset(buffer + offset, 0, at - offset); /* the padding before it */
        ULONG used = write_entry(cls, fcb, hidden, buffer + at, size, &whole);
        if (count)
            *(ULONG *)(buffer + previous) = at - previous; /* NextEntryOffset */
        previous = at;
        offset = at + used;
        count++;
        r->LastIndex = fcb->DirectoryIndex;
        if (single)
            break;
    }
    if (!count)
        return r->Returned ? STATUS_NO_MORE_FILES : STATUS_NO_SUCH_FILE;
    r->Returned = TRUE;
    *information = offset;
    return status;
}

/* ---- Events and IRP_MN_NOTIFY_CHANGE_DIRECTORY --------------------------- */

/* The size of a stored record, and of the record proper (without the
 * padding after it). */
static ULONG record_size(const NP_ROOT_CCB *r, const UCHAR *rec)
{
    ULONG name_bytes;
    if (r->NotifyClass == DirectoryNotifyInformation) {
        memcpy(&name_bytes, rec + offsetof(FILE_NOTIFY_INFORMATION, FileNameLength),
               sizeof name_bytes);
        return offsetof(FILE_NOTIFY_INFORMATION, FileName) + name_bytes;
    }
    memcpy(&name_bytes, rec + offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileNameLength),
           sizeof name_bytes);
    return offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName) + name_bytes;
}

/* Moves as many waiting records as fit into buffer[length]. */
static NTSTATUS take_events(NP_ROOT_CCB *r, UCHAR *buffer, ULONG length,
                            ULONG_PTR *information)
{
    *information = 0;
    if (r->Overflowed) {
        r->Overflowed = FALSE;
        r->EventBytes = 0;
        return STATUS_NOTIFY_ENUM_DIR;
    }
    ULONG at = 0, last = 0, end = 0;
    bool any = false;
    while (at < r->EventBytes) {
        ULONG stored, size = record_size(r, r->Events + at);
        memcpy(&stored, r->Events + at, sizeof stored);
        if (at + size > length)
            break;
        last = at;
        end = at + size;
        any = true;
        at += stored;
    }
    if (!any) {
        /* Not even one fits: the caller learns that it missed changes. */
        r->EventBytes = 0;
        return STATUS_NOTIFY_ENUM_DIR;
    }
    memcpy(buffer, r->Events, end);
    memset(buffer + last, 0, sizeof(ULONG)); /* the last NextEntryOffset */
    memmove(r->Events, r->Events + at, r->EventBytes - at);
    r->EventBytes -= at;
    *information = end;
    return STATUS_SUCCESS;
}

static void deliver(NP_ROOT_CCB *r, PLIST_ENTRY Deferred)
{
    while (!IsListEmpty(&r->NotifyIrps) && (r->EventBytes || r->Overflowed)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&r->NotifyIrps), IRP,
                                     Tail.Overlay.ListEntry);
        PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
        ULONG_PTR information;
        NTSTATUS status = take_events(r, irp->UserBuffer,
                                      sp->Parameters.NotifyDirectoryEx.Length,
                                      &information);
        NpDeferCompletion(Deferred, irp, status, information);
    }
}

/* Appends a record of `size` bytes (its NextEntryOffset is set here). */
static void record(NP_ROOT_CCB *r, const void *rec, ULONG size)
{
    ULONG stored = ALIGN8(size);
    if (r->Overflowed)
        return;
    if (r->EventBytes + stored > r->EventLimit) {
        r->Overflowed = TRUE; /* the subscriber fell behind: it will know */
        return;
    }
    if (!r->Events) {
        r->Events = malloc(r->EventLimit);
        if (!r->Events) {
            r->Overflowed = TRUE;
            return;
        }
    }
    memcpy(r->Events + r->EventBytes, rec, size);
    memset(r->Events + r->EventBytes + size, 0, stored - size);
    memcpy(r->Events + r->EventBytes, &stored, sizeof stored);
    r->EventBytes += stored;
}

static LONGLONG filetime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((LONGLONG)ts.tv_sec + 11644473600LL) * 10000000LL + ts.tv_nsec / 100;
}

VOID NpReportPipeEvent(ULONG Action, PNP_CCB Ccb, ULONG End, PIRP Irp,
                       PLIST_ENTRY Deferred)
{
    PNP_FCB fcb = Ccb->Fcb;
    if (Action == NPIPE_PIPE_EVENT_CREATED) {
        if (!fcb->DirectoryIndex)
            fcb->DirectoryIndex = next_serial(&LastDirectoryIndex);
        Ccb->InstanceId = next_serial(&LastInstanceId);
    }
    if (IsListEmpty(&Watchers))
        return;

    /* What things look like afterwards.  A close is reported before
     * cleanup acts: a connected end leaves the instance CLOSING, any
     * other takes the instance with it. */
    ULONG state = Ccb->NamedPipeState, instances = fcb->CurrentInstances;
    if (Action == NPIPE_PIPE_EVENT_CLOSED && state != FILE_PIPE_CONNECTED_STATE) {
        state = 0;
        instances--;
    } else if (Action == NPIPE_PIPE_EVENT_CLOSED) {
        state = FILE_PIPE_CLOSING_STATE;
    }

    ULONG name_bytes;
    const WCHAR *name = entry_name(fcb, &name_bytes);
    NPIPE_PIPE_EVENT_INFORMATION info = {
        .Action = Action,
        .Time.QuadPart = filetime_now(),
        .End = End,
        .NamedPipeState = state,
        .CurrentInstances = instances,
        .MaximumInstances = fcb->MaximumInstances,
        .ServerProcessId = Ccb->Server.ProcessId,
        .ServerSessionId = Ccb->Server.SessionId,
        .ClientSessionId = (ULONG)-1,
        .InstanceId = Ccb->InstanceId,
        .FileNameLength = name_bytes,
    };
    if (Irp && IoGetRequestorProcess(Irp)) {
        info.ProcessId = IoGetRequestorProcessId(Irp);
        if (!NT_SUCCESS(IoGetRequestorSessionId(Irp, &info.SessionId)))
            info.SessionId = (ULONG)-1;
    } else {
        const NP_PEER *peer = End == FILE_PIPE_SERVER_END ? &Ccb->Server : &Ccb->Client;
        info.ProcessId = peer->ProcessId;
        info.SessionId = peer->SessionId;
    }
    if (Ccb->ClientKnown) {
        info.ClientProcessId = Ccb->Client.ProcessId;
        info.ClientSessionId = Ccb->Client.SessionId;
    }
    /* Records are built as bytes: the name runs past the struct's end. */
    _Alignas(8) UCHAR npipe_rec[offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName) +
                                NPFS_MAX_NAME_CHARS * sizeof(WCHAR)];
    ULONG npipe_size = offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName) + name_bytes;
    memcpy(npipe_rec, &info, offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName));
    memcpy(npipe_rec + offsetof(NPIPE_PIPE_EVENT_INFORMATION, FileName), name, name_bytes);

    /* The same change in Windows' terms: a name appears or goes, or its
     * "size" (the number of instances) changes. */
    ULONG action = 0, needs = 0;
    if (Action == NPIPE_PIPE_EVENT_CREATED || Action == NPIPE_PIPE_EVENT_CLOSED) {
        bool appears = Action == NPIPE_PIPE_EVENT_CREATED && instances == 1;
        bool goes = Action == NPIPE_PIPE_EVENT_CLOSED && instances == 0;
        if (appears || goes) {
            action = appears ? FILE_ACTION_ADDED : FILE_ACTION_REMOVED;
            needs = FILE_NOTIFY_CHANGE_FILE_NAME;
        } else if (instances != fcb->CurrentInstances || Action == NPIPE_PIPE_EVENT_CREATED) {
            action = FILE_ACTION_MODIFIED;
            needs = FILE_NOTIFY_CHANGE_SIZE;
        }
    }
    FILE_NOTIFY_INFORMATION plain = {.Action = action, .FileNameLength = name_bytes};
    _Alignas(8) UCHAR plain_rec[offsetof(FILE_NOTIFY_INFORMATION, FileName) +
                                NPFS_MAX_NAME_CHARS * sizeof(WCHAR)];
    ULONG plain_size = offsetof(FILE_NOTIFY_INFORMATION, FileName) + name_bytes;
    memcpy(plain_rec, &plain, offsetof(FILE_NOTIFY_INFORMATION, FileName));
    memcpy(plain_rec + offsetof(FILE_NOTIFY_INFORMATION, FileName), name, name_bytes);

    for (PLIST_ENTRY e = Watchers.Flink; e != &Watchers; e = e->Flink) {
        NP_ROOT_CCB *r = CONTAINING_RECORD(e, NP_ROOT_CCB, WatchLink);
        if (r->Uid != 0 && r->Uid != fcb->OwnerUid)
            continue; /* another user's pipe */
        if (r->NotifyClass == DirectoryNotifyInformation) {
            if (!action || !(r->CompletionFilter & needs))
                continue;
            record(r, plain_rec, plain_size);
        } else {
            record(r, npipe_rec, npipe_size);
        }
        deliver(r, Deferred);
    }
}

static VOID NpNotifyCancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    LIST_ENTRY deferred;
    InitializeListHead(&deferred);
    RemoveEntryList(&Irp->Tail.Overlay.ListEntry);
    NpDeferCompletion(&deferred, Irp, STATUS_CANCELLED, 0);
    NpCompleteDeferred(&deferred);
}

static NTSTATUS NpNotifyChangeDirectory(PIRP Irp, PIO_STACK_LOCATION sp,
                                        NP_ROOT_CCB *r)
{
    ULONG cls = (ULONG)sp->Parameters.NotifyDirectoryEx.DirectoryNotifyInformationClass;
    ULONG filter = sp->Parameters.NotifyDirectoryEx.CompletionFilter;
    ULONG length = sp->Parameters.NotifyDirectoryEx.Length;
    if (cls != DirectoryNotifyInformation && cls != (ULONG)DirectoryNotifyNpipeInformation)
        return NpCompleteNow(Irp, STATUS_INVALID_INFO_CLASS, 0);
    if (!filter || (filter & ~(ULONG)FILE_NOTIFY_VALID_MASK))
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    if (!r->Watching) {
        uid_t uid = requestor_uid(Irp);
        if (uid == NO_UID)
            return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
        r->Watching = TRUE;
        r->NotifyClass = cls;
        r->CompletionFilter = filter; /* the first call's, as on Windows */
        r->Uid = uid;
        r->EventLimit = length < NOTIFY_BUFFER_MIN ? NOTIFY_BUFFER_MIN
                        : length > NOTIFY_BUFFER_MAX ? NOTIFY_BUFFER_MAX
                                                     : ALIGN8(length);
        InsertTailList(&Watchers, &r->WatchLink);
    } else if (cls != r->NotifyClass) {
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0);
    }
    if (r->EventBytes || r->Overflowed) {
        ULONG_PTR information;
        NTSTATUS status = take_events(r, Irp->UserBuffer, length, &information);
        return NpCompleteNow(Irp, status, information);
    }
    InsertTailList(&r->NotifyIrps, &Irp->Tail.Overlay.ListEntry);
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, NpNotifyCancel);
    return STATUS_PENDING;
}

VOID NpCleanupRootDirectory(PFILE_OBJECT FileObject, PLIST_ENTRY Deferred)
{
    NP_ROOT_CCB *r = FileObject->FsContext2;
    if (!r)
        return;
    FileObject->FsContext2 = NULL;
    if (r->Watching)
        RemoveEntryList(&r->WatchLink);
    while (!IsListEmpty(&r->NotifyIrps)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&r->NotifyIrps), IRP,
                                     Tail.Overlay.ListEntry);
        NpDeferCompletion(Deferred, irp, STATUS_NOTIFY_CLEANUP, 0);
    }
    free(r->Events);
    free(r->Pattern);
    free(r);
}

/* ---- Dispatch ------------------------------------------------------------ */

NTSTATUS NpFsdDirectoryControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PVOID node;
    if (NpDecodeFileObject(sp->FileObject, &node, NULL) != NPFS_NTC_ROOT_DCB)
        return NpCompleteNow(Irp, STATUS_INVALID_PARAMETER, 0); /* not a directory */
    NP_ROOT_CCB *r = root_ccb(sp->FileObject);
    if (!r)
        return NpCompleteNow(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    switch (sp->MinorFunction) {
    case IRP_MN_QUERY_DIRECTORY: {
        ULONG_PTR information = 0;
        NTSTATUS status = NpQueryDirectory(Irp, sp, r, &information);
        return NpCompleteNow(Irp, status, NT_ERROR(status) ? 0 : information);
    }
    case IRP_MN_NOTIFY_CHANGE_DIRECTORY:
        return NpNotifyChangeDirectory(Irp, sp, r);
    default:
        return NpCompleteNow(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
    }
}
