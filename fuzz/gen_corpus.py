#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: fuzz/corpus/<target>/<seed>.

    python3 fuzz/gen_corpus.py            (from the repository's top)

Each seed is a small scenario in the target's input format, so that
mutations start from conversations the broker understands: a server and a
client exchanging data, a listen that pends and completes, WaitNamedPipe, a
transaction, a process dying with I/O pending, a thread exiting mid-read,
handle duplication and flags.  The byte layouts mirror the tables in
fuzz_requests.c and the packet format of fuzz_packets.c; keep them in step.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- fuzz_requests ---------------------------------------------------------

OP = dict(CNP=0, CF=2, READ=4, WRITE=6, FLUSH=8, FSCTL=9, QUERY=12, SET=13,
          CLOSE=14, DUP=16, SESSION=17, CANCEL=18, HELLO=19, FLAGS=20, STATS=21,
          BAD=22)
FSCTL = dict(LISTEN=0, DISCONNECT=2, PEEK=3, TRANSCEIVE=4, WAIT=6, CONN_ATTR=8,
             PIPE_ATTR=9, ASSIGN_EVENT=10)
LEN = {0: 0, 1: 1, 4: 3, 8: 4, 16: 6, 40: 7, 64: 8, 100: 9, 512: 10, 4096: 11,
       70000: 14}
QUOTA_4096 = 4
QUOTA_16 = 2
TIMEOUT_500MS = 2
TIMEOUT_TINY = 0
ACCESS_BOTH = 2
ACCESS_READ = 0
ACCESS_WRITE = 1
NAME_A, NAME_B, NAME_ROOT = 0, 2, 5
HANDLE_NONE = 220


def cmd(kind, process=0, thread=0):
    return bytes([kind | (process << 3) | (thread << 5)])


def req(op, process=0, thread=0, mods=0, handle=HANDLE_NONE):
    return cmd(0, process, thread) + bytes([op, mods, handle])


def create_pipe(process=0, thread=0, name=NAME_A, message=False, quota=QUOTA_4096,
                instances=4, nowait=False):
    t = ((instances - 1) << 3) | (3 if message else 0) | (4 if nowait else 0)
    return req(OP['CNP'], process, thread) + bytes(
        [0, name, ACCESS_BOTH, 0, 3, 2, t, quota, quota, TIMEOUT_500MS])


def open_file(process=2, thread=0, name=NAME_A, access=ACCESS_BOTH):
    return req(OP['CF'], process, thread) + bytes([0, name, access, 3, 0, 0])


def write(process, handle, data, thread=0):
    return req(OP['WRITE'], process, thread, handle=handle) + bytes([LEN[len(data)]]) + data


def read(process, handle, length=100, thread=0):
    return req(OP['READ'], process, thread, handle=handle) + bytes([LEN[length]])


def fsctl(process, handle, code, out=100, thread=0, mods=0, tail=None):
    if tail is None:  # an input buffer: its length (none), no bytes
        tail = bytes([LEN[0]])
    return req(OP['FSCTL'], process, thread, mods=mods, handle=handle) + bytes(
        [FSCTL[code], LEN[out]]) + tail


def wait_pipe(process, root, name=NAME_A, timeout=TIMEOUT_500MS, thread=0):
    return fsctl(process, root, 'WAIT', 0, thread, tail=bytes([timeout, 1, name, 0]))


def attribute(process, handle, which, pipe=False):
    return fsctl(process, handle, 'PIPE_ATTR' if pipe else 'CONN_ATTR', 4,
                 tail=bytes([which, 1]))


def close(process, handle, thread=0):
    return req(OP['CLOSE'], process, thread, handle=handle)


def set_message_mode(process, handle):
    return req(OP['SET'], process, handle=handle) + bytes([0, 1, 0, 1])


def kill(process):
    return cmd(6, process)


def thread_exit(process, thread):
    return cmd(5, process, thread)


def requests_seeds():
    # Process 0 serves; process 2 (the same user) is its client; process 1
    # is another user, whom the default pipe security keeps to reading.
    S, C, O = 0, 2, 1
    s = {}
    s['exchange'] = (create_pipe(S) + open_file(C) +
                     write(C, 0, b'hello from the client, forty bytes long!') +
                     read(S, 0) + write(S, 0, b'x' * 16) + read(C, 0, 8) +
                     read(C, 0, 8) + fsctl(S, 0, 'PEEK', 64) +
                     req(OP['QUERY'], S, handle=0) + bytes([1, LEN[100]]) +
                     open_file(O, access=ACCESS_READ) + open_file(O) +
                     close(C, 0) + read(S, 0) + close(S, 0))
    s['listen'] = (create_pipe(S) + fsctl(S, 0, 'LISTEN', 0, thread=1) +
                   open_file(C) + fsctl(S, 0, 'LISTEN', 0) +
                   fsctl(S, 0, 'DISCONNECT', 0) + fsctl(S, 0, 'LISTEN', 0, thread=1, mods=1) +
                   write(C, 0, b'late') + open_file(C) + write(C, 1, b'x' * 40) +
                   read(S, 0, 100))
    s['wait'] = (open_file(O, name=NAME_ROOT, access=ACCESS_READ) +
                 wait_pipe(O, 0) + create_pipe(S, instances=1) + open_file(C) +
                 wait_pipe(O, 0, thread=1) + wait_pipe(O, 0, timeout=TIMEOUT_TINY) +
                 cmd(7, S) + close(C, 0) + close(S, 0))
    s['transact'] = (create_pipe(S, message=True) + open_file(C) +
                     set_message_mode(C, 0) +
                     fsctl(C, 0, 'TRANSCEIVE', 100, tail=bytes([LEN[16]]) + b'q' * 16) +
                     read(S, 0, 100) + write(S, 0, b'reply-40'.ljust(40, b'.')) +
                     fsctl(C, 0, 'TRANSCEIVE', 8, thread=1, tail=bytes([LEN[16]]) + b'r' * 16) +
                     kill(C) + read(S, 0, 100) + write(S, 0, b'x' * 16))
    s['stall'] = (create_pipe(S, quota=QUOTA_16) + open_file(C) +
                  write(C, 0, b'y' * 64, thread=1) + write(C, 0, b'z' * 40) +
                  read(S, 0, 16) + thread_exit(C, 1) + read(S, 0, 100) +
                  req(OP['FLUSH'], C, handle=0) + kill(C) + read(S, 0))
    s['pending_kill'] = (create_pipe(S) + open_file(C) + read(C, 0, 100, thread=1) +
                         read(S, 0, 100, thread=1) + kill(S) + read(C, 0) +
                         create_pipe(O) + open_file(O) + kill(C) + kill(O))
    s['ids'] = (create_pipe(S) + open_file(C) + attribute(S, 0, 0) +
                attribute(S, 0, 1) + attribute(C, 0, 2) + attribute(C, 0, 3, pipe=True) +
                attribute(C, 0, 4) + req(OP['SESSION'], C) + bytes([1]) +
                req(OP['STATS'], O) + bytes([LEN[100]]) + req(OP['HELLO'], S))
    s['handles'] = (create_pipe(S) + req(OP['DUP'], S, handle=0) + bytes([0, 0, 2]) +
                    req(OP['FLAGS'], S, handle=1) + bytes([2, 2]) + close(S, 1) +
                    req(OP['FLAGS'], S, handle=1) + bytes([2, 0]) + close(S, 1) +
                    req(OP['DUP'], S, handle=0) + bytes([ACCESS_READ, 2, 1]) +
                    read(C, 160) + write(S, 200, b'x' * 40) + close(S, 0))
    s['instances'] = (create_pipe(S, instances=2) + create_pipe(S, instances=2) +
                      create_pipe(O, instances=2) + create_pipe(C, instances=2) +
                      open_file(C) + open_file(C) + open_file(C) + req(OP['BAD'], S))
    s['nowait'] = (create_pipe(S, nowait=True) + fsctl(S, 0, 'LISTEN', 0) +
                   read(S, 0) + open_file(C) + read(S, 0) + write(C, 0, b'x' * 40) +
                   read(S, 0, 8))
    return s

# ---- fuzz_packets ----------------------------------------------------------

MAGIC = 0x5050494e


def header(op, id_, handle=0, in_len=0, out_len=0, args=b''):
    return struct.pack('<IHHIIQII', MAGIC, 1, op, 0, handle, id_, in_len, out_len) + \
        args.ljust(64, b'\0')


def utf16(s):
    return s.encode('utf-16-le')


def pkt(data, process=0, thread=0):
    return bytes([process | (thread << 2)]) + struct.pack('<H', len(data)) + data


def packets_seeds():
    name = utf16('\\??\\pipe\\fz')
    cnp_args = struct.pack('<12Iq', 0xC0100000, 0x40, 3, 3, 0x20, 0, 0, 0, 4, 4096, 4096, 1,
                           -500000)
    cf_args = struct.pack('<6I', 0xC0100000, 0x40, 3, 1, 0x20, 0)
    s = {}
    s['hello'] = pkt(header(13, 1))
    s['exchange'] = (pkt(header(1, 1, in_len=len(name), args=cnp_args) + name) +
                     pkt(header(2, 2, in_len=len(name), args=cf_args) + name, process=1) +
                     pkt(header(4, 3, handle=4, in_len=5) + b'hello', process=1) +
                     pkt(header(3, 4, handle=4, out_len=100)) +
                     pkt(header(9, 5, handle=4)))
    big = 1200
    first = 1000  # the rest follows in a continuation packet
    s['chunked'] = (pkt(header(1, 1, in_len=len(name), args=cnp_args) + name) +
                    pkt(header(2, 2, in_len=len(name), args=cf_args) + name, process=1) +
                    pkt(header(4, 3, handle=4, in_len=big) + b'a' * first, process=1) +
                    pkt(struct.pack('<IIQ', MAGIC, 0, 3) + b'b' * (big - first), process=1) +
                    pkt(header(3, 4, handle=4, out_len=big)))
    s['bad'] = (pkt(header(0, 1)) + pkt(header(99, 2)) + pkt(b'NIPP' + b'\0' * 8) +
                pkt(header(4, 3, handle=4, in_len=10) + b'abc') +
                pkt(struct.pack('<IIQ', MAGIC, 0, 99) + b'zz') +
                pkt(header(13, 4, out_len=1 << 30)) + bytes([0x80]))
    s['stats'] = pkt(header(30, 1, out_len=80)) + pkt(header(11, 2, args=struct.pack('<I', 1)))
    return s


def write_corpus(target, seeds):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
    print(f'{target}: {len(seeds)} seeds in {d}')


def main():
    write_corpus('fuzz_requests', requests_seeds())
    write_corpus('fuzz_packets', packets_seeds())
    return 0


if __name__ == '__main__':
    sys.exit(main())
