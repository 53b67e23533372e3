#!/usr/bin/env python3
"""Writes the seed corpus of the `ipv6` fuzz target (Fuzz/corpus/ipv6): one input per kind of packet
the stack handles, each frame with the repair bit set (the target fixes the payload length and the
ICMPv6 checksum), so mutations reach past the checksum. Format: see Fuzz/Targets/ipv6.swift."""
import ipaddress, os, struct, sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "ipv6")
os.makedirs(out, exist_ok=True)

OUR_MAC = bytes.fromhex("525400c86464")
PEER_MAC = bytes.fromhex("020000000002")
OURS = ipaddress.IPv6Address("fe80::5054:ff:fec8:6464").packed
STATIC = ipaddress.IPv6Address("fd00:100:200::64").packed
PEER = ipaddress.IPv6Address("fe80::2").packed
ROUTER = ipaddress.IPv6Address("fe80::1").packed
ALL_NODES = ipaddress.IPv6Address("ff02::1").packed
def solicited(a): return ipaddress.IPv6Address("ff02::1:ff00:0").packed[:13] + a[13:]

def ip6(src, dst, next_header, payload, hop=255, ext=b"", first=None):
    return struct.pack("!IHBB", 6 << 28, len(ext) + len(payload), next_header if first is None else first, hop) + src + dst + ext + payload

def icmp(type_, rest, code=0): return bytes([type_, code, 0, 0]) + rest

# control: 0x20 repair; destination bits 3-4: 0 our MAC, 1 all-nodes, 2 our solicited-node group; low bits: clock step
def frame(control, packet, act=None):
    head = bytes([control | (0x80 if act is not None else 0)]) + (bytes(act) if act is not None else b"")
    return head + struct.pack("!H", len(packet)) + packet

def mac_option(t, mac): return bytes([t, 1]) + mac
def prefix_option(prefix, valid=86400, preferred=14400, flags=0xC0, length=64):
    return bytes([3, 4, length, flags]) + struct.pack("!III", valid, preferred, 0) + ipaddress.IPv6Address(prefix).packed

ra = icmp(134, bytes([64, 0]) + struct.pack("!HII", 1800, 0, 0) + mac_option(1, PEER_MAC) + prefix_option("fd00:100:200::"))
ns = icmp(135, b"\0" * 4 + OURS + mac_option(1, PEER_MAC))
na = icmp(136, bytes([0x60, 0, 0, 0]) + PEER + mac_option(2, PEER_MAC))
echo = icmp(128, b"\xbe\xef\0\1" + bytes(range(32)))
query = icmp(130, struct.pack("!HH", 1000, 0) + b"\0" * 16 + b"\0" * 4)
hbh_alert = bytes([58, 0, 5, 2, 0, 0, 1, 0])

# Twice five seconds first, with empty frames (counted as truncated): the addresses have passed DAD.
WAIT = bytes([5, 0, 0, 5, 0, 0])
seeds = {
    "ra-slaac": frame(0x28 | 4, ip6(ROUTER, ALL_NODES, 58, ra)) + frame(0x20 | 7, ip6(PEER, OURS, 58, echo, hop=64)),
    "ns-then-echo": frame(0x30, ip6(PEER, solicited(OURS), 58, ns)) + frame(0x20 | 1, ip6(PEER, OURS, 58, echo, hop=64)),
    "dad-conflict": frame(0x30, ip6(b"\0" * 16, solicited(OURS), 58, icmp(135, b"\0" * 4 + OURS))),
    "resolve-and-answer": frame(0x20, ip6(PEER, OURS, 59, b""), act=[1, 2]) + frame(0x20 | 1, ip6(PEER, OURS, 58, na)),
    "mld-query": frame(0x28, ip6(ROUTER, ALL_NODES, 58, query, hop=1, ext=hbh_alert, first=0)),
    "extension-chain": frame(0x20, ip6(PEER, STATIC, 58, echo, hop=64, ext=bytes([60, 0, 1, 4, 0, 0, 0, 0]) + bytes([58, 0, 0x3e, 1, 0, 1, 1, 0]), first=0)),
    "fragment": frame(0x20, ip6(PEER, OURS, 58, echo, ext=bytes([58, 0, 0, 1, 0, 0, 0, 1]), first=44)),
    "routing0": frame(0x20, ip6(PEER, OURS, 58, echo, ext=bytes([58, 0, 0, 1, 0, 0, 0, 0]), first=43)),
    "unknown-next": frame(0x20, ip6(PEER, OURS, 200, b"abcd", hop=64)) + frame(0x20, ip6(PEER, OURS, 6, b"\0" * 20, hop=64)),
    "off-link-send": frame(0x28 | 4, ip6(ROUTER, ALL_NODES, 58, ra), act=[0] + list(ipaddress.IPv6Address("2001:db8::1").packed) + [0, 40]),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data if name == "dad-conflict" else WAIT + data)
print(f"make-ipv6-seeds: {len(seeds)} seeds in {out}")
