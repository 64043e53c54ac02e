/*
 * overlapped_echo.c — one thread serving several pipe instances at once
 * with overlapped I/O, events and WaitForMultipleObjects, written as one
 * would for Windows and built unchanged against npipe:
 *
 *     cc overlapped_echo.c $(pkg-config --cflags --libs npipe) -o overlapped_echo
 *     ./overlapped_echo       (runs the server and forks the clients)
 *
 * The server creates INSTANCES instances of a message pipe, each with its
 * own OVERLAPPED and manual-reset event, and drives them all from one
 * loop: connect, read a message, write it back, read again; when a client
 * hangs up the instance disconnects and listens for the next one.  More
 * clients than instances run at once, so clients also wait for a free
 * instance (WaitNamedPipe).  Each client sends its messages, checks every
 * echo, and exits 0; the program exits 0 when every client did.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPE_NAME "\\\\.\\pipe\\npipe-example-overlapped-echo"
#define INSTANCES 4
#define CLIENTS 10
#define MESSAGES 25
#define BUFSIZE 512

enum state { CONNECTING, READING, WRITING };

struct instance {
    HANDLE pipe;
    OVERLAPPED ov;
    enum state state;
    BOOL early; /* the client connected before ConnectNamedPipe */
    char buf[BUFSIZE];
    DWORD len;
};

static int fail(const char *what)
{
    fprintf(stderr, "overlapped_echo: %s failed: error %lu\n", what,
            (unsigned long)GetLastError());
    return 1;
}

/* Starts the instance's next operation.  Whether it pends or completes at
 * once, its event is set when it is done, so the main loop handles both
 * the same way.  FALSE: the operation failed at once (the client left). */
static BOOL start_read(struct instance *in)
{
    in->state = READING;
    return ReadFile(in->pipe, in->buf, sizeof in->buf, NULL, &in->ov) ||
           GetLastError() == ERROR_IO_PENDING;
}

static BOOL start_write(struct instance *in)
{
    in->state = WRITING;
    return WriteFile(in->pipe, in->buf, in->len, NULL, &in->ov) ||
           GetLastError() == ERROR_IO_PENDING;
}

static BOOL start_connect(struct instance *in)
{
    in->state = CONNECTING;
    if (ConnectNamedPipe(in->pipe, &in->ov))
        return TRUE;
    switch (GetLastError()) {
    case ERROR_IO_PENDING:
        return TRUE;
    case ERROR_PIPE_CONNECTED: /* the client came first: no event for it */
        in->early = TRUE;
        return SetEvent(in->ov.hEvent);
    default:
        return FALSE;
    }
}

/* The client left (or broke the exchange): get ready for the next one. */
static BOOL reconnect(struct instance *in)
{
    if (!DisconnectNamedPipe(in->pipe))
        return FALSE;
    return start_connect(in);
}

static int server(struct instance *instances)
{
    HANDLE events[INSTANCES];
    for (int i = 0; i < INSTANCES; i++) {
        events[i] = instances[i].ov.hEvent;
        if (!start_connect(&instances[i]))
            return fail("ConnectNamedPipe");
    }
    int served = 0, echoed = 0;
    while (served < CLIENTS) {
        DWORD w = WaitForMultipleObjects(INSTANCES, events, FALSE, 30000);
        if (w == WAIT_TIMEOUT || w == WAIT_FAILED)
            return fail("WaitForMultipleObjects");
        struct instance *in = &instances[w - WAIT_OBJECT_0];
        DWORD n = 0;
        BOOL ok = in->early || GetOverlappedResult(in->pipe, &in->ov, &n, FALSE);
        in->early = FALSE; /* the event we set ourselves */
        ResetEvent(in->ov.hEvent);
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
    printf("overlapped_echo: %d clients served, %d messages echoed by one thread "
           "on %d instances\n",
           served, echoed, INSTANCES);
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
        int len = snprintf(msg, sizeof msg, "client %d, message %d", id, i);
        DWORD n;
        if (!TransactNamedPipe(pipe, msg, (DWORD)len, reply, sizeof reply, &n, NULL))
            return fail("TransactNamedPipe");
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
    static struct instance instances[INSTANCES];
    for (int i = 0; i < INSTANCES; i++) {
        instances[i].pipe = CreateNamedPipeA(
            PIPE_NAME, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
            PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, INSTANCES, BUFSIZE,
            BUFSIZE, 0, NULL);
        if (instances[i].pipe == INVALID_HANDLE_VALUE)
            return fail("CreateNamedPipe");
        instances[i].ov.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
        if (!instances[i].ov.hEvent)
            return fail("CreateEvent");
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
            fprintf(stderr, "overlapped_echo: client %d failed\n", c);
            rc = 1;
        }
    }
    for (int i = 0; i < INSTANCES; i++) {
        CloseHandle(instances[i].ov.hEvent);
        CloseHandle(instances[i].pipe);
    }
    return rc;
}
