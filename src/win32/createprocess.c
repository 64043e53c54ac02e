/*
 * createprocess.c — CreateProcessA/W, GetExitCodeProcess, TerminateProcess,
 * GetProcessId, ExitProcess, GetCommandLineA/W.
 *
 * A child is an ordinary Linux process (fork + execve), so any program can
 * be started: /bin/cat, a shell, or another program linked with libnpipe.
 *
 * The command line.  Windows passes one string; the child's argv is that
 * string split by the Microsoft C runtime's rules (CommandLineToArgvW):
 * whitespace separates arguments, "double quotes" group them, 2n
 * backslashes before a quote are n backslashes and the quote is special,
 * 2n+1 are n and a literal quote, "" inside quotes is a literal quote, and
 * the program name (the first argument) ends at the next quote or space
 * with no backslash processing.
 *
 * Finding the program.  With lpApplicationName, that path (relative to the
 * current directory; no search, as on Windows).  Without it, the first
 * argument: a name with a '/' is used as it is; a bare name is searched
 * for, as Windows does, in the directory of the calling program, the
 * current directory, then $PATH.  Windows programs name "child.exe" or
 * "child": a name ending in .exe that does not exist is also tried
 * without the .exe.
 *
 * Standard handles.  The child's descriptors 0, 1 and 2 are its
 * STARTUPINFO's hStdInput / hStdOutput / hStdError with
 * STARTF_USESTDHANDLES, or else the parent's GetStdHandle values:
 *   - a console or local-file handle gives its descriptor directly;
 *   - a pipe handle (any broker handle) is relayed: the child gets one end
 *     of a Linux pipe, and a thread in the parent copies between the other
 *     end and a duplicate of the handle — ReadFile from the handle into the
 *     child's input, the child's output into WriteFile.  When the child's
 *     output reaches its end, the relay closes its duplicate, so the pipe
 *     breaks for the reader once the parent has closed its own copy, as
 *     on Windows.  One Linux pipe serves hStdOutput and hStdError when they
 *     are the same handle, so their order is kept;
 *   - NULL or INVALID_HANDLE_VALUE gives /dev/null, and so does a pipe
 *     handle that Windows would not pass on: one that is not inheritable,
 *     or any when bInheritHandles is FALSE (STARTUPINFO's documented
 *     rule), or one that is not valid.
 * The process handle is signaled once the child has exited and its relays
 * have passed on everything it wrote before exiting, so a parent that
 * waits for the process and then reads finds all the output.
 * Cost: one thread per relayed stream while the child runs, and one copy
 * of the data through the parent.
 *
 * Other descriptors are not inherited (Windows passes only inheritable
 * handles): every descriptor above 2 is closed on exec in the child.
 *
 * Process handles.  hProcess is a broker event, set when the child ends
 * (one reaper thread per parent polls the children's pidfds); hThread is a
 * second handle to it (npipe has no separate thread objects; the child's
 * main thread ends with it), and dwThreadId is the pid, which on Linux is
 * the main thread's id.  Exit codes are Linux's 8 bits; a child killed by
 * a signal exits with the NTSTATUS Windows reports for the equivalent
 * crash (SIGSEGV/SIGBUS: STATUS_ACCESS_VIOLATION 0xC0000005, SIGILL:
 * 0xC000001D, SIGFPE: 0xC0000094, SIGINT: STATUS_CONTROL_C_EXIT
 * 0xC000013A, SIGABRT: 3 as the C runtime's abort), any other signal with
 * 128 + its number, and TerminateProcess's code when it was that.
 *
 * Not supported (fail with ERROR_NOT_SUPPORTED): CREATE_SUSPENDED,
 * DEBUG_PROCESS, a security descriptor.  Console and window flags
 * (CREATE_NEW_CONSOLE, CREATE_NO_WINDOW, DETACHED_PROCESS), priority
 * classes and STARTUPINFO's window fields are accepted and ignored;
 * CREATE_NEW_PROCESS_GROUP puts the child in a new process group.
 * The reaper uses waitid on each child's pidfd: a program that reaps
 * children itself (waitpid(-1), SIGCHLD ignored) takes their exit codes
 * away from GetExitCodeProcess.
 */
#include "win32/internal.h"
#include "win32/objects.h"
#include "win32/textutil.h"

#include "channel/channel.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The parent's word to the child before its exec: the value of
 * NPIPE_INHERIT ("EPOCH:BROKER-ID" in hex, or empty), padded with NULs. */
#define SYNC_BYTES 64
#define INHERIT_VAR "NPIPE_INHERIT="

/* ---- Records ------------------------------------------------------------------------ */

struct np_process;

struct relay {
    struct np_process *proc;
    int fd;        /* the parent's end of the Linux pipe */
    HANDLE handle; /* the library's duplicate of the pipe handle */
    bool input;    /* handle -> child's descriptor 0 */
    /* Output relays, under proc->lock: bytes taken from fd, bytes given to
     * the handle, and how far it must get before the process counts as
     * ended (set when the child exits). */
    uint64_t taken, given, target;
    bool has_target;
    bool done;
    /* Input relays: the child is gone, stop. */
    bool stop;
};

struct np_process {
    struct np_obj obj;
    pthread_mutex_t lock;
    pid_t pid;
    int pidfd;
    HANDLE event;       /* the library's own handle; NULL once set */
    DWORD exit_code;    /* STILL_ACTIVE until the handle is signaled */
    DWORD final_code;   /* known when the child has exited */
    bool exited;
    bool signaled;
    bool terminating;
    UINT terminate_code;
    struct relay *relays[3];
    int nrelays;
};

static void release_process(struct np_obj *obj)
{
    struct np_process *p = (struct np_process *)obj;
    for (int i = 0; i < p->nrelays; i++)
        free(p->relays[i]);
    if (p->pidfd >= 0)
        close(p->pidfd);
    if (p->event)
        CloseHandle(p->event);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* Sets the process handle once the child has exited and every output
 * relay has passed on what the child wrote before that. */
static void maybe_signal(struct np_process *p)
{
    HANDLE event = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->exited && !p->signaled) {
        bool drained = true;
        for (int i = 0; i < p->nrelays; i++) {
            struct relay *r = p->relays[i];
            if (!r->input && !r->done && (!r->has_target || r->given < r->target))
                drained = false;
        }
        if (drained) {
            p->signaled = true;
            p->exit_code = p->final_code;
            event = p->event;
            p->event = NULL;
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (event) {
        SetEvent(event);
        CloseHandle(event);
    }
}

/* ---- Relays ------------------------------------------------------------------------- */

#define RELAY_CHUNK 65536

static void *output_relay(void *arg)
{
    struct relay *r = arg;
    struct np_process *p = r->proc;
    char *buf = malloc(RELAY_CHUNK);
    for (;;) {
        if (!buf)
            break;
        struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        /* Read and count under the lock, so that the reaper's snapshot
         * (taken + what is still in the pipe) never misses bytes in
         * flight.  The descriptor is nonblocking. */
        pthread_mutex_lock(&p->lock);
        ssize_t n = read(r->fd, buf, RELAY_CHUNK);
        if (n > 0)
            r->taken += (uint64_t)n;
        pthread_mutex_unlock(&p->lock);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break; /* the child's end is closed everywhere */
        DWORD written = 0;
        const char *at = buf;
        size_t left = (size_t)n;
        bool ok = true;
        while (left && ok) {
            ok = WriteFile(r->handle, at, (DWORD)left, &written, NULL);
            at += written;
            left -= written;
        }
        pthread_mutex_lock(&p->lock);
        r->given += (uint64_t)n;
        pthread_mutex_unlock(&p->lock);
        maybe_signal(p);
        if (!ok)
            break; /* the reader has gone: the child's next write fails */
    }
    free(buf);
    close(r->fd);
    CloseHandle(r->handle);
    pthread_mutex_lock(&p->lock);
    r->done = true;
    pthread_mutex_unlock(&p->lock);
    maybe_signal(p);
    np_obj_put(&p->obj);
    return NULL;
}

static void *input_relay(void *arg)
{
    struct relay *r = arg;
    struct np_process *p = r->proc;
    char *buf = malloc(RELAY_CHUNK);
    for (;;) {
        pthread_mutex_lock(&p->lock);
        bool stop = r->stop;
        pthread_mutex_unlock(&p->lock);
        if (stop || !buf)
            break;
        DWORD n = 0;
        if (!ReadFile(r->handle, buf, RELAY_CHUNK, &n, NULL) &&
            GetLastError() != ERROR_MORE_DATA)
            break; /* the writers are gone (or the read was cancelled) */
        if (n == 0)
            continue; /* a zero-length message */
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(r->fd, buf + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && errno == EAGAIN) {
                struct pollfd pfd = {.fd = r->fd, .events = POLLOUT};
                poll(&pfd, 1, -1);
                continue;
            }
            if (w <= 0)
                goto out; /* the child closed its input or exited */
            off += (size_t)w;
        }
    }
out:
    free(buf);
    close(r->fd); /* the child reads the end of its input */
    CloseHandle(r->handle);
    pthread_mutex_lock(&p->lock);
    r->done = true;
    pthread_mutex_unlock(&p->lock);
    np_obj_put(&p->obj);
    return NULL;
}

/* Starts a detached library thread with every signal blocked: the
 * program's signal handlers never run on it, and a relay writing to a
 * child that has gone gets EPIPE instead of killing the process with
 * SIGPIPE. */
static bool start_internal_thread(void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int err = pthread_create(&t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return err == 0;
}

/* ---- The reaper ----------------------------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    bool running;
    int wake;
    struct np_process **list;
    size_t count, cap;
} g_reaper = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = -1};

static DWORD code_of(const siginfo_t *si, const struct np_process *p)
{
    if (si->si_code == CLD_EXITED)
        return (DWORD)si->si_status;
    if (p->terminating)
        return p->terminate_code;
    switch (si->si_status) {
    case SIGSEGV:
    case SIGBUS: return 0xC0000005u;  /* STATUS_ACCESS_VIOLATION */
    case SIGILL: return 0xC000001Du;  /* STATUS_ILLEGAL_INSTRUCTION */
    case SIGFPE: return 0xC0000094u;  /* STATUS_INTEGER_DIVIDE_BY_ZERO */
    case SIGINT: return 0xC000013Au;  /* STATUS_CONTROL_C_EXIT */
    case SIGABRT: return 3;           /* the C runtime's abort() */
    default: return 128u + (DWORD)si->si_status;
    }
}

/* The child has exited: note the code, snapshot what its output relays
 * still have to pass on, stop its input relay, maybe signal. */
static void child_exited(struct np_process *p, const siginfo_t *si)
{
    struct relay *inputs[3];
    int ninputs = 0;
    pthread_mutex_lock(&p->lock);
    p->final_code = code_of(si, p);
    p->exited = true;
    for (int i = 0; i < p->nrelays; i++) {
        struct relay *r = p->relays[i];
        if (r->input) {
            r->stop = true;
            if (!r->done)
                inputs[ninputs++] = r;
            continue;
        }
        int pending = 0;
        if (!r->done && ioctl(r->fd, FIONREAD, &pending) != 0)
            pending = 0;
        r->target = r->taken + (uint64_t)(pending > 0 ? pending : 0);
        r->has_target = true;
    }
    pthread_mutex_unlock(&p->lock);
    /* An input relay blocked in ReadFile would otherwise take the next
     * data written to the pipe for a child that is gone. */
    for (int k = 0; k < ninputs; k++)
        for (int tries = 0; tries < 200; tries++) {
            pthread_mutex_lock(&p->lock);
            bool done = inputs[k]->done;
            HANDLE h = inputs[k]->handle;
            pthread_mutex_unlock(&p->lock);
            if (done)
                break;
            CancelIoEx(h, NULL);
            usleep(5000);
        }
    maybe_signal(p);
}

static void *reaper_main(void *arg)
{
    (void)arg;
    struct pollfd *pfds = NULL;
    struct np_process **snap = NULL;
    size_t cap = 0;
    for (;;) {
        pthread_mutex_lock(&g_reaper.lock);
        size_t n = g_reaper.count;
        if (n + 1 > cap) {
            size_t ncap = (n + 1) * 2;
            struct pollfd *np = realloc(pfds, ncap * sizeof *np);
            struct np_process **ns = np ? realloc(snap, ncap * sizeof *ns) : NULL;
            if (np)
                pfds = np;
            if (ns)
                snap = ns;
            if (!np || !ns) {
                pthread_mutex_unlock(&g_reaper.lock);
                sleep(1);
                continue;
            }
            cap = ncap;
        }
        pfds[0] = (struct pollfd){.fd = g_reaper.wake, .events = POLLIN};
        for (size_t i = 0; i < n; i++) {
            snap[i] = g_reaper.list[i];
            pfds[i + 1] = (struct pollfd){.fd = snap[i]->pidfd, .events = POLLIN};
        }
        pthread_mutex_unlock(&g_reaper.lock);
        if (poll(pfds, n + 1, -1) < 0)
            continue;
        if (pfds[0].revents) {
            uint64_t v;
            ssize_t ignored = read(g_reaper.wake, &v, sizeof v);
            (void)ignored;
        }
        for (size_t i = 0; i < n; i++) {
            if (!pfds[i + 1].revents)
                continue;
            struct np_process *p = snap[i];
            siginfo_t si = {0};
            if (waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG) != 0) {
                if (errno != ECHILD)
                    continue;
                /* Someone else reaped it: the code is lost. */
                si.si_code = CLD_EXITED;
                si.si_status = 0;
                si.si_pid = p->pid;
            }
            if (si.si_pid == 0)
                continue;
            pthread_mutex_lock(&g_reaper.lock);
            for (size_t k = 0; k < g_reaper.count; k++)
                if (g_reaper.list[k] == p) {
                    g_reaper.list[k] = g_reaper.list[--g_reaper.count];
                    break;
                }
            pthread_mutex_unlock(&g_reaper.lock);
            child_exited(p, &si);
            np_obj_put(&p->obj); /* the reaper's */
        }
    }
    return NULL;
}

static void reaper_atfork_child(void)
{
    /* The child of a fork() has no reaper and none of these children. */
    pthread_mutex_init(&g_reaper.lock, NULL);
    g_reaper.running = false;
    if (g_reaper.wake >= 0)
        close(g_reaper.wake);
    g_reaper.wake = -1;
    g_reaper.count = 0;
}

static pthread_once_t g_atfork_once = PTHREAD_ONCE_INIT;
static void install_atfork(void) { pthread_atfork(NULL, NULL, reaper_atfork_child); }

/* Hands the child to the reaper (which takes a reference). */
static bool watch(struct np_process *p)
{
    pthread_once(&g_atfork_once, install_atfork);
    pthread_mutex_lock(&g_reaper.lock);
    if (!g_reaper.running) {
        if (g_reaper.wake < 0)
            g_reaper.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (g_reaper.wake < 0 || !start_internal_thread(reaper_main, NULL)) {
            pthread_mutex_unlock(&g_reaper.lock);
            return false;
        }
        g_reaper.running = true;
    }
    if (g_reaper.count == g_reaper.cap) {
        size_t cap = g_reaper.cap ? g_reaper.cap * 2 : 8;
        struct np_process **l = realloc(g_reaper.list, cap * sizeof *l);
        if (!l) {
            pthread_mutex_unlock(&g_reaper.lock);
            return false;
        }
        g_reaper.list = l;
        g_reaper.cap = cap;
    }
    np_obj_ref(&p->obj);
    g_reaper.list[g_reaper.count++] = p;
    uint64_t one = 1;
    ssize_t ignored = write(g_reaper.wake, &one, sizeof one);
    (void)ignored;
    pthread_mutex_unlock(&g_reaper.lock);
    return true;
}

/* ---- Command lines --------------------------------------------------------------------- */

struct strv {
    char **v;
    size_t n, cap;
};

static bool strv_push(struct strv *s, char *str)
{
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            free(str);
            return false;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = str;
    s->v[s->n] = NULL;
    return true;
}

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (struct strv){0};
}

/* Splits a command line (UTF-8) by the C runtime's rules (see the top). */
static bool split_command_line(const char *cmd, struct strv *out)
{
    const char *p = cmd;
    struct np_buf arg = {0};
    /* The program name. */
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '"') {
        p++;
        while (*p && *p != '"')
            np_buf_putc(&arg, *p++);
        if (*p == '"')
            p++;
    } else {
        while (*p && *p != ' ' && *p != '\t')
            np_buf_putc(&arg, *p++);
    }
    if (!np_buf_finish(&arg) || !strv_push(out, strdup(arg.data)))
        goto oom;
    np_buf_free(&arg);
    /* The arguments. */
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        bool quoted = false;
        while (*p && (quoted || (*p != ' ' && *p != '\t'))) {
            if (*p == '\\') {
                size_t n = 0;
                while (*p == '\\')
                    n++, p++;
                if (*p == '"') {
                    for (size_t i = 0; i < n / 2; i++)
                        np_buf_putc(&arg, '\\');
                    if (n % 2) {
                        np_buf_putc(&arg, '"');
                        p++;
                    }
                } else {
                    for (size_t i = 0; i < n; i++)
                        np_buf_putc(&arg, '\\');
                }
            } else if (*p == '"') {
                if (quoted && p[1] == '"') { /* "" inside quotes */
                    np_buf_putc(&arg, '"');
                    p += 2;
                } else {
                    quoted = !quoted;
                    p++;
                }
            } else {
                np_buf_putc(&arg, *p++);
            }
        }
        if (!np_buf_finish(&arg) || !strv_push(out, strdup(arg.data)))
            goto oom;
        np_buf_free(&arg);
    }
    return true;
oom:
    np_buf_free(&arg);
    return false;
}

/* Quotes one argument so that split_command_line gives it back. */
static void quote_arg(struct np_buf *b, const char *a, bool first)
{
    bool needs = !*a || strpbrk(a, " \t\"") != NULL;
    if (first) { /* no backslash rules for the program name */
        if (needs)
            np_buf_putc(b, '"');
        np_buf_put(b, a, strlen(a));
        if (needs)
            np_buf_putc(b, '"');
        return;
    }
    if (!needs) {
        np_buf_put(b, a, strlen(a));
        return;
    }
    np_buf_putc(b, '"');
    for (const char *p = a;; p++) {
        size_t n = 0;
        while (*p == '\\')
            n++, p++;
        if (!*p) {
            for (size_t i = 0; i < 2 * n; i++)
                np_buf_putc(b, '\\');
            break;
        }
        if (*p == '"') {
            for (size_t i = 0; i < 2 * n + 1; i++)
                np_buf_putc(b, '\\');
        } else {
            for (size_t i = 0; i < n; i++)
                np_buf_putc(b, '\\');
        }
        np_buf_putc(b, *p);
    }
    np_buf_putc(b, '"');
}

static pthread_once_t g_cmdline_once = PTHREAD_ONCE_INIT;
static char *g_cmdline_a;
static WCHAR *g_cmdline_w;

static void build_cmdline(void)
{
    struct np_buf b = {0};
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    char raw[65536];
    ssize_t n = fd >= 0 ? read(fd, raw, sizeof raw - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n < 0)
        n = 0;
    raw[n] = 0;
    bool first = true;
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(raw + i) + 1) {
        if (!first)
            np_buf_putc(&b, ' ');
        quote_arg(&b, raw + i, first);
        first = false;
    }
    g_cmdline_a = np_buf_finish(&b) ? b.data : strdup("");
    g_cmdline_w = np_utf8_dup_utf16(g_cmdline_a ? g_cmdline_a : "");
}

/* The process's own command line, built from its argv by Windows' quoting
 * rules; the same string for the life of the process. */
NPIPE_API LPSTR WINAPI GetCommandLineA(void)
{
    pthread_once(&g_cmdline_once, build_cmdline);
    return g_cmdline_a;
}

NPIPE_API LPWSTR WINAPI GetCommandLineW(void)
{
    pthread_once(&g_cmdline_once, build_cmdline);
    return g_cmdline_w;
}

/* ---- Finding the program ------------------------------------------------------------------ */

static bool executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with_exe(const char *s)
{
    size_t n = strlen(s);
    return n > 4 && strcasecmp(s + n - 4, ".exe") == 0;
}

/* path, or path without its .exe if only that exists; NULL if neither. */
static char *try_path(const char *path)
{
    if (executable_file(path))
        return strdup(path);
    if (ends_with_exe(path)) {
        char *bare = strndup(path, strlen(path) - 4);
        if (bare && executable_file(bare))
            return bare;
        free(bare);
    }
    return NULL;
}

static char *try_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    if (!path)
        return NULL;
    snprintf(path, n, "%s/%s", *dir ? dir : ".", name);
    char *found = try_path(path);
    free(path);
    return found;
}

/* Returns the file to execute (malloc), or NULL with *error set. */
static char *find_program(const char *name, bool search, DWORD *error)
{
    *error = ERROR_FILE_NOT_FOUND;
    if (!*name)
        return NULL;
    if (!search || strchr(name, '/'))
        return try_path(name);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            char *found = try_in(self, name);
            if (found)
                return found;
        }
    }
    char *found = try_in(".", name);
    if (found)
        return found;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char *copy = strdup(path);
    if (!copy) {
        *error = ERROR_NOT_ENOUGH_MEMORY;
        return NULL;
    }
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
        if ((found = try_in(dir, name)) != NULL)
            break;
    free(copy);
    return found;
}

/* ---- The environment ---------------------------------------------------------------------- */

/* A Windows environment block ("k=v\0k=v\0\0", UTF-8 or UTF-16) as a
 * NULL-terminated vector. */
static bool environment_of(const void *block, bool wide, struct strv *out)
{
    if (!block) {
        for (char **e = environ; e && *e; e++)
            if (strncmp(*e, INHERIT_VAR, sizeof INHERIT_VAR - 1) != 0 &&
                !strv_push(out, strdup(*e)))
                return false;
        return true;
    }
    if (wide) {
        const WCHAR *w = block;
        while (*w) {
            size_t len = np_wstrlen(w);
            if (!strv_push(out, np_utf16_dup_utf8(w)))
                return false;
            w += len + 1;
        }
    } else {
        const char *a = block;
        while (*a) {
            size_t len = strlen(a);
            if (!strv_push(out, strdup(a)))
                return false;
            a += len + 1;
        }
    }
    for (size_t i = 0; i < out->n;) { /* ours to set, never passed on */
        if (strncmp(out->v[i], INHERIT_VAR, sizeof INHERIT_VAR - 1) == 0) {
            free(out->v[i]);
            memmove(out->v + i, out->v + i + 1, (out->n - i) * sizeof *out->v);
            out->n--;
        } else {
            i++;
        }
    }
    return true;
}

/* ---- Standard handles for the child ---------------------------------------------------------- */

/* What the child's descriptor i is made from. */
struct std_plan {
    HANDLE handle;
    int child_fd;   /* the descriptor to dup2 onto i, or -1 for /dev/null */
    int parent_fd;  /* a relay's end, or -1 */
    int shared_with; /* an earlier slot whose relay this one shares, or -1 */
    bool relay;
};

static void plan_cleanup(struct std_plan plan[3])
{
    for (int i = 0; i < 3; i++) {
        if (plan[i].relay && plan[i].shared_with < 0) {
            if (plan[i].child_fd >= 0)
                close(plan[i].child_fd);
            if (plan[i].parent_fd >= 0)
                close(plan[i].parent_fd);
        }
        plan[i].child_fd = plan[i].parent_fd = -1;
    }
}

/* A pipe (broker) handle reaches the child only as on Windows: with
 * bInheritHandles and an inheritable handle.  Otherwise, and for a handle
 * that is not valid, the child's stream is /dev/null. */
static bool inheritable(HANDLE h, BOOL inherit)
{
    DWORD flags = 0;
    return inherit && GetHandleInformation(h, &flags) && (flags & HANDLE_FLAG_INHERIT);
}

static bool make_plan(HANDLE handles[3], BOOL inherit, struct std_plan plan[3])
{
    for (int i = 0; i < 3; i++)
        plan[i] = (struct std_plan){handles[i], -1, -1, -1, false};
    for (int i = 0; i < 3; i++) {
        HANDLE h = handles[i];
        if (!h || h == INVALID_HANDLE_VALUE)
            continue;
        if (np_is_local_handle(h)) {
            plan[i].child_fd = np_local_fd(h); /* -1 (closed): /dev/null */
            continue;
        }
        if (!inheritable(h, inherit))
            continue;
        if (i == 2 && plan[1].relay && handles[1] == h) {
            plan[i].relay = true;
            plan[i].shared_with = 1;
            continue;
        }
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
            plan_cleanup(plan);
            return np_fail(ERROR_NOT_ENOUGH_MEMORY);
        }
        plan[i].relay = true;
        if (i == 0) { /* the child reads */
            plan[i].child_fd = fds[0];
            plan[i].parent_fd = fds[1];
        } else {
            plan[i].child_fd = fds[1];
            plan[i].parent_fd = fds[0];
            fcntl(fds[0], F_SETFL, O_NONBLOCK);
        }
    }
    return true;
}

/* ---- The child, between fork and exec ------------------------------------------------------- */

/* Only async-signal-safe calls here: the parent may have other threads. */
static _Noreturn void child_exec(const char *path, char **argv, char **envp,
                                 char *inherit_slot, int sync_fd,
                                 const struct std_plan plan[3], int devnull,
                                 const char *cwd, bool new_group, int err_fd)
{
    /* Wait for the parent: it registers our inheritance with the broker
     * before we may run a program that attaches. */
    char word[SYNC_BYTES];
    size_t have = 0;
    while (have < sizeof word) {
        ssize_t r = read(sync_fd, word + have, sizeof word - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            _exit(127); /* the parent gave up on us */
        have += (size_t)r;
    }
    word[sizeof word - 1] = 0;
    char *at = inherit_slot + sizeof INHERIT_VAR - 1;
    for (size_t i = 0; word[i]; i++)
        *at++ = word[i];
    *at = 0;
    int fds[3];
    for (int i = 0; i < 3; i++) {
        int src = plan[i].shared_with >= 0 ? plan[plan[i].shared_with].child_fd
                                           : plan[i].child_fd;
        fds[i] = src >= 0 ? src : devnull;
    }
    /* Move the sources above 2 first so that dup2 onto 0..2 cannot
     * clobber one that is itself 0..2. */
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0 && fds[i] <= 2) {
            int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (moved < 0)
                goto fail;
            fds[i] = moved;
        }
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) < 0)
            goto fail;
    /* Nothing else is inherited. */
    syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */);
    if (new_group)
        setpgid(0, 0);
    if (cwd && chdir(cwd) != 0)
        goto fail;
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    execve(path, argv, envp);
fail:;
    int e = errno;
    ssize_t ignored = write(err_fd, &e, sizeof e);
    (void)ignored;
    _exit(127);
}

static DWORD error_of_exec_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR: return ERROR_FILE_NOT_FOUND;
    case EACCES:
    case EPERM: return ERROR_ACCESS_DENIED;
    case ENOEXEC: return ERROR_BAD_EXE_FORMAT;
    case ENOMEM:
    case E2BIG: return ERROR_NOT_ENOUGH_MEMORY;
    default: return ERROR_GEN_FAILURE;
    }
}

/* ---- Handle inheritance ------------------------------------------------------------------------ *
 *
 * With bInheritHandles, the parent registers the forked child with the
 * broker (NP_OP_INHERIT, src/ps/inherit.c) before the child may exec: the
 * child's process object then holds a copy of every inheritable handle at
 * the same value.  The values carry the parent's epoch (channel.h), so the
 * child is told it in $NPIPE_INHERIT ("EPOCH:BROKER-ID"), and its library
 * starts in that epoch when it first reaches the same broker
 * (np_inherited_epoch, called by channel.c).  A fork()ed copy of a process
 * never adopts it: only the image the variable was given to. */

static pid_t g_image_pid;

__attribute__((constructor)) static void note_image_pid(void) { g_image_pid = getpid(); }

uint32_t np_inherited_epoch(uint64_t broker_id, uint32_t epoch);
uint32_t np_inherited_epoch(uint64_t broker_id, uint32_t epoch)
{
    if (getpid() != g_image_pid)
        return epoch;
    const char *v = getenv("NPIPE_INHERIT");
    unsigned e;
    unsigned long long id;
    if (!v || sscanf(v, "%u:%llx", &e, &id) != 2 || e < 1 || e > 127 || id != broker_id)
        return epoch;
    return e;
}

/* Registers the child; fills `word` with what the child puts in
 * $NPIPE_INHERIT.  A broker without NP_OP_INHERIT: no inheritance. */
static NTSTATUS register_inheritance(pid_t pid, char word[SYNC_BYTES])
{
    union np_args args = {.session = {.pid = (uint32_t)pid}};
    struct np_result res;
    NTSTATUS status = STATUS_SUCCESS;
    /* A dead process of the broker's with the same pid may still be on its
     * way out: wait for that. */
    for (int tries = 0; tries < 100; tries++) {
        status = np_call(NP_OP_INHERIT, NULL, &args, NULL, 0, NULL, 0, &res);
        if (status != STATUS_OBJECT_NAME_COLLISION)
            break;
        usleep(10000);
    }
    if (status == STATUS_INVALID_SYSTEM_SERVICE)
        return STATUS_SUCCESS;
    if (NT_SUCCESS(status))
        snprintf(word, SYNC_BYTES, "%u:%llx", (unsigned)np_current_epoch(),
                 (unsigned long long)res.information);
    return status;
}

/* ---- CreateProcess ---------------------------------------------------------------------------- */

#define SUPPORTED_FLAGS                                                         \
    (DETACHED_PROCESS | CREATE_NEW_CONSOLE | NORMAL_PRIORITY_CLASS |            \
     IDLE_PRIORITY_CLASS | HIGH_PRIORITY_CLASS | CREATE_NEW_PROCESS_GROUP |     \
     CREATE_UNICODE_ENVIRONMENT | BELOW_NORMAL_PRIORITY_CLASS |                 \
     ABOVE_NORMAL_PRIORITY_CLASS | CREATE_NO_WINDOW |                           \
     0x00100000 /* CREATE_PRESERVE_CODE_AUTHZ_LEVEL */ |                        \
     0x04000000 /* CREATE_DEFAULT_ERROR_MODE */ |                               \
     0x00080000 /* EXTENDED_STARTUPINFO_PRESENT */ |                            \
     0x01000000 /* CREATE_BREAKAWAY_FROM_JOB */)

struct create_args {
    const char *app;   /* UTF-8 or NULL */
    const char *cmd;   /* UTF-8 or NULL */
    LPSECURITY_ATTRIBUTES proc_sa, thread_sa;
    BOOL inherit;
    DWORD flags;
    const void *env;
    bool env_wide;
    const char *cwd;
    HANDLE std[3];
};

static BOOL create_process(const struct create_args *a, LPPROCESS_INFORMATION pi)
{
    if (!pi || (!a->app && !a->cmd))
        return np_fail(!pi ? ERROR_NOACCESS : ERROR_INVALID_PARAMETER);
    if ((a->proc_sa && a->proc_sa->lpSecurityDescriptor) ||
        (a->thread_sa && a->thread_sa->lpSecurityDescriptor) ||
        (a->flags & (CREATE_SUSPENDED | DEBUG_PROCESS | DEBUG_ONLY_THIS_PROCESS)))
        return np_fail(ERROR_NOT_SUPPORTED);
    if (a->flags & ~(DWORD)SUPPORTED_FLAGS)
        return np_fail(ERROR_INVALID_PARAMETER);

    struct strv argv = {0}, envp = {0};
    char *path = NULL;
    struct std_plan plan[3];
    bool planned = false;
    int devnull = -1, err_pipe[2] = {-1, -1}, sync_pipe[2] = {-1, -1};
    char *inherit_slot = NULL; /* "NPIPE_INHERIT=..." in the child's envp */
    struct np_process *p = NULL;
    HANDLE hprocess = NULL, hthread = NULL;
    DWORD error = ERROR_NOT_ENOUGH_MEMORY;

    /* The argument vector, and the program. */
    /* With both, the program is lpApplicationName and argv[0] stays what
     * the command line says, as the child sees it on Windows. */
    if (!split_command_line(a->cmd ? a->cmd : a->app, &argv))
        goto fail;
    path = find_program(a->app ? a->app : argv.v[0], !a->app, &error);
    if (!path)
        goto fail;
    if (!environment_of(a->env, a->env_wide, &envp) ||
        !(inherit_slot = calloc(1, sizeof INHERIT_VAR + SYNC_BYTES))) {
        error = ERROR_NOT_ENOUGH_MEMORY;
        goto fail;
    }
    memcpy(inherit_slot, INHERIT_VAR, sizeof INHERIT_VAR - 1);
    if (!strv_push(&envp, inherit_slot)) {
        inherit_slot = NULL; /* strv_push freed it */
        error = ERROR_NOT_ENOUGH_MEMORY;
        goto fail;
    }

    /* The standard handles. */
    if (!make_plan((HANDLE *)a->std, a->inherit, plan)) {
        error = GetLastError();
        goto fail;
    }
    planned = true;
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (pipe2(err_pipe, O_CLOEXEC) != 0 || pipe2(sync_pipe, O_CLOEXEC) != 0 ||
        devnull < 0) {
        error = ERROR_NOT_ENOUGH_MEMORY;
        goto fail;
    }

    /* The record and its relays' duplicates, before the child exists. */
    p = calloc(1, sizeof *p);
    if (!p)
        goto fail;
    p->obj.type = NP_OBJ_PROCESS;
    p->obj.release = release_process;
    p->obj.refs = 1; /* ours until the end of this function */
    p->pidfd = -1;
    p->exit_code = STILL_ACTIVE;
    pthread_mutex_init(&p->lock, NULL);
    for (int i = 0; i < 3; i++) {
        if (!plan[i].relay || plan[i].shared_with >= 0)
            continue;
        struct relay *r = calloc(1, sizeof *r);
        if (!r)
            goto fail;
        r->proc = p;
        r->fd = -1;
        r->input = i == 0;
        p->relays[p->nrelays++] = r;
        if (!DuplicateHandle(GetCurrentProcess(), plan[i].handle, GetCurrentProcess(),
                             &r->handle, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
            error = GetLastError();
            goto fail;
        }
        r->fd = plan[i].parent_fd;
        plan[i].parent_fd = -1; /* the relay owns it now */
    }
    p->event = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!p->event) {
        error = GetLastError();
        goto fail;
    }
    BOOL inherit_p = a->proc_sa && a->proc_sa->bInheritHandle;
    BOOL inherit_t = a->thread_sa && a->thread_sa->bInheritHandle;
    if (!DuplicateHandle(GetCurrentProcess(), p->event, GetCurrentProcess(), &hprocess, 0,
                         inherit_p, DUPLICATE_SAME_ACCESS) ||
        !DuplicateHandle(GetCurrentProcess(), p->event, GetCurrentProcess(), &hthread, 0,
                         inherit_t, DUPLICATE_SAME_ACCESS)) {
        error = GetLastError();
        goto fail;
    }

    pid_t pid = fork();
    if (pid < 0) {
        error = ERROR_NOT_ENOUGH_MEMORY;
        goto fail;
    }
    if (pid == 0) {
        close(sync_pipe[1]);
        child_exec(path, argv.v, envp.v, inherit_slot, sync_pipe[0], plan, devnull, a->cwd,
                   (a->flags & CREATE_NEW_PROCESS_GROUP) != 0, err_pipe[1]);
    }

    /* The parent. */
    close(err_pipe[1]);
    err_pipe[1] = -1;
    close(sync_pipe[0]);
    sync_pipe[0] = -1;
    p->pid = pid;
    p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    /* Inheritance first, then the child may run its program. */
    char word[SYNC_BYTES] = {0};
    NTSTATUS inherit_status = a->inherit ? register_inheritance(pid, word) : STATUS_SUCCESS;
    if (!NT_SUCCESS(inherit_status)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        error = RtlNtStatusToDosError(inherit_status);
        goto fail;
    }
    ssize_t sent;
    while ((sent = write(sync_pipe[1], word, sizeof word)) < 0 && errno == EINTR)
        ;
    close(sync_pipe[1]);
    sync_pipe[1] = -1;
    int child_errno = 0;
    ssize_t got;
    while ((got = read(err_pipe[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR)
        ;
    if (got == (ssize_t)sizeof child_errno) {
        /* exec failed: reap the child, report why. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        error = error_of_exec_errno(child_errno);
        goto fail;
    }
    if (p->pidfd < 0) { /* should not happen on Linux >= 5.3 */
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        error = ERROR_NOT_SUPPORTED;
        goto fail;
    }
    /* The child's ends belong to the child now. */
    for (int i = 0; i < 3; i++)
        if (plan[i].relay && plan[i].shared_with < 0 && plan[i].child_fd >= 0) {
            close(plan[i].child_fd);
            plan[i].child_fd = -1;
        }

    /* Relays, then the reaper. */
    for (int i = 0; i < p->nrelays; i++) {
        struct relay *r = p->relays[i];
        np_obj_ref(&p->obj);
        if (!start_internal_thread(r->input ? input_relay : output_relay, r)) {
            /* Without its relay the stream just ends. */
            np_obj_put(&p->obj);
            close(r->fd);
            r->fd = -1;
            CloseHandle(r->handle);
            r->handle = NULL;
            r->done = true;
        }
    }
    if (!watch(p) || !np_obj_insert(hprocess, &p->obj) || !np_obj_insert(hthread, &p->obj)) {
        /* Cannot watch it: it would never be signaled. */
        kill(pid, SIGKILL);
        error = ERROR_NOT_ENOUGH_MEMORY;
        np_obj_forget(hprocess);
        np_obj_forget(hthread);
        CloseHandle(hprocess);
        CloseHandle(hthread);
        np_obj_put(&p->obj);
        goto fail_after;
    }
    np_obj_put(&p->obj);
    pi->hProcess = hprocess;
    pi->hThread = hthread;
    pi->dwProcessId = (DWORD)pid;
    pi->dwThreadId = (DWORD)pid;
    close(err_pipe[0]);
    close(devnull);
    plan_cleanup(plan);
    strv_free(&argv);
    strv_free(&envp); /* and inherit_slot, which it holds */
    free(path);
    return TRUE;

fail:
    if (hprocess)
        CloseHandle(hprocess);
    if (hthread)
        CloseHandle(hthread);
    if (p) {
        for (int i = 0; i < p->nrelays; i++) {
            if (p->relays[i]->fd >= 0)
                close(p->relays[i]->fd);
            p->relays[i]->fd = -1;
            if (p->relays[i]->handle)
                CloseHandle(p->relays[i]->handle);
        }
        np_obj_put(&p->obj);
    }
fail_after:
    if (err_pipe[0] >= 0)
        close(err_pipe[0]);
    if (err_pipe[1] >= 0)
        close(err_pipe[1]);
    for (int i = 0; i < 2; i++)
        if (sync_pipe[i] >= 0)
            close(sync_pipe[i]);
    if (devnull >= 0)
        close(devnull);
    if (planned)
        plan_cleanup(plan);
    strv_free(&argv);
    strv_free(&envp);
    free(path);
    return np_fail(error);
}

/* The standard handles the child gets (see the top). */
static void std_handles(DWORD si_flags, HANDLE in, HANDLE out, HANDLE err, HANDLE std[3])
{
    if (si_flags & STARTF_USESTDHANDLES) {
        std[0] = in;
        std[1] = out;
        std[2] = err;
    } else {
        std[0] = GetStdHandle(STD_INPUT_HANDLE);
        std[1] = GetStdHandle(STD_OUTPUT_HANDLE);
        std[2] = GetStdHandle(STD_ERROR_HANDLE);
    }
}

NPIPE_API BOOL WINAPI CreateProcessA(LPCSTR lpApplicationName, LPSTR lpCommandLine,
                                     LPSECURITY_ATTRIBUTES lpProcessAttributes,
                                     LPSECURITY_ATTRIBUTES lpThreadAttributes,
                                     BOOL bInheritHandles, DWORD dwCreationFlags,
                                     LPVOID lpEnvironment, LPCSTR lpCurrentDirectory,
                                     LPSTARTUPINFOA lpStartupInfo,
                                     LPPROCESS_INFORMATION lpProcessInformation)
{
    if (!lpStartupInfo)
        return np_fail(ERROR_NOACCESS);
    struct create_args a = {
        .app = lpApplicationName,
        .cmd = lpCommandLine,
        .proc_sa = lpProcessAttributes,
        .thread_sa = lpThreadAttributes,
        .inherit = bInheritHandles,
        .flags = dwCreationFlags,
        .env = lpEnvironment,
        .env_wide = (dwCreationFlags & CREATE_UNICODE_ENVIRONMENT) != 0,
        .cwd = lpCurrentDirectory,
    };
    std_handles(lpStartupInfo->dwFlags, lpStartupInfo->hStdInput, lpStartupInfo->hStdOutput,
                lpStartupInfo->hStdError, a.std);
    return create_process(&a, lpProcessInformation);
}

NPIPE_API BOOL WINAPI CreateProcessW(LPCWSTR lpApplicationName, LPWSTR lpCommandLine,
                                     LPSECURITY_ATTRIBUTES lpProcessAttributes,
                                     LPSECURITY_ATTRIBUTES lpThreadAttributes,
                                     BOOL bInheritHandles, DWORD dwCreationFlags,
                                     LPVOID lpEnvironment, LPCWSTR lpCurrentDirectory,
                                     LPSTARTUPINFOW lpStartupInfo,
                                     LPPROCESS_INFORMATION lpProcessInformation)
{
    if (!lpStartupInfo)
        return np_fail(ERROR_NOACCESS);
    char *app = np_utf16_dup_utf8(lpApplicationName);
    char *cmd = np_utf16_dup_utf8(lpCommandLine);
    char *cwd = np_utf16_dup_utf8(lpCurrentDirectory);
    if ((lpApplicationName && !app) || (lpCommandLine && !cmd) ||
        (lpCurrentDirectory && !cwd)) {
        free(app);
        free(cmd);
        free(cwd);
        return np_fail(ERROR_NOT_ENOUGH_MEMORY);
    }
    struct create_args a = {
        .app = app,
        .cmd = cmd,
        .proc_sa = lpProcessAttributes,
        .thread_sa = lpThreadAttributes,
        .inherit = bInheritHandles,
        .flags = dwCreationFlags,
        .env = lpEnvironment,
        .env_wide = (dwCreationFlags & CREATE_UNICODE_ENVIRONMENT) != 0,
        .cwd = cwd,
    };
    std_handles(lpStartupInfo->dwFlags, lpStartupInfo->hStdInput, lpStartupInfo->hStdOutput,
                lpStartupInfo->hStdError, a.std);
    BOOL ok = create_process(&a, lpProcessInformation);
    DWORD error = GetLastError();
    free(app);
    free(cmd);
    free(cwd);
    if (!ok)
        SetLastError(error);
    return ok;
}

/* ---- The process handle ---------------------------------------------------------------------- */

bool np_process_exit_code(HANDLE h, DWORD *code)
{
    struct np_process *p = (struct np_process *)np_obj_get(h, NP_OBJ_PROCESS);
    if (!p)
        return false;
    pthread_mutex_lock(&p->lock);
    *code = p->exit_code;
    pthread_mutex_unlock(&p->lock);
    np_obj_put(&p->obj);
    return true;
}

NPIPE_API BOOL WINAPI GetExitCodeProcess(HANDLE hProcess, LPDWORD lpExitCode)
{
    if (!lpExitCode)
        return np_fail(ERROR_NOACCESS);
    if (hProcess == GetCurrentProcess()) {
        *lpExitCode = STILL_ACTIVE;
        return TRUE;
    }
    return np_process_exit_code(hProcess, lpExitCode) ? TRUE
                                                      : np_fail(ERROR_INVALID_HANDLE);
}

/*
 * Asynchronous, as on Windows: the child is sent SIGKILL and its handle is
 * signaled when it has gone, with uExitCode as its exit code.  A child
 * that has already exited: ERROR_ACCESS_DENIED, as Windows reports.
 * TerminateProcess(GetCurrentProcess(), code) ends the caller at once
 * (_exit: no exit handlers, no stdio flush).
 */
NPIPE_API BOOL WINAPI TerminateProcess(HANDLE hProcess, UINT uExitCode)
{
    if (hProcess == GetCurrentProcess())
        _exit((int)uExitCode);
    struct np_process *p = (struct np_process *)np_obj_get(hProcess, NP_OBJ_PROCESS);
    if (!p)
        return np_fail(ERROR_INVALID_HANDLE);
    pthread_mutex_lock(&p->lock);
    bool gone = p->exited;
    if (!gone && !p->terminating) {
        p->terminating = true;
        p->terminate_code = uExitCode;
        syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
    }
    pthread_mutex_unlock(&p->lock);
    np_obj_put(&p->obj);
    return gone ? np_fail(ERROR_ACCESS_DENIED) : TRUE;
}

NPIPE_API DWORD WINAPI GetProcessId(HANDLE Process)
{
    if (Process == GetCurrentProcess())
        return GetCurrentProcessId();
    struct np_process *p = (struct np_process *)np_obj_get(Process, NP_OBJ_PROCESS);
    if (!p) {
        np_fail(ERROR_INVALID_HANDLE);
        return 0;
    }
    DWORD pid = (DWORD)p->pid;
    np_obj_put(&p->obj);
    return pid;
}

/* Runs the C library's exit handlers and flushes stdio, as the Windows C
 * runtime does when a program calls ExitProcess, so buffered printf output
 * is not lost.  Only the low 8 bits of the code reach the parent. */
NPIPE_API DECLSPEC_NORETURN VOID WINAPI ExitProcess(UINT uExitCode)
{
    exit((int)uExitCode);
}
