#!/usr/bin/env python3
"""An impairment relay between a QEMU guest and a tap device, for lossy-link tests on a host kernel
without netem. QEMU sends the guest's Ethernet frames as UDP datagrams (`-netdev dgram`); the relay
forwards them to the tap device and back, dropping, duplicating, delaying and reordering frames in both
directions from a seeded generator, so a failing run can be replayed.

usage: impair_relay.py --tap tap0 --listen 127.0.0.1:10002 --guest 127.0.0.1:10001
                       [--loss PCT] [--dup PCT] [--reorder PCT] [--delay MS] [--seed N]
QEMU:  -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=10001,
                          remote.type=inet,remote.host=127.0.0.1,remote.port=10002
Runs inside the test's network namespace. Prints counters to stdout when terminated (SIGTERM/SIGINT)."""
import argparse
import fcntl
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
REORDER_EXTRA_S = 0.004      # a reordered frame is held this much longer, so later frames overtake it


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    # The tap outlives each user. A QEMU before us whose guest took checksum offload (GUEST_CSUM) left
    # it set, and Linux would then hand us frames whose checksums were never finished; without vnet
    # headers we cannot say so, so every frame must be complete.
    fcntl.ioctl(fd, TUNSETOFFLOAD, 0)
    return fd


def endpoint(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tap", required=True)
    ap.add_argument("--listen", required=True, type=endpoint)
    ap.add_argument("--guest", required=True, type=endpoint)
    ap.add_argument("--loss", type=float, default=0.0)
    ap.add_argument("--dup", type=float, default=0.0)
    ap.add_argument("--reorder", type=float, default=0.0)
    ap.add_argument("--delay", type=float, default=0.0, help="one-way delay in ms, each direction")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    tap = open_tap(args.tap)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    udp.bind(args.listen)
    udp.setblocking(False)

    counters = {"to_tap": 0, "to_guest": 0, "dropped": 0, "duplicated": 0, "reordered": 0, "write_failed": 0}
    pending = []      # heap of (due, sequence, destination, frame)
    sequence = 0

    def schedule(destination, frame):
        nonlocal sequence
        if rng.random() * 100 < args.loss:
            counters["dropped"] += 1
            return
        copies = 2 if rng.random() * 100 < args.dup else 1
        if copies == 2:
            counters["duplicated"] += 1
        for _ in range(copies):
            due = time.monotonic() + args.delay / 1000.0
            if rng.random() * 100 < args.reorder:
                counters["reordered"] += 1
                due += REORDER_EXTRA_S
            sequence += 1
            heapq.heappush(pending, (due, sequence, destination, frame))

    def report(*_):
        print(" ".join(f"{k}={v}" for k, v in counters.items()), flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    signal.signal(signal.SIGINT, report)
    print("relay: ready", flush=True)

    while True:
        timeout = None
        if pending:
            timeout = max(0.0, pending[0][0] - time.monotonic())
        readable, _, _ = select.select([tap, udp], [], [], timeout)
        if tap in readable:
            for _ in range(64):
                try:
                    schedule("guest", os.read(tap, 65536))
                except BlockingIOError:
                    break
        if udp in readable:
            for _ in range(64):
                try:
                    frame, _ = udp.recvfrom(65536)
                except BlockingIOError:
                    break
                schedule("tap", frame)
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, destination, frame = heapq.heappop(pending)
            try:
                if destination == "tap":
                    os.write(tap, frame)
                    counters["to_tap"] += 1
                else:
                    udp.sendto(frame, args.guest)
                    counters["to_guest"] += 1
            except OSError:         # a full tap queue or socket buffer: lost like on a real wire, but counted apart
                counters["write_failed"] += 1


if __name__ == "__main__":
    main()
