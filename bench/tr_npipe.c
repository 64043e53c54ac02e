/*
 * tr_npipe.c — the subject: npipe's synchronous Win32 named-pipe API, used
 * the way a Windows program uses it.
 *
 * Server: CreateNamedPipe (PIPE_UNLIMITED_INSTANCES, in/out quotas of
 * run_spec.buf_size), ConnectNamedPipe, DisconnectNamedPipe.  Client:
 * CreateFile (WaitNamedPipe and again while every instance is busy), then
 * SetNamedPipeHandleState(PIPE_READMODE_MESSAGE) in message mode.  Data:
 * ReadFile / WriteFile / TransactNamedPipe, no OVERLAPPED.
 */
#include "bench.h"

#include <stdio.h>
#include <windows.h>

static DWORD quota(const struct run_spec *s)
{
    return s->buf_size ? (DWORD)s->buf_size : 4096;
}

static int np_server_init(const struct run_spec *s, char *err)
{
    return 0;
}

static int np_instance(const struct run_spec *s, struct ep *ep, char *err)
{
    DWORD mode = s->mode == MODE_MESSAGE
                     ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE
                     : PIPE_TYPE_BYTE | PIPE_READMODE_BYTE;
    HANDLE h = CreateNamedPipeA(s->np_name, PIPE_ACCESS_DUPLEX, mode | PIPE_WAIT,
                                PIPE_UNLIMITED_INSTANCES, quota(s), quota(s),
                                0, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        errf(err, "npipe: CreateNamedPipe %s: error %u", s->np_name,
             (unsigned)GetLastError());
        return -1;
    }
    ep->h = h;
    ep->fd = -1;
    return 0;
}

static int np_accept(const struct run_spec *s, struct ep *ep, char *err)
{
    if (ConnectNamedPipe(ep->h, NULL))
        return 0;
    DWORD e = GetLastError();
    /* The client came first (and may have gone already): still a client. */
    if (e == ERROR_PIPE_CONNECTED || e == ERROR_NO_DATA)
        return 0;
    errf(err, "npipe: ConnectNamedPipe: error %u", (unsigned)e);
    return -1;
}

static int np_reset(const struct run_spec *s, struct ep *ep, char *err)
{
    if (DisconnectNamedPipe(ep->h))
        return 0;
    errf(err, "npipe: DisconnectNamedPipe: error %u", (unsigned)GetLastError());
    return -1;
}

static int np_connect(const struct run_spec *s, struct ep *ep, uint64_t *busy,
                      char *err)
{
    HANDLE h;
    for (;;) {
        h = CreateFileA(s->np_name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                        OPEN_EXISTING, 0, NULL);
        if (h != INVALID_HANDLE_VALUE)
            break;
        DWORD e = GetLastError();
        if (e != ERROR_PIPE_BUSY) {
            errf(err, "npipe: CreateFile %s: error %u", s->np_name, (unsigned)e);
            return -1;
        }
        (*busy)++;
        if (!WaitNamedPipeA(s->np_name, 10000) &&
            GetLastError() != ERROR_SEM_TIMEOUT) {
            /* e.g. the instance went away between the two calls: retry */
            if (GetLastError() != ERROR_FILE_NOT_FOUND) {
                errf(err, "npipe: WaitNamedPipe %s: error %u", s->np_name,
                     (unsigned)GetLastError());
                return -1;
            }
        }
    }
    if (s->mode == MODE_MESSAGE) {
        DWORD mode = PIPE_READMODE_MESSAGE;
        if (!SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
            errf(err, "npipe: SetNamedPipeHandleState: error %u",
                 (unsigned)GetLastError());
            CloseHandle(h);
            return -1;
        }
    }
    ep->h = h;
    ep->fd = -1;
    return 0;
}

static ssize_t np_read(struct ep *ep, void *buf, size_t n, char *err)
{
    DWORD got = 0;
    if (ReadFile(ep->h, buf, (DWORD)n, &got, NULL))
        return (ssize_t)got;
    DWORD e = GetLastError();
    if (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED)
        return 0;
    errf(err, "npipe: ReadFile %zu: error %u", n, (unsigned)e);
    return -1;
}

static int np_write(struct ep *ep, const void *buf, size_t n, char *err)
{
    DWORD put = 0;
    if (!WriteFile(ep->h, buf, (DWORD)n, &put, NULL)) {
        errf(err, "npipe: WriteFile %zu: error %u", n, (unsigned)GetLastError());
        return -1;
    }
    if (put != n) {
        errf(err, "npipe: WriteFile %zu wrote %u", n, (unsigned)put);
        return -1;
    }
    return 0;
}

static ssize_t np_transact(struct ep *ep, const void *out, size_t n_out,
                           void *in, size_t n_in, char *err)
{
    DWORD got = 0;
    if (TransactNamedPipe(ep->h, (LPVOID)out, (DWORD)n_out, in, (DWORD)n_in,
                          &got, NULL))
        return (ssize_t)got;
    errf(err, "npipe: TransactNamedPipe: error %u", (unsigned)GetLastError());
    return -1;
}

static void np_close(struct ep *ep)
{
    if (ep->h && ep->h != INVALID_HANDLE_VALUE)
        CloseHandle(ep->h);
    ep->h = NULL;
}

const struct transport tr_npipe = {
    .name = "npipe",
    .server_init = np_server_init,
    .instance = np_instance,
    .accept = np_accept,
    .reset = np_reset,
    .connect = np_connect,
    .read = np_read,
    .write = np_write,
    .transact = np_transact,
    .close = np_close,
};
