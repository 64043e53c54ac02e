/*
 * session.c — which session a process is in.
 *
 * Windows gives every process a Terminal Services session id; Linux's
 * closest kernel-enforced equivalent is the audit session
 * (/proc/PID/sessionid): assigned by the kernel when a login sets the
 * loginuid, inherited across fork, exec, setuid and setsid, never reused
 * within a boot, and unchangeable without CAP_AUDIT_CONTROL once set.
 * A process outside any login (a daemon) has it unset, 4294967295, which
 * npipe reports as session 0, the services session, as Windows does for
 * its services.
 *
 * The pid in /proc may be recycled between the moment we learn it and the
 * moment we read the file, so the read is bracketed by a pidfd check: if
 * the process behind the pidfd has exited, the value read may belong to a
 * stranger and is thrown away.
 */
#include "ps/ps.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AUDIT_SESSION_UNSET 4294967295UL

static bool pidfd_exited(int pidfd)
{
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    return poll(&p, 1, 0) != 0; /* readable, or an error: gone */
}

static bool read_sessionid(pid_t pid, unsigned long *value)
{
    char path[64], buf[32];
    snprintf(path, sizeof path, "/proc/%d/sessionid", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *end;
    errno = 0;
    *value = strtoul(buf, &end, 10);
    return errno == 0 && end != buf;
}

NTSTATUS ps_query_session(pid_t pid, int pidfd, ULONG *session)
{
    int own_pidfd = -1;
    if (pidfd < 0) {
        /* A process the broker has no pidfd for (ProcessIdToSessionId on an
         * arbitrary pid): pin it now, then read. */
        own_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (own_pidfd < 0 && errno != ENOSYS)
            return STATUS_INVALID_PARAMETER; /* no such process */
        /* ENOSYS (a kernel before 5.3, or valgrind): read unpinned. */
        pidfd = own_pidfd;
    }
    unsigned long value;
    bool pinned = pidfd >= 0;
    bool ok = (!pinned || !pidfd_exited(pidfd)) && read_sessionid(pid, &value) &&
              (!pinned || !pidfd_exited(pidfd));
    if (own_pidfd >= 0)
        close(own_pidfd);
    if (!ok)
        return STATUS_INVALID_PARAMETER;
    /* An unset session is the services session. */
    *session = value == AUDIT_SESSION_UNSET ? 0 : (ULONG)value;
    return STATUS_SUCCESS;
}
