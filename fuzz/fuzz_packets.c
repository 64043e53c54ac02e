/*
 * fuzz_packets.c — libFuzzer target: arbitrary packets on the wire.
 *
 * Where fuzz_requests builds requests that are well formed, this one sends
 * whatever the input says, to exercise the transport's decoding: header
 * shape checks, chunk reassembly (continuation packets with wrong ids,
 * lengths past the announced total, a new header in the middle of a
 * chunked request), empty and oversized packets — and, when a packet gets
 * past the transport, the I/O manager and npfs with arbitrary headers.
 *
 * The input is a list of packets: a byte (bits 0-1: process, bit 2:
 * thread; bit 7 set: that thread exits instead; bit 6 set: a header is
 * built from a valid template, the input overriding some fields), a 16-bit
 * length, and the bytes.  The seed corpus holds real requests of every
 * operation, so mutations start from packets the broker understands.
 */
#include "harness.h"

#include <string.h>

static uint8_t packet[NP_MAX_PACKET + 64];

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
        int process = (cmd & 3) % FZ_PROCESSES;
        int thread = (cmd >> 2) & 1;
        if (cmd & 0x80) {
            fz_close_thread(process, thread);
            fz_pump();
            continue;
        }
        uint16_t len = fz_u16(&in);
        size_t n;
        if (cmd & 0x40) {
            /* A header the transport accepts, fields from the input. */
            struct np_request q = {.magic = NP_MAGIC, .version = NP_VERSION};
            q.op = (uint16_t)(fz_u8(&in) % 50);
            q.handle = fz_u8(&in) * 4u;
            q.id = fz_u8(&in);
            q.out_len = fz_u32(&in) & 0x3FFFF;
            fz_take(&in, &q.args, fz_u8(&in) % sizeof q.args);
            size_t body = fz_take(&in, packet + sizeof q, len % 2048);
            q.in_len = (uint32_t)body + ((cmd & 0x20) ? fz_u16(&in) : 0);
            memcpy(packet, &q, sizeof q);
            n = sizeof q + body;
        } else {
            n = fz_take(&in, packet, len);
            if (cmd & 0x20) { /* a big packet: up to NP_MAX_PACKET and beyond */
                size_t big = (size_t)fz_u16(&in) + 4096;
                if (big > sizeof packet)
                    big = sizeof packet;
                if (big > n) {
                    memset(packet + n, 0x5a, big - n);
                    n = big;
                }
            }
        }
        fz_packet(process, thread, packet, n);
        fz_pump();
    }
    fz_end();
    return 0;
}
