/*
 * testlib.h — helpers for npipe's integration tests.
 *
 * Every tests/test_*.c (other than test_k_*) is one cmocka program that
 * talks to a real npiped through libnpipe; ctest points $NPIPE_BROKER at a
 * private socket and the library starts the broker on first use.  Tests run
 * client and server in real, separate processes: tl_spawn() forks a child
 * that runs a function and _exit()s with its return value, tl_wait() reaps it
 * (failing the test on a signal or after 30 s), and a rendezvous made before
 * the fork lets one process say "I am listening" to the other without sleeps.
 *
 * Checks: the TL_* macros work everywhere.  In the test's own thread a failed
 * check fails the cmocka test; in a child process it prints the reason and
 * _exit(1)s (the parent's tl_join() then fails); in another thread of the
 * test process it prints, records the failure and ends that thread
 * (tl_thread_join() then fails).  cmocka's own assert_* macros must only be
 * used in the test's own thread.
 *
 * Register tests with TL_TEST(fn): it installs a per-test watchdog (a test
 * that hangs for 60 s ends the program with a message naming it) and kills
 * any child a failed test left behind.
 */
#ifndef NPIPE_TESTLIB_H
#define NPIPE_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/types.h>
#include <pthread.h>
#include <cmocka.h>

#include <npipe/windows.h>

/* ---- Registering tests ------------------------------------------------ */

int tl_setup(void **state);
int tl_teardown(void **state);
#define TL_TEST(f)                                                             \
    cmocka_unit_test_prestate_setup_teardown(f, tl_setup, tl_teardown,         \
                                             (void *)#f)
/* Run a group; sets up the environment (line-buffered output, SIGPIPE
 * ignored) and returns cmocka's result. */
#define TL_RUN(tests) (tl_init(), cmocka_run_group_tests(tests, NULL, NULL))
void tl_init(void);

/* ---- Checks usable in any process or thread ---------------------------- */

#if defined(__GNUC__)
#define TL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define TL_NORETURN __attribute__((noreturn))
#else
#define TL_PRINTF(a, b)
#define TL_NORETURN
#endif

/* Report a failed check (see above for what happens next). */
void tl_fail_at(const char *file, int line, const char *fmt, ...)
    TL_PRINTF(3, 4);

#define TL_FAIL(...) tl_fail_at(__FILE__, __LINE__, __VA_ARGS__)

#define TL_ASSERT(cond)                                                        \
    do {                                                                       \
        if (!(cond))                                                           \
            TL_FAIL("check failed: %s", #cond);                                \
    } while (0)

#define TL_ASSERT_MSG(cond, ...)                                               \
    do {                                                                       \
        if (!(cond))                                                           \
            TL_FAIL(__VA_ARGS__);                                              \
    } while (0)

/* Integer equality, printing both values. */
#define TL_EQ(a, b)                                                            \
    do {                                                                       \
        unsigned long long tl_a_ = (unsigned long long)(a);                    \
        unsigned long long tl_b_ = (unsigned long long)(b);                    \
        if (tl_a_ != tl_b_)                                                    \
            TL_FAIL("%s == %s: got %llu (0x%llx), expected %llu (0x%llx)", #a, \
                    #b, tl_a_, tl_a_, tl_b_, tl_b_);                           \
    } while (0)

#define TL_NE(a, b)                                                            \
    do {                                                                       \
        unsigned long long tl_a_ = (unsigned long long)(a);                    \
        unsigned long long tl_b_ = (unsigned long long)(b);                    \
        if (tl_a_ == tl_b_)                                                    \
            TL_FAIL("%s != %s: both are %llu", #a, #b, tl_a_);                 \
    } while (0)

#define TL_MEMEQ(a, b, n)                                                      \
    do {                                                                       \
        if (memcmp((a), (b), (n)) != 0)                                        \
            TL_FAIL("%s and %s differ in their first %zu bytes", #a, #b,       \
                    (size_t)(n));                                              \
    } while (0)

/* A Win32 call that must succeed (non-zero BOOL). */
#define TL_OK(call)                                                            \
    do {                                                                       \
        SetLastError(0xdeadbeef);                                              \
        if (!(call))                                                           \
            TL_FAIL("%s failed: error %lu (%s)", #call,                        \
                    (unsigned long)GetLastError(), tl_errname(GetLastError())); \
    } while (0)

/* A Win32 call that must fail (zero BOOL) with exactly this error. */
#define TL_FAILS(call, err)                                                    \
    do {                                                                       \
        SetLastError(0xdeadbeef);                                              \
        BOOL tl_r_ = (call);                                                   \
        DWORD tl_e_ = GetLastError();                                          \
        if (tl_r_)                                                             \
            TL_FAIL("%s succeeded; expected failure with %s (%lu)", #call,     \
                    #err, (unsigned long)(err));                               \
        else if (tl_e_ != (DWORD)(err))                                        \
            TL_FAIL("%s failed with %lu (%s); expected %s (%lu)", #call,       \
                    (unsigned long)tl_e_, tl_errname(tl_e_), #err,             \
                    (unsigned long)(err));                                     \
    } while (0)

/* A call returning a HANDLE that must succeed; evaluates to the handle. */
#define TL_HANDLE(call) tl_handle_ok((call), #call, __FILE__, __LINE__)
HANDLE tl_handle_ok(HANDLE h, const char *what, const char *file, int line);

/* A call returning a HANDLE that must fail with INVALID_HANDLE_VALUE and
 * exactly this error. */
#define TL_HANDLE_FAILS(call, err)                                             \
    do {                                                                       \
        SetLastError(0xdeadbeef);                                              \
        HANDLE tl_h_ = (call);                                                 \
        DWORD tl_e_ = GetLastError();                                          \
        if (tl_h_ != INVALID_HANDLE_VALUE) {                                   \
            CloseHandle(tl_h_);                                                \
            TL_FAIL("%s succeeded; expected failure with %s (%lu)", #call,     \
                    #err, (unsigned long)(err));                               \
        } else if (tl_e_ != (DWORD)(err))                                      \
            TL_FAIL("%s failed with %lu (%s); expected %s (%lu)", #call,       \
                    (unsigned long)tl_e_, tl_errname(tl_e_), #err,             \
                    (unsigned long)(err));                                     \
    } while (0)

/* The name of a Win32 error code ("ERROR_PIPE_BUSY"), or "?" */
const char *tl_errname(DWORD err);

/* ---- Pipe names and handy wrappers ------------------------------------- */

/* A fresh name, \\.\pipe\npipe-test-<tag>-<pid>-<counter>.  The string lives
 * in a static ring of 64 buffers: copy it if you need more at once. */
char *tl_pipe_name(const char *tag);
/* The same as UTF-16 (also from a static ring). */
WCHAR *tl_wide(const char *s);

/* CreateNamedPipeA with checks; returns the handle. */
HANDLE tl_server(const char *name, DWORD open_mode, DWORD pipe_mode,
                 DWORD max_instances, DWORD out_size, DWORD in_size);
/* CreateFileA(OPEN_EXISTING) with checks; returns the handle. */
HANDLE tl_client(const char *name, DWORD access);

/* ConnectNamedPipe that must succeed or report ERROR_PIPE_CONNECTED (the
 * client may have opened first). */
void tl_connect(HANDLE server);

/* WriteFile of all n bytes (must succeed and write all of them). */
void tl_write(HANDLE h, const void *buf, DWORD n);
/* One ReadFile that must succeed; returns the byte count. */
DWORD tl_read(HANDLE h, void *buf, DWORD n);
/* Read exactly n bytes with as many successful ReadFiles as needed. */
void tl_read_exact(HANDLE h, void *buf, DWORD n);
/* Write a NUL-terminated string (with its NUL) / read one and compare. */
void tl_write_str(HANDLE h, const char *s);
void tl_expect_str(HANDLE h, const char *s);

/* A deterministic byte pattern for bulk-transfer tests. */
void tl_fill(void *buf, size_t n, unsigned seed);
bool tl_check_fill(const void *buf, size_t n, unsigned seed, size_t offset);

/* ---- Processes ---------------------------------------------------------- */

/* Fork a child that runs fn(arg) and _exit()s with its return value.  The
 * child is a new process to npipe: it attaches to the broker afresh. */
pid_t tl_spawn(int (*fn)(void *), void *arg);
/* Reap a child: returns its exit status.  Fails the test (and kills the
 * child) if it does not exit within 30 s or if it was killed by a signal. */
int tl_wait(pid_t pid);
/* tl_wait() and require exit status 0. */
void tl_join(pid_t pid);
/* SIGKILL a child and reap it (for tests that kill a peer on purpose). */
void tl_kill(pid_t pid);
/* True in a process made by tl_spawn (at any depth). */
bool tl_in_child(void);
/* The exit status a child uses to say "skip this test" (it prints why). */
#define TL_SKIP_STATUS 77

/* ---- Rendezvous ---------------------------------------------------------
 * A socketpair made before the fork.  The test process uses end 0, every
 * spawned child end 1, so tl_signal()/tl_wait_signal() pick the right end by
 * themselves; for child-to-child talk use two rendezvous through the parent,
 * or tl_send_fd()/tl_recv_fd() on explicit ends.  Each signal carries a
 * 64-bit value.  Waits time out after 30 s (a failed check). */
typedef struct tl_rdv {
    int end[2];
} tl_rdv;

void tl_rdv_init(tl_rdv *r);
void tl_rdv_close(tl_rdv *r); /* in the parent, after the children are done */
void tl_signal(tl_rdv *r, long long value);
long long tl_wait_signal(tl_rdv *r);
/* Wait for the value `expect` (a check fails on anything else). */
void tl_expect_signal(tl_rdv *r, long long expect);
/* Is there a signal within timeout_ms?  If so, fetch it into *value. */
bool tl_poll_signal(tl_rdv *r, int timeout_ms, long long *value);
void tl_send_fd(int fd, long long value);
long long tl_recv_fd(int fd);

/* ---- Threads ------------------------------------------------------------ */

pthread_t tl_thread_start(void *(*fn)(void *), void *arg);
/* Join; fails the test if a TL_* check failed in any helper thread. */
void *tl_thread_join(pthread_t t);

/* ---- Time ---------------------------------------------------------------- */

void tl_sleep_ms(unsigned ms);

/* The npiped serving a socket path (asked of the kernel, SO_PEERCRED), or
 * 0; and killing it, returning once it is really gone. */
pid_t tl_find_broker(const char *path);
void tl_kill_broker(pid_t pid);
uint64_t tl_now_ms(void);

/* ---- Sessions ------------------------------------------------------------
 * npipe's session is the Linux audit session (/proc/PID/sessionid), with
 * "unset" (4294967295) mapped to 0. */

/* /proc/PID/sessionid of pid, unset mapped to 0.  Fails the check if the file
 * cannot be read. */
ULONG tl_read_sessionid(pid_t pid);
/* The raw value (4294967295 when unset), or -1 if unreadable. */
long long tl_read_sessionid_raw(pid_t pid);
/* In the calling (child) process: write its uid to /proc/self/loginuid so
 * that the kernel gives it a fresh audit session.  Returns the new session
 * id, or -1 with *why (if why is not NULL) set to a static explanation
 * (EPERM etc.) fit for skip(). */
long long tl_new_audit_session(const char **why);

/* The broker socket path ($NPIPE_BROKER), or NULL. */
const char *tl_broker_path(void);

#endif /* NPIPE_TESTLIB_H */
