/*
 * test_sessions.c — sessions and identities that the client cannot forge.
 *
 * npipe's session of a process is its Linux audit session,
 * /proc/PID/sessionid, with "unset" mapped to 0 (DESIGN.md invariant 2);
 * npfs records the server's pid and session when it handles the
 * create-named-pipe IRP and the client's when it handles the open, from the
 * kernel (SO_PEERCRED / pidfd), never from the message (invariant 1).
 *
 * The cross-session tests put children into fresh audit sessions by writing
 * their uid to /proc/self/loginuid, which the kernel allows to a process
 * whose session is unset, or to root with CAP_AUDIT_CONTROL; where it
 * refuses, they skip and say why.
 *
 *  - two children in two fresh sessions, one serving and one connecting:
 *    both ends' ids equal the /proc values of the right processes, the two
 *    sessions differ, and ProcessIdToSessionId agrees;
 *  - the ids recorded at open (and at create) stay, even when the process
 *    then moves to another session, and nothing in the client's environment
 *    changes them;
 *  - a raw client on the broker's socket that sends malformed and forged
 *    requests gets error statuses or loses its channel; the broker neither
 *    crashes nor stalls, and real clients keep their true identities.
 */
#include "testlib.h"

#include "proto/proto.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct ctx {
    const char *name;
    tl_rdv r;
    tl_rdv r2;
    long long value;
};

struct ids {
    ULONG cpid, spid, csid, ssid;
};

static void get_ids(HANDLE h, struct ids *v)
{
    memset(v, 0xee, sizeof *v);
    TL_OK(GetNamedPipeClientProcessId(h, &v->cpid));
    TL_OK(GetNamedPipeServerProcessId(h, &v->spid));
    TL_OK(GetNamedPipeClientSessionId(h, &v->csid));
    TL_OK(GetNamedPipeServerSessionId(h, &v->ssid));
}

static void send_ids(tl_rdv *r, HANDLE h)
{
    struct ids v;
    get_ids(h, &v);
    tl_signal(r, v.cpid);
    tl_signal(r, v.spid);
    tl_signal(r, v.csid);
    tl_signal(r, v.ssid);
}

static void recv_ids(tl_rdv *r, struct ids *v)
{
    v->cpid = (ULONG)tl_wait_signal(r);
    v->spid = (ULONG)tl_wait_signal(r);
    v->csid = (ULONG)tl_wait_signal(r);
    v->ssid = (ULONG)tl_wait_signal(r);
}

/* In a child: move to a fresh audit session, or tell the parent (-1) and
 * return the skip status. */
static long long child_session_or_skip(tl_rdv *r)
{
    const char *why = NULL;
    long long sid = tl_new_audit_session(&why);
    if (sid < 0) {
        fprintf(stderr, "[child %d] %s\n", (int)getpid(), why);
        tl_signal(r, -1);
    } else {
        tl_signal(r, sid);
    }
    return sid;
}

/* ---- Two processes in two sessions ---------------------------------------- */

static int session_server(void *arg)
{
    struct ctx *c = arg;
    if (child_session_or_skip(&c->r) < 0)
        return TL_SKIP_STATUS;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    tl_signal(&c->r, 1); /* listening */
    tl_connect(s);
    tl_expect_str(s, "hello");
    send_ids(&c->r, s);
    tl_expect_signal(&c->r, 9);
    TL_OK(CloseHandle(s));
    return 0;
}

static int session_client(void *arg)
{
    struct ctx *c = arg;
    if (child_session_or_skip(&c->r2) < 0)
        return TL_SKIP_STATUS;
    tl_expect_signal(&c->r2, 1); /* the server listens */
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write_str(h, "hello");
    send_ids(&c->r2, h);
    tl_expect_signal(&c->r2, 9);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_two_sessions(void **state)
{
    struct ctx c = {.name = tl_pipe_name("sessions")};
    tl_rdv_init(&c.r);  /* parent <-> server child */
    tl_rdv_init(&c.r2); /* parent <-> client child */
    pid_t sp = tl_spawn(session_server, &c);
    long long ssid = tl_wait_signal(&c.r);
    if (ssid < 0) {
        tl_join(sp); /* skips, with the child's reason printed */
        return;
    }
    pid_t cp = tl_spawn(session_client, &c);
    long long csid = tl_wait_signal(&c.r2);
    if (csid < 0) {
        tl_signal(&c.r, 9);
        tl_kill(sp);
        tl_join(cp);
        return;
    }
    /* The children report what the kernel says. */
    TL_EQ(ssid, tl_read_sessionid(sp));
    TL_EQ(csid, tl_read_sessionid(cp));
    TL_NE(ssid, csid);
    TL_NE(ssid, 0);
    TL_NE(csid, 0);

    tl_expect_signal(&c.r, 1);
    tl_signal(&c.r2, 1);
    struct ids at_server, at_client;
    recv_ids(&c.r, &at_server);
    recv_ids(&c.r2, &at_client);

    TL_EQ(at_server.cpid, cp);
    TL_EQ(at_server.spid, sp);
    TL_EQ(at_server.csid, csid);
    TL_EQ(at_server.ssid, ssid);
    TL_EQ(at_client.cpid, cp);
    TL_EQ(at_client.spid, sp);
    TL_EQ(at_client.csid, csid);
    TL_EQ(at_client.ssid, ssid);

    DWORD v = 0xeeeeeeee;
    TL_OK(ProcessIdToSessionId((DWORD)sp, &v));
    TL_EQ(v, ssid);
    TL_OK(ProcessIdToSessionId((DWORD)cp, &v));
    TL_EQ(v, csid);
    /* And this process is in neither. */
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &v));
    TL_EQ(v, tl_read_sessionid(getpid()));
    TL_NE(v, ssid);
    TL_NE(v, csid);

    tl_signal(&c.r, 9);
    tl_signal(&c.r2, 9);
    tl_join(sp);
    tl_join(cp);
    tl_rdv_close(&c.r);
    tl_rdv_close(&c.r2);
}

/* ---- An unset session is session 0 ------------------------------------------------ */

static int fresh_session_client(void *arg)
{
    struct ctx *c = arg;
    if (child_session_or_skip(&c->r) < 0)
        return TL_SKIP_STATUS;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    send_ids(&c->r, h);
    tl_expect_signal(&c->r, 9);
    TL_OK(CloseHandle(h));
    return 0;
}

/* This process (the server) has no audit session; its client does. */
static void test_unset_session_is_zero(void **state)
{
    long long raw = tl_read_sessionid_raw(getpid());
    if (raw != 4294967295LL) {
        print_message("this test process has audit session %lld (it was "
                      "started from a login session), so it cannot show an "
                      "unset one; skipping\n",
                      raw);
        skip();
    }
    struct ctx c = {.name = tl_pipe_name("unset")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(fresh_session_client, &c);
    long long csid = tl_wait_signal(&c.r);
    if (csid < 0) {
        TL_OK(CloseHandle(s));
        tl_join(pid);
        return;
    }
    tl_connect(s);
    struct ids at_client, at_server;
    recv_ids(&c.r, &at_client);
    get_ids(s, &at_server);
    TL_EQ(at_server.ssid, 0);
    TL_EQ(at_client.ssid, 0);
    TL_EQ(at_server.csid, csid);
    TL_EQ(at_client.csid, csid);
    TL_NE(csid, 0);
    DWORD v = 0xeeeeeeee;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &v));
    TL_EQ(v, 0);
    tl_signal(&c.r, 9);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- Recorded at open: moving to another session afterwards changes nothing ---- */

static int moving_client(void *arg)
{
    struct ctx *c = arg;
    if (child_session_or_skip(&c->r) < 0)
        return TL_SKIP_STATUS;
    /* Things a client controls, set to lies: they must not matter. */
    setenv("NPIPE_PID", "1", 1);
    setenv("NPIPE_SESSION", "4242", 1);
    setenv("NPIPE_CLIENT_PROCESS_ID", "1", 1);
    prctl(PR_SET_NAME, (unsigned long)"forged-name", 0, 0, 0);
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1); /* opened */
    tl_expect_signal(&c->r, 2);
    /* Now change session (only root with CAP_AUDIT_CONTROL may). */
    const char *why = NULL;
    long long again = tl_new_audit_session(&why);
    if (again < 0)
        fprintf(stderr, "[child %d] %s\n", (int)getpid(), why);
    tl_signal(&c->r, again);
    /* Our own view still says what was recorded at open. */
    struct ids v;
    get_ids(h, &v);
    tl_signal(&c->r, v.csid);
    tl_expect_signal(&c->r, 9);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_client_identity_fixed_at_open(void **state)
{
    struct ctx c = {.name = tl_pipe_name("fixed")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(moving_client, &c);
    long long first = tl_wait_signal(&c.r);
    if (first < 0) {
        tl_join(pid);
        return;
    }
    tl_expect_signal(&c.r, 1);
    tl_connect(s);
    struct ids v;
    get_ids(s, &v);
    TL_EQ(v.cpid, pid);
    TL_EQ(v.csid, first);
    tl_signal(&c.r, 2);
    long long second = tl_wait_signal(&c.r);
    ULONG client_view = (ULONG)tl_wait_signal(&c.r);
    if (second >= 0) {
        TL_NE(second, first);
        TL_EQ(tl_read_sessionid(pid), second);
        /* The process is in its new session now... */
        DWORD now = 0;
        TL_OK(ProcessIdToSessionId((DWORD)pid, &now));
        TL_EQ(now, second);
        /* ...but the pipe keeps the session of the open. */
        get_ids(s, &v);
        TL_EQ(v.cpid, pid);
        TL_EQ(v.csid, first);
        TL_EQ(client_view, first);
    }
    tl_signal(&c.r, 9);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
    if (second < 0) {
        print_message("the client could not change its session a second time "
                      "(see its message); the open-time values were checked, "
                      "the move was not\n");
        skip();
    }
}

static int moving_server(void *arg)
{
    struct ctx *c = arg;
    if (child_session_or_skip(&c->r) < 0)
        return TL_SKIP_STATUS;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    const char *why = NULL;
    long long again = tl_new_audit_session(&why);
    if (again < 0)
        fprintf(stderr, "[child %d] %s\n", (int)getpid(), why);
    tl_signal(&c->r, again); /* created, then moved */
    tl_connect(s);
    tl_expect_signal(&c->r, 9);
    TL_OK(CloseHandle(s));
    return 0;
}

static void test_server_identity_fixed_at_create(void **state)
{
    struct ctx c = {.name = tl_pipe_name("fixed-srv")};
    tl_rdv_init(&c.r);
    pid_t pid = tl_spawn(moving_server, &c);
    long long first = tl_wait_signal(&c.r);
    if (first < 0) {
        tl_join(pid);
        return;
    }
    long long second = tl_wait_signal(&c.r);
    HANDLE h = tl_client(c.name, GENERIC_READ | GENERIC_WRITE);
    ULONG v = 0;
    TL_OK(GetNamedPipeServerProcessId(h, &v));
    TL_EQ(v, pid);
    TL_OK(GetNamedPipeServerSessionId(h, &v));
    TL_EQ(v, first);
    tl_signal(&c.r, 9);
    tl_join(pid);
    TL_OK(CloseHandle(h));
    tl_rdv_close(&c.r);
    if (second < 0) {
        print_message("the server could not change its session a second time; "
                      "only the create-time values were checked\n");
        skip();
    }
}

/* ---- Raw requests on the broker's socket --------------------------------------- */

static uint64_t raw_next_id = 1;

static int raw_connect(void)
{
    const char *path = tl_broker_path();
    TL_ASSERT_MSG(path != NULL, "NPIPE_BROKER is not set");
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    TL_ASSERT_MSG(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    TL_ASSERT(strlen(path) < sizeof sa.sun_path);
    strcpy(sa.sun_path, path);
    TL_ASSERT_MSG(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0,
                  "connect(%s): %s", path, strerror(errno));
    return fd;
}

static void raw_header(struct np_request *q, uint16_t op)
{
    memset(q, 0, sizeof *q);
    q->magic = NP_MAGIC;
    q->version = NP_VERSION;
    q->op = op;
    q->id = raw_next_id++;
}

/* Send one packet; false if the broker already hung up. */
static bool raw_send(int fd, const void *buf, size_t len)
{
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
        return false;
    TL_ASSERT_MSG(n == (ssize_t)len, "send: %s",
                  n < 0 ? strerror(errno) : "short");
    return true;
}

static bool raw_send_req(int fd, struct np_request *q, const void *payload,
                         size_t plen)
{
    static unsigned char buf[sizeof *q + 4096];
    TL_ASSERT(plen <= 4096);
    memcpy(buf, q, sizeof *q);
    if (plen)
        memcpy(buf + sizeof *q, payload, plen);
    return raw_send(fd, buf, sizeof *q + plen);
}

enum raw_outcome { RAW_REPLY, RAW_DROPPED, RAW_SILENT };

/* Wait up to timeout_ms for the broker's reaction. */
static enum raw_outcome raw_recv(int fd, struct np_reply *r, int timeout_ms)
{
    unsigned char buf[NP_MAX_PACKET];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, timeout_ms);
    if (n == 0)
        return RAW_SILENT;
    ssize_t k = recv(fd, buf, sizeof buf, 0);
    if (k <= 0)
        return RAW_DROPPED; /* EOF or ECONNRESET */
    TL_ASSERT_MSG((size_t)k >= sizeof *r,
                  "the broker sent a %zd-byte packet, shorter than a reply "
                  "header",
                  k);
    memcpy(r, buf, sizeof *r);
    TL_EQ(r->magic, NP_MAGIC);
    return RAW_REPLY;
}

/* A HELLO whose fields claim another identity: the broker answers with the
 * pid it sees. */
static void raw_hello(int fd, pid_t expect_pid)
{
    struct np_request q;
    raw_header(&q, NP_OP_HELLO);
    q.handle = 1;           /* lies, all of them */
    q.args.session.pid = 1;
    memset(q.args.raw + 8, 0xff, 8);
    TL_ASSERT(raw_send_req(fd, &q, NULL, 0));
    struct np_reply r;
    enum raw_outcome o = raw_recv(fd, &r, 10000);
    TL_ASSERT_MSG(o == RAW_REPLY, "no reply to HELLO (%s)",
                  o == RAW_DROPPED ? "dropped" : "silence");
    TL_EQ(r.id, q.id);
    TL_ASSERT_MSG(NT_SUCCESS(r.status), "HELLO failed: 0x%08x",
                  (unsigned)r.status);
    TL_EQ(r.handle, (uint32_t)expect_pid);
}

struct bad_request {
    const char *what;
    struct np_request q;
    unsigned char payload[NP_MAX_NAME_BYTES * 2];
    size_t plen;    /* payload bytes sent */
    size_t hdr_len; /* header bytes sent (sizeof q unless truncated) */
};

/* Expect an error status or a dropped channel; returns false if dropped. */
static bool expect_refusal(int fd, const char *what, uint64_t id)
{
    struct np_reply r;
    enum raw_outcome o = raw_recv(fd, &r, 10000);
    TL_ASSERT_MSG(o != RAW_SILENT,
                  "%s: the broker neither answered nor dropped the channel "
                  "within 10 s",
                  what);
    if (o == RAW_DROPPED)
        return false;
    TL_ASSERT_MSG(r.kind == NP_REPLY_FINAL,
                  "%s: reply kind %u, expected a final reply", what,
                  (unsigned)r.kind);
    TL_ASSERT_MSG(!NT_SUCCESS(r.status),
                  "%s: the broker accepted it (status 0x%08x)", what,
                  (unsigned)r.status);
    if (id)
        TL_EQ(r.id, id);
    return true;
}

static struct bad_request *add_bad(struct bad_request *bad, int *n,
                                  const char *what, uint16_t op)
{
    struct bad_request *b = &bad[(*n)++];
    memset(b, 0, sizeof *b);
    b->what = what;
    raw_header(&b->q, op);
    b->hdr_len = sizeof b->q;
    return b;
}

#define BAD(desc, opcode) add_bad(bad, &nbad, (desc), (opcode))

static int raw_garbage(void *arg)
{
    struct ctx *c = arg;
    (void)c;
    static struct bad_request bad[24];
    int nbad = 0;
    struct bad_request *b;

    BAD("bad magic", NP_OP_PROCESS_SESSION)->q.magic = 0x12345678;
    BAD("bad version", NP_OP_PROCESS_SESSION)->q.version = 77;
    BAD("op 0", 0);
    BAD("op NP_OP_MAX", NP_OP_MAX);
    BAD("op 0xffff", 0xffff);
    b = BAD("truncated header", NP_OP_READ);
    b->hdr_len = 10;
    b = BAD("in_len larger than any transfer", NP_OP_WRITE);
    b->q.in_len = 0xffffffffu;
    b->q.handle = 4;
    b = BAD("read on a handle that does not exist", NP_OP_READ);
    b->q.handle = 0xdeadbeef;
    b->q.out_len = 16;
    b = BAD("read of 4 GiB", NP_OP_READ);
    b->q.handle = 0xdeadbeef;
    b->q.out_len = 0xffffffffu;
    b = BAD("write on a garbage handle", NP_OP_WRITE);
    b->q.handle = 0x7fffffff;
    b->q.in_len = 4;
    memcpy(b->payload, "junk", 4);
    b->plen = 4;
    b = BAD("close of a garbage handle", NP_OP_CLOSE);
    b->q.handle = 0x55555555;
    b = BAD("duplicate of a garbage handle", NP_OP_DUPLICATE);
    b->q.handle = 0x66666666;
    b->q.args.duplicate.options = 0xffffffff;
    b = BAD("session of pid 0xffffffff", NP_OP_PROCESS_SESSION);
    b->q.args.session.pid = 0xffffffffu;
    b = BAD("create pipe with an odd-length name", NP_OP_CREATE_NAMED_PIPE);
    b->q.in_len = 3;
    memcpy(b->payload, "\\\0x", 3);
    b->plen = 3;
    b->q.args.create_pipe.max_instances = 1;
    b = BAD("create pipe with a name longer than NP_MAX_NAME_BYTES",
            NP_OP_CREATE_NAMED_PIPE);
    b->q.in_len = NP_MAX_NAME_BYTES * 2;
    for (unsigned k = 0; k < NP_MAX_NAME_BYTES * 2; k += 2) {
        b->payload[k] = k ? 'n' : '\\';
        b->payload[k + 1] = 0;
    }
    b->plen = NP_MAX_NAME_BYTES * 2;
    b->q.args.create_pipe.max_instances = 1;
    b->q.args.create_pipe.share_access = 3;
    b->q.args.create_pipe.timeout_specified = 1;
    b->q.args.create_pipe.default_timeout = -500000;
    b = BAD("create pipe with garbage arguments", NP_OP_CREATE_NAMED_PIPE);
    memset(&b->q.args, 0xff, sizeof b->q.args);
    b->q.in_len = 8;
    memcpy(b->payload, "\\\0a\0b\0c\0", 8);
    b->plen = 8;
    b = BAD("open with garbage arguments", NP_OP_CREATE_FILE);
    memset(&b->q.args, 0xff, sizeof b->q.args);
    b->q.in_len = 4;
    memcpy(b->payload, "\\\0z\0", 4);
    b->plen = 4;
    b = BAD("fsctl with garbage code on a garbage handle", NP_OP_FSCTL);
    b->q.handle = 0x1234;
    b->q.args.io.code = 0xffffffff;
    b->q.out_len = 0xffffffff;
    b = BAD("query info with garbage class", NP_OP_QUERY_INFO);
    b->q.handle = 0x1234;
    b->q.args.io.code = 0xffff;
    b->q.out_len = 64;
    b = BAD("cancel with garbage", NP_OP_CANCEL);
    b->q.handle = 0x4321;
    b = BAD("garbage flags", NP_OP_PROCESS_SESSION);
    b->q.flags = 0xffffffffu;
    b->q.args.session.pid = 0xfffffffeu;

    int refused = 0, dropped = 0;
    for (int i = 0; i < nbad; i++) {
        b = &bad[i];
        int fd = raw_connect();
        raw_hello(fd, getpid());
        static unsigned char buf[sizeof b->q + sizeof b->payload];
        memcpy(buf, &b->q, sizeof b->q);
        memcpy(buf + sizeof b->q, b->payload, b->plen);
        size_t len = b->hdr_len < sizeof b->q ? b->hdr_len
                                              : sizeof b->q + b->plen;
        if (!raw_send(fd, buf, len)) {
            close(fd); /* dropped already */
            dropped++;
            continue;
        }
        bool alive = expect_refusal(fd, b->what,
                                    b->hdr_len == sizeof b->q &&
                                            b->q.magic == NP_MAGIC &&
                                            b->q.version == NP_VERSION
                                        ? b->q.id
                                        : 0);
        if (alive) {
            /* A channel the broker kept must still work. */
            raw_hello(fd, getpid());
            refused++;
        } else {
            dropped++;
        }
        close(fd);
    }
    fprintf(stderr, "[child %d] %d malformed requests: %d refused with an "
            "error status, %d lost their channel\n",
            (int)getpid(), nbad, refused, dropped);

    /* Requests before any HELLO: refused or answered, never trusted. */
    int fd = raw_connect();
    struct np_request q;
    raw_header(&q, NP_OP_PROCESS_SESSION);
    q.args.session.pid = 0xfffffff0u;
    if (raw_send_req(fd, &q, NULL, 0))
        expect_refusal(fd, "a request before HELLO, for a missing pid", 0);
    close(fd);
    return 0;
}

static int real_client(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    struct ids v;
    get_ids(h, &v);
    TL_EQ(v.cpid, getpid());
    TL_EQ(v.csid, tl_read_sessionid(getpid()));
    tl_write_str(h, "real");
    tl_expect_str(h, "ok");
    TL_OK(CloseHandle(h));
    return 0;
}

/* After garbage, a real client in its own process still works and the
 * server records its true pid. */
static void check_real_client(void)
{
    struct ctx c = {.name = tl_pipe_name("real")};
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    pid_t pid = tl_spawn(real_client, &c);
    tl_connect(s);
    tl_expect_str(s, "real");
    ULONG v = 0;
    TL_OK(GetNamedPipeClientProcessId(s, &v));
    TL_EQ(v, pid);
    TL_OK(GetNamedPipeClientSessionId(s, &v));
    TL_EQ(v, tl_read_sessionid(pid));
    tl_write_str(s, "ok");
    tl_join(pid);
    TL_OK(CloseHandle(s));
}

static void test_raw_garbage_requests(void **state)
{
    if (!tl_broker_path()) {
        print_message("NPIPE_BROKER is not set; skipping\n");
        skip();
    }
    check_real_client(); /* also makes sure the broker runs */
    struct ctx c = {0};
    tl_join(tl_spawn(raw_garbage, &c));
    check_real_client();
}

/* A message whose announced payload never comes, and a flood of requests
 * whose replies are never read: the broker must not wait on either. */
static int raw_staller(void *arg)
{
    struct ctx *c = arg;
    int fd1 = raw_connect();
    raw_hello(fd1, getpid());
    struct np_request q;
    raw_header(&q, NP_OP_WRITE);
    q.handle = 4;
    q.in_len = 1024 * 1024; /* the first chunk only, then nothing */
    raw_send_req(fd1, &q, "x", 1);

    int fd2 = raw_connect();
    raw_hello(fd2, getpid());
    int sent = 0;
    for (int i = 0; i < 200000; i++) {
        raw_header(&q, NP_OP_PROCESS_SESSION);
        q.args.session.pid = (uint32_t)getpid();
        ssize_t n = send(fd2, &q, sizeof q, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            break; /* our buffer is full, or the broker dropped us */
        sent++;
    }
    tl_signal(&c->r, sent);
    tl_expect_signal(&c->r, 2); /* keep both sockets open meanwhile */
    close(fd1);
    close(fd2);
    return 0;
}

static void test_raw_broker_never_stalls(void **state)
{
    if (!tl_broker_path()) {
        print_message("NPIPE_BROKER is not set; skipping\n");
        skip();
    }
    check_real_client();
    struct ctx c = {0};
    tl_rdv_init(&c.r);
    pid_t pid = tl_spawn(raw_staller, &c);
    long long sent = tl_wait_signal(&c.r);
    TL_ASSERT(sent > 0);
    print_message("[testlib] %lld unread requests queued on one channel\n",
                  sent);
    /* With one channel half-way through a message and another stuffed with
     * unread replies, real work goes on. */
    check_real_client();
    tl_signal(&c.r, 2);
    tl_join(pid);
    check_real_client();
    tl_rdv_close(&c.r);
}

/* Credentials forged with SCM_CREDENTIALS (the kernel lets root claim another
 * pid): the broker checks every message's sender against the channel's owner
 * and must not take the lie. */
static int forger(void *arg)
{
    struct ctx *c = arg;
    pid_t victim = (pid_t)c->value;
    int fd = raw_connect();
    raw_hello(fd, getpid());

    struct np_request q;
    raw_header(&q, NP_OP_HELLO);
    struct ucred cred = {.pid = victim, .uid = getuid(), .gid = getgid()};
    union {
        char buf[CMSG_SPACE(sizeof cred)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = {.iov_base = &q, .iov_len = sizeof q};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_CREDENTIALS;
    cm->cmsg_len = CMSG_LEN(sizeof cred);
    memcpy(CMSG_DATA(cm), &cred, sizeof cred);
    ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
    if (n < 0 && errno == EPERM) {
        fprintf(stderr, "[child %d] the kernel does not let this process "
                "forge SCM_CREDENTIALS (EPERM; needs CAP_SYS_ADMIN)\n",
                (int)getpid());
        close(fd);
        return TL_SKIP_STATUS;
    }
    TL_ASSERT_MSG(n == (ssize_t)sizeof q, "sendmsg: %s",
                  n < 0 ? strerror(errno) : "short");
    struct np_reply r;
    enum raw_outcome o = raw_recv(fd, &r, 10000);
    TL_ASSERT_MSG(o != RAW_SILENT, "forged credentials: no reaction");
    fprintf(stderr, "[child %d] forged SCM_CREDENTIALS (pid %d): %s\n",
            (int)getpid(), (int)victim,
            o == RAW_DROPPED ? "channel dropped" : "error reply");
    if (o == RAW_REPLY) {
        TL_ASSERT_MSG(r.handle != (uint32_t)victim,
                      "the broker took the forged pid %d", (int)victim);
        TL_ASSERT_MSG(!NT_SUCCESS(r.status),
                      "the broker accepted a message whose credentials name "
                      "another process (status 0x%08x, pid %u)",
                      (unsigned)r.status, (unsigned)r.handle);
    }
    close(fd);
    return 0;
}

static int idle_victim(void *arg)
{
    struct ctx *c = arg;
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2);
    return 0;
}

static void test_raw_forged_credentials(void **state)
{
    if (!tl_broker_path()) {
        print_message("NPIPE_BROKER is not set; skipping\n");
        skip();
    }
    check_real_client();
    struct ctx c = {0};
    tl_rdv_init(&c.r);
    pid_t victim = tl_spawn(idle_victim, &c);
    tl_expect_signal(&c.r, 1);
    c.value = victim;
    int rc = tl_wait(tl_spawn(forger, &c));
    tl_signal(&c.r, 2);
    tl_join(victim);
    check_real_client();
    tl_rdv_close(&c.r);
    if (rc == TL_SKIP_STATUS)
        skip();
    TL_EQ(rc, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_two_sessions),
        TL_TEST(test_unset_session_is_zero),
        TL_TEST(test_client_identity_fixed_at_open),
        TL_TEST(test_server_identity_fixed_at_create),
        TL_TEST(test_raw_garbage_requests),
        TL_TEST(test_raw_broker_never_stalls),
        TL_TEST(test_raw_forged_credentials),
    };
    return TL_RUN(tests);
}
