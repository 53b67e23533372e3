#!/usr/bin/env python3
"""The IPv6 cases of the malformed-frame sender: IPv6 headers and extension-header chains (RFC 8200),
ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861) frames the appliance must drop and count, and the
floods of RFC 6583 (neighbour-cache exhaustion), sent from inside a test namespace. For each kind, the
counters it must move are read from /factory/etc (over IPv4) before and after. Counters that the
namespace's own traffic moves too (solicitations and advertisements received: Linux probes the guest
while HTTP runs) are not asked to stand still; the refusal counters are, exactly.

    malformed_frames_ipv6.py IFACE GUEST_MAC GUEST_IP GUEST_IPV6 OUR_IPV6 [--count N] [--flood N]

GUEST_IPV6 is the guest's global (SLAAC) address, OUR_IPV6 the namespace's address on IFACE in the
same /64 (the guest has resolved it: replies to it leave at once). One line per checked counter:
'KIND COUNTER BEFORE AFTER WANT VERDICT': WANT is '+N' (moved by exactly N), '+>=N' (by at least N) or
'<=N' (a gauge, at most N after); VERDICT is 'ok' or 'FAIL'. Frames are built byte by byte, as in
malformed_frames.py, so each field is exactly as broken as its kind says.
"""
import argparse
import ipaddress
import struct
import sys
import time

from scapy.all import get_if_hwaddr, sendp

from malformed_frames import checksum, counters, mac_bytes

ETH_IPV6 = 0x86DD
HOP_BY_HOP, ROUTING, FRAGMENT, ICMPV6, NO_NEXT, DEST_OPTS = 0, 43, 44, 58, 59, 60
ECHO_REQUEST, RS, RA, NS, NA = 128, 133, 134, 135, 136
ALL_NODES = "ff02::1"
FORGED_ROUTER = "fe80::bad:1"           # a link-local router nobody configured
FORGED_PREFIX = "fd66:6666:6666:6666::"  # what the forged advertisements offer for SLAAC
NEIGHBOUR_CACHE = 32                     # NeighbourCache.capacity
PENDING_RESOLUTIONS = 8                  # NeighbourResolver: neighbours asked for at once
EXTENSION_HEADERS = 8                    # IPv6Packet.maxExtensionHeaders
ERROR_REFILL_S = 8 * 0.05                # ICMP errors: a burst of 8, one more each 50 ms (InterfaceLimits)


def addr(text: str) -> bytes:
    return ipaddress.IPv6Address(text).packed


def solicited_node(text: str) -> str:
    return str(ipaddress.IPv6Address(addr("ff02::1:ff00:0")[:13] + addr(text)[13:]))


def ext(next_header: int, body: bytes) -> bytes:
    """An options or routing header: next header, length in 8-byte units after the first 8, body."""
    assert (len(body) + 2) % 8 == 0
    return bytes([next_header, (len(body) + 2) // 8 - 1]) + body


def options_header(next_header: int, option_type: int, value: bytes = b"\0\0\0\0") -> bytes:
    """A hop-by-hop or destination options header of 8 bytes holding one option (4 bytes of value)."""
    return ext(next_header, bytes([option_type, len(value)]) + value)


class Frames:
    def __init__(self, guest_mac: str, guest: str, ours: str, our_mac: str):
        self.guest_mac = mac_bytes(guest_mac)
        self.our_mac = mac_bytes(our_mac)
        self.guest = guest
        self.ours = ours

    def frame(self, src: str, dst: str, next_header: int, payload: bytes, hop_limit: int = 64,
              payload_length: int = None, version: int = 6, src_mac: bytes = None) -> bytes:
        d = addr(dst)
        mac = b"\x33\x33" + d[12:] if d[0] == 0xFF else self.guest_mac
        length = len(payload) if payload_length is None else payload_length
        header = struct.pack("!IHBB16s16s", version << 28, length, next_header, hop_limit, addr(src), d)
        return mac + (src_mac or self.our_mac) + struct.pack("!H", ETH_IPV6) + header + payload

    @staticmethod
    def icmp(src: str, dst: str, kind: int, body: bytes, code: int = 0, bad_checksum: bool = False) -> bytes:
        message = struct.pack("!BBH", kind, code, 0) + body
        pseudo = addr(src) + addr(dst) + struct.pack("!IxxxB", len(message), ICMPV6)
        csum = checksum(pseudo + message) ^ (0x1111 if bad_checksum else 0)
        return message[:2] + struct.pack("!H", csum) + message[4:]

    def echo(self, src: str = None, dst: str = None, bad_checksum: bool = False) -> bytes:
        return self.icmp(src or self.ours, dst or self.guest, ECHO_REQUEST, b"\x42\x42\x00\x01malformed-v6",
                         bad_checksum=bad_checksum)

    def icmp_frame(self, dst: str, kind: int, body: bytes, src: str = None, hop_limit: int = 255, code: int = 0,
                   src_mac: bytes = None) -> bytes:
        src = src or self.ours
        return self.frame(src, dst, ICMPV6, self.icmp(src, dst, kind, body, code), hop_limit, src_mac=src_mac)

    def echo_after(self, headers: bytes, first: int, dst: str = None, **fields) -> bytes:
        """An echo request behind extension headers (the last of which names ICMPv6)."""
        return self.frame(self.ours, dst or self.guest, first, headers + self.echo(dst=dst), **fields)

    @staticmethod
    def link_layer(kind: int, mac: bytes) -> bytes:
        return bytes([kind, 1]) + mac

    def ns(self, target: str, dst: str = None, src: str = None, mac: bytes = None, hop_limit: int = 255) -> bytes:
        option = b"" if mac is None else self.link_layer(1, mac)
        return self.icmp_frame(dst or self.guest, NS, b"\0\0\0\0" + addr(target) + option, src=src,
                               hop_limit=hop_limit, src_mac=mac)

    def ra(self, options: bytes, src: str = FORGED_ROUTER, hop_limit: int = 255, code: int = 0) -> bytes:
        # Current hop limit 1, router lifetime 1800 s, reachable time 1 ms: all harmful if taken.
        body = struct.pack("!BBHII", 1, 0, 1800, 1, 0) + options
        return self.icmp_frame(ALL_NODES, RA, body, src=src, hop_limit=hop_limit, code=code)

    def prefix_option(self) -> bytes:
        """Prefix information: FORGED_PREFIX/64, on-link and autonomous, valid and preferred for a day."""
        return struct.pack("!BBBBIII16s", 3, 4, 64, 0xC0, 86400, 86400, 0, addr(FORGED_PREFIX))


def kinds(f: Frames, count: int, flood: int):
    """(name, frames, [(counter, want)], seconds to wait) where want is ('+', n), ('+>=', n) or ('<=', n)."""
    g, ours, c = f.guest, f.ours, count
    sll = f.link_layer(1, f.our_mac)
    prefix = f.prefix_option()
    na = f.icmp_frame(ALL_NODES, NA, b"\x20\0\0\0" + addr(ours) + f.link_layer(2, f.our_mac), hop_limit=254)
    chain = b"".join(options_header(DEST_OPTS, 1) for _ in range(EXTENSION_HEADERS - 1)) + options_header(ICMPV6, 1)
    pad_n = options_header(ICMPV6, 1)
    routing0 = ext(ICMPV6, bytes([0, 1]) + b"\0" * 4 + addr("fd00::9"))            # type 0, segments left 1
    fragment = bytes([ICMPV6, 0]) + struct.pack("!HI", 1, 0x1234)                    # offset 0, more fragments
    echo = f.echo()
    real_jumbo = f.frame(ours, g, HOP_BY_HOP, options_header(ICMPV6, 0xC2, struct.pack("!I", 70000)) + echo,
                         payload_length=0)
    # The namespace's sources for the floods: many on-link addresses, each with its own MAC.
    def source(group: int, i: int) -> str:
        return str(ipaddress.IPv6Address(addr(ours)[:8] + struct.pack("!HHHH", 0, 0, group, i)))

    def fake_mac(i: int) -> bytes:
        return b"\x02\x00\x00\x01" + struct.pack("!H", i)

    return [
        # Neighbour discovery (RFC 4861 6.1, 7.1): every check, each on an otherwise valid message.
        ("ns-hop-limit-64", [f.ns(g, dst=solicited_node(g), mac=f.our_mac, hop_limit=64)] * c,
         [("nd.invalid", "+", c)], 3),
        ("na-hop-limit-254", [na] * c, [("nd.invalid", "+", c)], 3),
        ("ra-hop-limit-64", [f.ra(sll + prefix, hop_limit=64)] * c, [("nd.invalid", "+", c)], 3),
        ("ra-code-1", [f.ra(sll + prefix, code=1)] * c, [("nd.invalid", "+", c)], 3),
        ("ra-from-global-source", [f.ra(sll + prefix, src=source(0xbad, 1))] * c, [("nd.invalid", "+", c)], 3),
        ("ra-zero-length-option", [f.ra(prefix + b"\x01\x00" + f.our_mac)] * c, [("nd.invalid", "+", c)], 3),
        ("ra-option-beyond-message", [f.ra(sll + prefix[:16])] * c, [("nd.invalid", "+", c)], 3),
        ("ra-option-cut-in-its-header", [f.ra(prefix + b"\x03")] * c, [("nd.invalid", "+", c)], 3),
        ("ns-multicast-target", [f.ns(ALL_NODES, mac=f.our_mac)] * c, [("nd.invalid", "+", c)], 3),
        ("ns-unspecified-source-with-address-option", [f.ns(g, dst=solicited_node(g), src="::", mac=f.our_mac)] * c,
         [("nd.invalid", "+", c)], 3),
        # IPv6 headers (RFC 8200 3): cut, lying lengths, bad versions and sources.
        ("ipv6-header-cut-at-30-bytes", [f.frame(ours, g, ICMPV6, echo)[:14 + 30]] * c, [("ipv6.truncated", "+", c)], 3),
        ("ipv6-payload-length-beyond-frame", [f.frame(ours, g, ICMPV6, echo, payload_length=len(echo) + 100)] * c,
         [("ipv6.truncated", "+", c)], 3),
        # Shorter than the message: the rest is link padding, and the cut message fails its checksum.
        ("ipv6-payload-length-short-of-message", [f.frame(ours, g, ICMPV6, echo, payload_length=len(echo) - 4)] * c,
         [("icmp6.bad_checksum", "+", c), ("icmp6.echo_requests_received", "+", 0)], 3),
        ("ipv6-payload-length-0-icmpv6", [f.frame(ours, g, ICMPV6, echo, payload_length=0)] * c,
         [("icmp6.truncated", "+", c)], 3),
        ("ipv6-version-4", [f.frame(ours, g, ICMPV6, echo, version=4)] * c, [("ipv6.bad_header", "+", c)], 3),
        ("ipv6-source-multicast", [f.frame(ALL_NODES, g, ICMPV6, echo)] * c, [("ipv6.bad_source", "+", c)], 3),
        ("ipv6-source-loopback", [f.frame("::1", g, ICMPV6, echo)] * c, [("ipv6.bad_source", "+", c)], 3),
        ("ipv6-source-ours", [f.frame(g, g, ICMPV6, echo)] * c, [("ipv6.bad_source", "+", c)], 3),
        ("ipv6-other-destination", [f.frame(ours, source(0xd, 1), ICMPV6, echo)] * c, [("ipv6.not_for_us", "+", c)], 3),
        ("ipv6-unknown-next-header", [f.frame(ours, g, 253, b"\0" * 8)] * c,
         [("ipv6.unknown_next_header", "+", c), ("icmp6.errors_sent", "+", c)], 3),
        # Extension headers (RFC 8200 4): the walk's bound, order, routing, fragments, options, jumbograms.
        ("extension-headers-8-answered", [f.echo_after(chain, DEST_OPTS)] * c, [("icmp6.echo_replies_sent", "+", c)], 3),
        ("extension-headers-9", [f.echo_after(options_header(DEST_OPTS, 1) + chain, DEST_OPTS)] * c,
         [("ipv6.too_many_extension_headers", "+", c), ("icmp6.echo_requests_received", "+", 0)], 3),
        ("hop-by-hop-not-first", [f.echo_after(options_header(HOP_BY_HOP, 1) + options_header(ICMPV6, 1), DEST_OPTS)] * c,
         [("ipv6.bad_header", "+", c)], 3),
        ("extension-header-beyond-packet", [f.frame(ours, g, DEST_OPTS, bytes([ICMPV6, 2]) + b"\x01\x04\0\0\0\0")] * c,
         [("ipv6.truncated", "+", c)], 3),
        ("option-beyond-its-header", [f.echo_after(ext(ICMPV6, b"\x01\x07\0\0\0\0"), DEST_OPTS)] * c,
         [("ipv6.truncated", "+", c)], 3),
        ("routing-type-0", [f.echo_after(routing0, ROUTING)] * c, [("ipv6.routing_headers", "+", c)], 3),
        ("routing-type-4-segments-left", [f.echo_after(ext(ICMPV6, bytes([4, 1]) + b"\0" * 4 + addr("fd00::9")), ROUTING)] * c,
         [("ipv6.routing_headers", "+", c)], 3),
        ("routing-type-4-finished-answered", [f.echo_after(ext(ICMPV6, bytes([4, 0]) + b"\0" * 4 + addr("fd00::9")), ROUTING)] * c,
         [("icmp6.echo_replies_sent", "+", c), ("ipv6.routing_headers", "+", 0)], 3),
        ("fragment", [f.echo_after(fragment, FRAGMENT)] * c, [("ipv6.fragments", "+", c)], 3),
        ("fragment-behind-options", [f.echo_after(options_header(FRAGMENT, 1) + fragment, DEST_OPTS)] * c,
         [("ipv6.fragments", "+", c)], 3),
        # Unknown options by their two high bits (RFC 8200 4.2): 00 skip, 01 drop, 10 drop and always a
        # parameter problem (to multicast too: RFC 4443 2.4 e.3), 11 drop and a parameter problem unless
        # to multicast.
        ("option-00-skipped-answered", [f.echo_after(options_header(ICMPV6, 0x1E), DEST_OPTS)] * c,
         [("icmp6.echo_replies_sent", "+", c), ("ipv6.unknown_options", "+", 0)], 3),
        ("option-01-dropped", [f.echo_after(options_header(ICMPV6, 0x5E), DEST_OPTS)] * c,
         [("ipv6.unknown_options", "+", c), ("icmp6.errors_sent", "+", 0)], 3),
        ("option-10-parameter-problem", [f.echo_after(options_header(ICMPV6, 0x9E), HOP_BY_HOP)] * c,
         [("ipv6.unknown_options", "+", c), ("icmp6.errors_sent", "+", c)], 3),
        ("option-10-to-multicast-parameter-problem",
         [f.echo_after(options_header(ICMPV6, 0x9E), DEST_OPTS, dst=ALL_NODES)] * c,
         [("ipv6.unknown_options", "+", c), ("icmp6.errors_sent", "+", c)], 3),
        # Forged from the guest's own address: dropped before its source is checked, and no error to
        # ourselves (which would resolve our own address).
        ("option-10-from-our-own-address", [f.frame(g, g, DEST_OPTS, options_header(ICMPV6, 0x9E) + f.echo(src=g))] * c,
         [("ipv6.unknown_options", "+", c), ("icmp6.errors_sent", "+", 0)], 3),
        ("option-11-parameter-problem", [f.echo_after(options_header(ICMPV6, 0xDE), DEST_OPTS)] * c,
         [("ipv6.unknown_options", "+", c), ("icmp6.errors_sent", "+", c)], 3),
        ("option-11-to-multicast-silent", [f.echo_after(options_header(ICMPV6, 0xDE), DEST_OPTS, dst=ALL_NODES)] * c,
         [("ipv6.unknown_options", "+", c), ("icmp6.errors_sent", "+", 0)], 3),
        ("jumbo-option", [f.echo_after(options_header(ICMPV6, 0xC2, struct.pack("!I", 70000)), HOP_BY_HOP)] * c,
         [("ipv6.jumbograms", "+", c)], 3),
        ("jumbogram-payload-length-0", [real_jumbo] * c, [("ipv6.jumbograms", "+", c)], 3),
        # ICMPv6 (RFC 4443).
        ("icmpv6-bad-checksum", [f.frame(ours, g, ICMPV6, f.echo(bad_checksum=True))] * c,
         [("icmp6.bad_checksum", "+", c), ("icmp6.echo_requests_received", "+", 0)], 3),
        ("icmpv6-cut-at-2-bytes", [f.frame(ours, g, ICMPV6, echo[:2])] * c, [("icmp6.truncated", "+", c)], 3),
        ("echo-to-all-nodes", [f.frame(ours, ALL_NODES, ICMPV6, f.echo(dst=ALL_NODES))] * c,
         [("icmp6.multicast_echo_ignored", "+", c), ("icmp6.echo_replies_sent", "+", 0)], 3),
        ("echo-to-solicited-node-group", [f.frame(ours, solicited_node(g), ICMPV6, f.echo(dst=solicited_node(g)))] * c,
         [("icmp6.multicast_echo_ignored", "+", c), ("icmp6.echo_replies_sent", "+", 0)], 3),
        ("echo-from-unspecified", [f.frame("::", g, ICMPV6, f.echo(src="::"))] * c,
         [("ipv6.no_route", "+", c), ("icmp6.echo_replies_sent", "+", 0)], 3),
        # RFC 6583: solicitations for many addresses that are not ours make no entry; solicitations from
        # many neighbours fill the cache only to its size; replies to many unknown neighbours start at
        # most PENDING_RESOLUTIONS resolutions, whose queued packets are dropped when nobody answers.
        ("ns-flood-many-targets", [f.ns(source(3, i), mac=f.our_mac) for i in range(flood)],
         [("nd.not_for_us", "+", flood), ("nd.neighbours", "<=", NEIGHBOUR_CACHE)], 3),
        ("ns-flood-many-sources", [f.ns(g, src=source(1, i), mac=fake_mac(i)) for i in range(flood)],
         [("nd.advertisements_sent", "+>=", flood), ("nd.cache_evictions", "+>=", flood - NEIGHBOUR_CACHE),
          ("nd.neighbours", "<=", NEIGHBOUR_CACHE)], 3),
        ("echo-flood-unresolved-sources", [f.frame(source(2, i), g, ICMPV6, f.echo(src=source(2, i))) for i in range(flood)],
         [("nd.pending_full", "+>=", flood - PENDING_RESOLUTIONS), ("nd.resolution_failed", "+>=", PENDING_RESOLUTIONS)], 8),
    ]


def reached(want: str, n: int, before: int, after: int) -> bool:
    if want == "<=":
        return after <= n
    return after - before >= n


def verdict(want: str, n: int, before: int, after: int) -> bool:
    return after - before == n if want == "+" else reached(want, n, before, after)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("iface")
    p.add_argument("guest_mac")
    p.add_argument("guest_ip")
    p.add_argument("guest_ipv6")
    p.add_argument("our_ipv6")
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--flood", type=int, default=64, help="frames of each flood (more than the cache holds)")
    a = p.parse_args()
    url = f"http://{a.guest_ip}/factory/etc"
    f = Frames(a.guest_mac, a.guest_ipv6, a.our_ipv6, get_if_hwaddr(a.iface))
    for name, frames, checks, seconds in kinds(f, a.count, a.flood):
        if any(k == "icmp6.errors_sent" and n > 0 for k, _, n in checks):
            time.sleep(ERROR_REFILL_S)      # a full burst of errors for this kind, as the rate limit allows
        before = counters(url)
        sendp(frames, iface=a.iface, inter=0.005)
        deadline = time.monotonic() + seconds
        while True:
            after = counters(url)
            done = all(reached(w, n, before.get(k, 0), after.get(k, -1)) for k, w, n in checks if n > 0 or w == "<=")
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        # Let a late duplicate show itself: a count must be exact, not merely reached.
        time.sleep(0.1)
        after = counters(url)
        for counter, want, n in checks:
            b, v = before.get(counter), after.get(counter)
            ok = b is not None and v is not None and verdict(want, n, b, v)
            shown = f"<={n}" if want == "<=" else f"{want}{n}"
            print(f"{name} {counter} {b} {v} {shown} {'ok' if ok else 'FAIL'}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
