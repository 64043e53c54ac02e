/*
 * transact_client.c — a client that talks to a message pipe with
 * transactions: TransactNamedPipe writes a request and reads the answer
 * in one call.  Windows style, built unchanged against npipe:
 *
 *     cc transact_client.c $(pkg-config --cflags --libs npipe) -o transact_client
 *     ./transact_client [MESSAGE [PIPE-NAME]]
 *
 * The answer buffer is deliberately small: a longer answer ends the
 * transaction with ERROR_MORE_DATA, and the rest of the message is read
 * with ReadFile.  Any server in examples/win32 answers it.
 */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>

#define SMALL 8 /* characters: most answers need more than one read */

int _tmain(int argc, TCHAR *argv[])
{
    LPCTSTR message = argc > 1 ? argv[1] : TEXT("Default message from client");
    LPCTSTR pipeName = argc > 2 ? argv[2] : TEXT("\\\\.\\pipe\\npipe-example");

    /* Another client may take the instance WaitNamedPipe reported free:
     * then wait again. */
    HANDLE pipe;
    for (;;) {
        if (!WaitNamedPipe(pipeName, 20000)) {
            _tprintf(TEXT("WaitNamedPipe failed, error %lu\n"), (unsigned long)GetLastError());
            return 1;
        }
        pipe = CreateFile(pipeName, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
                          NULL);
        if (pipe != INVALID_HANDLE_VALUE)
            break;
        if (GetLastError() != ERROR_PIPE_BUSY) {
            _tprintf(TEXT("CreateFile failed, error %lu\n"), (unsigned long)GetLastError());
            return 1;
        }
    }
    /* Transactions need the message-read mode. */
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (!SetNamedPipeHandleState(pipe, &mode, NULL, NULL)) {
        _tprintf(TEXT("SetNamedPipeHandleState failed, error %lu\n"),
                 (unsigned long)GetLastError());
        return 1;
    }

    TCHAR answer[SMALL + 1];
    DWORD got = 0;
    BOOL done = TransactNamedPipe(pipe, (LPVOID)message,
                                  (DWORD)(lstrlen(message) + 1) * sizeof(TCHAR), answer,
                                  SMALL * sizeof(TCHAR), &got, NULL);
    if (!done && GetLastError() != ERROR_MORE_DATA) {
        _tprintf(TEXT("TransactNamedPipe failed, error %lu\n"), (unsigned long)GetLastError());
        return 1;
    }
    _tprintf(TEXT("client: answer \""));
    for (;;) {
        answer[got / sizeof(TCHAR)] = 0;
        _tprintf(TEXT("%s"), answer);
        if (done)
            break;
        /* The rest of the answer. */
        done = ReadFile(pipe, answer, SMALL * sizeof(TCHAR), &got, NULL);
        if (!done && GetLastError() != ERROR_MORE_DATA) {
            _tprintf(TEXT("\nReadFile failed, error %lu\n"), (unsigned long)GetLastError());
            return 1;
        }
    }
    _tprintf(TEXT("\"\nclient: done\n"));
    CloseHandle(pipe);
    return 0;
}
