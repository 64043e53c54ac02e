/*
 * pipe_echo.c — a Windows named-pipe program, written as one would for
 * Windows, built unchanged against npipe:
 *
 *     cc pipe_echo.c $(pkg-config --cflags --libs npipe) -o pipe_echo
 *     ./pipe_echo            (runs a server and a client)
 *
 * The server creates a message-mode pipe and echoes each message back in
 * upper case; the client sends a few messages and checks the replies.
 * Nothing here is Linux-specific except how the two halves are started.
 */
#include <windows.h>

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPE_NAME "\\\\.\\pipe\\npipe-example-echo"

static int fail(const char *what)
{
    fprintf(stderr, "%s failed: error %lu\n", what, (unsigned long)GetLastError());
    return 1;
}

static int server(HANDLE pipe)
{
    if (!ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED)
        return fail("ConnectNamedPipe");
    char buf[256];
    DWORD n;
    while (ReadFile(pipe, buf, sizeof buf, &n, NULL)) {
        for (DWORD i = 0; i < n; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] = (char)(buf[i] - 32);
        DWORD written;
        if (!WriteFile(pipe, buf, n, &written, NULL) || written != n)
            return fail("WriteFile");
    }
    if (GetLastError() != ERROR_BROKEN_PIPE) /* the client hung up */
        return fail("ReadFile");
    DisconnectNamedPipe(pipe);
    CloseHandle(pipe);
    return 0;
}

static int client(void)
{
    if (!WaitNamedPipeA(PIPE_NAME, 5000))
        return fail("WaitNamedPipe");
    HANDLE pipe = CreateFileA(PIPE_NAME, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                              OPEN_EXISTING, 0, NULL);
    if (pipe == INVALID_HANDLE_VALUE)
        return fail("CreateFile");
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (!SetNamedPipeHandleState(pipe, &mode, NULL, NULL))
        return fail("SetNamedPipeHandleState");
    const char *messages[] = {"hello", "named pipes", "on linux"};
    for (int i = 0; i < 3; i++) {
        char reply[256];
        DWORD n;
        if (!TransactNamedPipe(pipe, (void *)messages[i], (DWORD)strlen(messages[i]),
                               reply, sizeof reply, &n, NULL))
            return fail("TransactNamedPipe");
        printf("sent \"%s\", got \"%.*s\"\n", messages[i], (int)n, reply);
        for (DWORD j = 0; j < n; j++)
            if (reply[j] != (messages[i][j] >= 'a' && messages[i][j] <= 'z'
                                 ? messages[i][j] - 32 : messages[i][j]))
                return fail("echo check");
    }
    ULONG server_pid;
    if (!GetNamedPipeServerProcessId(pipe, &server_pid))
        return fail("GetNamedPipeServerProcessId");
    printf("the server is process %lu\n", (unsigned long)server_pid);
    CloseHandle(pipe);
    return 0;
}

int main(void)
{
    HANDLE pipe = CreateNamedPipeA(PIPE_NAME, PIPE_ACCESS_DUPLEX,
                                   PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                   1, 4096, 4096, 0, NULL);
    if (pipe == INVALID_HANDLE_VALUE)
        return fail("CreateNamedPipe");
    pid_t pid = fork();
    if (pid == 0) {
        _exit(client());
    }
    int rc = server(pipe);
    int status;
    waitpid(pid, &status, 0);
    return rc || !WIFEXITED(status) || WEXITSTATUS(status);
}
