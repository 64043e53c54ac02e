/*
 * inherit.c — NP_OP_INHERIT: CreateProcess's handle inheritance.
 *
 * On Windows the kernel copies a parent's inheritable handles into a new
 * process when it creates it, at the same handle values, so the child can
 * be told a value (on its command line, in STARTUPINFO) and use it.  On
 * Linux the child is made by fork + exec, which the broker never sees, and
 * the forked child is a new process with an empty handle table.  So the
 * library does what the Windows kernel would: after fork, while the child
 * waits before its exec, the parent sends NP_OP_INHERIT naming the child's
 * pid, and the broker
 *   1. checks that the pid is a child of the caller (its PPid in /proc) and
 *      runs as the caller's user (effective uid), and that the broker does
 *      not know a live process with that pid yet;
 *   2. pins it with a pidfd (the caller has not reaped it, so the pid cannot
 *      have been reused) and re-checks the parent;
 *   3. creates its process object now and watches its pidfd, as if it had
 *      attached;
 *   4. copies each of the caller's handles that has OBJ_INHERIT — the same
 *      object, access and attributes — to the same handle value in the
 *      child's table.
 * When the child attaches, the transport finds the live process object for
 * its pid and uses it; the library there adopts its parent's handle epoch
 * (given in the environment) so the values mean the same thing.  A child
 * that never attaches (any plain Linux program) holds its copies until it
 * exits, when rundown closes them — exactly when a Windows child would
 * close what it inherited.
 *
 * The copy probes the caller's handle values in order and inserts each
 * inheritable one at the same value in the child's table
 * (ob_insert_handle_at).
 */
#include "ps/inherit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io/io.h"
#include "ob/ob.h"
#include "proto/proto.h"

#define INHERIT_ATTRIBUTE 0x00000002u /* OBJ_INHERIT */

struct proc_status {
    pid_t ppid;
    uid_t euid;
    gid_t egid;
};

/* PPid and the effective ids from /proc/PID/status. */
static bool read_status(pid_t pid, struct proc_status *st)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    char line[256];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned a, b;
        int p;
        if (sscanf(line, "PPid: %d", &p) == 1) {
            st->ppid = p;
            found |= 1;
        } else if (sscanf(line, "Uid: %u %u", &a, &b) == 2) {
            st->euid = b;
            found |= 2;
        } else if (sscanf(line, "Gid: %u %u", &a, &b) == 2) {
            st->egid = b;
            found |= 4;
        }
    }
    fclose(f);
    return found == 7;
}

struct inherited {
    ULONG value;
    OB_HEADER *object;
    ACCESS_MASK granted;
    ULONG attributes;
};

/* The caller's inheritable handles, in increasing order of value, each
 * with a reference.  *count is how many; NULL with *count 0 if none (or
 * memory ran out: *oom). */
static struct inherited *collect(PEPROCESS parent, ULONG *count, bool *oom)
{
    ULONG left = ob_handle_count(parent), n = 0, cap = 0;
    struct inherited *list = NULL;
    *oom = false;
    for (ULONG i = 0; left && i < ob_max_handles_per_process; i++) {
        ULONG value = (i + 1) << 2;
        OB_HEADER *object;
        ACCESS_MASK granted;
        ULONG attributes;
        if (!NT_SUCCESS(ob_reference_by_handle(parent, value, NULL, &object, &granted,
                                               &attributes)))
            continue;
        left--;
        if (!(attributes & INHERIT_ATTRIBUTE)) {
            ob_dereference_object(object);
            continue;
        }
        if (n == cap) {
            ULONG ncap = cap ? cap * 2 : 16;
            struct inherited *l = realloc(list, ncap * sizeof *l);
            if (!l) {
                ob_dereference_object(object);
                *oom = true;
                break;
            }
            list = l;
            cap = ncap;
        }
        list[n++] = (struct inherited){value, object, granted, attributes};
    }
    *count = n;
    return list;
}

/* Gives the child each handle at the value it has in the parent. */
static NTSTATUS copy_handles(PEPROCESS child, const struct inherited *list, ULONG n)
{
    NTSTATUS status = STATUS_SUCCESS;
    for (ULONG k = 0; k < n && NT_SUCCESS(status); k++)
        status = ob_insert_handle_at(child, list[k].value, list[k].object,
                                     list[k].granted, list[k].attributes);
    return status;
}

static NTSTATUS inherit(PEPROCESS parent, pid_t pid)
{
    if (pid <= 0 || pid == parent->pid)
        return STATUS_INVALID_PARAMETER;
    PEPROCESS known = ps_lookup_process(pid);
    if (known) /* alive: it attached already; dead: rundown is on its way */
        return ps_process_alive(known) ? STATUS_INVALID_PARAMETER
                                       : STATUS_OBJECT_NAME_COLLISION;
    struct proc_status st;
    if (!read_status(pid, &st) || st.ppid != parent->pid || st.euid != parent->uid)
        return STATUS_ACCESS_DENIED;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return STATUS_INVALID_CID;
    /* Pinned now; still ours? */
    if (!read_status(pid, &st) || st.ppid != parent->pid || st.euid != parent->uid) {
        close(pidfd);
        return STATUS_ACCESS_DENIED;
    }
    PEPROCESS child;
    NTSTATUS status = ps_create_process(pid, st.euid, st.egid, pidfd, &child);
    if (!NT_SUCCESS(status)) {
        close(pidfd);
        return status;
    }
    transport_watch_process(child);

    bool oom;
    ULONG n;
    struct inherited *list = collect(parent, &n, &oom);
    status = oom ? STATUS_NO_MEMORY : copy_handles(child, list, n);
    for (ULONG i = 0; i < n; i++)
        ob_dereference_object(list[i].object);
    free(list);
    if (!NT_SUCCESS(status)) /* no half-inherited child */
        ob_close_all_handles(child);
    return status;
}

void ps_dispatch_inherit(PETHREAD thread, const struct np_request *req)
{
    NTSTATUS status = inherit(thread->process, (pid_t)req->args.session.pid);
    io_reply_status(thread, req, status, NT_SUCCESS(status) ? io_broker_instance_id : 0);
}
