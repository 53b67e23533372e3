#!/usr/bin/env python3
"""Turns captured traffic into seed inputs for the `net` and `dhcp` fuzz targets.

  pcap-to-seeds.py NET_PCAP DHCP_PCAP OUTDIR

Only frames Linux sent (not the appliance's own, source MAC 52:54:00:c8:64:64) become `net` seeds: each
frame alone, and runs of consecutive frames, in the target's format (control byte, 2-byte length, frame;
the control byte moves the clock 1 ms and polls). DHCP server replies (UDP from port 67) become `dhcp`
scripts: OFFER, ACK, the probe's all-clear, then at T1 the ACK again (renewal), or the ACK with its
message type turned into a NAK, or a day of silence (expiry). Replies get the client's transaction ID copied in (bit 6)."""
import struct
import sys
from pathlib import Path

GUEST_MAC = bytes.fromhex("525400c86464")
MAX_RUN = 6000  # bytes per multi-frame seed (the net target runs with -max_len=8192)


def frames(path):
    data = Path(path).read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    assert linktype == 1, "expected an Ethernet capture"
    offset = 24
    while offset + 16 <= len(data):
        _, _, captured, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        yield data[offset + 16:offset + 16 + captured]
        offset += 16 + captured


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def complete_checksum(frame):
    """tcpdump sees Linux's UDP and TCP frames before checksum offload fills the checksum in."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] not in (6, 17):
        return frame
    ihl = (frame[14] & 0x0F) * 4
    total = struct.unpack(">H", frame[16:18])[0]
    start, end = 14 + ihl, min(14 + total, len(frame))
    field = start + (6 if frame[23] == 17 else 16)
    if field + 2 > end or struct.unpack(">H", frame[20:22])[0] & 0x3FFF:  # too short, or a fragment
        return frame
    f = bytearray(frame)
    f[field:field + 2] = b"\0\0"
    pseudo = f[26:34] + struct.pack(">HH", frame[23], end - start)
    value = checksum(bytes(pseudo + f[start:end]))
    f[field:field + 2] = struct.pack(">H", value or 0xFFFF)
    return bytes(f)


def net_record(frame, control=0x01):
    return bytes([control]) + struct.pack(">H", len(frame)) + frame


def udp_payload(frame, source_port):
    if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None
    ihl = (frame[14] & 0x0F) * 4
    udp = frame[14 + ihl:]
    if struct.unpack(">H", udp[0:2])[0] != source_port:
        return None
    length = struct.unpack(">H", udp[4:6])[0]
    return udp[8:length]


def message_type(payload):
    i = 240
    while i + 1 < len(payload):
        code = payload[i]
        if code == 0:
            i += 1
            continue
        if code == 255:
            break
        if code == 53:
            return payload[i + 2], i + 2
        i += 2 + payload[i + 1]
    return None, None


def main(net_pcap, dhcp_pcap, outdir):
    out = Path(outdir)
    (out / "net").mkdir(parents=True, exist_ok=True)
    (out / "dhcp").mkdir(parents=True, exist_ok=True)
    linux = [complete_checksum(f) for p in (net_pcap, dhcp_pcap) for f in frames(p) if f[6:12] != GUEST_MAC]
    seen = set()
    for i, f in enumerate(linux):
        # One seed per distinct kind of frame (ethertype, IP protocol, ICMP type or UDP port, size class).
        key = (f[12:14], f[23:24], f[34:36], len(f) // 512)
        if key not in seen:
            seen.add(key)
            (out / "net" / f"frame-{i:03d}").write_bytes(net_record(f))
    run, n = b"", 0
    for f in linux:
        record = net_record(f)
        if len(run) + len(record) > MAX_RUN:
            (out / "net" / f"run-{n:02d}").write_bytes(run)
            run, n = b"", n + 1
        run += record
    if run:
        (out / "net" / f"run-{n:02d}").write_bytes(run)

    replies = [p for p in (udp_payload(f, 67) for f in frames(dhcp_pcap)) if p]
    offers = [p for p in replies if message_type(p)[0] == 2]
    acks = [p for p in replies if message_type(p)[0] == 5]
    assert offers and acks, "the capture holds no OFFER and ACK"
    offer, ack = offers[0], acks[0]
    kind, at = message_type(ack)
    nak = bytearray(ack)
    nak[at] = 6

    def reply(payload, step):  # kind 0, xid and chaddr copied in, clock moved by `step`
        return bytes([0xC0 | step]) + struct.pack(">H", len(payload)) + payload

    probe_clear = bytes([0x08 | 2])      # kind 1 (probe result, no conflict), clock +1 s
    # Unexpected probe results, only to move the clock: 2 x 30 s reaches T1 of dnsmasq's 2-minute lease.
    to_renewal = bytes([0x08 | 4]) * 2
    day_later = bytes([0x08 | 7])
    bound = b"\x00" + reply(offer, 1) + reply(ack, 1) + probe_clear
    (out / "dhcp" / "bind-renew").write_bytes(bound + to_renewal + reply(ack, 1))
    (out / "dhcp" / "bind-renew-nak").write_bytes(bound + to_renewal + reply(bytes(nak), 1))
    (out / "dhcp" / "bind-expire").write_bytes(bound + day_later)
    (out / "dhcp" / "reboot-ack").write_bytes(b"\x01" + reply(ack, 1) + probe_clear)
    syns = [f for f in linux if len(f) > 47 and f[12:14] == b"\x08\x00" and f[23] == 6 and f[47] == 0x02]
    assert syns, "the capture holds no TCP SYN"
    tcp_seeds(syns[0], out)
    # The decoder alone (kind 3) on every distinct reply.
    for i, p in enumerate(dict.fromkeys(replies)):
        (out / "dhcp" / f"decode-{i}").write_bytes(b"\x00" + bytes([0x18]) + struct.pack(">H", len(p)) + p)


def tcp_seeds(syn_frame, out):
    """Conversations for the `tcp` target built around Linux's own SYN (its options as captured)."""
    ihl = (syn_frame[14] & 0x0F) * 4
    syn = bytearray(syn_frame[14 + ihl:14 + struct.unpack(">H", syn_frame[16:18])[0]])
    sport = struct.unpack(">H", syn[0:2])[0]
    (out / "tcp").mkdir(parents=True, exist_ok=True)
    # Later segments carry timestamps after the SYN's, or PAWS (RFC 7323) would drop them.
    base, i = 0, 20
    while i < (syn[12] >> 4) * 4:
        kind = syn[i]
        if kind in (0, 1):
            i += 1
            continue
        if kind == 8:
            base = struct.unpack(">I", syn[i + 2:i + 6])[0]
        i += syn[i + 1]

    def segment(flags, payload=b"", tsval=1000, sport=sport, dport=80):
        # seq and ack are filled in by the target (control bit 4); NOP NOP timestamps, as Linux sends.
        header = struct.pack(">HHIIBBHHH", sport, dport, 0, 0, 8 << 4, flags, 64240, 0, 0)
        return header + b"\x01\x01\x08\x0a" + struct.pack(">II", (base + tsval) & 0xFFFFFFFF, 0) + payload

    def record(control, seg, action=b""):
        return bytes([control]) + action + struct.pack(">H", len(seg)) + seg

    ack, psh_ack, fin_ack, rst = 0x10, 0x18, 0x11, 0x04
    request = b"GET / HTTP/1.1\r\nHost: appliance\r\n\r\n"
    passive = record(0x09, bytes(syn)) + record(0x19, segment(ack, tsval=1001))
    (out / "tcp" / "passive-get-close").write_bytes(
        passive + record(0x19, segment(psh_ack, request, 1002))
        + record(0x39, segment(fin_ack, tsval=1003), action=b"\x01\x00")  # the application closes too
        + record(0x1A, segment(ack, tsval=1004)))
    (out / "tcp" / "passive-send-reset").write_bytes(
        passive + record(0x39, segment(ack, tsval=1002), action=b"\x00\x00\x01\x00")  # the application sends 256 bytes
        + record(0x1B, segment(rst, tsval=1003)))
    (out / "tcp" / "syn-flood").write_bytes(b"".join(
        record(0x09, struct.pack(">H", sport + i) + bytes(syn[2:])) for i in range(8)))
    # Active open: the application connects to the peer's port 80, the peer answers SYN-ACK and data.
    synack = bytearray(syn)
    synack[0:4] = struct.pack(">HH", 80, 0)
    synack[13] = 0x12
    (out / "tcp" / "active-open").write_bytes(
        record(0x39, bytes(synack), action=b"\x05\x00\x00\x50")
        + record(0x19, segment(psh_ack, b"HTTP/1.1 200 OK\r\n\r\n", 1001, sport=80, dport=0))
        + record(0x1A, segment(fin_ack, tsval=1002, sport=80, dport=0)))  # after the delayed ACK (40 ms)


if __name__ == "__main__":
    main(*sys.argv[1:4])
