/*
 * test_limits.c — a client that asks for too much gets the error Windows
 * gives, and the broker stays bounded and responsive.
 *
 * Each test starts its own npiped with small limits (its options are the
 * knobs; docs/robustness.md has the defaults) on a private socket:
 *   - handles per process and per user: ERROR_NO_SYSTEM_RESOURCES, as when
 *     NT cannot make a handle; a forked child counts against the same user;
 *   - pending requests per process and per user: ERROR_NO_SYSTEM_RESOURCES;
 *   - bytes the broker holds for one user (request buffers and buffered
 *     pipe data): ERROR_NOT_ENOUGH_QUOTA; the pipe's own quota is honoured
 *     below that (a write beyond it waits, it is not refused);
 *   - client processes and threads per user: the connection is refused;
 *   - a client that stops reading its replies loses its channel once its
 *     reply queue is full, and nobody else waits meanwhile.
 */
#include "robustlib.h"

#include <pthread.h>

#include <npipe/winternl.h>

static pid_t broker = -1;
static char broker_path[256];

static void stop_broker(void)
{
    rb_stats_close();
    if (broker > 0)
        rb_stop_broker(broker);
    broker = -1;
    rb_remove_dir_of(broker_path);
}

/* A private broker with these options; the library and the stats channel
 * use it from now on. */
static void start_broker(const char *const *options)
{
    if (broker > 0) { /* a failed test left one behind */
        kill(broker, SIGKILL);
        waitpid(broker, NULL, 0);
        broker = -1;
        rb_remove_dir_of(broker_path);
    }
    rb_stats_close();
    snprintf(broker_path, sizeof broker_path, "%s/broker", rb_private_dir("limits"));
    setenv("NPIPE_BROKER", broker_path, 1);
    setenv("NPIPE_NPIPED", "/bin/false", 1); /* never start another */
    broker = rb_start_broker(broker_path, options);
}

static HANDLE new_instance(const char *name)
{
    return CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                            PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
}

/* Makes instances of `name` until one fails; returns how many, and the
 * error of the failure. */
static int fill_handles(const char *name, HANDLE *out, int max, DWORD *err)
{
    int n = 0;
    for (; n < max; n++) {
        SetLastError(0xdeadbeef);
        HANDLE h = new_instance(name);
        if (h == INVALID_HANDLE_VALUE) {
            *err = GetLastError();
            return n;
        }
        out[n] = h;
    }
    *err = 0;
    return n;
}

static void close_all(HANDLE *h, int n)
{
    for (int i = 0; i < n; i++)
        TL_OK(CloseHandle(h[i]));
}

/* ---- Handles ------------------------------------------------------------ */

static void test_handles_per_process(void **state)
{
    start_broker((const char *[]){"--max-handles", "64", NULL});
    const char *name = tl_pipe_name("lim-h");
    HANDLE h[100];
    DWORD err;
    int n = fill_handles(name, h, 100, &err);
    TL_EQ(n, 64);
    TL_EQ(err, ERROR_NO_SYSTEM_RESOURCES);
    /* A duplicate is a handle too. */
    HANDLE dup;
    TL_FAILS(DuplicateHandle(GetCurrentProcess(), h[0], GetCurrentProcess(), &dup,
                             0, FALSE, DUPLICATE_SAME_ACCESS),
             ERROR_NO_SYSTEM_RESOURCES);
    /* Closing one makes room for one. */
    TL_OK(CloseHandle(h[63]));
    h[63] = TL_HANDLE(new_instance(name));
    TL_HANDLE_FAILS(new_instance(name), ERROR_NO_SYSTEM_RESOURCES);
    close_all(h, n);
    stop_broker();
}

struct hctx {
    const char *name;
    tl_rdv r;
    int want;
};

static int hold_handles(void *arg)
{
    struct hctx *c = arg;
    HANDLE h[100];
    DWORD err;
    int n = fill_handles(c->name, h, c->want, &err);
    tl_signal(&c->r, n);
    tl_signal(&c->r, (long long)err);
    tl_wait_signal(&c->r); /* hold them until told */
    close_all(h, n);
    return 0;
}

/* The user's limit counts every process of the user: children made by
 * fork() do not get a fresh allowance. */
static void test_handles_per_user(void **state)
{
    start_broker((const char *[]){"--max-handles", "64", "--max-user-handles", "150", NULL});
    struct hctx c = {.name = tl_pipe_name("lim-hu"), .want = 100};
    HANDLE h[100];
    DWORD err;
    int n = fill_handles(c.name, h, 60, &err);
    TL_EQ(n, 60);

    tl_rdv_init(&c.r);
    pid_t a = tl_spawn(hold_handles, &c);
    TL_EQ(tl_wait_signal(&c.r), 64); /* its own limit first */
    TL_EQ(tl_wait_signal(&c.r), ERROR_NO_SYSTEM_RESOURCES);
    pid_t b = tl_spawn(hold_handles, &c);
    TL_EQ(tl_wait_signal(&c.r), 150 - 60 - 64); /* then the user's */
    TL_EQ(tl_wait_signal(&c.r), ERROR_NO_SYSTEM_RESOURCES);
    TL_HANDLE_FAILS(new_instance(c.name), ERROR_NO_SYSTEM_RESOURCES);
    struct np_broker_stats s;
    rb_stats(&s);
    TL_EQ(s.user_handles, 150);

    /* A process that exits gives its handles back to its user. */
    tl_signal(&c.r, 0);
    tl_signal(&c.r, 0);
    tl_join(a);
    tl_join(b);
    rb_wait_processes(1);
    HANDLE more = TL_HANDLE(new_instance(c.name));
    TL_OK(CloseHandle(more));
    close_all(h, n);
    tl_rdv_close(&c.r);
    stop_broker();
}

/* ---- Pending requests ------------------------------------------------------ */

struct waiter {
    HANDLE h;
    BOOL ret;
    DWORD err;
};

static void *connect_thread(void *arg)
{
    struct waiter *w = arg;
    SetLastError(0xdeadbeef);
    w->ret = ConnectNamedPipe(w->h, NULL);
    w->err = GetLastError();
    return NULL;
}

/* Starts `n` threads blocked in ConnectNamedPipe on instances of `name`
 * (made first: a create is a request too, and is refused like any other
 * once the process or its user is at the limit). */
static void make_instances(const char *name, struct waiter *w, int n)
{
    for (int i = 0; i < n; i++)
        w[i].h = TL_HANDLE(new_instance(name));
}

static void park_connects(struct waiter *w, pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        t[i] = tl_thread_start(connect_thread, &w[i]);
}

struct cctx {
    const char *name;
    int n;
    tl_rdv r;
};

static int open_clients(void *arg)
{
    struct cctx *c = arg;
    HANDLE h[64];
    for (int i = 0; i < c->n; i++)
        h[i] = rb_open(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    tl_wait_signal(&c->r);
    for (int i = 0; i < c->n; i++)
        TL_OK(CloseHandle(h[i]));
    return 0;
}

/* Lets parked connects finish: one client per instance, from another
 * process (this one has no request to spare). */
static void release_connects(const char *name, struct waiter *w, pthread_t *t,
                             int n, int parked)
{
    struct cctx c = {.name = name, .n = parked};
    tl_rdv_init(&c.r);
    pid_t pid = tl_spawn(open_clients, &c);
    tl_expect_signal(&c.r, 1);
    for (int i = 0; i < n; i++)
        tl_thread_join(t[i]);
    tl_signal(&c.r, 0);
    tl_join(pid);
    tl_rdv_close(&c.r);
    for (int i = 0; i < n; i++)
        TL_OK(CloseHandle(w[i].h));
}

struct pctx {
    const char *name;
    tl_rdv r;
    int n;
};

static int park_in_child(void *arg)
{
    struct pctx *c = arg;
    struct waiter w[16] = {{0}};
    pthread_t t[16];
    make_instances(c->name, w, c->n);
    park_connects(w, t, c->n);
    /* Let the threads reach the broker, then report how many failed. */
    tl_sleep_ms(300);
    int failed = 0;
    for (int i = 0; i < c->n; i++)
        if (__atomic_load_n(&w[i].err, __ATOMIC_SEQ_CST) == ERROR_NO_SYSTEM_RESOURCES)
            failed++;
    tl_signal(&c->r, failed);
    tl_wait_signal(&c->r);
    _exit(0); /* the parked threads go with the process */
}

static void test_pending_limits(void **state)
{
    start_broker((const char *[]){"--max-pending", "8", "--max-user-pending", "12", NULL});
    const char *name = tl_pipe_name("lim-p");
    struct waiter w[9] = {{0}};
    pthread_t t[9];
    make_instances(name, w, 9);
    park_connects(w, t, 8);
    rb_wait_irps(8);
    /* The ninth pending request of this process is refused at once, and so
     * is any other request that needs an IRP. */
    TL_HANDLE_FAILS(new_instance(name), ERROR_NO_SYSTEM_RESOURCES);
    park_connects(w + 8, t + 8, 1);
    tl_thread_join(t[8]);
    TL_ASSERT(!w[8].ret);
    TL_EQ(w[8].err, ERROR_NO_SYSTEM_RESOURCES);
    /* Another process of the same user gets what is left of the user's
     * twelve: four. */
    struct pctx c = {.name = name, .n = 6};
    tl_rdv_init(&c.r);
    pid_t pid = tl_spawn(park_in_child, &c);
    TL_EQ(tl_wait_signal(&c.r), 2);
    struct np_broker_stats s;
    rb_stats(&s);
    TL_EQ(s.user_irps, 12);
    tl_signal(&c.r, 0);
    tl_join(pid);
    rb_wait_processes(1);
    /* The refused thread's instance connects like the others. */
    release_connects(name, w, t, 8, 9);
    TL_OK(CloseHandle(w[8].h));
    tl_rdv_close(&c.r);
    stop_broker();
}

/* An overlapped request is in flight until the library has written its
 * results and acknowledged them (NP_OP_ACK): a client that never
 * acknowledges cannot pile up completions in the broker. */
static void test_unacknowledged_completions(void **state)
{
    start_broker((const char *[]){"--max-pending", "8", NULL});
    const char *name = tl_pipe_name("lim-ack");
    HANDLE s = TL_HANDLE(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1,
                                          65536, 65536, 0, NULL));
    HANDLE c = rb_open(name, GENERIC_READ | GENERIC_WRITE);
    int fd = rb_connect(broker_path);
    int32_t status[10];
    for (int i = 0; i < 10; i++) {
        if (i == 9) { /* acknowledge the first: room for one more */
            struct np_request ack;
            rb_header(&ack, NP_OP_ACK, 999);
            ack.args.ack.id = 100;
            TL_ASSERT(rb_send(fd, &ack, NULL, 0));
        }
        struct np_request q;
        rb_header(&q, NP_OP_WRITE, 100 + i);
        q.flags = NP_F_ASYNC;
        q.handle = (uint32_t)(uintptr_t)s & 0xFFFFFF;
        q.in_len = 4;
        TL_ASSERT(rb_send(fd, &q, "data", 4));
        unsigned char buf[256];
        ssize_t n = rb_recv(fd, buf, sizeof buf, 10000);
        TL_ASSERT(n >= (ssize_t)sizeof(struct np_reply));
        struct np_reply r;
        memcpy(&r, buf, sizeof r);
        TL_EQ(r.id, q.id);
        status[i] = r.status;
    }
    for (int i = 0; i < 8; i++)
        TL_EQ(status[i], STATUS_SUCCESS);
    TL_EQ((uint32_t)status[8], (uint32_t)STATUS_INSUFFICIENT_RESOURCES);
    TL_EQ(status[9], STATUS_SUCCESS);
    for (int i = 1; i < 10; i++) {
        if (i == 8)
            continue;
        struct np_request ack;
        rb_header(&ack, NP_OP_ACK, 1000 + i);
        ack.args.ack.id = 100 + i;
        TL_ASSERT(rb_send(fd, &ack, NULL, 0));
    }
    close(fd);
    char buf[64];
    tl_read_exact(c, buf, 9 * 4);
    TL_OK(CloseHandle(c));
    TL_OK(CloseHandle(s));
    stop_broker();
}

/* ---- Bytes ------------------------------------------------------------------ */

#define KB 1024
#define MB (1024 * 1024)

static void test_bytes_per_user(void **state)
{
    start_broker((const char *[]){"--max-user-bytes", "1M", NULL});
    const char *name = tl_pipe_name("lim-b");
    char *buf = calloc(1, 2 * MB);
    DWORD n;
    HANDLE s[4], c[4];
    for (int i = 0; i < 4; i++) {
        s[i] = TL_HANDLE(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                          PIPE_UNLIMITED_INSTANCES, 256 * KB,
                                          256 * KB, 0, NULL));
        c[i] = rb_open(name, GENERIC_READ | GENERIC_WRITE);
    }
    /* One request larger than what the user may hold: refused whole. */
    TL_FAILS(WriteFile(c[0], buf, 2 * MB, &n, NULL), ERROR_NOT_ENOUGH_QUOTA);
    TL_FAILS(ReadFile(c[0], buf, 2 * MB, &n, NULL), ERROR_NOT_ENOUGH_QUOTA);
    /* Data that fits each pipe's quota is buffered by the broker, charged
     * to the writer's user: three pipes' worth, then no more. */
    for (int i = 0; i < 3; i++)
        tl_write(c[i], buf, 256 * KB);
    struct np_broker_stats st;
    rb_stats(&st);
    TL_EQ(st.user_pool_bytes, 768 * KB);
    TL_FAILS(WriteFile(c[3], buf, 256 * KB, &n, NULL), ERROR_NOT_ENOUGH_QUOTA);
    /* Smaller writes still fit the rest. */
    tl_write(c[3], buf, 100 * KB);
    /* Reading gives the bytes back (in pieces: a read's buffer is held for
     * the user too). */
    for (int i = 0; i < 4; i++)
        tl_read_exact(s[0], buf, 64 * KB);
    tl_write(c[3], buf, 156 * KB);
    rb_stats(&st);
    TL_EQ(st.user_pool_bytes, 768 * KB);
    for (int i = 0; i < 4; i++) {
        TL_OK(CloseHandle(c[i]));
        TL_OK(CloseHandle(s[i]));
    }
    rb_stats(&st);
    TL_EQ(st.user_pool_bytes, 0);
    free(buf);
    stop_broker();
}

struct wctx {
    const char *name;
    tl_rdv r;
};

static int stalled_writer(void *arg)
{
    struct wctx *c = arg;
    HANDLE h = rb_open(c->name, GENERIC_READ | GENERIC_WRITE);
    char *buf = calloc(1, 300 * KB);
    DWORD n;
    tl_signal(&c->r, 1);
    BOOL ok = WriteFile(h, buf, 300 * KB, &n, NULL); /* stalls beyond 4 KB */
    tl_signal(&c->r, ok ? 0 : (long long)GetLastError());
    pause();
    return 0;
}

/* A write beyond the pipe's quota waits (it is not refused) while its
 * bytes — the request's buffer and the queued data — are held for its
 * user; another process of the same user then finds the allowance used. */
static void test_bytes_stalled_and_fork(void **state)
{
    start_broker((const char *[]){"--max-user-bytes", "1M", NULL});
    struct wctx c = {.name = tl_pipe_name("lim-bs")};
    tl_rdv_init(&c.r);
    HANDLE s = TL_HANDLE(CreateNamedPipeA(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                          PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL));
    pid_t pid = tl_spawn(stalled_writer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    struct np_broker_stats st;
    uint64_t deadline = tl_now_ms() + 10000;
    do {
        rb_stats(&st);
        if (st.user_pool_bytes >= 600 * KB)
            break;
        tl_sleep_ms(2);
    } while (tl_now_ms() < deadline);
    /* The request's buffer and its queued bytes: twice 300 KB. */
    TL_EQ(st.user_pool_bytes, 600 * KB);
    HANDLE s2 = TL_HANDLE(CreateNamedPipeA(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE,
                                           PIPE_UNLIMITED_INSTANCES, 512 * KB,
                                           512 * KB, 0, NULL));
    HANDLE c2 = rb_open(c.name, GENERIC_READ | GENERIC_WRITE);
    char *buf = calloc(1, 512 * KB);
    DWORD n;
    TL_FAILS(WriteFile(c2, buf, 250 * KB, &n, NULL), ERROR_NOT_ENOUGH_QUOTA);
    /* Reading the stalled write completes it and frees everything. */
    tl_read_exact(s, buf, 300 * KB);
    TL_EQ(tl_wait_signal(&c.r), 0);
    tl_write(c2, buf, 250 * KB);
    tl_kill(pid);
    rb_wait_processes(1);
    TL_OK(CloseHandle(c2));
    TL_OK(CloseHandle(s2));
    TL_OK(CloseHandle(s));
    rb_stats(&st);
    TL_EQ(st.user_pool_bytes, 0);
    free(buf);
    tl_rdv_close(&c.r);
    stop_broker();
}

/* ---- Processes and threads ------------------------------------------------- */

static void *ping_thread(void *arg)
{
    BOOL *ok = arg;
    DWORD session;
    *ok = ProcessIdToSessionId(GetCurrentProcessId(), &session);
    return NULL;
}

/* Threads beyond the user's limit cannot attach (the broker closes their
 * connection); the others keep working, and a thread that exits makes
 * room. */
static void test_threads_per_user(void **state)
{
    start_broker((const char *[]){"--max-user-threads", "4", NULL});
    struct np_broker_stats st;
    rb_stats(&st); /* the stats channel: one */
    DWORD session;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session)); /* two */
    int fds[3];
    for (int i = 0; i < 2; i++) /* three, four */
        fds[i] = rb_connect(broker_path);
    rb_stats(&st);
    TL_EQ(st.user_threads, 4);
    BOOL ok = TRUE;
    tl_thread_join(tl_thread_start(ping_thread, &ok));
    TL_ASSERT_MSG(!ok, "a fifth thread reached the broker");
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session));
    close(fds[0]);
    uint64_t deadline = tl_now_ms() + 10000;
    do {
        rb_stats(&st);
        tl_sleep_ms(2);
    } while (st.user_threads != 3 && tl_now_ms() < deadline);
    tl_thread_join(tl_thread_start(ping_thread, &ok));
    TL_ASSERT_MSG(ok, "a thread could not attach after another left");
    close(fds[1]);
    stop_broker();
}

static int attach_and_report(void *arg)
{
    tl_rdv *r = arg;
    DWORD session;
    BOOL ok = ProcessIdToSessionId(GetCurrentProcessId(), &session);
    tl_signal(r, ok);
    tl_wait_signal(r);
    return 0;
}

static void test_processes_per_user(void **state)
{
    start_broker((const char *[]){"--max-user-processes", "3", NULL});
    DWORD session;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session)); /* one */
    tl_rdv r;
    tl_rdv_init(&r);
    pid_t a = tl_spawn(attach_and_report, &r);
    TL_EQ(tl_wait_signal(&r), 1); /* two */
    pid_t b = tl_spawn(attach_and_report, &r);
    TL_EQ(tl_wait_signal(&r), 1); /* three */
    pid_t c = tl_spawn(attach_and_report, &r);
    TL_EQ(tl_wait_signal(&r), 0); /* a fourth is refused */
    tl_signal(&r, 0);
    tl_signal(&r, 0);
    tl_signal(&r, 0);
    tl_join(a);
    tl_join(b);
    tl_join(c);
    rb_wait_processes(1);
    pid_t d = tl_spawn(attach_and_report, &r);
    TL_EQ(tl_wait_signal(&r), 1);
    tl_signal(&r, 0);
    tl_join(d);
    tl_rdv_close(&r);
    stop_broker();
}

/* ---- A client that does not read its replies ------------------------------- */

struct pinger {
    const char *name;
    tl_rdv r;
    volatile int stop;
    uint64_t worst_ms;
    int rounds;
};

static int echo_server(void *arg)
{
    struct pinger *p = arg;
    HANDLE s = tl_server(p->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 4096, 4096);
    tl_signal(&p->r, 1);
    tl_connect(s);
    char buf[64];
    for (;;) {
        DWORD n;
        if (!ReadFile(s, buf, sizeof buf, &n, NULL))
            return GetLastError() == ERROR_BROKEN_PIPE ? 0 : 1;
        tl_write(s, buf, n);
    }
}

static void *ping_loop(void *arg)
{
    struct pinger *p = arg;
    HANDLE h = rb_open(p->name, GENERIC_READ | GENERIC_WRITE);
    while (!__atomic_load_n(&p->stop, __ATOMIC_SEQ_CST)) {
        uint64_t t0 = tl_now_ms();
        tl_write(h, "ping", 4);
        char buf[4];
        tl_read_exact(h, buf, 4);
        uint64_t dt = tl_now_ms() - t0;
        if (dt > p->worst_ms)
            p->worst_ms = dt;
        p->rounds++;
    }
    TL_OK(CloseHandle(h));
    return NULL;
}

static void test_reader_that_stops_reading(void **state)
{
    start_broker(NULL);
    struct pinger p = {.name = tl_pipe_name("lim-echo")};
    tl_rdv_init(&p.r);
    pid_t echo = tl_spawn(echo_server, &p);
    tl_expect_signal(&p.r, 1);
    pthread_t t = tl_thread_start(ping_loop, &p);

    /* A pipe with 1 MB in it, peeked at over a raw channel of ours that
     * never reads the answers. */
    const char *name = tl_pipe_name("lim-stall");
    HANDLE s = TL_HANDLE(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1,
                                          MB, MB, 0, NULL));
    HANDLE c = rb_open(name, GENERIC_READ | GENERIC_WRITE);
    char *buf = calloc(1, MB);
    tl_write(s, buf, MB);
    struct np_broker_stats before;
    rb_stats(&before);
    int fd = rb_connect(broker_path);
    int sent = 0;
    for (; sent < 200; sent++) {
        struct np_request q;
        rb_header(&q, NP_OP_FSCTL, 1000 + sent);
        q.handle = (uint32_t)(uintptr_t)c & 0xFFFFFF; /* the broker's handle value */
        q.args.io.code = FSCTL_PIPE_PEEK;
        q.out_len = MB;
        if (!rb_send(fd, &q, NULL, 0))
            break; /* dropped already */
    }
    /* Not reading: the broker's queue for that channel overflows and it
     * drops the channel (its thread count falls back). */
    struct np_broker_stats now;
    uint64_t deadline = tl_now_ms() + 10000;
    do {
        rb_stats(&now);
        if (now.user_threads == before.user_threads)
            break;
        tl_sleep_ms(5);
    } while (tl_now_ms() < deadline);
    TL_ASSERT_MSG(now.user_threads == before.user_threads,
                  "the broker kept a channel that stopped reading (%u threads, "
                  "%u before it)", now.user_threads, before.user_threads);
    /* What it had sent ends in EOF, far short of 200 replies of 1 MB. */
    uint64_t received = 0;
    for (;;) {
        ssize_t n = rb_recv(fd, buf, MB, 10000);
        TL_ASSERT_MSG(n >= 0, "the stalled channel was not dropped (%d requests "
                      "sent, %llu bytes received)", sent, (unsigned long long)received);
        if (n == 0)
            break;
        received += (uint64_t)n;
    }
    close(fd);
    fprintf(stderr, "[stall] %d requests for 1 MB replies on a channel that does not "
            "read: the broker dropped it (%llu bytes had reached the client)\n", sent,
            (unsigned long long)received);
    TL_ASSERT(received < 100ull * MB);
    __atomic_store_n(&p.stop, 1, __ATOMIC_SEQ_CST);
    tl_thread_join(t);
    fprintf(stderr, "[stall] meanwhile %d ping-pongs, the slowest %llu ms\n",
            p.rounds, (unsigned long long)p.worst_ms);
    TL_ASSERT(p.rounds > 0);
    TL_ASSERT_MSG(p.worst_ms < 2000, "a ping-pong took %llu ms",
                  (unsigned long long)p.worst_ms);
    tl_join(echo);
    /* The pipe and its data are intact; the dropped channel's replies are
     * gone from the broker's memory. */
    tl_read_exact(c, buf, MB);
    TL_OK(CloseHandle(c));
    TL_OK(CloseHandle(s));
    struct np_broker_stats after;
    deadline = tl_now_ms() + 10000;
    do {
        rb_stats(&after);
        tl_sleep_ms(2);
    } while ((after.processes != 1 || after.pool_bytes) && tl_now_ms() < deadline);
    TL_EQ(after.processes, 1);
    rb_print_stats("after", &after);
    TL_EQ(after.pool_bytes, 0);
    if (before.heap_bytes)
        TL_ASSERT_MSG(after.heap_bytes < before.heap_bytes + 4ull * MB,
                      "the broker kept %llu bytes",
                      (unsigned long long)(after.heap_bytes - before.heap_bytes));
    free(buf);
    tl_rdv_close(&p.r);
    stop_broker();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_handles_per_process),
        TL_TEST(test_handles_per_user),
        TL_TEST(test_pending_limits),
        TL_TEST(test_unacknowledged_completions),
        TL_TEST(test_bytes_per_user),
        TL_TEST(test_bytes_stalled_and_fork),
        TL_TEST(test_threads_per_user),
        TL_TEST(test_processes_per_user),
        TL_TEST(test_reader_that_stops_reading),
    };
    int rc = TL_RUN(tests);
    if (broker > 0) {
        kill(broker, SIGKILL);
        waitpid(broker, NULL, 0);
        rb_remove_dir_of(broker_path);
    }
    return rc;
}
