/*
 * proto.h — the wire between libnpipe and npiped.  One header, both sides.
 *
 * A channel is an AF_UNIX SOCK_SEQPACKET connection; every calling thread of
 * a client process has its own.  Messages are fixed-layout, little-endian
 * structs followed by payload bytes.  A request or reply whose payload does
 * not fit in one packet is split into chunks: the first packet carries the
 * full header and the first bytes, each later packet a np_cont header and
 * the next bytes, until the total announced in the first header has
 * arrived.  Chunks of one message are never interleaved with another
 * message on the same channel.
 *
 * Identity never travels on the wire: the broker learns who sent a packet
 * from the socket (SO_PEERCRED, SO_PEERPIDFD, SCM_CREDENTIALS).
 *
 * Every request carries an id chosen by the client; the reply carries it
 * back.  A synchronous call gets exactly one reply.  A request flagged
 * NP_F_ASYNC gets a NP_REPLY_PENDING packet at once if the IRP pends, and
 * its final reply later (on the same channel for now).
 */
#ifndef NPIPE_PROTO_H
#define NPIPE_PROTO_H

#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npipe's wire format is little-endian; add byte swapping for this target"
#endif

#define NP_MAGIC 0x5050494eu /* "NIPP" */
#define NP_VERSION 1u

/* The largest packet either side sends, and so the chunk size. */
#define NP_MAX_PACKET (64u * 1024u)

/* The largest payload of one request or reply (a WriteFile, a ReadFile). */
#define NP_MAX_TRANSFER (16u * 1024u * 1024u)

/* Names: at most 256 WCHARs (the Win32 limit is on the whole \\.\pipe\ path;
 * the NT path is longer by a constant) — the broker re-checks. */
#define NP_MAX_NAME_BYTES (512u * 2u)

enum np_op {
    NP_OP_CREATE_NAMED_PIPE = 1, /* payload: NT path, UTF-16LE */
    NP_OP_CREATE_FILE = 2,       /* payload: NT path, UTF-16LE */
    NP_OP_READ = 3,              /* out_len: bytes wanted */
    NP_OP_WRITE = 4,             /* payload: the data */
    NP_OP_FLUSH = 5,
    NP_OP_FSCTL = 6,             /* payload: input buffer; out_len: output size */
    NP_OP_QUERY_INFO = 7,        /* out_len: buffer size */
    NP_OP_SET_INFO = 8,          /* payload: the information */
    NP_OP_CLOSE = 9,
    NP_OP_DUPLICATE = 10,
    NP_OP_PROCESS_SESSION = 11,  /* ProcessIdToSessionId */
    NP_OP_CANCEL = 12,           /* CancelIo/CancelIoEx: handle = file;
                                    args.cancel; STATUS_NOT_FOUND if nothing
                                    matched */
    NP_OP_HELLO = 13,            /* first request on a channel: reply.information
                                    = broker instance id, reply.handle = the
                                    caller's pid as the broker sees it */
    NP_OP_HANDLE_FLAGS = 14,     /* Get/SetHandleInformation: reply.information
                                    = the handle's HANDLE_FLAG_* bits before
                                    the call; then the bits in args.handle_flags
                                    .mask take their values from .flags
                                    (mask 0: a query) */

    /* Directories (20-29): IRP_MJ_DIRECTORY_CONTROL on the pipe root. */
    NP_OP_QUERY_DIRECTORY = 20,  /* NtQueryDirectoryFile: handle; args.directory;
                                    payload: the FileName pattern (UTF-16LE)
                                    when flags has NP_DIR_NAME; reply data:
                                    the entries (information = their bytes) */
    NP_OP_NOTIFY_DIRECTORY = 21, /* NtNotifyChangeDirectoryFileEx: handle;
                                    args.directory (class, filter); pends
                                    until something changes; reply data: the
                                    records (information = their bytes) */

    /* Overlapped I/O, events, waits and completion ports (40-59).
     * (20-29: directory and monitor ops; 30-39: diagnostics.) */
    NP_OP_ACK = 40,           /* no reply.  The library has written the results
                                 of async request args.ack.id into the caller's
                                 memory: now set its event / the file's event,
                                 queue its completion packet, queue its APC. */
    NP_OP_CREATE_EVENT = 41,  /* args.event; reply.handle */
    NP_OP_EVENT_SET = 42,     /* handle; args.event.action; reply.information =
                                 the previous state */
    NP_OP_WAIT = 43,          /* payload: uint32 handles[args.wait.count];
                                 reply.status: STATUS_WAIT_0 + i, STATUS_TIMEOUT,
                                 STATUS_USER_APC (payload: uint64 request ids
                                 whose completion routines are now due) */
    NP_OP_CREATE_PORT = 44,   /* args.port.concurrency; reply.handle */
    NP_OP_SET_COMPLETION = 45,/* handle = file; args.completion: associate it
                                 with a port and key, and/or set its
                                 FILE_SKIP_* notification modes */
    NP_OP_PORT_REMOVE = 46,   /* handle = port; args.port: max entries, timeout,
                                 alertable; reply payload: struct np_packet[]
                                 (information = its length in bytes);
                                 STATUS_TIMEOUT,
                                 STATUS_ABANDONED_WAIT_0 (port closed),
                                 STATUS_USER_APC (as NP_OP_WAIT) */
    NP_OP_PORT_POST = 47,     /* handle = port; args.port: key, cookie, status,
                                 information */
    /* Diagnostics (30-39). */
    NP_OP_BROKER_STATS = 30,     /* reply payload: struct np_broker_stats (at
                                    most out_len bytes of it) */
    /* Processes (48-55). */
    NP_OP_INHERIT = 48,          /* args.session.pid: a forked child of the
                                    caller, not yet exec'd; it gets the
                                    caller's OBJ_INHERIT handles at the same
                                    values (src/ps/inherit.c); reply.information
                                    = the broker instance id */
    NP_OP_CANCEL_SYNC = 56,      /* CancelSynchronousIo: args.cancel.thread_id
                                    names a thread of the caller's process (as
                                    its hello reported it); its synchronous
                                    I/O is cancelled; STATUS_NOT_FOUND if it
                                    had none */
    NP_OP_MAX = 64
};

enum np_reply_kind {
    NP_REPLY_FINAL = 1,   /* the request is finished: status, information, data */
    NP_REPLY_PENDING = 2, /* an async request pended; its final reply follows */
};

/* The request carries an OVERLAPPED (or a completion routine): if its IRP
 * pends, the broker answers NP_REPLY_PENDING at once and sends the final
 * reply later on the process's completion channel (see NP_HELLO_*).  If it
 * completes at once, the final reply comes as usual.  Either way, unless it
 * failed at once, the library acknowledges it (NP_OP_ACK) after writing the
 * results, and only then are events set and packets queued. */
#define NP_F_ASYNC 0x0001u

/* NP_OP_HELLO flags (args.hello.flags). */
#define NP_HELLO_COMPLETION_CHANNEL 0x0001u /* deliver async completions here */
#define NP_HELLO_NEW_IMAGE 0x0002u /* the first hello of a library instance:
                                      if the process exec'd, its handles
                                      without OBJ_INHERIT close, as close-on-
                                      exec fds do */

/* Arguments of each operation; unused fields are zero. */
struct np_args_create_pipe {
    uint32_t desired_access;
    uint32_t attributes; /* OBJ_INHERIT, OBJ_CASE_INSENSITIVE */
    uint32_t share_access;
    uint32_t disposition;
    uint32_t options;
    uint32_t pipe_type;
    uint32_t read_mode;
    uint32_t completion_mode;
    uint32_t max_instances;
    uint32_t inbound_quota;
    uint32_t outbound_quota;
    uint32_t timeout_specified;
    int64_t default_timeout; /* 100 ns units, negative = relative */
};

struct np_args_create_file {
    uint32_t desired_access;
    uint32_t attributes;
    uint32_t share_access;
    uint32_t disposition;
    uint32_t options;
    uint32_t file_attributes;
};

struct np_args_io {
    uint32_t code;  /* FSCTL code, or FILE_INFORMATION_CLASS */
    uint32_t key;
    int64_t offset;
    /* NP_F_ASYNC requests: */
    uint32_t event;  /* a handle to an event to set on completion, or 0 */
    uint32_t async_flags; /* NP_ASYNC_* */
    uint64_t cookie; /* the caller's OVERLAPPED pointer, opaque here; it
                        comes back in completion packets and selects the
                        operation for CancelIoEx */
};

#define NP_ASYNC_APC 0x1u     /* queue a user APC (a completion routine) to the
                                 issuing thread when the result is written */
#define NP_ASYNC_NO_PORT 0x2u /* no completion packet (hEvent's low bit set) */

struct np_args_hello {
    uint32_t flags; /* NP_HELLO_* */
    uint32_t tid;   /* the calling thread's id (gettid): only ever used to
                       find a thread of the same process (CancelSynchronousIo) */
};

struct np_args_ack {
    uint64_t id; /* the async request whose results the library wrote */
};

struct np_args_event {
    uint32_t manual_reset;
    uint32_t initial_state;
    uint32_t attributes; /* OBJ_INHERIT */
    uint32_t action;     /* NP_OP_EVENT_SET: 0 set, 1 reset, 2 pulse */
};

struct np_args_wait {
    uint32_t count;     /* handles in the payload, 0..64 */
    uint32_t wait_all;
    uint32_t alertable;
    uint32_t timeout_ms; /* 0xFFFFFFFF: forever */
};

struct np_args_port {
    uint32_t concurrency; /* CREATE_PORT */
    uint32_t max_entries; /* PORT_REMOVE: 1..? */
    uint32_t timeout_ms;  /* PORT_REMOVE: 0xFFFFFFFF forever */
    uint32_t alertable;   /* PORT_REMOVE */
    uint64_t key;         /* PORT_POST */
    uint64_t cookie;      /* PORT_POST: the OVERLAPPED pointer */
    uint64_t information; /* PORT_POST: bytes transferred */
    int32_t status;       /* PORT_POST */
    uint32_t attributes;  /* CREATE_PORT: OBJ_INHERIT */
};

#define NP_COMPLETION_SET_PORT 0x1u  /* args.completion.port/key are set */
#define NP_COMPLETION_SET_MODES 0x2u /* args.completion.modes is set */
struct np_args_completion {
    uint32_t what;  /* NP_COMPLETION_SET_* */
    uint32_t port;  /* a port handle */
    uint64_t key;
    uint32_t modes; /* FILE_SKIP_COMPLETION_PORT_ON_SUCCESS 1,
                       FILE_SKIP_SET_EVENT_ON_HANDLE 2 */
};

struct np_args_cancel {
    uint32_t only_this_thread; /* CancelIo: the calling thread's I/O only */
    uint32_t match_cookie;     /* CancelIoEx with an OVERLAPPED */
    uint64_t cookie;
    uint32_t thread_id;        /* NP_OP_CANCEL_SYNC */
};

/* One completion packet (NP_OP_PORT_REMOVE reply payload). */
struct np_packet {
    uint64_t key;
    uint64_t cookie;
    uint64_t information;
    int32_t status;
    uint32_t reserved;
};

struct np_args_duplicate {
    uint32_t desired_access;
    uint32_t attributes; /* OBJ_INHERIT */
    uint32_t options;    /* DUPLICATE_SAME_ACCESS, DUPLICATE_CLOSE_SOURCE */
};

struct np_args_session {
    uint32_t pid;
};

struct np_args_handle_flags {
    uint32_t mask;  /* HANDLE_FLAG_INHERIT 1, HANDLE_FLAG_PROTECT_FROM_CLOSE 2 */
    uint32_t flags;
};

#define NP_DIR_RESTART_SCAN 0x1u /* SL_RESTART_SCAN */
#define NP_DIR_SINGLE_ENTRY 0x2u /* SL_RETURN_SINGLE_ENTRY */
#define NP_DIR_INDEX 0x4u        /* SL_INDEX_SPECIFIED: start after file_index */
#define NP_DIR_NAME 0x8u         /* a FileName was given (the payload) */
#define NP_DIR_WATCH_TREE 0x10u  /* SL_WATCH_TREE */

struct np_args_directory {
    uint32_t info_class; /* FILE_INFORMATION_CLASS (query) or
                            DIRECTORY_NOTIFY_INFORMATION_CLASS (notify) */
    uint32_t flags;      /* NP_DIR_* */
    uint32_t file_index;
    uint32_t completion_filter;
};

union np_args {
    struct np_args_create_pipe create_pipe;
    struct np_args_create_file create_file;
    struct np_args_io io;
    struct np_args_duplicate duplicate;
    struct np_args_session session;
    struct np_args_handle_flags handle_flags;
    struct np_args_hello hello;
    struct np_args_ack ack;
    struct np_args_event event;
    struct np_args_wait wait;
    struct np_args_port port;
    struct np_args_completion completion;
    struct np_args_cancel cancel;
    struct np_args_directory directory;
    uint8_t raw[64];
};

struct np_request {
    uint32_t magic;
    uint16_t version;
    uint16_t op;
    uint32_t flags;
    uint32_t handle;  /* the handle the request is about (0 for none) */
    uint64_t id;      /* chosen by the client, echoed in the reply */
    uint32_t in_len;  /* payload bytes in the whole request */
    uint32_t out_len; /* output bytes the caller can take */
    union np_args args;
    /* payload follows */
};

struct np_reply {
    uint32_t magic;
    uint16_t version;
    uint16_t kind;   /* enum np_reply_kind */
    uint64_t id;
    int32_t status;  /* NTSTATUS */
    uint32_t handle; /* a new handle (create, duplicate), else 0 */
    uint64_t information;
    uint32_t data_len; /* payload bytes in the whole reply */
    uint32_t reserved;
    /* payload follows */
};

/* NP_OP_BROKER_STATS: what the broker holds now, for tests and monitoring.
 * Totals over every user, then the caller's own user's share.  Counts only:
 * nothing here names a process or a pipe. */
struct np_broker_stats {
    uint32_t size;         /* sizeof this struct as the broker knows it */
    uint32_t users;        /* users with a live process or an open charge */
    uint32_t processes;    /* live client processes */
    uint32_t threads;      /* live channels */
    uint32_t handles;
    uint32_t pending_irps; /* client requests not yet completed */
    uint32_t objects;      /* kernel objects (file objects, ...) alive */
    uint32_t pipes;        /* npfs: pipe names */
    uint32_t instances;    /* npfs: pipe instances */
    uint32_t reserved;
    uint64_t pool_bytes;   /* bytes charged to users (ps/quota.h) */
    uint64_t heap_bytes;   /* the broker's allocated heap (mallinfo2) */
    /* the caller's user: */
    uint32_t user_processes;
    uint32_t user_threads;
    uint32_t user_handles;
    uint32_t user_irps;
    uint64_t user_pool_bytes;
};

/* A later chunk of a request or reply. */
struct np_cont {
    uint32_t magic;
    uint32_t reserved;
    uint64_t id;
    /* payload follows */
};

_Static_assert(sizeof(union np_args) == 64, "args are 64 bytes");
_Static_assert(sizeof(struct np_request) == 96, "request header layout");
_Static_assert(sizeof(struct np_reply) == 40, "reply header layout");
_Static_assert(sizeof(struct np_cont) == 16, "continuation header layout");
_Static_assert(sizeof(struct np_packet) == 32, "packet layout");
_Static_assert(sizeof(struct np_broker_stats) == 80, "stats layout");

#endif /* NPIPE_PROTO_H */
