/*
 * iocp_echo.c — one thread serving several pipe instances through an I/O
 * completion port, written as one would for Windows and built unchanged
 * against npipe:
 *
 *     cc iocp_echo.c $(pkg-config --cflags --libs npipe) -o iocp_echo
 *     ./iocp_echo             (runs the server and forks the clients)
 *
 * Every instance of the message pipe is associated with one port (its
 * index as the key).  The server thread only ever waits in
 * GetQueuedCompletionStatus: each packet says which instance's operation
 * finished, and the instance's state says what to do next — read after a
 * connect, echo after a read, read again after a write, and disconnect and
 * listen again when the client hangs up.  Operations that complete at once
 * still queue their packet (no FILE_SKIP_COMPLETION_PORT_ON_SUCCESS), so
 * there is one code path; a client that connected before ConnectNamedPipe
 * gets a packet posted by hand.  The clients use plain synchronous calls.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPE_NAME "\\\\.\\pipe\\npipe-example-iocp-echo"
#define INSTANCES 4
#define CLIENTS 10
#define MESSAGES 25
#define BUFSIZE 512

enum state { CONNECTING, READING, WRITING };

struct instance {
    OVERLAPPED ov; /* first: a packet's OVERLAPPED is the instance */
    HANDLE pipe;
    int index; /* also its key */
    enum state state;
    char buf[BUFSIZE];
    DWORD len;
};

static HANDLE port;

static int fail(const char *what)
{
    fprintf(stderr, "iocp_echo: %s failed: error %lu\n", what,
            (unsigned long)GetLastError());
    return 1;
}

/* Each start_* returns FALSE only when the operation failed at once, and
 * then no packet will come for it. */
static BOOL start_connect(struct instance *in)
{
    in->state = CONNECTING;
    memset(&in->ov, 0, sizeof in->ov);
    if (ConnectNamedPipe(in->pipe, &in->ov) || GetLastError() == ERROR_IO_PENDING)
        return TRUE;
    if (GetLastError() == ERROR_PIPE_CONNECTED)
        return PostQueuedCompletionStatus(port, 0, (ULONG_PTR)in->index, &in->ov);
    return FALSE;
}

static BOOL start_read(struct instance *in)
{
    in->state = READING;
    memset(&in->ov, 0, sizeof in->ov);
    return ReadFile(in->pipe, in->buf, sizeof in->buf, NULL, &in->ov) ||
           GetLastError() == ERROR_IO_PENDING;
}

static BOOL start_write(struct instance *in)
{
    in->state = WRITING;
    memset(&in->ov, 0, sizeof in->ov);
    return WriteFile(in->pipe, in->buf, in->len, NULL, &in->ov) ||
           GetLastError() == ERROR_IO_PENDING;
}

static BOOL reconnect(struct instance *in)
{
    return DisconnectNamedPipe(in->pipe) && start_connect(in);
}

static int server(struct instance *instances)
{
    for (int i = 0; i < INSTANCES; i++)
        if (!start_connect(&instances[i]))
            return fail("ConnectNamedPipe");
    int served = 0, echoed = 0, packets = 0;
    while (served < CLIENTS) {
        DWORD n = 0;
        ULONG_PTR key = 0;
        OVERLAPPED *ov = NULL;
        BOOL ok = GetQueuedCompletionStatus(port, &n, &key, &ov, 30000);
        if (!ov)
            return fail("GetQueuedCompletionStatus"); /* timed out */
        packets++;
        struct instance *in = (struct instance *)ov;
        if (key != (ULONG_PTR)in->index) {
            fprintf(stderr, "iocp_echo: packet key %lu for instance %ld\n",
                    (unsigned long)key, (long)(in - instances));
            return 1;
        }
        switch (in->state) {
        case CONNECTING:
            if (!ok || !start_read(in))
                return fail("connecting");
            break;
        case READING:
            if (!ok) { /* ERROR_BROKEN_PIPE: the client is done */
                served++;
                if (!reconnect(in))
                    return fail("reconnecting");
                break;
            }
            in->len = n;
            if (!start_write(in))
                return fail("WriteFile");
            break;
        case WRITING:
            if (!ok || n != in->len)
                return fail("echo write");
            echoed++;
            if (!start_read(in)) {
                served++;
                if (!reconnect(in))
                    return fail("reconnecting");
            }
            break;
        }
    }
    printf("iocp_echo: %d clients served, %d messages echoed, %d packets, one thread, "
           "%d instances\n",
           served, echoed, packets, INSTANCES);
    return echoed == CLIENTS * MESSAGES ? 0 : 1;
}

static int client(int id)
{
    HANDLE pipe;
    for (;;) { /* until an instance is free for us */
        pipe = CreateFileA(PIPE_NAME, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                           OPEN_EXISTING, 0, NULL);
        if (pipe != INVALID_HANDLE_VALUE)
            break;
        if (GetLastError() != ERROR_PIPE_BUSY)
            return fail("opening the pipe");
        WaitNamedPipeA(PIPE_NAME, 20000);
    }
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (!SetNamedPipeHandleState(pipe, &mode, NULL, NULL))
        return fail("SetNamedPipeHandleState");
    for (int i = 0; i < MESSAGES; i++) {
        char msg[64], reply[BUFSIZE];
        int len = snprintf(msg, sizeof msg, "client %d says %d", id, i);
        DWORD n;
        if (!WriteFile(pipe, msg, (DWORD)len, &n, NULL) ||
            !ReadFile(pipe, reply, sizeof reply, &n, NULL))
            return fail("client I/O");
        if (n != (DWORD)len || memcmp(reply, msg, n) != 0) {
            fprintf(stderr, "client %d: sent \"%s\", got \"%.*s\"\n", id, msg, (int)n,
                    reply);
            return 1;
        }
    }
    CloseHandle(pipe);
    return 0;
}

int main(void)
{
    port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
    if (!port)
        return fail("CreateIoCompletionPort");
    static struct instance instances[INSTANCES];
    for (int i = 0; i < INSTANCES; i++) {
        instances[i].index = i;
        instances[i].pipe = CreateNamedPipeA(
            PIPE_NAME, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
            PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, INSTANCES, BUFSIZE,
            BUFSIZE, 0, NULL);
        if (instances[i].pipe == INVALID_HANDLE_VALUE)
            return fail("CreateNamedPipe");
        if (CreateIoCompletionPort(instances[i].pipe, port, (ULONG_PTR)i, 0) != port)
            return fail("associating the instance with the port");
    }
    pid_t pids[CLIENTS];
    for (int c = 0; c < CLIENTS; c++) {
        pids[c] = fork();
        if (pids[c] == 0)
            _exit(client(c));
    }
    int rc = server(instances);
    for (int c = 0; c < CLIENTS; c++) {
        int status;
        waitpid(pids[c], &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status)) {
            fprintf(stderr, "iocp_echo: client %d failed\n", c);
            rc = 1;
        }
    }
    for (int i = 0; i < INSTANCES; i++)
        CloseHandle(instances[i].pipe);
    CloseHandle(port);
    return rc;
}
