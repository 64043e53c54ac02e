/*
 * fuzz_requests.c — libFuzzer target: sequences of requests that are well
 * formed on the wire but arbitrary in meaning, from several processes and
 * threads, with threads exiting and processes dying in between.
 *
 * The input is a list of commands.  Each starts with a byte:
 *   bits 0-2  what: 0-3 a request, 4 a raw packet, 5 a thread exits,
 *             6 a process dies, 7 squeeze a channel's socket
 *   bits 3-4  which process (of FZ_PROCESSES; two users)
 *   bit 5     which of its threads
 * and goes on with what that command reads from the input.  A request
 * picks its operation (every known one, and some that are not), its handle
 * (one the process got back, one another process got back — which must
 * not work —, or any number), and arguments from tables of meaningful
 * values (names, FSCTL codes, information classes, quotas, timeouts,
 * access masks) or raw bytes; lengths may be large enough to be chunked,
 * or may lie.  After each command the broker runs (harness.c) and every
 * reply is checked; at the end the broker must be empty.
 */
#include "harness.h"

#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <npipe/ntifs.h>

static uint8_t payload[300 * 1024];

/* ---- Tables ---------------------------------------------------------------- */

static const uint16_t ops[] = {
    NP_OP_CREATE_NAMED_PIPE, NP_OP_CREATE_NAMED_PIPE, NP_OP_CREATE_FILE,
    NP_OP_CREATE_FILE, NP_OP_READ, NP_OP_READ, NP_OP_WRITE, NP_OP_WRITE,
    NP_OP_FLUSH, NP_OP_FSCTL, NP_OP_FSCTL, NP_OP_FSCTL, NP_OP_QUERY_INFO,
    NP_OP_SET_INFO, NP_OP_CLOSE, NP_OP_CLOSE, NP_OP_DUPLICATE,
    NP_OP_PROCESS_SESSION, NP_OP_CANCEL, NP_OP_HELLO, NP_OP_HANDLE_FLAGS,
    NP_OP_BROKER_STATS, 0, 15, 20, 29, 31, 39, 40, 41, 42, 43, 44, 45, 46, 47,
    48, 63, 64, 200, 0xFFFF,
};

static const uint32_t fsctls[] = {
    FSCTL_PIPE_LISTEN, FSCTL_PIPE_LISTEN, FSCTL_PIPE_DISCONNECT, FSCTL_PIPE_PEEK,
    FSCTL_PIPE_TRANSCEIVE, FSCTL_PIPE_TRANSCEIVE, FSCTL_PIPE_WAIT, FSCTL_PIPE_WAIT,
    FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE, FSCTL_PIPE_GET_PIPE_ATTRIBUTE,
    FSCTL_PIPE_ASSIGN_EVENT, FSCTL_PIPE_QUERY_EVENT, FSCTL_PIPE_IMPERSONATE,
    FSCTL_PIPE_FLUSH, FSCTL_PIPE_GET_HANDLE_ATTRIBUTE, 0, 0x00110000,
};

static const char *const attributes[] = {
    "ClientProcessId", "ClientSessionId", "ServerProcessId", "ServerSessionId",
    "ClientComputerName", "", "Nonsense",
};

static const uint32_t info_classes[] = {
    FilePipeInformation, FilePipeLocalInformation, FilePipeRemoteInformation,
    FileNameInformation, FileStandardInformation, 0, 1, 200,
};

static const uint32_t lengths[] = {
    0, 1, 3, 4, 8, 15, 16, 40, 64, 100, 512, 4096, 65440, 65536, 70000, 200000,
};

static const uint32_t quotas[] = {0, 1, 16, 100, 4096, 65536, 1u << 20, 0xFFFFFFFFu};

static const int64_t timeouts[] = {
    -1, -10, -500000, -50000000, 0, 1, INT64_MIN, INT64_MAX,
};

static const uint32_t accesses[] = {
    0x80000000u | 0x00100000u,               /* GENERIC_READ | SYNCHRONIZE */
    0x40000000u | 0x00100000u,               /* GENERIC_WRITE */
    0xC0000000u | 0x00100000u,               /* both */
    0x10000000u,                             /* GENERIC_ALL */
    0x00000080u,                             /* FILE_READ_ATTRIBUTES */
    0x00000100u | 0x80000000u,               /* + FILE_WRITE_ATTRIBUTES */
    0x00000004u,                             /* FILE_CREATE_PIPE_INSTANCE */
    0x02000000u,                             /* MAXIMUM_ALLOWED */
    0,
};

#define PICK(table, in) (table)[fz_u8(in) % (sizeof(table) / sizeof((table)[0]))]

/* ---- Names ---------------------------------------------------------------- */

static uint32_t put_ascii(uint8_t *out, uint32_t at, const char *s)
{
    for (; *s; s++, at += 2) {
        out[at] = (uint8_t)*s;
        out[at + 1] = 0;
    }
    return at;
}

/* An NT path in UTF-16LE at out; its length in bytes. */
static uint32_t make_name(struct fz_in *in, uint8_t *out, bool with_prefix)
{
    static const char *const prefixes[] = {
        "\\??\\pipe", "\\Device\\NamedPipe", "\\DosDevices\\pipe", "\\??\\PIPE",
        "\\Device\\Other", "",
    };
    static const char *const names[] = {
        "\\a", "\\A", "\\b", "\\LOCAL\\a", "\\a\\", "\\", "", "\\a.b", "\\.",
    };
    uint32_t at = 0;
    if (with_prefix)
        at = put_ascii(out, at, PICK(prefixes, in));
    uint8_t how = fz_u8(in);
    if (how < 200) {
        at = put_ascii(out, at, names[how % (sizeof names / sizeof names[0])]);
    } else if (how < 230) {
        out[at] = '\\';
        out[at + 1] = 0;
        at += 2;
        for (int i = 0; i < 250; i++, at += 2) { /* around the length limit */
            out[at] = 'n';
            out[at + 1] = 0;
        }
        at -= (uint32_t)(fz_u8(in) % 8) * 2;
    } else {
        at += (uint32_t)fz_take(in, out + at, fz_u8(in) % 24); /* any units */
    }
    return at;
}

/* ---- Requests ---------------------------------------------------------------- */

static uint32_t pick_handle(struct fz_in *in, int process)
{
    uint8_t how = fz_u8(in);
    if (how < 160)
        return fz_handle(process, how);
    if (how < 200) /* another process's handle: must name nothing here */
        return fz_handle((process + 1 + how % 2) % FZ_PROCESSES, how >> 2);
    if (how < 220)
        return 0;
    if (how < 240)
        return (uint32_t)(how - 220) * 4;
    return fz_u32(in);
}

static void request(struct fz_in *in, int process, int thread)
{
    struct np_request q = {.magic = NP_MAGIC, .version = NP_VERSION};
    uint8_t sel = fz_u8(in);
    q.op = ops[sel % (sizeof ops / sizeof ops[0])];
    uint8_t mods = fz_u8(in);
    if (mods & 1)
        q.flags = NP_F_ASYNC;
    q.handle = pick_handle(in, process);
    uint32_t len = 0;
    switch (q.op) {
    case NP_OP_CREATE_NAMED_PIPE: {
        struct np_args_create_pipe *a = &q.args.create_pipe;
        len = make_name(in, payload, true);
        a->desired_access = PICK(accesses, in) | 0x40000000u;
        a->attributes = 0x40 | ((fz_u8(in) & 1) ? 2 : 0);
        a->share_access = fz_u8(in) % 5;
        a->disposition = 1 + fz_u8(in) % 4;
        a->options = 0x20;
        uint8_t t = fz_u8(in);
        a->pipe_type = t & 1;
        a->read_mode = (t >> 1) & 1;
        a->completion_mode = (t >> 2) & 1;
        a->max_instances = (t & 0x80) ? 0xFFFFFFFFu : 1 + (t >> 3) % 4;
        a->inbound_quota = PICK(quotas, in);
        a->outbound_quota = PICK(quotas, in);
        a->timeout_specified = (t & 0x40) == 0;
        a->default_timeout = PICK(timeouts, in);
        break;
    }
    case NP_OP_CREATE_FILE: {
        struct np_args_create_file *a = &q.args.create_file;
        len = make_name(in, payload, true);
        a->desired_access = PICK(accesses, in);
        a->attributes = 0x40;
        a->share_access = fz_u8(in) % 4;
        a->disposition = 1 + fz_u8(in) % 6;
        a->options = 0x20 | ((fz_u8(in) & 1) ? 0x40 : 0);
        break;
    }
    case NP_OP_READ:
        q.out_len = PICK(lengths, in);
        break;
    case NP_OP_WRITE:
        len = PICK(lengths, in);
        fz_take(in, payload, len < 64 ? len : 64);
        break;
    case NP_OP_FSCTL: {
        q.args.io.code = PICK(fsctls, in);
        q.out_len = PICK(lengths, in);
        if (q.args.io.code == FSCTL_PIPE_WAIT) {
            /* FILE_PIPE_WAIT_FOR_BUFFER: Timeout, NameLength,
             * TimeoutSpecified, then the name (without its backslash). */
            const uint32_t at = offsetof(FILE_PIPE_WAIT_FOR_BUFFER, Name);
            int64_t timeout = PICK(timeouts, in);
            uint8_t spec = fz_u8(in) & 1;
            uint32_t n = make_name(in, payload + at, false);
            if (n >= 2 && payload[at] == '\\') {
                memmove(payload + at, payload + at + 2, n - 2);
                n -= 2;
            }
            uint32_t name_len = (fz_u8(in) & 0x80) ? fz_u32(in) : n;
            FILE_PIPE_WAIT_FOR_BUFFER w;
            memset(&w, 0, sizeof w);
            w.Timeout.QuadPart = timeout;
            w.NameLength = name_len;
            w.TimeoutSpecified = spec;
            memcpy(payload, &w, at);
            len = at + n;
        } else if (q.args.io.code == FSCTL_PIPE_GET_CONNECTION_ATTRIBUTE ||
                   q.args.io.code == FSCTL_PIPE_GET_PIPE_ATTRIBUTE) {
            const char *name = PICK(attributes, in);
            len = (uint32_t)strlen(name) + ((fz_u8(in) & 7) ? 1 : 0);
            memcpy(payload, name, strlen(name) + 1);
        } else {
            len = PICK(lengths, in);
            fz_take(in, payload, len < 32 ? len : 32);
        }
        break;
    }
    case NP_OP_QUERY_INFO:
        q.args.io.code = PICK(info_classes, in);
        q.out_len = PICK(lengths, in);
        break;
    case NP_OP_SET_INFO: {
        q.args.io.code = PICK(info_classes, in);
        uint32_t modes[2] = {fz_u8(in) % 3, fz_u8(in) % 3};
        memcpy(payload, modes, sizeof modes);
        len = (fz_u8(in) & 3) ? 8 : fz_u8(in) % 16;
        break;
    }
    case NP_OP_DUPLICATE:
        q.args.duplicate.desired_access = PICK(accesses, in);
        q.args.duplicate.attributes = fz_u8(in) & 3;
        q.args.duplicate.options = fz_u8(in) % 9;
        break;
    case NP_OP_HANDLE_FLAGS:
        q.args.handle_flags.mask = fz_u8(in) % 5;
        q.args.handle_flags.flags = fz_u8(in) % 4;
        break;
    case NP_OP_PROCESS_SESSION:
        q.args.session.pid = (fz_u8(in) & 1) ? (uint32_t)getpid() : fz_u32(in);
        break;
    case NP_OP_BROKER_STATS:
        q.out_len = PICK(lengths, in);
        break;
    default:
        fz_take(in, &q.args, 16);
        q.out_len = PICK(lengths, in);
        len = fz_u8(in) % 32;
        break;
    }
    if (mods & 2) /* arguments the tables would never make */
        fz_take(in, &q.args, sizeof q.args);
    q.in_len = len;
    uint32_t sent = len;
    if (mods & 4) /* a length that lies: more announced than sent */
        q.in_len = len + 1 + fz_u8(in);
    if (mods & 8)
        q.out_len = fz_u32(in) & 0x01FFFFFF;
    if ((mods & 0x30) == 0x30) { /* flags the broker does not know */
        q.flags = fz_u32(in);
        q.version = fz_u8(in) & 1 ? NP_VERSION : 2;
    }
    if (sent > sizeof payload)
        sent = sizeof payload;
    fz_request(process, thread, &q, payload, sent, (mods & 0xC0) == 0xC0);
}

/* ---- The target ------------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    fz_begin();
    for (int steps = 0; !fz_done(&in) && steps < 200; steps++) {
        uint8_t cmd = fz_u8(&in);
        int process = ((cmd >> 3) & 3) % FZ_PROCESSES;
        int thread = (cmd >> 5) & 1;
        switch (cmd & 7) {
        case 4: {
            uint8_t raw[600];
            size_t n = fz_take(&in, raw, fz_u16(&in) % sizeof raw);
            fz_packet(process, thread, raw, n);
            break;
        }
        case 5:
            fz_close_thread(process, thread);
            break;
        case 6:
            fz_kill_process(process);
            break;
        case 7:
            fz_squeeze(process, thread);
            break;
        default:
            request(&in, process, thread);
            break;
        }
        fz_pump();
    }
    fz_end();
    return 0;
}
