/*
 * test_pipe_message.c — message pipes, read modes, PeekNamedPipe,
 * TransactNamedPipe and CallNamedPipe, across processes.
 *
 * Windows behaviour checked here (Wine's dlls/kernel32/tests/pipe.c, run on
 * Windows: test_CreateNamedPipe, test_ReadFile, test_NamedPipeHandleState,
 * test_blocking_rw, test_TransactNamedPipe / test_transact; KB140022;
 * Microsoft Learn, PeekNamedPipe / TransactNamedPipe / CallNamedPipe):
 *  - a message-mode read with a too small buffer returns FALSE with
 *    ERROR_MORE_DATA and the bytes read; the rest of the message is there for
 *    the next read, from any thread;
 *  - zero-length messages are messages: each is read as a successful 0-byte
 *    read and counted by a peek;
 *  - byte read mode on a message pipe reads across message boundaries;
 *  - a client starts in byte read mode whatever the server's mode, and
 *    TransactNamedPipe fails with ERROR_BAD_PIPE until it switches to
 *    message read mode;
 *  - message read mode on a byte-type pipe is ERROR_INVALID_PARAMETER, both
 *    in CreateNamedPipe and in SetNamedPipeHandleState;
 *  - PeekNamedPipe reports bytes read, bytes available and bytes left in the
 *    first message (for a byte pipe the "left" value is 0 minus the bytes
 *    read, as Windows computes it), stops at the first message of a message
 *    pipe, fails with ERROR_BAD_PIPE on a listening or disconnected server
 *    and consumes nothing;
 *  - TransactNamedPipe writes a message and reads one; a too small out
 *    buffer gives ERROR_MORE_DATA and the rest is read with ReadFile; it
 *    fails with ERROR_PIPE_BUSY when unread data is waiting;
 *  - CallNamedPipe opens, transacts and closes.
 */
#include "testlib.h"

#include <npipe/winternl.h>
#include <string.h>
#include <unistd.h>

static const char obuf[] = "first one";       /* 10 bytes with the NUL */
static const char obuf2[] = "second message"; /* 15 bytes with the NUL */

struct ctx {
    const char *name;
    tl_rdv r;
    DWORD pipe_type;
};

#define MSG_SERVER (PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT)

/* ---- Partial reads -------------------------------------------------------- */

struct read_args {
    HANDLE h;
    char *buf;
    DWORD size;
    BOOL ret;
    DWORD err, n;
};

static void *read_thread(void *arg)
{
    struct read_args *a = arg;
    a->n = 0xdeadbeef;
    SetLastError(0xdeadbeef);
    a->ret = ReadFile(a->h, a->buf, a->size, &a->n, NULL);
    a->err = GetLastError();
    return NULL;
}

/* ReadFile from a fresh thread and wait for it. */
static BOOL thread_read(HANDLE h, void *buf, DWORD size, DWORD *n, DWORD *err)
{
    struct read_args a = {.h = h, .buf = buf, .size = size};
    tl_thread_join(tl_thread_start(read_thread, &a));
    *n = a.n;
    *err = a.err;
    return a.ret;
}

static int two_messages_writer(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write(h, obuf, sizeof obuf);
    tl_write(h, obuf2, sizeof obuf2);
    tl_signal(&c->r, 1);
    /* Now read the server's message in message mode, in pieces. */
    DWORD mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    char buf[32] = {0};
    DWORD n = 0xdeadbeef;
    TL_FAILS(ReadFile(h, buf, 4, &n, NULL), ERROR_MORE_DATA);
    TL_EQ(n, 4);
    TL_FAILS(ReadFile(h, buf + 4, 4, &n, NULL), ERROR_MORE_DATA);
    TL_EQ(n, 4);
    TL_OK(ReadFile(h, buf + 8, sizeof buf - 8, &n, NULL));
    TL_EQ(n, sizeof obuf - 8);
    TL_MEMEQ(buf, obuf, sizeof obuf);
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_partial_reads_more_data(void **state)
{
    struct ctx c = {.name = tl_pipe_name("partial")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 1024, 1024);
    pid_t pid = tl_spawn(two_messages_writer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);

    char buf[32] = {0};
    DWORD n = 0xdeadbeef, err;
    /* First message: 4 bytes here, 4 from another thread, rest here. */
    TL_FAILS(ReadFile(s, buf, 4, &n, NULL), ERROR_MORE_DATA);
    TL_EQ(n, 4);
    TL_ASSERT(!thread_read(s, buf + 4, 4, &n, &err));
    TL_EQ(err, ERROR_MORE_DATA);
    TL_EQ(n, 4);
    TL_OK(ReadFile(s, buf + 8, sizeof buf - 8, &n, NULL));
    TL_EQ(n, sizeof obuf - 8); /* stops at the end of the message */
    TL_MEMEQ(buf, obuf, sizeof obuf);

    /* Second message: partial read here, the rest from another thread. */
    memset(buf, 0, sizeof buf);
    TL_FAILS(ReadFile(s, buf, 4, &n, NULL), ERROR_MORE_DATA);
    TL_EQ(n, 4);
    TL_ASSERT_MSG(thread_read(s, buf + 4, sizeof buf - 4, &n, &err),
                  "reading the rest of a message from another thread failed "
                  "with %lu",
                  (unsigned long)err);
    TL_EQ(n, sizeof obuf2 - 4);
    TL_MEMEQ(buf, obuf2, sizeof obuf2);

    /* And the client end in message read mode. */
    tl_write(s, obuf, sizeof obuf);
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- Zero-length messages --------------------------------------------------- */

static int zero_writer(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    DWORD n = 0xdeadbeef;
    TL_OK(WriteFile(h, "", 0, &n, NULL));
    TL_EQ(n, 0);
    TL_OK(WriteFile(h, "", 0, &n, NULL));
    TL_EQ(n, 0);
    tl_write(h, "abc", 3);
    TL_OK(WriteFile(h, "", 0, &n, NULL));
    TL_EQ(n, 0);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_zero_length_messages(void **state)
{
    struct ctx c = {.name = tl_pipe_name("zero")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 1024, 1024);
    pid_t pid = tl_spawn(zero_writer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);

    /* Four messages, three bytes. */
    union {
        FILE_PIPE_PEEK_BUFFER pb;
        char raw[64];
    } peek;
    IO_STATUS_BLOCK iosb;
    memset(&peek, 0xcc, sizeof peek);
    NTSTATUS st = NtFsControlFile(s, NULL, NULL, NULL, &iosb, FSCTL_PIPE_PEEK,
                                  NULL, 0, &peek, sizeof peek);
    TL_ASSERT_MSG(NT_SUCCESS(st), "FSCTL_PIPE_PEEK: status 0x%08x",
                  (unsigned)st);
    TL_EQ(peek.pb.NamedPipeState, FILE_PIPE_CONNECTED_STATE);
    TL_EQ(peek.pb.ReadDataAvailable, 3);
    TL_EQ(peek.pb.NumberOfMessages, 4);
    TL_EQ(peek.pb.MessageLength, 0);

    DWORD read = 0xdeadbeef, avail = 0xdeadbeef, left = 0xdeadbeef;
    char buf[16];
    TL_OK(PeekNamedPipe(s, buf, sizeof buf, &read, &avail, &left));
    TL_EQ(read, 0);
    TL_EQ(avail, 3);
    TL_EQ(left, 0);

    DWORD n = 0xdeadbeef;
    TL_OK(ReadFile(s, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 0);
    TL_OK(ReadFile(s, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 0);
    TL_OK(ReadFile(s, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 3);
    TL_MEMEQ(buf, "abc", 3);
    TL_OK(ReadFile(s, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 0);
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 0);

    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* A zero-length write on a byte pipe succeeds and leaves nothing to read. */
static void test_zero_length_write_byte_pipe(void **state)
{
    const char *name = tl_pipe_name("zerobyte");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    DWORD n = 0xdeadbeef, avail = 0xdeadbeef;
    TL_OK(WriteFile(h, "", 0, &n, NULL));
    TL_EQ(n, 0);
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 0);
    tl_write(h, "z", 1);
    char c;
    TL_EQ(tl_read(s, &c, 1), 1);
    TL_EQ(c, 'z');
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- Byte read mode on a message pipe ---------------------------------------- */

static int byte_reader(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2); /* both messages written */
    char buf[64];
    DWORD n = tl_read(h, buf, sizeof buf);
    TL_EQ(n, sizeof obuf + sizeof obuf2);
    TL_MEMEQ(buf, obuf, sizeof obuf);
    TL_MEMEQ(buf + sizeof obuf, obuf2, sizeof obuf2);
    /* Two more messages, read 5 bytes at a time: no ERROR_MORE_DATA in byte
     * read mode, and reads cross message boundaries. */
    tl_signal(&c->r, 10);
    tl_expect_signal(&c->r, 3);
    char all[32];
    DWORD got = 0;
    while (got < 8) {
        DWORD k = 0xdeadbeef;
        TL_OK(ReadFile(h, all + got, 5, &k, NULL));
        TL_ASSERT(k > 0 && k <= 5);
        got += k;
    }
    TL_EQ(got, 8);
    TL_MEMEQ(all, "abcdefgh", 8);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_byte_read_mode_concatenates(void **state)
{
    struct ctx c = {.name = tl_pipe_name("concat")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 1024, 1024);
    pid_t pid = tl_spawn(byte_reader, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    tl_write(s, obuf, sizeof obuf);
    tl_write(s, obuf2, sizeof obuf2);
    tl_signal(&c.r, 2);
    tl_expect_signal(&c.r, 10);
    tl_write(s, "abc", 3);
    tl_write(s, "defgh", 5);
    tl_signal(&c.r, 3);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* The server side too: PIPE_TYPE_MESSAGE with PIPE_READMODE_BYTE. */
static void test_server_byte_read_mode_on_message_pipe(void **state)
{
    const char *name = tl_pipe_name("srvbyte");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX,
                         PIPE_TYPE_MESSAGE | PIPE_READMODE_BYTE, 1, 1024, 1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    tl_write(h, obuf, sizeof obuf);
    tl_write(h, obuf2, sizeof obuf2);
    char buf[64];
    DWORD n = 0xdeadbeef;
    TL_OK(ReadFile(s, buf, 4, &n, NULL)); /* no ERROR_MORE_DATA */
    TL_EQ(n, 4);
    TL_OK(ReadFile(s, buf + 4, sizeof buf - 4, &n, NULL));
    TL_EQ(n, sizeof obuf + sizeof obuf2 - 4);
    TL_MEMEQ(buf, obuf, sizeof obuf);
    TL_MEMEQ(buf + sizeof obuf, obuf2, sizeof obuf2);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- The client's read mode, and TransactNamedPipe needing message mode ------- */

static int transact_server(void *arg)
{
    struct ctx *c = arg;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 1024, 1024);
    tl_signal(&c->r, 1);
    tl_connect(s);
    /* The client's failed transact sent nothing. */
    tl_expect_signal(&c->r, 2);
    DWORD avail = 0xdeadbeef;
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 0);
    tl_signal(&c->r, 3);
    char buf[64];
    DWORD n = tl_read(s, buf, sizeof buf);
    TL_EQ(n, 8);
    TL_MEMEQ(buf, "request", 8);
    tl_write(s, "response", 9);
    tl_expect_signal(&c->r, 4);
    TL_OK(CloseHandle(s));
    return 0;
}

static void test_client_starts_in_byte_mode(void **state)
{
    struct ctx c = {.name = tl_pipe_name("transact")};
    tl_rdv_init(&c.r);
    pid_t pid = tl_spawn(transact_server, &c);
    tl_expect_signal(&c.r, 1);
    HANDLE h = tl_client(c.name, GENERIC_READ | GENERIC_WRITE);

    DWORD st = 0xdeadbeef, inst = 0xdeadbeef;
    TL_OK(GetNamedPipeHandleStateA(h, &st, &inst, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_BYTE | PIPE_WAIT);
    TL_EQ(inst, 1);

    char out[64];
    DWORD n = 0xdeadbeef;
    TL_FAILS(TransactNamedPipe(h, "request", 8, out, sizeof out, &n, NULL),
             ERROR_BAD_PIPE);
    tl_signal(&c.r, 2);
    tl_expect_signal(&c.r, 3);

    DWORD mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    TL_OK(GetNamedPipeHandleStateA(h, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_MESSAGE | PIPE_WAIT);

    n = 0xdeadbeef;
    TL_OK(TransactNamedPipe(h, "request", 8, out, sizeof out, &n, NULL));
    TL_EQ(n, 9);
    TL_MEMEQ(out, "response", 9);
    tl_signal(&c.r, 4);
    tl_join(pid);
    TL_OK(CloseHandle(h));
    tl_rdv_close(&c.r);
}

static void test_server_state_reports_read_mode(void **state)
{
    const char *name = tl_pipe_name("srvstate");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 1024, 1024);
    DWORD st = 0xdeadbeef;
    TL_OK(GetNamedPipeHandleStateA(s, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_MESSAGE | PIPE_WAIT);
    /* A message-type server may switch to byte read mode and back. */
    DWORD mode = PIPE_READMODE_BYTE;
    TL_OK(SetNamedPipeHandleState(s, &mode, NULL, NULL));
    TL_OK(GetNamedPipeHandleStateA(s, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_BYTE);
    mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(s, &mode, NULL, NULL));
    TL_OK(GetNamedPipeHandleStateA(s, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_MESSAGE);
    /* The client of a message pipe may also go back to byte mode. */
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    mode = PIPE_READMODE_BYTE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    TL_OK(GetNamedPipeHandleStateA(h, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_BYTE);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- Message read mode on a byte pipe ------------------------------------------ */

static void test_message_read_mode_on_byte_pipe(void **state)
{
    const char *name = tl_pipe_name("bytemsg");
    TL_HANDLE_FAILS(CreateNamedPipeA(name, PIPE_ACCESS_DUPLEX,
                                     PIPE_TYPE_BYTE | PIPE_READMODE_MESSAGE, 1,
                                     1024, 1024, 0, NULL),
                    ERROR_INVALID_PARAMETER);
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    DWORD mode = PIPE_READMODE_MESSAGE;
    TL_FAILS(SetNamedPipeHandleState(s, &mode, NULL, NULL),
             ERROR_INVALID_PARAMETER);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    mode = PIPE_READMODE_BYTE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    mode = PIPE_READMODE_MESSAGE;
    TL_FAILS(SetNamedPipeHandleState(h, &mode, NULL, NULL),
             ERROR_INVALID_PARAMETER);
    TL_FAILS(SetNamedPipeHandleState(s, &mode, NULL, NULL),
             ERROR_INVALID_PARAMETER);
    /* Nothing changed. */
    DWORD st = 0xdeadbeef;
    TL_OK(GetNamedPipeHandleStateA(h, &st, NULL, NULL, NULL, NULL, 0));
    TL_EQ(st, PIPE_READMODE_BYTE);
    /* And a byte-type pipe cannot transact either. */
    char out[8];
    DWORD n;
    TL_FAILS(TransactNamedPipe(h, "x", 1, out, sizeof out, &n, NULL),
             ERROR_BAD_PIPE);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- PeekNamedPipe ----------------------------------------------------------- */

static int peek_writer(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_write(h, obuf, sizeof obuf);
    tl_write(h, obuf2, sizeof obuf2);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

static void peek_test(DWORD type)
{
    bool msg = type == PIPE_TYPE_MESSAGE;
    struct ctx c = {.name = tl_pipe_name(msg ? "peekmsg" : "peekbyte")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX,
                         msg ? type | PIPE_READMODE_MESSAGE : type, 1, 1024,
                         1024);
    DWORD read = 0xdeadbeef, avail = 0xdeadbeef, left = 0xdeadbeef;
    char buf[64];

    /* Listening: no pipe to peek at yet. */
    TL_FAILS(PeekNamedPipe(s, buf, sizeof buf, &read, &avail, &left),
             ERROR_BAD_PIPE);

    pid_t pid = tl_spawn(peek_writer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);
    const DWORD total = sizeof obuf + sizeof obuf2;

    /* No buffer: sizes only. */
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, &left));
    TL_EQ(avail, total);
    TL_EQ(left, msg ? sizeof obuf : 0);

    /* A 4-byte buffer. */
    memset(buf, 0, sizeof buf);
    TL_OK(PeekNamedPipe(s, buf, 4, &read, &avail, &left));
    TL_EQ(read, 4);
    TL_EQ(avail, total);
    TL_EQ(left, msg ? sizeof obuf - 4 : (DWORD)-4);
    TL_MEMEQ(buf, obuf, 4);

    /* A large buffer: one message, or everything. */
    memset(buf, 0, sizeof buf);
    TL_OK(PeekNamedPipe(s, buf, sizeof buf, &read, &avail, &left));
    TL_EQ(read, msg ? sizeof obuf : total);
    TL_EQ(avail, total);
    TL_EQ(left, msg ? 0 : (DWORD)-(LONG)total);
    TL_MEMEQ(buf, obuf, sizeof obuf);
    if (!msg)
        TL_MEMEQ(buf + sizeof obuf, obuf2, sizeof obuf2);

    /* The native peek buffer. */
    union {
        FILE_PIPE_PEEK_BUFFER pb;
        char raw[128];
    } peek;
    IO_STATUS_BLOCK iosb;
    memset(&peek, 0xcc, sizeof peek);
    NTSTATUS st = NtFsControlFile(s, NULL, NULL, NULL, &iosb, FSCTL_PIPE_PEEK,
                                  NULL, 0, &peek, sizeof peek);
    TL_ASSERT_MSG(NT_SUCCESS(st), "FSCTL_PIPE_PEEK: status 0x%08x",
                  (unsigned)st);
    TL_EQ(peek.pb.NamedPipeState, FILE_PIPE_CONNECTED_STATE);
    TL_EQ(peek.pb.ReadDataAvailable, total);
    TL_EQ(peek.pb.MessageLength, msg ? sizeof obuf : 0);
    if (msg)
        TL_EQ(peek.pb.NumberOfMessages, 2);
    TL_EQ(iosb.Information,
          offsetof(FILE_PIPE_PEEK_BUFFER, Data) + (msg ? sizeof obuf : total));

    /* Peeking consumed nothing. */
    memset(buf, 0, sizeof buf);
    DWORD n = tl_read(s, buf, sizeof buf);
    if (msg) {
        TL_EQ(n, sizeof obuf);
        TL_MEMEQ(buf, obuf, sizeof obuf);
        TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, &left));
        TL_EQ(avail, sizeof obuf2);
        TL_EQ(left, sizeof obuf2);
        n = tl_read(s, buf, sizeof buf);
        TL_EQ(n, sizeof obuf2);
        TL_MEMEQ(buf, obuf2, sizeof obuf2);
    } else {
        TL_EQ(n, total);
    }
    TL_OK(PeekNamedPipe(s, buf, sizeof buf, &read, &avail, &left));
    TL_EQ(read, 0);
    TL_EQ(avail, 0);
    TL_EQ(left, 0);

    /* Disconnected: ERROR_BAD_PIPE again. */
    TL_OK(DisconnectNamedPipe(s));
    TL_FAILS(PeekNamedPipe(s, buf, sizeof buf, &read, &avail, &left),
             ERROR_BAD_PIPE);
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

static void test_peek_message_pipe(void **state)
{
    peek_test(PIPE_TYPE_MESSAGE);
}

static void test_peek_byte_pipe(void **state)
{
    peek_test(PIPE_TYPE_BYTE);
}

/* The client end peeks too, and the message boundary is the pipe type's, not
 * the reader's read mode. */
static void test_peek_client_end(void **state)
{
    const char *name = tl_pipe_name("peekclient");
    HANDLE s = tl_server(name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 1024, 1024);
    HANDLE h = tl_client(name, GENERIC_READ | GENERIC_WRITE);
    tl_write(s, obuf, sizeof obuf);
    tl_write(s, obuf2, sizeof obuf2);
    char buf[64];
    DWORD read = 0xdeadbeef, avail = 0xdeadbeef, left = 0xdeadbeef;
    TL_OK(PeekNamedPipe(h, buf, sizeof buf, &read, &avail, &left));
    TL_EQ(read, sizeof obuf); /* the client is in byte read mode */
    TL_EQ(avail, sizeof obuf + sizeof obuf2);
    TL_EQ(left, 0);
    TL_OK(PeekNamedPipe(h, buf, 4, &read, &avail, &left));
    TL_EQ(read, 4);
    TL_EQ(left, sizeof obuf - 4);
    TL_OK(CloseHandle(h));
    TL_OK(CloseHandle(s));
}

/* ---- TransactNamedPipe ---------------------------------------------------------- */

static int transact_peer(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    DWORD mode = PIPE_READMODE_MESSAGE;
    TL_OK(SetNamedPipeHandleState(h, &mode, NULL, NULL));
    tl_signal(&c->r, 1);

    /* 1: the server transacts with us. */
    char buf[64];
    DWORD n = tl_read(h, buf, sizeof buf);
    TL_EQ(n, 4);
    TL_MEMEQ(buf, "abc", 4);
    tl_write(h, "test", 5);

    /* 2: we transact with the server; its reply is too long for us. */
    tl_expect_signal(&c->r, 2);
    char small[4];
    n = 0xdeadbeef;
    TL_FAILS(TransactNamedPipe(h, "req", 4, small, sizeof small, &n, NULL),
             ERROR_MORE_DATA);
    TL_EQ(n, 4);
    TL_MEMEQ(small, "0123", 4);
    n = tl_read(h, buf, sizeof buf);
    TL_EQ(n, 7);
    TL_MEMEQ(buf, "456789", 7);

    /* 3: with a reply already waiting, transact is refused. */
    tl_expect_signal(&c->r, 3); /* the server has written "unread" */
    TL_FAILS(TransactNamedPipe(h, "no", 3, buf, sizeof buf, &n, NULL),
             ERROR_PIPE_BUSY);
    n = tl_read(h, buf, sizeof buf);
    TL_EQ(n, 7);
    TL_MEMEQ(buf, "unread", 7);
    tl_signal(&c->r, 4);

    /* 4: zero-length request and reply. */
    n = 0xdeadbeef;
    TL_OK(TransactNamedPipe(h, "", 0, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 0);

    tl_expect_signal(&c->r, 5);
    TL_OK(CloseHandle(h));
    return 0;
}

static void test_transact_both_ways(void **state)
{
    struct ctx c = {.name = tl_pipe_name("transact2")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 4096, 4096);
    pid_t pid = tl_spawn(transact_peer, &c);
    tl_connect(s);
    tl_expect_signal(&c.r, 1);

    char buf[64];
    DWORD n = 0xdeadbeef;
    TL_OK(TransactNamedPipe(s, "abc", 4, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 5);
    TL_MEMEQ(buf, "test", 5);

    tl_signal(&c.r, 2);
    n = tl_read(s, buf, sizeof buf);
    TL_EQ(n, 4);
    TL_MEMEQ(buf, "req", 4);
    tl_write(s, "0123456789", 11);

    tl_write(s, "unread", 7);
    tl_signal(&c.r, 3);
    tl_expect_signal(&c.r, 4);
    /* The refused transact wrote nothing. */
    DWORD avail = 0xdeadbeef;
    TL_OK(PeekNamedPipe(s, NULL, 0, NULL, &avail, NULL));
    TL_EQ(avail, 0);

    /* 4: a zero-length message arrives as one, and we answer with one. */
    n = 0xdeadbeef;
    TL_OK(ReadFile(s, buf, sizeof buf, &n, NULL));
    TL_EQ(n, 0);
    TL_OK(WriteFile(s, "", 0, &n, NULL));

    tl_signal(&c.r, 5);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

/* ---- CallNamedPipe ------------------------------------------------------------ */

static int call_server(void *arg)
{
    struct ctx *c = arg;
    HANDLE s = tl_server(c->name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 1024, 1024);
    tl_signal(&c->r, 1);
    for (int i = 0; i < 3; i++) {
        tl_connect(s);
        char buf[64];
        DWORD n = tl_read(s, buf, sizeof buf);
        TL_EQ(n, 6);
        TL_MEMEQ(buf, "query", 6);
        tl_write(s, "the answer", 11);
        /* CallNamedPipe closes its handle after reading the reply. */
        DWORD k;
        TL_FAILS(ReadFile(s, buf, sizeof buf, &k, NULL), ERROR_BROKEN_PIPE);
        TL_OK(DisconnectNamedPipe(s));
    }
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(s));
    return 0;
}

static void test_call_named_pipe(void **state)
{
    struct ctx c = {.name = tl_pipe_name("call")};
    tl_rdv_init(&c.r);
    char out[64];
    DWORD n = 0xdeadbeef;
    /* No such pipe. */
    TL_FAILS(CallNamedPipeA(c.name, "query", 6, out, sizeof out, &n, 100),
             ERROR_FILE_NOT_FOUND);

    pid_t pid = tl_spawn(call_server, &c);
    tl_expect_signal(&c.r, 1);
    n = 0xdeadbeef;
    TL_OK(CallNamedPipeA(c.name, "query", 6, out, sizeof out, &n,
                         NMPWAIT_WAIT_FOREVER));
    TL_EQ(n, 11);
    TL_MEMEQ(out, "the answer", 11);

    /* The wide version; the server may still be between clients, which the
     * wait inside CallNamedPipe absorbs. */
    n = 0xdeadbeef;
    memset(out, 0, sizeof out);
    TL_OK(CallNamedPipeW(tl_wide(c.name), "query", 6, out, sizeof out, &n,
                         10000));
    TL_EQ(n, 11);
    TL_MEMEQ(out, "the answer", 11);

    /* A reply longer than the out buffer: ERROR_MORE_DATA, and the rest is
     * lost with the handle. */
    char small[3];
    n = 0xdeadbeef;
    TL_FAILS(CallNamedPipeA(c.name, "query", 6, small, sizeof small, &n, 10000),
             ERROR_MORE_DATA);
    TL_EQ(n, 3);
    TL_MEMEQ(small, "the", 3);

    tl_signal(&c.r, 2);
    tl_join(pid);
    tl_rdv_close(&c.r);
}

static int busy_holder(void *arg)
{
    struct ctx *c = arg;
    HANDLE h = tl_client(c->name, GENERIC_READ | GENERIC_WRITE);
    tl_signal(&c->r, 1);
    tl_expect_signal(&c->r, 2);
    TL_OK(CloseHandle(h));
    return 0;
}

/* All instances busy: CallNamedPipe waits nTimeOut and gives up like
 * WaitNamedPipe. */
static void test_call_named_pipe_busy(void **state)
{
    struct ctx c = {.name = tl_pipe_name("callbusy")};
    tl_rdv_init(&c.r);
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, MSG_SERVER, 1, 1024, 1024);
    pid_t pid = tl_spawn(busy_holder, &c);
    tl_expect_signal(&c.r, 1);
    char out[16];
    DWORD n;
    TL_FAILS(CallNamedPipeA(c.name, "q", 2, out, sizeof out, &n, 100),
             ERROR_SEM_TIMEOUT);
    tl_signal(&c.r, 2);
    tl_join(pid);
    TL_OK(CloseHandle(s));
    tl_rdv_close(&c.r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_partial_reads_more_data),
        TL_TEST(test_zero_length_messages),
        TL_TEST(test_zero_length_write_byte_pipe),
        TL_TEST(test_byte_read_mode_concatenates),
        TL_TEST(test_server_byte_read_mode_on_message_pipe),
        TL_TEST(test_client_starts_in_byte_mode),
        TL_TEST(test_server_state_reports_read_mode),
        TL_TEST(test_message_read_mode_on_byte_pipe),
        TL_TEST(test_peek_message_pipe),
        TL_TEST(test_peek_byte_pipe),
        TL_TEST(test_peek_client_end),
        TL_TEST(test_transact_both_ways),
        TL_TEST(test_call_named_pipe),
        TL_TEST(test_call_named_pipe_busy),
    };
    return TL_RUN(tests);
}
