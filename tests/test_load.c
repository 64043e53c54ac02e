/*
 * test_load.c — many processes, many instances, many messages, and not one
 * lost, duplicated, reordered or corrupted.
 *
 * By default: 64 processes (32 servers, 32 clients), 1,000 pipe instances
 * (each server owns one pipe name with ~31 instances, its client opens all
 * of them), 1,000,000 records.  Half the pairs use message pipes (one
 * record per message), half byte pipes (records written in batches, read
 * back as a stream and re-framed).  On every instance data flows one way —
 * client to server on even instances, server to client on odd ones — so
 * every process both writes and reads.  A record carries its pipe, a
 * sequence number, its length and a CRC-32, and its payload is a function
 * of (pipe, sequence): the reader recomputes everything and insists on the
 * next sequence number.  After the last round every writer closes, and the
 * reader's next read must be ERROR_BROKEN_PIPE: nothing extra arrived.
 * Finally the broker must hold exactly what it held before.
 *
 * Every process goes round its pipes: write one batch to each pipe it
 * writes, then read one batch from each pipe it reads.  A pipe's quota
 * holds two batches, so a writer is never more than a round ahead and the
 * schedule cannot deadlock.
 *
 * Knobs (environment):
 *   NPIPE_LOAD_MESSAGES   records in all (default 1000000)
 *   NPIPE_LOAD_INSTANCES  instances in all (default 1000)
 *   NPIPE_LOAD_PAIRS      server/client process pairs (default 32, max 32)
 *   NPIPE_LOAD_SECONDS    soak: repeat the whole run until this many seconds
 *                         have passed (default 0: once)
 */
#include "robustlib.h"

#include <time.h>

#define MAX_PAIRS 32
#define MAX_PIPES_PER_PAIR 256
#define BATCH 8
#define REC_MAGIC 0x4c4f4144u /* "LOAD" */
#define MAX_PAYLOAD 200
#define QUOTA (2 * BATCH * (sizeof(struct rec) + MAX_PAYLOAD) + 1024)

struct rec {
    uint32_t magic;
    uint32_t pipe; /* global instance number */
    uint64_t seq;
    uint32_t len;  /* header + payload */
    uint32_t crc;  /* CRC-32 of header (crc = 0) and payload */
};

struct plan {
    int pairs;
    int instances;
    long long messages;
    int rounds;       /* batches per instance */
    int first[MAX_PAIRS + 1]; /* pair p owns instances first[p]..first[p+1]-1 */
    char names[MAX_PAIRS][128];
    tl_rdv r;
};

static struct plan plan;

/* ---- Records ---------------------------------------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(uint32_t crc, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint32_t payload_len(uint32_t pipe, uint64_t seq)
{
    return (uint32_t)(mix(((uint64_t)pipe << 40) ^ seq) % (MAX_PAYLOAD + 1));
}

/* Builds record (pipe, seq) at p; returns its length. */
static uint32_t make_rec(unsigned char *p, uint32_t pipe, uint64_t seq)
{
    uint32_t plen = payload_len(pipe, seq);
    struct rec h = {REC_MAGIC, pipe, seq, (uint32_t)sizeof h + plen, 0};
    uint64_t x = mix(seq * 0x9e3779b97f4a7c15ull + pipe);
    for (uint32_t i = 0; i < plen; i++) {
        if ((i & 7) == 0)
            x = mix(x + i);
        p[sizeof h + i] = (unsigned char)(x >> ((i & 7) * 8));
    }
    h.crc = crc32(0, &h, sizeof h);
    h.crc = crc32(h.crc, p + sizeof h, plen);
    memcpy(p, &h, sizeof h);
    return h.len;
}

/* Checks that p holds exactly record (pipe, seq). */
static void check_rec(const unsigned char *p, uint32_t n, uint32_t pipe, uint64_t seq)
{
    unsigned char want[sizeof(struct rec) + MAX_PAYLOAD];
    uint32_t len = make_rec(want, pipe, seq);
    struct rec h;
    TL_ASSERT_MSG(n >= sizeof h, "pipe %u: a record of %u bytes", pipe, n);
    memcpy(&h, p, sizeof h);
    TL_ASSERT_MSG(h.magic == REC_MAGIC, "pipe %u seq %llu: bad magic %#x", pipe,
                  (unsigned long long)seq, h.magic);
    TL_ASSERT_MSG(h.pipe == pipe, "pipe %u: a record of pipe %u", pipe, h.pipe);
    TL_ASSERT_MSG(h.seq == seq, "pipe %u: record %llu where %llu was due (%s)", pipe,
                  (unsigned long long)h.seq, (unsigned long long)seq,
                  h.seq < seq ? "duplicate or reordered" : "lost records");
    TL_ASSERT_MSG(h.len == len && n == len, "pipe %u seq %llu: length %u/%u, expected %u",
                  pipe, (unsigned long long)seq, h.len, n, len);
    struct rec z = h;
    z.crc = 0;
    uint32_t crc = crc32(crc32(0, &z, sizeof z), p + sizeof h, len - sizeof h);
    TL_ASSERT_MSG(crc == h.crc, "pipe %u seq %llu: CRC mismatch", pipe,
                  (unsigned long long)seq);
    TL_ASSERT_MSG(memcmp(p, want, len) == 0, "pipe %u seq %llu: corrupted", pipe,
                  (unsigned long long)seq);
}

/* ---- One side of one pair ------------------------------------------------- */

struct side {
    int pair;
    bool server;
};

static bool message_pair(int pair) { return pair % 2 == 0; }

/* Does this side write instance k (global number)?  Even instances flow
 * client -> server. */
static bool writes(const struct side *s, int k) { return (k % 2 == 0) != s->server; }

static void write_batch(HANDLE h, int k, uint64_t seq0, bool message)
{
    unsigned char buf[BATCH * (sizeof(struct rec) + MAX_PAYLOAD)];
    if (message) {
        for (int i = 0; i < BATCH; i++) {
            uint32_t n = make_rec(buf, (uint32_t)k, seq0 + i);
            tl_write(h, buf, n);
        }
        return;
    }
    uint32_t off = 0;
    for (int i = 0; i < BATCH; i++)
        off += make_rec(buf + off, (uint32_t)k, seq0 + i);
    tl_write(h, buf, off);
}

static void read_batch(HANDLE h, int k, uint64_t seq0, bool message)
{
    unsigned char buf[BATCH * (sizeof(struct rec) + MAX_PAYLOAD)];
    if (message) {
        for (int i = 0; i < BATCH; i++) {
            DWORD n = tl_read(h, buf, sizeof buf);
            check_rec(buf, n, (uint32_t)k, seq0 + i);
        }
        return;
    }
    /* A byte stream: exactly this batch's bytes, then re-framed. */
    uint32_t total = 0;
    for (int i = 0; i < BATCH; i++)
        total += (uint32_t)sizeof(struct rec) + payload_len((uint32_t)k, seq0 + i);
    tl_read_exact(h, buf, total);
    uint32_t off = 0;
    for (int i = 0; i < BATCH; i++) {
        struct rec r;
        memcpy(&r, buf + off, sizeof r);
        uint32_t len = (uint32_t)sizeof r + payload_len((uint32_t)k, seq0 + i);
        check_rec(buf + off, len, (uint32_t)k, seq0 + i);
        off += len;
    }
}

static int run_side(void *arg)
{
    const struct side *s = arg;
    int first = plan.first[s->pair], n = plan.first[s->pair + 1] - first;
    bool message = message_pair(s->pair);
    const char *name = plan.names[s->pair];
    HANDLE h[MAX_PIPES_PER_PAIR];
    DWORD type = message ? PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE : PIPE_TYPE_BYTE;
    if (s->server) {
        for (int i = 0; i < n; i++)
            h[i] = tl_server(name, PIPE_ACCESS_DUPLEX, type, (DWORD)n, QUOTA, QUOTA);
        tl_signal(&plan.r, 1); /* listening */
        /* Clients take instances in the order they began listening; each
         * says which one it thinks it has. */
        for (int i = 0; i < n; i++) {
            tl_connect(h[i]);
            uint32_t who = 0;
            tl_read_exact(h[i], &who, sizeof who);
            TL_EQ(who, (uint32_t)i);
        }
    } else {
        for (int i = 0; i < n; i++) {
            h[i] = tl_client(name, GENERIC_READ | GENERIC_WRITE);
            if (message) {
                DWORD mode = PIPE_READMODE_MESSAGE;
                TL_OK(SetNamedPipeHandleState(h[i], &mode, NULL, NULL));
            }
            uint32_t who = (uint32_t)i;
            tl_write(h[i], &who, sizeof who);
        }
    }
    for (int round = 0; round < plan.rounds; round++) {
        uint64_t seq0 = (uint64_t)round * BATCH;
        for (int i = 0; i < n; i++)
            if (writes(s, first + i))
                write_batch(h[i], first + i, seq0, message);
        for (int i = 0; i < n; i++)
            if (!writes(s, first + i))
                read_batch(h[i], first + i, seq0, message);
    }
    /* Writers close; then every reader must find nothing more. */
    for (int i = 0; i < n; i++)
        if (writes(s, first + i))
            TL_OK(CloseHandle(h[i]));
    for (int i = 0; i < n; i++) {
        if (writes(s, first + i))
            continue;
        unsigned char buf[64];
        DWORD got = 0;
        SetLastError(0xdeadbeef);
        BOOL ok = ReadFile(h[i], buf, sizeof buf, &got, NULL);
        TL_ASSERT_MSG(!ok && GetLastError() == ERROR_BROKEN_PIPE,
                      "instance %d: after the last record, ReadFile gave %d/%lu "
                      "(%lu bytes)",
                      first + i, ok, (unsigned long)GetLastError(),
                      (unsigned long)got);
        TL_OK(CloseHandle(h[i]));
    }
    return 0;
}

/* ---- The run ----------------------------------------------------------------- */

static long long env_num(const char *name, long long def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    long long n = strtoll(v, &end, 10);
    return *end || n < 0 ? def : n;
}

static void make_plan(void)
{
    plan.pairs = (int)env_num("NPIPE_LOAD_PAIRS", MAX_PAIRS);
    if (plan.pairs < 1 || plan.pairs > MAX_PAIRS)
        plan.pairs = MAX_PAIRS;
    plan.instances = (int)env_num("NPIPE_LOAD_INSTANCES", 1000);
    if (plan.instances < 2 * plan.pairs)
        plan.instances = 2 * plan.pairs;
    if (plan.instances > plan.pairs * 255) /* PIPE_UNLIMITED_INSTANCES */
        plan.instances = plan.pairs * 255;
    plan.messages = env_num("NPIPE_LOAD_MESSAGES", 1000000);
    long long per_instance = plan.messages / plan.instances;
    plan.rounds = (int)((per_instance + BATCH - 1) / BATCH);
    if (plan.rounds < 1)
        plan.rounds = 1;
    for (int p = 0; p <= plan.pairs; p++)
        plan.first[p] = (int)((long long)plan.instances * p / plan.pairs);
    for (int p = 0; p < plan.pairs; p++)
        snprintf(plan.names[p], sizeof plan.names[p], "%s",
                 tl_pipe_name(message_pair(p) ? "load-msg" : "load-byte"));
}

static void one_run(int iteration)
{
    struct np_broker_stats base, peak;
    DWORD session;
    TL_OK(ProcessIdToSessionId(GetCurrentProcessId(), &session));
    rb_stats(&base);
    make_plan();
    tl_rdv_init(&plan.r);
    static struct side sides[2 * MAX_PAIRS];
    pid_t pids[2 * MAX_PAIRS];
    uint64_t t0 = tl_now_ms();
    for (int p = 0; p < plan.pairs; p++) {
        sides[p] = (struct side){p, true};
        pids[p] = tl_spawn(run_side, &sides[p]);
    }
    for (int p = 0; p < plan.pairs; p++)
        tl_expect_signal(&plan.r, 1);
    rb_stats(&peak); /* every instance exists */
    for (int p = 0; p < plan.pairs; p++) {
        sides[plan.pairs + p] = (struct side){p, false};
        pids[plan.pairs + p] = tl_spawn(run_side, &sides[plan.pairs + p]);
    }
    for (int i = 0; i < 2 * plan.pairs; i++)
        tl_join(pids[i]);
    uint64_t ms = tl_now_ms() - t0;
    long long records = (long long)plan.instances * plan.rounds * BATCH;
    fprintf(stderr,
            "[load] run %d: %d processes, %d instances, %lld records (%d rounds of %d) "
            "in %llu ms: %.0f records/s; broker before the clients: %u processes, %u instances, "
            "heap %llu KiB\n",
            iteration, 2 * plan.pairs, plan.instances, records, plan.rounds, BATCH,
            (unsigned long long)ms, records * 1000.0 / (double)(ms ? ms : 1),
            peak.processes, peak.instances,
            (unsigned long long)(peak.heap_bytes / 1024));
    tl_rdv_close(&plan.r);
    rb_expect_baseline(&base, 4u << 20);
}

static void test_load(void **state)
{
    crc_init();
    long long seconds = env_num("NPIPE_LOAD_SECONDS", 0);
    /* The per-test watchdog allows 60 s; a soak asks for more. */
    alarm((unsigned)(seconds + 110));
    uint64_t end = tl_now_ms() + (uint64_t)seconds * 1000;
    int iteration = 0;
    do {
        one_run(++iteration);
        if (seconds)
            alarm((unsigned)(seconds + 110));
    } while (tl_now_ms() < end);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TL_TEST(test_load),
    };
    int rc = TL_RUN(tests);
    rb_stats_close();
    return rc;
}
