/*
 * test_exec.c — a process that fork()s and exec()s a program using npipe.
 *
 * Channels to the broker are close-on-exec and a forked child attaches
 * afresh (DESIGN.md invariant 1); the exec'ed program is a new npipe
 * process whose recorded pid is its own (the same pid as before the exec,
 * as Linux keeps it) and which sees none of the parent's handles.
 *
 * The program exec'ed is this test binary itself, with "--client NAME".
 */
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int client_main(const char *name, const char *handle_text)
{
    /* A handle value inherited in the text of argv means nothing here. */
    HANDLE old = (HANDLE)(uintptr_t)strtoull(handle_text, NULL, 0);
    char buf[4];
    DWORD n;
    SetLastError(0xdeadbeef);
    if (ReadFile(old, buf, sizeof buf, &n, NULL) ||
        GetLastError() != ERROR_INVALID_HANDLE) {
        fprintf(stderr, "exec'ed client: the parent's handle value worked "
                "or gave %lu\n", (unsigned long)GetLastError());
        return 3;
    }
    HANDLE h = CreateFileA(name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                           OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "exec'ed client: CreateFile: %lu\n",
                (unsigned long)GetLastError());
        return 4;
    }
    ULONG pid = 0;
    if (!GetNamedPipeClientProcessId(h, &pid) || pid != (ULONG)getpid()) {
        fprintf(stderr, "exec'ed client: recorded pid %lu, mine %d\n",
                (unsigned long)pid, (int)getpid());
        return 5;
    }
    char msg[64];
    int len = snprintf(msg, sizeof msg, "exec %d", (int)getpid()) + 1;
    DWORD w;
    if (!WriteFile(h, msg, (DWORD)len, &w, NULL) || w != (DWORD)len)
        return 6;
    char ok;
    if (!ReadFile(h, &ok, 1, &w, NULL) || w != 1)
        return 10; /* stay until the server has looked at us */
    CloseHandle(h);
    return 0;
}

struct ctx {
    const char *name;
    HANDLE parent_handle;
};

static int exec_child(void *arg)
{
    struct ctx *c = arg;
    /* Use the library before exec, so there are channels to close. */
    ULONG v;
    if (!GetNamedPipeServerProcessId(c->parent_handle, &v) &&
        GetLastError() != ERROR_INVALID_HANDLE)
        return 7;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 8;
    self[n] = 0;
    char htext[32];
    snprintf(htext, sizeof htext, "%#lx",
             (unsigned long)(uintptr_t)c->parent_handle);
    execl(self, self, "--client", c->name, htext, (char *)NULL);
    fprintf(stderr, "execl: %s\n", strerror(errno));
    return 9;
}

static void test_exec_child_is_a_new_process(void **state)
{
    struct ctx c = {.name = tl_pipe_name("exec")};
    HANDLE s = tl_server(c.name, PIPE_ACCESS_DUPLEX, PIPE_TYPE_BYTE, 1, 1024,
                         1024);
    c.parent_handle = s;
    pid_t pid = tl_spawn(exec_child, &c);
    tl_connect(s);
    char expect[64];
    snprintf(expect, sizeof expect, "exec %d", (int)pid);
    tl_expect_str(s, expect);
    ULONG v = 0;
    TL_OK(GetNamedPipeClientProcessId(s, &v));
    TL_EQ(v, pid);
    TL_OK(GetNamedPipeClientSessionId(s, &v));
    TL_EQ(v, tl_read_sessionid(pid));
    tl_write(s, "k", 1);
    tl_join(pid);
    TL_OK(CloseHandle(s));
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--client") == 0)
        return client_main(argv[2], argv[3]);
    const struct CMUnitTest tests[] = {
        TL_TEST(test_exec_child_is_a_new_process),
    };
    return TL_RUN(tests);
}
