/*
 * test_events.c — waitable objects (issue 3, item 2): CreateEventA/W and
 * CreateEventEx, SetEvent, ResetEvent, PulseEvent, WaitForSingleObject(Ex)
 * and WaitForMultipleObjects(Ex) with wait-any, wait-all and timeouts,
 * pipe handles in waits, Sleep/SleepEx, and CloseHandle and
 * DuplicateHandle on every kind of handle.
 */
#include "overlapped_util.h"

#include <string.h>
#include <unistd.h>

static void test_create_and_states(void **state)
{
    (void)state;
    HANDLE manual_off = ov_event(TRUE, FALSE);
    HANDLE manual_on = ov_event(TRUE, TRUE);
    HANDLE auto_off = ov_event(FALSE, FALSE);
    HANDLE auto_on = ov_event(FALSE, TRUE);
    TL_EQ(GetLastError(), ERROR_SUCCESS); /* a new event: 0 */

    TL_EQ(WaitForSingleObject(manual_off, 0), WAIT_TIMEOUT);
    TL_EQ(WaitForSingleObject(manual_on, 0), WAIT_OBJECT_0);
    TL_EQ(WaitForSingleObject(manual_on, 0), WAIT_OBJECT_0); /* stays set */
    TL_EQ(WaitForSingleObject(auto_off, 0), WAIT_TIMEOUT);
    TL_EQ(WaitForSingleObject(auto_on, 0), WAIT_OBJECT_0);
    TL_EQ(WaitForSingleObject(auto_on, 0), WAIT_TIMEOUT); /* the wait reset it */

    TL_OK(SetEvent(manual_off));
    TL_EQ(WaitForSingleObject(manual_off, 0), WAIT_OBJECT_0);
    TL_OK(SetEvent(manual_off)); /* setting a set event is fine */
    TL_OK(ResetEvent(manual_off));
    TL_EQ(WaitForSingleObject(manual_off, 0), WAIT_TIMEOUT);
    TL_OK(ResetEvent(manual_off));
    TL_OK(SetEvent(auto_off));
    TL_EQ(WaitForSingleObjectEx(auto_off, 0, FALSE), WAIT_OBJECT_0);
    TL_EQ(WaitForSingleObjectEx(auto_off, 0, TRUE), WAIT_TIMEOUT);

    /* The W and Ex forms. */
    HANDLE w = CreateEventW(NULL, TRUE, TRUE, NULL);
    TL_ASSERT(w != NULL);
    TL_EQ(WaitForSingleObject(w, 0), WAIT_OBJECT_0);
    HANDLE ex = CreateEventExA(NULL, NULL, CREATE_EVENT_MANUAL_RESET | CREATE_EVENT_INITIAL_SET,
                               EVENT_ALL_ACCESS);
    TL_ASSERT(ex != NULL);
    TL_EQ(WaitForSingleObject(ex, 0), WAIT_OBJECT_0);
    TL_EQ(WaitForSingleObject(ex, 0), WAIT_OBJECT_0);
    HANDLE exw = CreateEventExW(NULL, NULL, 0, EVENT_ALL_ACCESS); /* auto, unset */
    TL_ASSERT(exw != NULL);
    TL_EQ(WaitForSingleObject(exw, 0), WAIT_TIMEOUT);
    /* An empty name is no name. */
    HANDLE empty = CreateEventA(NULL, TRUE, FALSE, "");
    TL_ASSERT(empty != NULL);

    HANDLE all[] = {manual_off, manual_on, auto_off, auto_on, w, ex, exw, empty};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        TL_OK(CloseHandle(all[i]));
    TL_FAILS(CloseHandle(manual_on), ERROR_INVALID_HANDLE);
}

static void test_create_errors(void **state)
{
    (void)state;
    SetLastError(0xdeadbeef);
    TL_ASSERT(CreateEventA(NULL, TRUE, FALSE, "named") == NULL);
    TL_EQ(GetLastError(), ERROR_NOT_SUPPORTED);
    static const WCHAR wname[] = {'n', 0};
    SetLastError(0xdeadbeef);
    TL_ASSERT(CreateEventW(NULL, TRUE, FALSE, wname) == NULL);
    TL_EQ(GetLastError(), ERROR_NOT_SUPPORTED);
    char sd[64] = {0};
    SECURITY_ATTRIBUTES sa = {sizeof sa, sd, FALSE};
    SetLastError(0xdeadbeef);
    TL_ASSERT(CreateEventA(&sa, TRUE, FALSE, NULL) == NULL);
    TL_EQ(GetLastError(), ERROR_NOT_SUPPORTED);
    SetLastError(0xdeadbeef);
    TL_ASSERT(CreateEventExA(NULL, NULL, 4, EVENT_ALL_ACCESS) == NULL);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    /* Inheritable events are fine. */
    SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};
    HANDLE h = CreateEventA(&inherit, FALSE, FALSE, NULL);
    TL_ASSERT(h != NULL);
    DWORD flags = 0;
    TL_OK(GetHandleInformation(h, &flags));
    TL_EQ(flags & HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    CloseHandle(h);
}

static void test_event_on_wrong_handles(void **state)
{
    (void)state;
    TL_FAILS(SetEvent(NULL), ERROR_INVALID_HANDLE);
    TL_FAILS(SetEvent(INVALID_HANDLE_VALUE), ERROR_INVALID_HANDLE);
    TL_FAILS(ResetEvent((HANDLE)(uintptr_t)0x1234560), ERROR_INVALID_HANDLE);
    const char *name = tl_pipe_name("notevent");
    HANDLE pipe = ov_server(name, PIPE_TYPE_BYTE, 1, 1024, 1024);
    TL_FAILS(SetEvent(pipe), ERROR_INVALID_HANDLE);
    TL_FAILS(PulseEvent(pipe), ERROR_INVALID_HANDLE);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    TL_ASSERT(port != NULL);
    TL_FAILS(SetEvent(port), ERROR_INVALID_HANDLE);
    CloseHandle(port);
    CloseHandle(pipe);
}

static void test_timeouts(void **state)
{
    (void)state;
    HANDLE ev = ov_event(TRUE, FALSE);
    uint64_t t0 = tl_now_ms();
    TL_EQ(WaitForSingleObject(ev, 100), WAIT_TIMEOUT);
    uint64_t took = tl_now_ms() - t0;
    TL_ASSERT_MSG(took >= 90 && took < 2000, "a 100 ms wait took %llu ms",
                  (unsigned long long)took);
    t0 = tl_now_ms();
    TL_EQ(WaitForMultipleObjects(1, &ev, TRUE, 50), WAIT_TIMEOUT);
    TL_ASSERT(tl_now_ms() - t0 >= 40);
    CloseHandle(ev);
}

struct setter {
    HANDLE ev;
    unsigned delay_ms;
    int action; /* 0 set, 1 pulse */
};

static void *set_later(void *arg)
{
    struct setter *s = arg;
    tl_sleep_ms(s->delay_ms);
    TL_ASSERT(s->action ? PulseEvent(s->ev) : SetEvent(s->ev));
    return NULL;
}

/* A thread blocked forever wakes when another thread sets the event. */
static void test_wait_wakes(void **state)
{
    (void)state;
    HANDLE ev = ov_event(FALSE, FALSE);
    struct setter s = {ev, 100, 0};
    pthread_t t = tl_thread_start(set_later, &s);
    TL_EQ(WaitForSingleObject(ev, INFINITE), WAIT_OBJECT_0);
    tl_thread_join(t);
    TL_EQ(WaitForSingleObject(ev, 0), WAIT_TIMEOUT); /* auto-reset */
    CloseHandle(ev);
}

struct waiter {
    HANDLE ev;
    DWORD timeout;
    DWORD result;
};

static void *wait_thread(void *arg)
{
    struct waiter *w = arg;
    w->result = WaitForSingleObject(w->ev, w->timeout);
    return NULL;
}

/* PulseEvent releases the threads waiting now and leaves the event reset:
 * all of them for a manual-reset event, one for an auto-reset event. */
static void test_pulse(void **state)
{
    (void)state;
    for (int manual = 0; manual < 2; manual++) {
        HANDLE ev = ov_event(manual, FALSE);
        struct waiter w[3];
        pthread_t t[3];
        for (int i = 0; i < 3; i++) {
            w[i] = (struct waiter){ev, 1500, 0xdeadbeef};
            t[i] = tl_thread_start(wait_thread, &w[i]);
        }
        tl_sleep_ms(200); /* let them all wait */
        TL_OK(PulseEvent(ev));
        int woken = 0;
        for (int i = 0; i < 3; i++) {
            tl_thread_join(t[i]);
            if (w[i].result == WAIT_OBJECT_0)
                woken++;
            else
                TL_EQ(w[i].result, WAIT_TIMEOUT);
        }
        TL_EQ(woken, manual ? 3 : 1);
        TL_EQ(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
        /* Pulsing with nobody waiting leaves it reset. */
        TL_OK(PulseEvent(ev));
        TL_EQ(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
        CloseHandle(ev);
    }
}

static void test_wait_any(void **state)
{
    (void)state;
    HANDLE ev[4];
    for (int i = 0; i < 4; i++)
        ev[i] = ov_event(TRUE, FALSE);
    TL_EQ(WaitForMultipleObjects(4, ev, FALSE, 0), WAIT_TIMEOUT);
    TL_OK(SetEvent(ev[2]));
    TL_EQ(WaitForMultipleObjects(4, ev, FALSE, 0), WAIT_OBJECT_0 + 2);
    TL_OK(SetEvent(ev[3]));
    TL_OK(SetEvent(ev[1]));
    TL_EQ(WaitForMultipleObjects(4, ev, FALSE, INFINITE), WAIT_OBJECT_0 + 1); /* lowest */
    /* The same handle twice is fine in a wait-any. */
    HANDLE twice[2] = {ev[0], ev[0]};
    TL_EQ(WaitForMultipleObjects(2, twice, FALSE, 0), WAIT_TIMEOUT);
    TL_OK(SetEvent(ev[0]));
    TL_EQ(WaitForMultipleObjects(2, twice, FALSE, 0), WAIT_OBJECT_0);
    /* A thread waits on all four; one set wakes it with its index. */
    for (int i = 0; i < 4; i++)
        TL_OK(ResetEvent(ev[i]));
    struct setter s = {ev[3], 100, 0};
    pthread_t t = tl_thread_start(set_later, &s);
    TL_EQ(WaitForMultipleObjectsEx(4, ev, FALSE, 5000, FALSE), WAIT_OBJECT_0 + 3);
    tl_thread_join(t);
    for (int i = 0; i < 4; i++)
        CloseHandle(ev[i]);
}

static void test_wait_all(void **state)
{
    (void)state;
    HANDLE ev[3] = {ov_event(TRUE, TRUE), ov_event(FALSE, TRUE), ov_event(FALSE, FALSE)};
    /* Not all set: nothing is consumed. */
    TL_EQ(WaitForMultipleObjects(3, ev, TRUE, 0), WAIT_TIMEOUT);
    TL_EQ(WaitForSingleObject(ev[1], 0), WAIT_OBJECT_0); /* still set; now reset */
    TL_OK(SetEvent(ev[1]));
    TL_OK(SetEvent(ev[2]));
    TL_EQ(WaitForMultipleObjects(3, ev, TRUE, 0), WAIT_OBJECT_0);
    /* The auto-reset ones were taken together; the manual one stays. */
    TL_EQ(WaitForSingleObject(ev[0], 0), WAIT_OBJECT_0);
    TL_EQ(WaitForSingleObject(ev[1], 0), WAIT_TIMEOUT);
    TL_EQ(WaitForSingleObject(ev[2], 0), WAIT_TIMEOUT);
    /* Wait-all completes only when the last one comes. */
    TL_OK(SetEvent(ev[1]));
    struct setter s = {ev[2], 100, 0};
    pthread_t t = tl_thread_start(set_later, &s);
    TL_EQ(WaitForMultipleObjects(3, ev, TRUE, 5000), WAIT_OBJECT_0);
    tl_thread_join(t);
    /* One object twice in a wait-all: ERROR_INVALID_PARAMETER. */
    HANDLE twice[2] = {ev[0], ev[0]};
    SetLastError(0xdeadbeef);
    TL_EQ(WaitForMultipleObjects(2, twice, TRUE, 0), WAIT_FAILED);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    for (int i = 0; i < 3; i++)
        CloseHandle(ev[i]);
}

static void test_maximum_objects(void **state)
{
    (void)state;
    HANDLE ev[MAXIMUM_WAIT_OBJECTS + 1];
    for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++)
        ev[i] = ov_event(TRUE, TRUE);
    TL_EQ(WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, ev, TRUE, 0), WAIT_OBJECT_0);
    TL_OK(ResetEvent(ev[MAXIMUM_WAIT_OBJECTS - 1]));
    for (int i = 0; i < MAXIMUM_WAIT_OBJECTS - 1; i++)
        TL_OK(ResetEvent(ev[i]));
    TL_OK(SetEvent(ev[MAXIMUM_WAIT_OBJECTS - 1]));
    TL_EQ(WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, ev, FALSE, 0),
          WAIT_OBJECT_0 + MAXIMUM_WAIT_OBJECTS - 1);
    SetLastError(0xdeadbeef);
    TL_EQ(WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS + 1, ev, FALSE, 0), WAIT_FAILED);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    SetLastError(0xdeadbeef);
    TL_EQ(WaitForMultipleObjects(0, ev, FALSE, 0), WAIT_FAILED);
    TL_EQ(GetLastError(), ERROR_INVALID_PARAMETER);
    for (int i = 0; i <= MAXIMUM_WAIT_OBJECTS; i++)
        CloseHandle(ev[i]);
}

static void test_wait_bad_handles(void **state)
{
    (void)state;
    HANDLE ev = ov_event(TRUE, TRUE);
    HANDLE bad[] = {NULL, INVALID_HANDLE_VALUE, (HANDLE)(uintptr_t)0x1234560,
                    GetCurrentThread()};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        SetLastError(0xdeadbeef);
        TL_EQ(WaitForSingleObject(bad[i], 0), WAIT_FAILED);
        TL_EQ(GetLastError(), ERROR_INVALID_HANDLE);
        HANDLE mix[2] = {ev, bad[i]};
        SetLastError(0xdeadbeef);
        TL_EQ(WaitForMultipleObjects(2, mix, FALSE, 0), WAIT_FAILED);
        TL_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    }
    HANDLE closed = ov_event(TRUE, TRUE);
    CloseHandle(closed);
    SetLastError(0xdeadbeef);
    TL_EQ(WaitForSingleObject(closed, 0), WAIT_FAILED);
    TL_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    SetLastError(0xdeadbeef);
    TL_EQ(WaitForMultipleObjects(1, NULL, FALSE, 0), WAIT_FAILED);
    TL_EQ(GetLastError(), ERROR_NOACCESS);
    CloseHandle(ev);
}

/* Pipe handles and events in one wait: a pipe handle is signaled when an
 * overlapped operation on it without an event completes. */
static void test_pipe_handles_in_waits(void **state)
{
    (void)state;
    HANDLE server, client;
    ov_pair(tl_pipe_name("waitpipe"), PIPE_TYPE_BYTE, 1024, &server, &client);
    HANDLE ev = ov_event(TRUE, FALSE);
    char buf[8];
    OVERLAPPED ov = {0}; /* no event: the file handle is what gets signaled */
    ov_read_pending(server, buf, sizeof buf, &ov);
    HANDLE both[2] = {ev, server};
    TL_EQ(WaitForMultipleObjects(2, both, FALSE, OV_QUIET_MS), WAIT_TIMEOUT);
    tl_write(client, "p", 1);
    TL_EQ(WaitForMultipleObjects(2, both, FALSE, OV_SOON_MS), WAIT_OBJECT_0 + 1);
    TL_EQ(ov_status(&ov), OV_STATUS_SUCCESS);
    TL_EQ(ov.InternalHigh, 1);
    /* A pipe handle stays signaled (a notification object). */
    TL_EQ(WaitForSingleObject(server, 0), WAIT_OBJECT_0);
    /* A new overlapped operation clears it. */
    ov_read_pending(server, buf, sizeof buf, &ov);
    TL_EQ(WaitForSingleObject(server, 0), WAIT_TIMEOUT);
    TL_OK(SetEvent(ev));
    TL_EQ(WaitForMultipleObjects(2, both, FALSE, 0), WAIT_OBJECT_0);
    tl_write(client, "q", 1);
    TL_EQ(WaitForMultipleObjects(2, both, TRUE, OV_SOON_MS), WAIT_OBJECT_0);
    CloseHandle(ev);
    CloseHandle(client);
    CloseHandle(server);
}

static void test_close_and_duplicate_every_kind(void **state)
{
    (void)state;
    HANDLE ev = ov_event(TRUE, FALSE);
    HANDLE port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 0);
    TL_ASSERT(port != NULL);
    const char *name = tl_pipe_name("kinds");
    HANDLE pipe = ov_server(name, PIPE_TYPE_BYTE, 1, 1024, 1024);
    HANDLE dup_ev, dup_port, dup_pipe;
    HANDLE self = GetCurrentProcess();
    TL_OK(DuplicateHandle(self, ev, self, &dup_ev, 0, FALSE, DUPLICATE_SAME_ACCESS));
    TL_OK(DuplicateHandle(self, port, self, &dup_port, 0, FALSE, DUPLICATE_SAME_ACCESS));
    TL_OK(DuplicateHandle(self, pipe, self, &dup_pipe, 0, FALSE, DUPLICATE_SAME_ACCESS));
    /* The duplicate names the same event. */
    TL_OK(SetEvent(dup_ev));
    TL_EQ(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
    TL_OK(CloseHandle(ev));
    TL_EQ(WaitForSingleObject(dup_ev, 0), WAIT_OBJECT_0);
    /* ...and the same port. */
    TL_OK(PostQueuedCompletionStatus(port, 3, 4, NULL));
    DWORD n;
    ULONG_PTR key;
    LPOVERLAPPED pov;
    TL_OK(GetQueuedCompletionStatus(dup_port, &n, &key, &pov, 0));
    TL_EQ(n, 3);
    TL_EQ(key, 4);
    HANDLE all[] = {dup_ev, port, dup_port, pipe, dup_pipe};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        TL_OK(CloseHandle(all[i]));
        TL_FAILS(CloseHandle(all[i]), ERROR_INVALID_HANDLE);
    }
}

static void test_sleep(void **state)
{
    (void)state;
    uint64_t t0 = tl_now_ms();
    Sleep(50);
    TL_ASSERT(tl_now_ms() - t0 >= 45);
    t0 = tl_now_ms();
    TL_EQ(SleepEx(50, FALSE), 0);
    TL_ASSERT(tl_now_ms() - t0 >= 45);
    t0 = tl_now_ms();
    TL_EQ(SleepEx(50, TRUE), 0); /* nothing due: the whole time, then 0 */
    TL_ASSERT(tl_now_ms() - t0 >= 45);
    Sleep(0);
    TL_EQ(SleepEx(0, TRUE), 0);
}

/* A forked child has none of its parent's handles: the parent's event is
 * invalid there, and the child's own events work. */
struct fork_ctx {
    HANDLE parent_event;
};

static int child_events(void *arg)
{
    struct fork_ctx *c = arg;
    SetLastError(0xdeadbeef);
    TL_EQ(WaitForSingleObject(c->parent_event, 0), WAIT_FAILED);
    TL_EQ(GetLastError(), ERROR_INVALID_HANDLE);
    TL_FAILS(SetEvent(c->parent_event), ERROR_INVALID_HANDLE);
    HANDLE mine = ov_event(TRUE, FALSE);
    TL_OK(SetEvent(mine));
    TL_EQ(WaitForSingleObject(mine, 0), WAIT_OBJECT_0);
    CloseHandle(mine);
    return 0;
}

static void test_fork(void **state)
{
    (void)state;
    struct fork_ctx c = {ov_event(TRUE, TRUE)};
    tl_join(tl_spawn(child_events, &c));
    TL_EQ(WaitForSingleObject(c.parent_event, 0), WAIT_OBJECT_0);
    CloseHandle(c.parent_event);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_create_and_states),
        TL_TEST(test_create_errors),
        TL_TEST(test_event_on_wrong_handles),
        TL_TEST(test_timeouts),
        TL_TEST(test_wait_wakes),
        TL_TEST(test_pulse),
        TL_TEST(test_wait_any),
        TL_TEST(test_wait_all),
        TL_TEST(test_maximum_objects),
        TL_TEST(test_wait_bad_handles),
        TL_TEST(test_pipe_handles_in_waits),
        TL_TEST(test_close_and_duplicate_every_kind),
        TL_TEST(test_sleep),
        TL_TEST(test_fork),
    };
    return TL_RUN(tests);
}
