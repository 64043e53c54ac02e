/*
 * test_exec_handles.c — a process that execs keeps only its inheritable
 * handles, as a Linux process keeps only descriptors without close-on-exec.
 *
 * Before exec, the process creates two pipe instances, one inheritable.
 * After exec (this same program, with an argument), the inheritable
 * instance still exists and the other is gone: a client can open the first
 * and gets ERROR_FILE_NOT_FOUND for the second.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <npipe/windows.h>

static char self_path[4096];

static HANDLE make_pipe(const char *name, BOOL inherit)
{
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, inherit};
    return CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 512, 512, 0, &sa);
}

/* After exec: report which names still have an instance, then wait. */
static int after_exec(const char *kept, const char *dropped, int report_fd)
{
    char buf[2] = {'?', '?'};
    /* Say hello to the broker first: that is when it learns of the exec. */
    HANDLE probe = CreateFileA(dropped, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    buf[1] = probe == INVALID_HANDLE_VALUE && GetLastError() == ERROR_FILE_NOT_FOUND ? 'y' : 'n';
    HANDLE c = CreateFileA(kept, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    buf[0] = c != INVALID_HANDLE_VALUE ? 'y' : 'n';
    if (write(report_fd, buf, 2) != 2)
        return 1;
    return 0;
}

static void exec_closes_non_inheritable_handles(void **state)
{
    (void)state;
    char kept[128], dropped[128];
    snprintf(kept, sizeof kept, "\\\\.\\pipe\\npipe-test-exec-kept-%d", (int)getpid());
    snprintf(dropped, sizeof dropped, "\\\\.\\pipe\\npipe-test-exec-dropped-%d", (int)getpid());
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(fds[0]);
        HANDLE a = make_pipe(kept, TRUE);
        HANDLE b = make_pipe(dropped, FALSE);
        if (a == INVALID_HANDLE_VALUE || b == INVALID_HANDLE_VALUE)
            _exit(2);
        char fd[16];
        snprintf(fd, sizeof fd, "%d", fds[1]);
        execl(self_path, self_path, "--after-exec", kept, dropped, fd, (char *)NULL);
        _exit(3);
    }
    close(fds[1]);
    char buf[2] = {0};
    ssize_t n = read(fds[0], buf, 2);
    int status;
    waitpid(child, &status, 0);
    close(fds[0]);
    assert_int_equal(n, 2);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(buf[0], 'y'); /* the inheritable instance survived */
    assert_int_equal(buf[1], 'y'); /* the other one closed with the exec */
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--after-exec") == 0)
        return after_exec(argv[2], argv[3], atoi(argv[4]));
    if (!realpath("/proc/self/exe", self_path))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exec_closes_non_inheritable_handles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
