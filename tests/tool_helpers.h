/*
 * tool_helpers.h — running the `npipe` command (and npiped) from the tests
 * of tests/test_tool_*.c, and reading JSON back.  Header-only: each test
 * program includes it once.
 *
 * The binaries are found next to the test program (CMake puts every
 * program in bin/), or through $NPIPE_TOOL / $NPIPED_BIN.  A command runs
 * with its stdin, stdout and stderr on pipes to the test, and dies with
 * the test (PR_SET_PDEATHSIG), so a failed test never leaves a server
 * behind holding anyone's output.
 */
#ifndef NPIPE_TOOL_HELPERS_H
#define NPIPE_TOOL_HELPERS_H

#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- Finding the programs ----------------------------------------------- */

static inline const char *th_program(const char *env, const char *name)
{
    static char paths[2][PATH_MAX];
    static int next;
    const char *e = getenv(env);
    if (e && *e)
        return e;
    char self[PATH_MAX - 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    TL_ASSERT(n > 0);
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    char *p = paths[next++ & 1];
    snprintf(p, PATH_MAX, "%s/%s", self, name);
    return p;
}

static inline const char *th_npipe(void) { return th_program("NPIPE_TOOL", "npipe"); }
static inline const char *th_npiped(void) { return th_program("NPIPED_BIN", "npiped"); }

/* ---- Running a command -------------------------------------------------- */

struct th_proc {
    pid_t pid;
    int in, out, err;  /* our ends; -1 once closed */
    char *obuf;        /* stdout read so far (th_read_line) */
    size_t olen;
};

/* Starts argv[0] (a path) with pipes for its stdio.  extra_env: NULL or a
 * NULL-terminated list of NAME=VALUE to set in the child. */
static inline void th_start_env(struct th_proc *p, char *const argv[], char *const extra_env[])
{
    int in[2], out[2], err[2];
    TL_ASSERT(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
              pipe2(err, O_CLOEXEC) == 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    TL_ASSERT(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (size_t i = 0; extra_env && extra_env[i]; i++)
            putenv(extra_env[i]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    *p = (struct th_proc){.pid = pid, .in = in[1], .out = out[0], .err = err[0]};
}

static inline void th_start(struct th_proc *p, char *const argv[])
{
    th_start_env(p, argv, NULL);
}

/* `npipe ARGS...` (NULL-terminated). */
#define TH_NPIPE(p, ...)                                                       \
    th_start((p), (char *const[]){(char *)th_npipe(), __VA_ARGS__, NULL})

static inline void th_write(struct th_proc *p, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t k = write(p->in, s, n);
        if (k < 0 && errno == EINTR)
            continue;
        TL_ASSERT_MSG(k > 0, "writing to the command's stdin: %s", strerror(errno));
        s += k;
        n -= (size_t)k;
    }
}

static inline void th_close_stdin(struct th_proc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
}

static inline void th_append(char **buf, size_t *len, const char *data, size_t n)
{
    char *b = realloc(*buf, *len + n + 1);
    TL_ASSERT(b != NULL);
    memcpy(b + *len, data, n);
    *len += n;
    b[*len] = '\0';
    *buf = b;
}

/* Reads stdout and stderr until both end (or timeout_ms passes: a failed
 * check), then reaps the command: its exit status, or 128 + signal. */
static inline int th_finish(struct th_proc *p, char **out, char **err, int timeout_ms)
{
    th_close_stdin(p);
    char *o = p->obuf, *e = NULL;
    size_t olen = p->olen, elen = 0;
    p->obuf = NULL;
    th_append(&o, &olen, "", 0);
    th_append(&e, &elen, "", 0);
    uint64_t deadline = tl_now_ms() + (uint64_t)timeout_ms;
    while (p->out >= 0 || p->err >= 0) {
        struct pollfd fds[2] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0}};
        uint64_t now = tl_now_ms();
        if (now >= deadline) {
            kill(p->pid, SIGKILL);
            TL_FAIL("the command did not finish within %d ms; stdout so far:\n%s\n"
                    "stderr so far:\n%s", timeout_ms, o, e);
            break;
        }
        int n = poll(fds, 2, (int)(deadline - now));
        if (n < 0 && errno == EINTR)
            continue;
        for (int i = 0; i < 2; i++) {
            int *fd = i ? &p->err : &p->out;
            if (*fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t k = read(*fd, buf, sizeof buf);
            if (k > 0) {
                if (i)
                    th_append(&e, &elen, buf, (size_t)k);
                else
                    th_append(&o, &olen, buf, (size_t)k);
            } else if (k == 0 || errno != EINTR) {
                close(*fd);
                *fd = -1;
            }
        }
    }
    int status = -1;
    for (;;) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid)
            break;
        if (tl_now_ms() >= deadline) {
            kill(p->pid, SIGKILL);
            TL_FAIL("the command did not exit within %d ms", timeout_ms);
            waitpid(p->pid, &status, 0);
            break;
        }
        tl_sleep_ms(5);
    }
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Stops a long-running command (SIGTERM) and reaps it. */
static inline int th_stop(struct th_proc *p, char **out, char **err)
{
    kill(p->pid, SIGTERM);
    return th_finish(p, out, err, 5000);
}

/* One line of the command's stdout (without its newline) into buf, waiting
 * up to timeout_ms; false on timeout or end of output. */
static inline bool th_read_line(struct th_proc *p, char *buf, size_t size, int timeout_ms)
{
    uint64_t deadline = tl_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        char *nl = p->obuf ? memchr(p->obuf, '\n', p->olen) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - p->obuf);
            snprintf(buf, size, "%.*s", (int)n, p->obuf);
            memmove(p->obuf, nl + 1, p->olen - n - 1);
            p->olen -= n + 1;
            p->obuf[p->olen] = '\0';
            return true;
        }
        uint64_t now = tl_now_ms();
        if (now >= deadline || p->out < 0)
            return false;
        struct pollfd fd = {p->out, POLLIN, 0};
        int n = poll(&fd, 1, (int)(deadline - now));
        if (n <= 0)
            continue;
        char chunk[4096];
        ssize_t k = read(p->out, chunk, sizeof chunk);
        if (k <= 0) {
            close(p->out);
            p->out = -1;
            return false;
        }
        th_append(&p->obuf, &p->olen, chunk, (size_t)k);
    }
}

/* Runs `npipe ARGS...` to the end with `input` on its stdin. */
static inline int th_run(const char *input, char **out, char **err, char *const argv[])
{
    struct th_proc p;
    th_start(&p, argv);
    if (input)
        th_write(&p, input);
    return th_finish(&p, out, err, 8000);
}

#define TH_RUN(input, out, err, ...)                                           \
    th_run((input), (out), (err), (char *const[]){(char *)th_npipe(), __VA_ARGS__, NULL})

/* Does haystack contain needle?  (A check with both printed if not.) */
#define TH_CONTAINS(haystack, needle)                                          \
    TL_ASSERT_MSG(strstr((haystack), (needle)) != NULL,                        \
                  "expected \"%s\" in:\n%s", (needle), (haystack))

/* ---- JSON ------------------------------------------------------------------ */

enum th_json_type { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ };

struct th_json {
    enum th_json_type type;
    bool b;
    double num;
    char *str;              /* TJ_STR */
    size_t n;               /* items (TJ_ARR, TJ_OBJ) */
    struct th_json *items;  /* TJ_ARR, TJ_OBJ values */
    char **keys;            /* TJ_OBJ */
};

static inline void th_json_free(struct th_json *v)
{
    if (!v)
        return;
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        th_json_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

static inline void th_json_ws(const char **s)
{
    while (**s == ' ' || **s == '\n' || **s == '\t' || **s == '\r')
        (*s)++;
}

static inline bool th_json_string(const char **s, char **out)
{
    if (**s != '"')
        return false;
    (*s)++;
    size_t cap = 16, n = 0;
    char *r = malloc(cap);
    while (r && **s && **s != '"') {
        char c = *(*s)++;
        if (c == '\\') {
            char x = *(*s)++;
            switch (x) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4 && **s; i++, (*s)++)
                    v = v * 16 + (unsigned)((**s <= '9') ? **s - '0' : (**s | 32) - 'a' + 10);
                c = (char)v; /* only control characters come escaped */
                break;
            }
            default: c = x; break;
            }
        }
        if (n + 2 > cap) {
            char *bigger = realloc(r, cap *= 2);
            if (!bigger) {
                free(r);
                return false;
            }
            r = bigger;
        }
        r[n++] = c;
    }
    if (!r || **s != '"') {
        free(r);
        return false;
    }
    (*s)++;
    r[n] = '\0';
    *out = r;
    return true;
}

static inline bool th_json_value(const char **s, struct th_json *v)
{
    memset(v, 0, sizeof *v);
    th_json_ws(s);
    if (**s == '{' || **s == '[') {
        bool obj = *(*s)++ == '{';
        v->type = obj ? TJ_OBJ : TJ_ARR;
        th_json_ws(s);
        if (**s == (obj ? '}' : ']')) {
            (*s)++;
            return true;
        }
        for (;;) {
            v->items = realloc(v->items, (v->n + 1) * sizeof *v->items);
            if (obj)
                v->keys = realloc(v->keys, (v->n + 1) * sizeof *v->keys);
            if (!v->items || (obj && !v->keys))
                return false;
            if (obj) {
                th_json_ws(s);
                v->keys[v->n] = NULL;
                memset(&v->items[v->n], 0, sizeof v->items[0]);
                if (!th_json_string(s, &v->keys[v->n])) {
                    v->n++;
                    return false;
                }
                th_json_ws(s);
                if (*(*s)++ != ':') {
                    v->n++;
                    return false;
                }
            }
            bool ok = th_json_value(s, &v->items[v->n]);
            v->n++;
            if (!ok)
                return false;
            th_json_ws(s);
            char c = *(*s)++;
            if (c == (obj ? '}' : ']'))
                return true;
            if (c != ',')
                return false;
        }
    }
    if (**s == '"') {
        v->type = TJ_STR;
        return th_json_string(s, &v->str);
    }
    if (!strncmp(*s, "true", 4) || !strncmp(*s, "false", 5)) {
        v->type = TJ_BOOL;
        v->b = **s == 't';
        *s += v->b ? 4 : 5;
        return true;
    }
    if (!strncmp(*s, "null", 4)) {
        v->type = TJ_NULL;
        *s += 4;
        return true;
    }
    char *end;
    v->num = strtod(*s, &end);
    if (end == *s)
        return false;
    v->type = TJ_NUM;
    *s = end;
    return true;
}

/* Parses text (which must be one JSON value); a failed check if it is not. */
static inline void th_json_parse(const char *text, struct th_json *v)
{
    const char *s = text;
    bool ok = th_json_value(&s, v);
    th_json_ws(&s);
    TL_ASSERT_MSG(ok && *s == '\0', "not valid JSON (at offset %ld):\n%s",
                  (long)(s - text), text);
}

/* obj[key]: must exist. */
static inline const struct th_json *th_json_get(const struct th_json *obj, const char *key)
{
    TL_ASSERT_MSG(obj->type == TJ_OBJ, "not an object (looking for \"%s\")", key);
    for (size_t i = 0; obj->type == TJ_OBJ && i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            return &obj->items[i];
    TL_FAIL("no \"%s\" in the object", key);
    static struct th_json none;
    return &none;
}

static inline bool th_json_has(const struct th_json *obj, const char *key)
{
    for (size_t i = 0; obj->type == TJ_OBJ && i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            return true;
    return false;
}

static inline double th_json_num(const struct th_json *obj, const char *key)
{
    const struct th_json *v = th_json_get(obj, key);
    TL_ASSERT_MSG(v->type == TJ_NUM, "\"%s\" is not a number", key);
    return v->num;
}

static inline const char *th_json_str(const struct th_json *obj, const char *key)
{
    const struct th_json *v = th_json_get(obj, key);
    TL_ASSERT_MSG(v->type == TJ_STR, "\"%s\" is not a string", key);
    return v->str ? v->str : "";
}

static inline bool th_json_bool(const struct th_json *obj, const char *key)
{
    const struct th_json *v = th_json_get(obj, key);
    TL_ASSERT_MSG(v->type == TJ_BOOL, "\"%s\" is not true or false", key);
    return v->b;
}

static inline bool th_json_is_null(const struct th_json *obj, const char *key)
{
    return th_json_get(obj, key)->type == TJ_NULL;
}

#endif /* NPIPE_TOOL_HELPERS_H */
