#!/usr/bin/env python3
"""Seeds for the `hoard` fuzz target (Fuzz/Targets/hoard.swift): many connections uploading more than
the content budget, slow readers of a large file, heads trickled byte by byte with pipelining, FINs and
reconnections. Usage: make-hoard-seeds.py OUTDIR (Fuzz/make-seeds.sh runs it)."""
import os, sys
out = sys.argv[1]
def send(i, data, repeat=1):
    assert len(data) <= 255
    return bytes([i & 0x3F, len(data), repeat - 1]) + data
def read(i, log2): return bytes([0x40 | (i & 0x3F), log2])
def wait(quarters): return bytes([0x80, quarters])
def fin(i): return bytes([0xC0 | (i & 0x3F)])
head = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
# 32 uploads at once, 40 KiB each: far more content than the budget (and than the connections' own working sets).
s = bytes([31]) + b"".join(send(i, head) for i in range(32))
for r in range(5):
    s += b"".join(send(i, b"x" * 32, 256) for i in range(32)) + wait(1)
s += wait(200) + wait(200)
open(os.path.join(out, "uploads-32"), "wb").write(s)
# 64 slow readers of a large file, reading a byte now and then, time jumping.
get = b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n"
s = bytes([63]) + b"".join(send(i, get) for i in range(64))
for r in range(6):
    s += b"".join(read(i, 0) for i in range(0, 64, 3)) + wait(236)
open(os.path.join(out, "slow-readers-64"), "wb").write(s)
# Heads trickled byte by byte on 16 connections, pipelined requests, FINs and reconnections.
s = bytes([15])
for b in b"GET / HTTP/1.1\r\nHost: x\r\n":
    s += b"".join(send(i, bytes([b])) for i in range(16)) + wait(1)
s += b"".join(send(i, b"\r\n" + b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n" * 4, 8) for i in range(16))
s += b"".join(read(i, 12) for i in range(16)) + b"".join(fin(i) for i in range(0, 16, 2)) + wait(80)
s += b"".join(fin(i) for i in range(0, 16, 2)) + b"".join(send(i, head) + send(i, b"z" * 64, 100) for i in range(16))
open(os.path.join(out, "trickle-pipeline-reconnect"), "wb").write(s)
