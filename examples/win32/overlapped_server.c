/*
 * overlapped_server.c — one thread serves several clients at once with
 * overlapped I/O: every pipe instance has an OVERLAPPED whose event is in
 * one array, WaitForMultipleObjects says which instance has something to
 * do, and GetOverlappedResult finishes the operation.  Windows style,
 * built unchanged against npipe:
 *
 *     cc overlapped_server.c $(pkg-config --cflags --libs npipe) -o overlapped_server
 *     ./overlapped_server [PIPE-NAME [CLIENTS]]
 *
 * Each instance moves through three states: connecting (an overlapped
 * ConnectNamedPipe), reading a request, writing its answer — then back to
 * reading until the client goes, when it is disconnected and connects
 * again.  With CLIENTS the server stops after that many clients have come
 * and gone.
 */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>
#include <strsafe.h>

#define INSTANCES 4
#define BUFSIZE 512

enum State { CONNECTING, READING, WRITING };

typedef struct {
    OVERLAPPED ov; /* first: its event is in the wait array */
    HANDLE pipe;
    TCHAR request[BUFSIZE];
    DWORD requestBytes;
    TCHAR reply[BUFSIZE];
    DWORD replyBytes;
    enum State state;
    BOOL pending; /* an operation is under way */
} Instance;

static Instance inst[INSTANCES];
static HANDLE events[INSTANCES];

/* Starts an overlapped connect; returns whether it is still pending. */
static BOOL StartConnect(Instance *in)
{
    if (ConnectNamedPipe(in->pipe, &in->ov)) {
        /* An overlapped connect should not complete synchronously. */
        _tprintf(TEXT("ConnectNamedPipe returned TRUE\n"));
        return FALSE;
    }
    switch (GetLastError()) {
    case ERROR_IO_PENDING:
        return TRUE;
    case ERROR_PIPE_CONNECTED: /* a client came before the call */
        SetEvent(in->ov.hEvent);
        return FALSE;
    default:
        _tprintf(TEXT("ConnectNamedPipe failed, error %lu\n"), (unsigned long)GetLastError());
        return FALSE;
    }
}

static void Reconnect(Instance *in)
{
    if (!DisconnectNamedPipe(in->pipe))
        _tprintf(TEXT("DisconnectNamedPipe failed, error %lu\n"),
                 (unsigned long)GetLastError());
    in->pending = StartConnect(in);
    in->state = in->pending ? CONNECTING : READING;
}

static void Answer(Instance *in)
{
    _tprintf(TEXT("server: request \"%s\" on instance %d\n"), in->request,
             (int)(in - inst));
    StringCchPrintf(in->reply, BUFSIZE, TEXT("answer to: %s"), in->request);
    in->replyBytes = (DWORD)(lstrlen(in->reply) + 1) * sizeof(TCHAR);
}

int _tmain(int argc, TCHAR *argv[])
{
    LPCTSTR pipeName = argc > 1 ? argv[1] : TEXT("\\\\.\\pipe\\npipe-example");
    int clients = argc > 2 ? _ttoi(argv[2]) : 0;
    int gone = 0;

    for (int i = 0; i < INSTANCES; i++) {
        events[i] = CreateEvent(NULL, TRUE, TRUE, NULL); /* manual, signaled */
        if (events[i] == NULL) {
            _tprintf(TEXT("CreateEvent failed, error %lu\n"), (unsigned long)GetLastError());
            return 1;
        }
        ZeroMemory(&inst[i].ov, sizeof inst[i].ov);
        inst[i].ov.hEvent = events[i];
        inst[i].pipe = CreateNamedPipe(pipeName, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                                       PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                       INSTANCES, BUFSIZE * sizeof(TCHAR),
                                       BUFSIZE * sizeof(TCHAR), 5000, NULL);
        if (inst[i].pipe == INVALID_HANDLE_VALUE) {
            _tprintf(TEXT("CreateNamedPipe failed, error %lu\n"),
                     (unsigned long)GetLastError());
            return 1;
        }
        inst[i].pending = StartConnect(&inst[i]);
        inst[i].state = inst[i].pending ? CONNECTING : READING;
    }
    _tprintf(TEXT("server: %d instances of %s\n"), INSTANCES, pipeName);
    fflush(stdout);

    while (clients == 0 || gone < clients) {
        DWORD which = WaitForMultipleObjects(INSTANCES, events, FALSE, INFINITE);
        int i = (int)(which - WAIT_OBJECT_0);
        if (i < 0 || i >= INSTANCES) {
            _tprintf(TEXT("WaitForMultipleObjects failed, error %lu\n"),
                     (unsigned long)GetLastError());
            return 1;
        }
        Instance *in = &inst[i];

        /* Finish the operation that was under way. */
        if (in->pending) {
            DWORD bytes = 0;
            BOOL ok = GetOverlappedResult(in->pipe, &in->ov, &bytes, FALSE);
            in->pending = FALSE;
            switch (in->state) {
            case CONNECTING:
                if (!ok) {
                    _tprintf(TEXT("connect failed, error %lu\n"),
                             (unsigned long)GetLastError());
                    return 1;
                }
                in->state = READING;
                break;
            case READING:
                if (!ok || bytes == 0) {
                    gone++;
                    Reconnect(in);
                    continue;
                }
                in->requestBytes = bytes;
                in->state = WRITING;
                break;
            case WRITING:
                if (!ok || bytes != in->replyBytes) {
                    gone++;
                    Reconnect(in);
                    continue;
                }
                in->state = READING;
                break;
            }
        }

        /* Start the next operation. */
        DWORD bytes = 0;
        if (in->state == READING) {
            if (ReadFile(in->pipe, in->request, BUFSIZE * sizeof(TCHAR), &bytes, &in->ov) &&
                bytes != 0) {
                in->requestBytes = bytes; /* done at once: the event is set */
                in->state = WRITING;
                continue;
            }
            if (GetLastError() == ERROR_IO_PENDING) {
                in->pending = TRUE;
                continue;
            }
            gone++; /* the client has gone */
            Reconnect(in);
        } else if (in->state == WRITING) {
            in->request[BUFSIZE - 1] = 0;
            in->request[in->requestBytes / sizeof(TCHAR) - 1] = 0;
            Answer(in);
            if (WriteFile(in->pipe, in->reply, in->replyBytes, &bytes, &in->ov) &&
                bytes == in->replyBytes) {
                in->state = READING; /* done at once */
                continue;
            }
            if (GetLastError() == ERROR_IO_PENDING) {
                in->pending = TRUE;
                continue;
            }
            gone++;
            Reconnect(in);
        }
    }
    _tprintf(TEXT("server: %d clients came and went\n"), gone);
    for (int i = 0; i < INSTANCES; i++) {
        /* Cancel what is still under way, and wait until the system is
         * done with the OVERLAPPED. */
        if (inst[i].pending) {
            DWORD unused;
            CancelIoEx(inst[i].pipe, &inst[i].ov);
            GetOverlappedResult(inst[i].pipe, &inst[i].ov, &unused, TRUE);
        }
        CloseHandle(inst[i].pipe);
        CloseHandle(events[i]);
    }
    return 0;
}
