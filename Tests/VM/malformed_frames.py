#!/usr/bin/env python3
"""Sends malformed frames at the appliance from inside a test namespace and reports which drop counter
each kind moved, read from /factory/etc before and after that kind.

    malformed_frames.py IFACE GUEST_MAC GUEST_IP [--count N] [--garbage N] [--seed S]

One line per kind: 'KIND COUNTER BEFORE AFTER SENT' (the shell checks AFTER - BEFORE == SENT), then
'garbage eth.rx_frames BEFORE AFTER SENT' for the burst of seeded random frames (the shell checks that
every one of them reached the stack). Frames are built byte by byte (struct), not by scapy's layers, so
a field is exactly as broken as the kind says; scapy only puts them on the wire.
Linux refuses to send a frame shorter than the 14-byte Ethernet header (dev_validate_header), so the
shortest "runt" frames here are a bare header and a header with a few bytes; vm_network_test.sh sends
the shorter ones (eth.truncated) through QEMU's datagram backend instead.
"""
import argparse
import random
import socket
import struct
import sys
import time
import urllib.request

from scapy.all import conf, get_if_hwaddr, sendp  # noqa: E402

conf.verb = 0

HOST_IP = "192.100.200.1"
ETH_IPV4, ETH_ARP = 0x0800, 0x0806


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def mac_bytes(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.split(":"))


class Frames:
    def __init__(self, guest_mac: str, guest_ip: str, our_mac: str):
        self.dst = mac_bytes(guest_mac)
        self.src = mac_bytes(our_mac)
        self.guest_ip = socket.inet_aton(guest_ip)
        self.our_ip = socket.inet_aton(HOST_IP)

    def ether(self, ethertype: int, payload: bytes, dst: bytes = None) -> bytes:
        return (dst or self.dst) + self.src + struct.pack("!H", ethertype) + payload

    def ipv4_header(self, proto: int, payload_len: int, ihl: int = 5, total_len: int = None,
                    bad_checksum: bool = False, flags_frag: int = 0x4000, src: bytes = None) -> bytes:
        total = 20 + payload_len if total_len is None else total_len
        header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 0x1234, flags_frag, 64, proto, 0,
                             src or self.our_ip, self.guest_ip)
        csum = checksum(header)
        if bad_checksum:
            csum ^= 0x5A5A
        return header[:10] + struct.pack("!H", csum) + header[12:]

    def ipv4(self, proto: int, payload: bytes, **fields) -> bytes:
        return self.ether(ETH_IPV4, self.ipv4_header(proto, len(payload), **fields) + payload)

    def icmp_echo(self, ident: int = 0x4242, seq: int = 1, data: bytes = b"malformed-test",
                  bad_checksum: bool = False) -> bytes:
        body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
        csum = checksum(body) ^ (0x1111 if bad_checksum else 0)
        return body[:2] + struct.pack("!H", csum) + body[4:]

    def udp(self, dport: int, data: bytes, bad_checksum: bool = False, length: int = None) -> bytes:
        length = 8 + len(data) if length is None else length
        header = struct.pack("!HHHH", 40000, dport, length, 0)
        pseudo = self.our_ip + self.guest_ip + struct.pack("!BBH", 0, 17, 8 + len(data))
        csum = checksum(pseudo + header + data) or 0xFFFF
        if bad_checksum:
            csum = csum ^ 0x0F0F or 0x0101
        return header[:6] + struct.pack("!H", csum) + data

    def arp_request(self) -> bytes:
        return struct.pack("!HHBBH6s4s6s4s", 1, ETH_IPV4, 6, 4, 1, self.src, self.our_ip, b"\0" * 6,
                           self.guest_ip)


def kinds(f: Frames):
    """(name, counter that must move by exactly one per frame, frame)."""
    ping = f.icmp_echo()
    return [
        ("bad-ipv4-checksum", "ipv4.bad_checksum", f.ipv4(1, ping, bad_checksum=True)),
        ("ipv4-ihl-4", "ipv4.bad_header", f.ipv4(1, ping, ihl=4)),
        ("ipv4-ihl-0", "ipv4.bad_header", f.ipv4(1, ping, ihl=0)),
        ("ipv4-version-6", "ipv4.bad_header",
         f.ether(ETH_IPV4, b"\x65" + f.ipv4_header(1, len(ping))[1:] + ping)),
        ("ipv4-total-length-beyond-frame", "ipv4.truncated", f.ipv4(1, ping, total_len=20 + len(ping) + 200)),
        ("ipv4-total-length-under-header", "ipv4.bad_header", f.ipv4(1, ping, total_len=12)),
        ("ipv4-fragment", "ipv4.fragments", f.ipv4(1, ping, flags_frag=0x2000)),
        ("ipv4-unknown-protocol", "ipv4.unknown_protocol", f.ipv4(253, b"x" * 8)),
        ("runt-ipv4-header-only", "ipv4.truncated", f.ether(ETH_IPV4, b"")),
        ("runt-ipv4-10-bytes", "ipv4.truncated", f.ether(ETH_IPV4, f.ipv4_header(1, 0)[:10])),
        ("truncated-arp", "arp.truncated", f.ether(ETH_ARP, f.arp_request()[:20])),
        ("runt-arp-header-only", "arp.truncated", f.ether(ETH_ARP, b"")),
        ("arp-bad-hardware-type", "arp.unsupported", f.ether(ETH_ARP, b"\x00\x07" + f.arp_request()[2:])),
        ("unknown-ethertype", "eth.unknown_ethertype", f.ether(0x88B5, b"local experimental" * 3)),
        ("other-unicast-mac", "eth.not_for_us", f.ether(ETH_IPV4, f.ipv4_header(1, len(ping)) + ping,
                                                       dst=b"\x02\x00\x00\x00\x00\x99")),
        ("bad-icmp-checksum", "icmp.bad_checksum", f.ipv4(1, f.icmp_echo(bad_checksum=True))),
        ("bad-udp-checksum", "udp.bad_checksum", f.ipv4(17, f.udp(7, b"must not echo", bad_checksum=True))),
        ("udp-length-under-8", "udp.bad_header", f.ipv4(17, f.udp(7, b"abcd", length=4))),
        ("udp-length-beyond-packet", "udp.truncated", f.ipv4(17, f.udp(7, b"abcd", length=200))),
    ]


def garbage(f: Frames, rng: random.Random, n: int):
    """Seeded random frames to the guest: pure noise under random EtherTypes, and IPv4 headers with a
    valid checksum over random protocol payloads so the noise reaches ICMP, UDP and TCP too."""
    out = []
    for _ in range(n):
        kind = rng.randrange(4)
        body = rng.randbytes(rng.randrange(0, 1480))
        if kind == 0:
            out.append(f.ether(rng.randrange(0x10000), body))
        elif kind == 1:
            out.append(f.ether(ETH_ARP, body[:rng.randrange(0, 60)]))
        elif kind == 2:
            out.append(f.ether(ETH_IPV4, body))
        else:
            proto = rng.choice([1, 6, 17])
            out.append(f.ipv4(proto, body[:1400]))
    return out


def counters(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and "." in parts[0] and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def wait_moved(url: str, counter: str, target: int, seconds: float = 3.0) -> int:
    """The guest handles frames in its main loop: poll until the counter reaches the target or time is up."""
    deadline = time.monotonic() + seconds
    while True:
        value = counters(url).get(counter, -1)
        if value >= target or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iface")
    p.add_argument("guest_mac")
    p.add_argument("guest_ip")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--garbage", type=int, default=1000)
    p.add_argument("--seed", type=int, default=862)
    p.add_argument("--gap", type=float, default=0.002, help="seconds between garbage frames")
    a = p.parse_args()
    url = f"http://{a.guest_ip}/factory/etc"
    f = Frames(a.guest_mac, a.guest_ip, get_if_hwaddr(a.iface))
    for name, counter, frame in kinds(f):
        before = counters(url)
        if counter not in before:
            print(f"{name} {counter} missing-counter 0 {a.count}")
            continue
        sendp([frame] * a.count, iface=a.iface, inter=0.01)
        after = wait_moved(url, counter, before[counter] + a.count)
        # Let a late duplicate show itself: the count must be exact, not merely reached.
        time.sleep(0.1)
        after = counters(url)[counter]
        print(f"{name} {counter} {before[counter]} {after} {a.count}", flush=True)
    rng = random.Random(a.seed)
    frames = garbage(f, rng, a.garbage)
    before = counters(url)["eth.rx_frames"]
    sendp(frames, iface=a.iface, inter=a.gap)
    # rx_frames also counts the HTTP requests' own frames, so ask for at least the burst.
    after = wait_moved(url, "eth.rx_frames", before + a.garbage, 10)
    print(f"garbage eth.rx_frames {before} {after} {a.garbage}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
