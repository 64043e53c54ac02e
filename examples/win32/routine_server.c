/*
 * routine_server.c — one thread serves many clients with completion
 * routines: ReadFileEx and WriteFileEx name a function to run when the
 * operation is done, and the thread runs them while it waits alertably
 * (WaitForSingleObjectEx returns WAIT_IO_COMPLETION after running some).
 * Windows style, built unchanged against npipe:
 *
 *     cc routine_server.c $(pkg-config --cflags --libs npipe) -o routine_server
 *     ./routine_server [PIPE-NAME [CLIENTS]]
 *
 * An overlapped ConnectNamedPipe signals one event when a client arrives;
 * the instance is then handed to the routines (read a request, write the
 * answer, read again ...) in a block from GlobalAlloc, and a new instance
 * waits for the next client.  With CLIENTS the server stops after that
 * many clients have come and gone.
 */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>
#include <strsafe.h>

#define BUFSIZE 512

typedef struct {
    OVERLAPPED ov; /* first, so the routines can get from it to the rest */
    HANDLE pipe;
    TCHAR request[BUFSIZE];
    DWORD requestBytes;
    TCHAR reply[BUFSIZE];
    DWORD replyBytes;
} PipeInstance;

static int g_gone; /* clients that have come and gone */

static VOID WINAPI AfterWrite(DWORD error, DWORD bytes, LPOVERLAPPED ov);
static VOID WINAPI AfterRead(DWORD error, DWORD bytes, LPOVERLAPPED ov);

static void Finish(PipeInstance *in)
{
    DisconnectNamedPipe(in->pipe);
    CloseHandle(in->pipe);
    GlobalFree(in);
    g_gone++;
}

/* Read the next request; the routine runs when it arrives. */
static void StartRead(PipeInstance *in)
{
    if (!ReadFileEx(in->pipe, in->request, BUFSIZE * sizeof(TCHAR), &in->ov, AfterRead))
        Finish(in);
}

static VOID WINAPI AfterRead(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    PipeInstance *in = (PipeInstance *)ov;
    if (error != 0 || bytes == 0) {
        Finish(in); /* the client has gone */
        return;
    }
    in->requestBytes = bytes;
    in->request[bytes / sizeof(TCHAR) - 1] = 0;
    _tprintf(TEXT("server: request \"%s\"\n"), in->request);
    StringCchPrintf(in->reply, BUFSIZE, TEXT("answer to: %s"), in->request);
    in->replyBytes = (DWORD)(lstrlen(in->reply) + 1) * sizeof(TCHAR);
    if (!WriteFileEx(in->pipe, in->reply, in->replyBytes, &in->ov, AfterWrite))
        Finish(in);
}

static VOID WINAPI AfterWrite(DWORD error, DWORD bytes, LPOVERLAPPED ov)
{
    PipeInstance *in = (PipeInstance *)ov;
    if (error != 0 || bytes != in->replyBytes) {
        Finish(in);
        return;
    }
    StartRead(in);
}

/* A new instance with an overlapped connect on `ov`; returns whether the
 * connect is still pending (FALSE: a client is already there). */
static BOOL NewInstance(LPCTSTR name, LPOVERLAPPED ov, HANDLE *pipe)
{
    *pipe = CreateNamedPipe(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                            PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                            PIPE_UNLIMITED_INSTANCES, BUFSIZE * sizeof(TCHAR),
                            BUFSIZE * sizeof(TCHAR), 5000, NULL);
    if (*pipe == INVALID_HANDLE_VALUE) {
        _tprintf(TEXT("CreateNamedPipe failed, error %lu\n"), (unsigned long)GetLastError());
        ExitProcess(1);
    }
    if (ConnectNamedPipe(*pipe, ov)) {
        _tprintf(TEXT("ConnectNamedPipe returned TRUE\n"));
        ExitProcess(1);
    }
    switch (GetLastError()) {
    case ERROR_IO_PENDING:
        return TRUE;
    case ERROR_PIPE_CONNECTED:
        SetEvent(ov->hEvent);
        return FALSE;
    default:
        _tprintf(TEXT("ConnectNamedPipe failed, error %lu\n"), (unsigned long)GetLastError());
        ExitProcess(1);
    }
}

int _tmain(int argc, TCHAR *argv[])
{
    LPCTSTR pipeName = argc > 1 ? argv[1] : TEXT("\\\\.\\pipe\\npipe-example");
    int clients = argc > 2 ? _ttoi(argv[2]) : 0;

    OVERLAPPED connect;
    ZeroMemory(&connect, sizeof connect);
    connect.hEvent = CreateEvent(NULL, TRUE, TRUE, NULL);
    if (connect.hEvent == NULL) {
        _tprintf(TEXT("CreateEvent failed, error %lu\n"), (unsigned long)GetLastError());
        return 1;
    }
    HANDLE pipe;
    BOOL pending = NewInstance(pipeName, &connect, &pipe);
    _tprintf(TEXT("server: waiting for clients on %s\n"), pipeName);
    fflush(stdout);

    while (clients == 0 || g_gone < clients) {
        /* Alertable: completion routines run in here. */
        DWORD r = WaitForSingleObjectEx(connect.hEvent, INFINITE, TRUE);
        if (r == WAIT_IO_COMPLETION)
            continue; /* some routines ran; wait again */
        if (r != WAIT_OBJECT_0) {
            _tprintf(TEXT("WaitForSingleObjectEx failed, error %lu\n"),
                     (unsigned long)GetLastError());
            return 1;
        }
        if (pending) {
            DWORD unused;
            if (!GetOverlappedResult(pipe, &connect, &unused, FALSE)) {
                _tprintf(TEXT("connect failed, error %lu\n"), (unsigned long)GetLastError());
                return 1;
            }
        }
        /* Hand the connected instance to the routines. */
        PipeInstance *in = (PipeInstance *)GlobalAlloc(GPTR, sizeof(PipeInstance));
        if (in == NULL) {
            _tprintf(TEXT("GlobalAlloc failed, error %lu\n"), (unsigned long)GetLastError());
            return 1;
        }
        in->pipe = pipe;
        StartRead(in);
        /* And wait for the next client on a new instance. */
        pending = NewInstance(pipeName, &connect, &pipe);
    }
    _tprintf(TEXT("server: %d clients came and went\n"), g_gone);
    /* The last instance still waits for a client: cancel its connect, and
     * wait until the system is done with the OVERLAPPED before it goes. */
    if (pending) {
        DWORD unused;
        CancelIoEx(pipe, &connect);
        GetOverlappedResult(pipe, &connect, &unused, TRUE);
    }
    CloseHandle(pipe);
    CloseHandle(connect.hEvent);
    return 0;
}
