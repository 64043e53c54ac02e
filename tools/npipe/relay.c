/*
 * relay.c — moving bytes between a pipe handle and two file descriptors,
 * for `npipe serve` and `npipe connect`.
 *
 * libnpipe's handles are the broker's, not file descriptors, so nothing can
 * poll them: each direction gets a thread that blocks in ReadFile or
 * read(2).  (Each thread has its own channel to the broker, so a ReadFile
 * in one never holds up a WriteFile in the other.)
 *
 *   toward the pipe  read(in_fd), then WriteFile.  In message mode each
 *                    line, newline included, is one message.  When input
 *                    ends, a zero-length write says so: on a message pipe
 *                    that is a zero-length message, on a byte pipe nothing.
 *   from the pipe    ReadFile, then write(out_fd); in message mode each
 *                    message is a line (a newline is added to one that
 *                    lacks it, as a Windows program's often do).  A
 *                    successful read of zero bytes means the peer's input
 *                    ended (byte pipes never deliver one otherwise); the
 *                    peer closing (ERROR_BROKEN_PIPE) or the server
 *                    disconnecting (ERROR_PIPE_NOT_CONNECTED) ends it too.
 *
 * Named pipes cannot be half-closed, hence the zero-length message: it is
 * npipe's convention for "end of input" (docs/decisions.md), which lets a
 * request/response command see the end of its input and still answer.
 *
 * Who ends the connection:
 *   peer-driven (stdin/stdout): the peer closing or disconnecting, or both
 *     inputs having ended (ours and, by its marker, the peer's).  Either
 *     input ending alone stops only that direction: the other side may
 *     still have something to say.  With quit_on_eof, ours having ended
 *     and been read by the peer (FlushFileBuffers) is enough.
 *   command-driven (serve --exec): the command's output ending.  Then the
 *     end marker goes out, FlushFileBuffers waits until the client has read
 *     everything, and DisconnectNamedPipe releases the thread reading the
 *     pipe (its ReadFile fails); the command's stdin is closed, so it sees
 *     end of file.  A client that goes away first makes the command's
 *     stdin end, and its output then has nowhere to go (EPIPE/SIGPIPE).
 */
#include "tool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (64u * 1024u)
#define MAX_LINE (1024u * 1024u) /* a longer line goes out in pieces */

static bool write_fd(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static bool write_pipe(HANDLE pipe, const char *p, size_t n)
{
    do {
        DWORD chunk = n > 16u * 1024u * 1024u ? 16u * 1024u * 1024u : (DWORD)n, done;
        if (!WriteFile(pipe, p, chunk, &done, NULL))
            return false;
        p += done;
        n -= done;
    } while (n);
    return true;
}

/* ---- Toward the pipe ----------------------------------------------------- */

/* Returns false if the pipe refused a write (its last error says why). */
static bool fd_to_pipe(const struct tool_relay *r)
{
    char *buf = malloc(r->message ? MAX_LINE : CHUNK);
    if (!buf) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return false;
    }
    size_t have = 0; /* message mode: the start of a line */
    bool ok = true;
    for (;;) {
        size_t room = (r->message ? MAX_LINE : CHUNK) - have;
        ssize_t n = read(r->in_fd, buf + have, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (!r->message) {
            if (!(ok = write_pipe(r->pipe, buf, (size_t)n)))
                break;
            continue;
        }
        have += (size_t)n;
        size_t start = 0;
        for (size_t i = have - (size_t)n; i < have && ok; i++)
            if (buf[i] == '\n') {
                ok = write_pipe(r->pipe, buf + start, i + 1 - start);
                start = i + 1;
            }
        if (ok && start == 0 && have == MAX_LINE) { /* a very long line */
            ok = write_pipe(r->pipe, buf, have);
            start = have;
        }
        if (!ok)
            break;
        memmove(buf, buf + start, have - start);
        have -= start;
    }
    if (ok && have)
        ok = write_pipe(r->pipe, buf, have); /* the last line, unterminated */
    free(buf);
    DWORD none;
    if (ok) /* the end of our input: a zero-length message */
        ok = WriteFile(r->pipe, "", 0, &none, NULL);
    return ok;
}

/* ---- From the pipe --------------------------------------------------------- */

enum end_reason {
    END_MARKER, /* the peer ended its input; it may still be reading ours */
    END_GONE,   /* the peer closed or disconnected, or our output closed */
    END_ERROR,  /* something else: *error says what */
};

static enum end_reason pipe_to_fd(const struct tool_relay *r, DWORD *error)
{
    enum end_reason why = END_GONE;
    *error = ERROR_SUCCESS;
    char *buf = malloc(CHUNK);
    if (!buf) {
        *error = ERROR_NOT_ENOUGH_MEMORY;
        why = END_ERROR;
    }
    while (buf) {
        DWORD n = 0;
        BOOL ok = ReadFile(r->pipe, buf, CHUNK, &n, NULL);
        DWORD e = ok ? ERROR_SUCCESS : GetLastError();
        if (!ok && e != ERROR_MORE_DATA) {
            if (e != ERROR_BROKEN_PIPE && e != ERROR_PIPE_NOT_CONNECTED &&
                e != ERROR_NO_DATA) {
                *error = e;
                why = END_ERROR;
            }
            break;
        }
        if (ok && n == 0) {
            why = END_MARKER;
            break;
        }
        if (!write_fd(r->out_fd, buf, n))
            break; /* nobody reads our output any more */
        /* In message mode each message is a line. */
        if (ok && r->message && buf[n - 1] != '\n' && !write_fd(r->out_fd, "\n", 1))
            break;
    }
    free(buf);
    if (r->close_out)
        close(r->out_fd);
    return why;
}

/* ---- Both ------------------------------------------------------------------- */

/* A peer-driven relay's two threads and the main thread waiting on them.
 * A thread may stay blocked (in read(2) on a terminal, say) after the
 * connection is over and the process exits, so the state is static: a
 * process runs one peer-driven relay. */
struct peer_relay {
    struct tool_relay *relay;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool input_done, output_done;
    DWORD input_error, output_error;
    enum end_reason output_why;
};

static void *peer_input_thread(void *arg)
{
    struct peer_relay *p = arg;
    bool ok = fd_to_pipe(p->relay);
    DWORD error = ok ? ERROR_SUCCESS : GetLastError();
    if (ok && p->relay->quit_on_eof)
        FlushFileBuffers(p->relay->pipe); /* until the peer has read it all */
    pthread_mutex_lock(&p->lock);
    p->input_error = error;
    p->input_done = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void *peer_output_thread(void *arg)
{
    struct peer_relay *p = arg;
    DWORD error;
    enum end_reason why = pipe_to_fd(p->relay, &error);
    pthread_mutex_lock(&p->lock);
    p->output_why = why;
    p->output_error = error;
    p->output_done = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct output_side {
    struct tool_relay *relay;
    enum end_reason why;
    DWORD error;
};

static void *output_thread(void *arg)
{
    struct output_side *s = arg;
    s->why = pipe_to_fd(s->relay, &s->error);
    return NULL;
}

static bool peer_left(DWORD error)
{
    return error == ERROR_BROKEN_PIPE || error == ERROR_NO_DATA ||
           error == ERROR_PIPE_NOT_CONNECTED;
}

/* stdin/stdout: done when the peer is gone, when both inputs have ended,
 * or (quit_on_eof) when ours has ended and the peer has read it all. */
static DWORD relay_peer_driven(struct tool_relay *r)
{
    if (r->out_fd < 0) { /* a pipe we may only write to */
        bool ok = fd_to_pipe(r);
        DWORD error = ok ? ERROR_SUCCESS : GetLastError();
        if (ok)
            FlushFileBuffers(r->pipe); /* until the peer has read it all */
        return peer_left(error) ? ERROR_SUCCESS : error;
    }
    if (r->in_fd < 0) { /* a pipe we may only read from */
        DWORD error;
        pipe_to_fd(r, &error);
        return error;
    }
    /* The threads may outlive this call (quit_on_eof returns while the
     * output thread still reads), so they get a copy of the relay that
     * outlives the caller's frame, like the state. */
    static struct peer_relay state;
    static struct tool_relay relay;
    relay = *r;
    struct peer_relay *p = &state;
    p->relay = &relay;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, peer_input_thread, p) != 0)
        return ERROR_NOT_ENOUGH_MEMORY;
    pthread_detach(t);
    if (pthread_create(&t, NULL, peer_output_thread, p) != 0)
        return ERROR_NOT_ENOUGH_MEMORY;
    pthread_detach(t);
    DWORD error = ERROR_SUCCESS;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (p->output_done && p->output_why != END_MARKER) {
            error = p->output_error; /* the peer is gone (or an error) */
            break;
        }
        if (p->input_done && p->input_error) {
            /* Writing failed: the peer went away (fine), or worse. */
            error = peer_left(p->input_error) ? ERROR_SUCCESS : p->input_error;
            break;
        }
        if (p->input_done && (p->output_done || r->quit_on_eof))
            break; /* both inputs ended, or ours did and that is enough */
        pthread_cond_wait(&p->cond, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return error;
}

/* serve --exec: done when the command's output ends. */
static DWORD relay_command_driven(struct tool_relay *r)
{
    struct output_side out = {.relay = r};
    pthread_t t;
    if (pthread_create(&t, NULL, output_thread, &out) != 0)
        return ERROR_NOT_ENOUGH_MEMORY;
    bool ok = fd_to_pipe(r);
    DWORD error = ok ? ERROR_SUCCESS : GetLastError();
    close(r->in_fd); /* the command writing more gets EPIPE / SIGPIPE */
    r->in_fd = -1;
    if (ok)
        FlushFileBuffers(r->pipe); /* until the client has read it all */
    DisconnectNamedPipe(r->pipe);  /* releases the reading thread */
    pthread_join(t, NULL);
    if (peer_left(error))
        error = ERROR_SUCCESS; /* the client left first: not our failure */
    return error ? error : out.error;
}

DWORD tool_relay_run(struct tool_relay *r)
{
    return r->command ? relay_command_driven(r) : relay_peer_driven(r);
}
