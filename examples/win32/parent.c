/*
 * parent.c — runs a child process whose standard input and output are
 * anonymous pipes: it feeds the child a file through one pipe and copies
 * what the child writes through the other to its own output.  Windows
 * style, built unchanged against npipe:
 *
 *     cc parent.c $(pkg-config --cflags --libs npipe) -o parent
 *     NPIPE_LOCAL_FILES=1 ./parent INPUT-FILE [CHILD-COMMAND]
 *
 * CHILD-COMMAND defaults to "child" (child.c), found, as on Windows, next
 * to this program; any filter works too ("/bin/cat", "tr a-z A-Z").
 * CreateFile on INPUT-FILE needs local files switched on
 * (docs/porting.md).  The recipe is Windows': both pipes inheritable, the
 * parent's ends made non-inheritable, STARTF_USESTDHANDLES, and the
 * parent closes the child's ends once it runs, so that the end of the
 * child's output breaks the pipe.
 */
#include <windows.h>
#include <stdio.h>
#include <tchar.h>
#include <strsafe.h>

#define BUFSIZE 4096

static HANDLE childInRead, childInWrite, childOutRead, childOutWrite;

/* Shows what failed and why, then ends the process. */
static void ErrorExit(LPCTSTR function)
{
    DWORD error = GetLastError();
    LPVOID message = NULL;
    FormatMessage(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                      FORMAT_MESSAGE_IGNORE_INSERTS,
                  NULL, error, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), (LPTSTR)&message,
                  0, NULL);
    size_t size = (size_t)(lstrlen((LPCTSTR)message) + lstrlen(function) + 40) * sizeof(TCHAR);
    LPVOID display = LocalAlloc(LMEM_ZEROINIT, size);
    StringCchPrintf((LPTSTR)display, LocalSize(display) / sizeof(TCHAR),
                    TEXT("%s failed with error %lu: %s"), function, (unsigned long)error,
                    (LPCTSTR)message);
    MessageBox(NULL, (LPCTSTR)display, TEXT("Error"), MB_OK);
    LocalFree(message);
    LocalFree(display);
    ExitProcess(1);
}

static PROCESS_INFORMATION StartChild(LPTSTR commandLine)
{
    PROCESS_INFORMATION pi;
    STARTUPINFO si;
    ZeroMemory(&pi, sizeof pi);
    ZeroMemory(&si, sizeof si);
    si.cb = sizeof si;
    si.hStdInput = childInRead;
    si.hStdOutput = childOutWrite;
    si.hStdError = childOutWrite;
    si.dwFlags |= STARTF_USESTDHANDLES;
    if (!CreateProcess(NULL, commandLine, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi))
        ErrorExit(TEXT("CreateProcess"));
    /* The child has its own; the parent's would keep the pipes open. */
    CloseHandle(childOutWrite);
    CloseHandle(childInRead);
    return pi;
}

/* The file into the child's input, then the end of it. */
static void FeedChild(LPCTSTR inputFile)
{
    HANDLE input = CreateFile(inputFile, GENERIC_READ, 0, NULL, OPEN_EXISTING,
                              FILE_ATTRIBUTE_READONLY, NULL);
    if (input == INVALID_HANDLE_VALUE)
        ErrorExit(TEXT("CreateFile"));
    CHAR buf[BUFSIZE];
    for (;;) {
        DWORD got = 0, written = 0;
        if (!ReadFile(input, buf, BUFSIZE, &got, NULL) || got == 0)
            break;
        if (!WriteFile(childInWrite, buf, got, &written, NULL))
            break;
    }
    CloseHandle(input);
    if (!CloseHandle(childInWrite)) /* the child reads the end */
        ErrorExit(TEXT("CloseHandle"));
}

/* The child's output to ours, until the pipe breaks. */
static void CopyChildOutput(void)
{
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    CHAR buf[BUFSIZE];
    for (;;) {
        DWORD got = 0, written = 0;
        if (!ReadFile(childOutRead, buf, BUFSIZE, &got, NULL) || got == 0)
            break;
        if (!WriteFile(out, buf, got, &written, NULL))
            break;
    }
}

int _tmain(int argc, TCHAR *argv[])
{
    SECURITY_ATTRIBUTES sa;
    sa.nLength = sizeof sa;
    sa.bInheritHandle = TRUE;
    sa.lpSecurityDescriptor = NULL;
    TCHAR commandLine[512];

    if (argc < 2)
        ErrorExit(TEXT("Please name an input file; the command line"));
    StringCchCopy(commandLine, 512, argc > 2 ? argv[2] : TEXT("child"));

    printf("\n->Start of parent execution.\n");
    fflush(stdout);

    if (!CreatePipe(&childOutRead, &childOutWrite, &sa, 0))
        ErrorExit(TEXT("CreatePipe (output)"));
    if (!SetHandleInformation(childOutRead, HANDLE_FLAG_INHERIT, 0))
        ErrorExit(TEXT("SetHandleInformation (output)"));
    if (!CreatePipe(&childInRead, &childInWrite, &sa, 0))
        ErrorExit(TEXT("CreatePipe (input)"));
    if (!SetHandleInformation(childInWrite, HANDLE_FLAG_INHERIT, 0))
        ErrorExit(TEXT("SetHandleInformation (input)"));

    PROCESS_INFORMATION pi = StartChild(commandLine);
    FeedChild(argv[1]);
    CopyChildOutput();

    WaitForSingleObject(pi.hProcess, INFINITE);
    DWORD code = 0;
    GetExitCodeProcess(pi.hProcess, &code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    CloseHandle(childOutRead);
    printf("\n->End of parent execution (child exit code %lu).\n", (unsigned long)code);
    return (int)code;
}
