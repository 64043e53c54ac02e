/*
 * client.c — a named-pipe client in the Windows style, built unchanged
 * against npipe:
 *
 *     cc client.c $(pkg-config --cflags --libs npipe) -o client
 *     ./client [MESSAGE [PIPE-NAME [COUNT]]]
 *
 * It opens the pipe (waiting with WaitNamedPipe while every instance is
 * busy), switches its end to message-read mode, sends MESSAGE COUNT times
 * (once by default) and prints each answer, reading a long answer in
 * pieces (ERROR_MORE_DATA).  Any server in examples/win32 answers it.
 */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>
#include <strsafe.h>

#define BUFSIZE 512

static int Fail(LPCTSTR what)
{
    _tprintf(TEXT("%s failed, error %lu\n"), what, (unsigned long)GetLastError());
    return 1;
}

int _tmain(int argc, TCHAR *argv[])
{
    LPCTSTR message = argc > 1 ? argv[1] : TEXT("Default message from client.");
    LPCTSTR pipeName = argc > 2 ? argv[2] : TEXT("\\\\.\\pipe\\npipe-example");
    int count = argc > 3 ? _ttoi(argv[3]) : 1;
    HANDLE pipe;

    /* Open the pipe; if every instance is busy, wait for one. */
    for (;;) {
        pipe = CreateFile(pipeName, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                          0, NULL);
        if (pipe != INVALID_HANDLE_VALUE)
            break;
        if (GetLastError() != ERROR_PIPE_BUSY && GetLastError() != ERROR_FILE_NOT_FOUND)
            return Fail(TEXT("CreateFile"));
        /* ERROR_FILE_NOT_FOUND: the server is between instances. */
        if (!WaitNamedPipe(pipeName, 20000) && GetLastError() != ERROR_FILE_NOT_FOUND)
            return Fail(TEXT("WaitNamedPipe"));
        if (GetLastError() == ERROR_FILE_NOT_FOUND)
            Sleep(50);
    }

    DWORD mode = PIPE_READMODE_MESSAGE;
    if (!SetNamedPipeHandleState(pipe, &mode, NULL, NULL))
        return Fail(TEXT("SetNamedPipeHandleState"));

    for (int i = 0; i < count; i++) {
        DWORD toWrite = (DWORD)(lstrlen(message) + 1) * sizeof(TCHAR), written = 0;
        _tprintf(TEXT("client: sending %lu bytes: \"%s\"\n"), (unsigned long)toWrite,
                 message);
        if (!WriteFile(pipe, message, toWrite, &written, NULL))
            return Fail(TEXT("WriteFile"));

        /* Read the answer, in pieces if it is longer than our buffer. */
        TCHAR answer[BUFSIZE];
        BOOL done;
        do {
            DWORD got = 0;
            done = ReadFile(pipe, answer, sizeof answer - sizeof(TCHAR), &got, NULL);
            if (!done && GetLastError() != ERROR_MORE_DATA)
                return Fail(TEXT("ReadFile"));
            answer[got / sizeof(TCHAR)] = 0;
            _tprintf(TEXT("client: answer \"%s\"\n"), answer);
        } while (!done);
    }

    _tprintf(TEXT("client: done\n"));
    CloseHandle(pipe);
    return 0;
}
