/*
 * test_k_io.c — the I/O manager's requestor routines, in-process.
 *
 * IoGetRequestorProcess / ProcessId / SessionId answer from the IRP's
 * requesting thread.  Both documented paths are tested: an IRP with a
 * thread (a real process, pinned by a real pidfd, in a real audit session)
 * and one the broker built for itself (no thread: NULL, 0, and -1 with
 * STATUS_UNSUCCESSFUL).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/io.h"
#include "ps/ps.h"

static ULONG proc_session(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/sessionid", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    unsigned long v;
    assert_int_equal(fscanf(f, "%lu", &v), 1);
    fclose(f);
    return v == 4294967295UL ? 0 : (ULONG)v;
}

static PEPROCESS attach(pid_t pid)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    assert_true(pidfd >= 0);
    PEPROCESS p;
    assert_int_equal(ps_create_process(pid, getuid(), getgid(), pidfd, &p), STATUS_SUCCESS);
    return p;
}

static void no_thread_irp(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(1, FALSE);
    assert_non_null(irp);
    ULONG session = 12345;
    assert_null(IoGetRequestorProcess(irp));
    assert_int_equal(IoGetRequestorProcessId(irp), 0);
    assert_int_equal(IoGetRequestorSessionId(irp, &session), STATUS_UNSUCCESSFUL);
    assert_int_equal(session, (ULONG)-1);
    IoFreeIrp(irp);
}

static void thread_irp_reports_its_process(void **state)
{
    (void)state;
    ps_init();
    PEPROCESS p = attach(getpid());
    PETHREAD t = ps_create_thread(p, NULL);
    assert_non_null(t);
    PIRP irp = IoAllocateIrp(1, FALSE);
    irp->Tail.Overlay.Thread = t;
    ULONG session = 777;
    assert_ptr_equal(IoGetRequestorProcess(irp), p);
    assert_int_equal(IoGetRequestorProcessId(irp), (ULONG)getpid());
    assert_int_equal(IoGetRequestorSessionId(irp, &session), STATUS_SUCCESS);
    assert_int_equal(session, proc_session(getpid()));
    assert_int_equal((ULONG)(ULONG_PTR)PsGetProcessId(p), (ULONG)getpid());
    IoFreeIrp(irp);
    ps_terminate_process(p);
}

/* A child in a fresh audit session: the session comes from the kernel. */
static void session_of_a_process_in_another_session(void **state)
{
    (void)state;
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        char uid[16];
        snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
        int fd = open("/proc/self/loginuid", O_WRONLY);
        char ok = fd >= 0 && write(fd, uid, strlen(uid)) > 0 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char ok;
    assert_int_equal(read(ready[0], &ok, 1), 1);
    if (ok != 'y') {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        skip(); /* the kernel refused a new audit session (not root, no
                   CAP_AUDIT_CONTROL, and our session is already set) */
    }
    ps_init();
    PEPROCESS p = attach(child);
    PETHREAD t = ps_create_thread(p, NULL);
    PIRP irp = IoAllocateIrp(1, FALSE);
    irp->Tail.Overlay.Thread = t;
    ULONG session = 0;
    assert_int_equal(IoGetRequestorSessionId(irp, &session), STATUS_SUCCESS);
    assert_int_equal(session, proc_session(child));
    assert_int_not_equal(session, proc_session(getpid()));
    assert_int_equal(IoGetRequestorProcessId(irp), (ULONG)child);
    IoFreeIrp(irp);

    /* Once it has exited, its pidfd says so and no session is lent out. */
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_int_not_equal(ps_query_session(child, p->pidfd, &session), STATUS_SUCCESS);
    ps_terminate_process(p);
    close(ready[0]);
    close(ready[1]);
}

static void session_of_a_missing_pid(void **state)
{
    (void)state;
    ULONG session;
    /* pid_max is at most 2^22: this pid cannot exist. */
    assert_int_equal(ps_query_session(0x7ffffff0, -1, &session), STATUS_INVALID_PARAMETER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_thread_irp),
        cmocka_unit_test(thread_irp_reports_its_process),
        cmocka_unit_test(session_of_a_process_in_another_session),
        cmocka_unit_test(session_of_a_missing_pid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
