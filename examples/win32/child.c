/*
 * child.c — the child of parent.c: it copies its standard input to its
 * standard output with ReadFile and WriteFile on GetStdHandle's handles,
 * after a line of its own.  Windows style, built unchanged against npipe:
 *
 *     cc child.c $(pkg-config --cflags --libs npipe) -o child
 *
 * It works the same with a terminal, a file or a pipe as its streams; run
 * by parent.c they are the pipes the parent gave it.
 */
#include <windows.h>
#include <stdio.h>

#define BUFSIZE 4096

int main(void)
{
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    if (in == INVALID_HANDLE_VALUE || out == INVALID_HANDLE_VALUE)
        ExitProcess(1);

    printf("\n ** This is a message from the child process. ** \n");
    fflush(stdout); /* before our own writes to the same stream */

    CHAR buf[BUFSIZE];
    for (;;) {
        DWORD got = 0, written = 0;
        /* The end of the input: TRUE with 0 bytes, or a broken pipe. */
        if (!ReadFile(in, buf, BUFSIZE, &got, NULL) || got == 0)
            break;
        if (!WriteFile(out, buf, got, &written, NULL))
            break;
    }
    return 0;
}
