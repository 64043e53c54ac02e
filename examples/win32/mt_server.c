/*
 * mt_server.c — a multithreaded named-pipe server, written the way Windows
 * programs are (TCHAR, _tmain, the process heap, a thread per client) and
 * built unchanged against npipe:
 *
 *     cc mt_server.c $(pkg-config --cflags --libs npipe) -o mt_server
 *     ./mt_server [PIPE-NAME [CLIENTS]]
 *
 * The main thread creates an instance of the pipe, waits for a client to
 * connect and hands the instance to a new thread, which answers each
 * message of that client ("answer to: <message>") until it disconnects.
 * With CLIENTS, the server stops after serving that many clients and
 * returns once their threads have finished.  Pair it with client.c or
 * transact_client.c.
 */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>
#include <strsafe.h>

#define BUFSIZE 512
#define MAX_CLIENTS 64

static DWORD WINAPI ServeClient(LPVOID lpParam);
static BOOL MakeAnswer(LPCTSTR request, LPTSTR reply, LPDWORD replyBytes);

int _tmain(int argc, TCHAR *argv[])
{
    LPCTSTR pipeName = argc > 1 ? argv[1] : TEXT("\\\\.\\pipe\\npipe-example");
    int clients = argc > 2 ? _ttoi(argv[2]) : 0; /* 0: serve forever */
    HANDLE threads[MAX_CLIENTS];
    int served = 0;

    for (;;) {
        _tprintf(TEXT("server: waiting for a client on %s\n"), pipeName);
        fflush(stdout);
        HANDLE pipe = CreateNamedPipe(pipeName, PIPE_ACCESS_DUPLEX,
                                      PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                      PIPE_UNLIMITED_INSTANCES, BUFSIZE, BUFSIZE, 0, NULL);
        if (pipe == INVALID_HANDLE_VALUE) {
            _tprintf(TEXT("CreateNamedPipe failed, error %lu\n"), (unsigned long)GetLastError());
            return 1;
        }

        /* TRUE, or FALSE with ERROR_PIPE_CONNECTED when the client was
         * quicker than us: both mean "connected". */
        BOOL connected = ConnectNamedPipe(pipe, NULL)
                             ? TRUE
                             : (GetLastError() == ERROR_PIPE_CONNECTED);
        if (!connected) {
            CloseHandle(pipe);
            continue;
        }

        DWORD threadId = 0;
        HANDLE thread = CreateThread(NULL, 0, ServeClient, (LPVOID)pipe, 0, &threadId);
        if (thread == NULL) {
            _tprintf(TEXT("CreateThread failed, error %lu\n"), (unsigned long)GetLastError());
            return 1;
        }
        _tprintf(TEXT("server: client connected, thread %lu serves it\n"), (unsigned long)threadId);

        if (clients == 0) {
            CloseHandle(thread); /* serve forever: nobody waits for it */
            continue;
        }
        threads[served++] = thread;
        if (served == clients || served == MAX_CLIENTS)
            break;
    }

    /* Wait for the last clients to be done. */
    WaitForMultipleObjects((DWORD)served, threads, TRUE, INFINITE);
    int failures = 0;
    for (int i = 0; i < served; i++) {
        DWORD code = 0;
        GetExitCodeThread(threads[i], &code);
        if (code != 0)
            failures++;
        CloseHandle(threads[i]);
    }
    _tprintf(TEXT("server: served %d clients, %d failed\n"), served, failures);
    return failures ? 1 : 0;
}

/* One client, on its own thread: its requests, our answers. */
static DWORD WINAPI ServeClient(LPVOID lpParam)
{
    HANDLE pipe = (HANDLE)lpParam;
    HANDLE heap = GetProcessHeap();
    TCHAR *request = (TCHAR *)HeapAlloc(heap, 0, BUFSIZE * sizeof(TCHAR));
    TCHAR *reply = (TCHAR *)HeapAlloc(heap, HEAP_ZERO_MEMORY, BUFSIZE * sizeof(TCHAR));
    DWORD result = 0;

    if (request == NULL || reply == NULL) {
        result = 1;
        goto done;
    }
    for (;;) {
        DWORD got = 0, replyBytes = 0, written = 0;
        if (!ReadFile(pipe, request, BUFSIZE * sizeof(TCHAR), &got, NULL) || got == 0) {
            if (GetLastError() != ERROR_BROKEN_PIPE) {
                _tprintf(TEXT("ReadFile failed, error %lu\n"), (unsigned long)GetLastError());
                result = 1;
            }
            break; /* the client has gone */
        }
        request[got / sizeof(TCHAR) - 1] = 0; /* in case it was not terminated */
        _tprintf(TEXT("server: request \"%s\"\n"), request);
        if (!MakeAnswer(request, reply, &replyBytes) ||
            !WriteFile(pipe, reply, replyBytes, &written, NULL) || written != replyBytes) {
            _tprintf(TEXT("WriteFile failed, error %lu\n"), (unsigned long)GetLastError());
            result = 1;
            break;
        }
    }
    /* Let the client read the last answer before the pipe goes. */
    FlushFileBuffers(pipe);
    DisconnectNamedPipe(pipe);
    CloseHandle(pipe);
done:
    HeapFree(heap, 0, request);
    HeapFree(heap, 0, reply);
    return result;
}

static BOOL MakeAnswer(LPCTSTR request, LPTSTR reply, LPDWORD replyBytes)
{
    HRESULT hr = StringCchPrintf(reply, BUFSIZE, TEXT("answer to: %s"), request);
    if (FAILED(hr) && hr != STRSAFE_E_INSUFFICIENT_BUFFER)
        return FALSE;
    *replyBytes = (DWORD)(lstrlen(reply) + 1) * sizeof(TCHAR);
    return TRUE;
}
