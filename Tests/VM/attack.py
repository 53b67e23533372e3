#!/usr/bin/env python3
"""Hostile clients for the attack tests (Tests/VM/vm_attack_test.sh, Scripts/stress). Run inside the
test namespace only: every packet goes to the guest on br0. Each command is bounded in time and count
and prints one summary line of `key=value` pairs that the shell scripts check.

  attack.py etc HOST                               # /factory/etc as 'key value' lines
  attack.py legit HOST SECONDS                     # GET / in a loop: success rate and latency
  attack.py burst HOST COUNT DELAY                 # after DELAY s, COUNT GET / at once (threads)
  attack.py slowloris HOST COUNT SECONDS INTERVAL  # COUNT requests that never finish, a byte per INTERVAL
  attack.py idle HOST COUNT SECONDS SOURCES        # COUNT idle connections from SOURCES addresses
  attack.py garbage HOST MAC COUNT SEED            # random frames, IPv4 fragments, odd TCP/UDP/ARP (scapy)
  attack.py malformed HOST ROUNDS                  # oversized and malformed HTTP requests in a loop
"""
import errno
import random
import resource
import select
import socket
import sys
import threading
import time


def etc(host, timeout=5.0):
    """The counters of /factory/etc as a dict (only 'key value' lines whose value is an integer)."""
    status, body = http_get(host, "/factory/etc", timeout)
    if status != 200:
        raise OSError(f"/factory/etc answered {status}")
    values = {}
    for line in body.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            values[parts[0]] = int(parts[1])
    return values


def http_get(host, path, timeout):
    """One GET with Connection: close; (status, body). Raises on a timeout or a broken connection."""
    with socket.create_connection((host, 80), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0].split()
    if len(line) < 2 or not line[1].isdigit():
        raise OSError("no status line")
    return int(line[1]), body


def cmd_etc(host):
    for key, value in sorted(etc(host).items()):
        print(key, value)


def cmd_legit(host, seconds, interval=0.0):
    """A legitimate client: GET / (2 s timeout each) until SECONDS have passed, one after another or,
    with INTERVAL, one every INTERVAL seconds."""
    ok = failed = 0
    latencies = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            status, body = http_get(host, "/", 2.0)
            if status == 200 and body:
                ok += 1
                latencies.append(time.monotonic() - start)
            else:
                failed += 1
        except OSError:
            failed += 1
            if not interval:
                time.sleep(0.05)
        if interval:
            time.sleep(max(0.0, interval - (time.monotonic() - start)))
    latencies.sort()
    total = ok + failed
    pct = lambda p: int(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000) if latencies else -1
    print(f"legit requests={total} ok={ok} failed={failed} success_pct={100 * ok // max(total, 1)} "
          f"p50_ms={pct(0.5)} p95_ms={pct(0.95)} max_ms={pct(1.0)}")


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(soft, n + 100), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


def cmd_burst(host, count, delay):
    """COUNT clients that connect at the same moment, DELAY seconds from now, and GET / (5 s timeout,
    so a SYN retransmission still counts): a burst that lands while a SYN flood fills the backlog."""
    time.sleep(delay)
    results = []

    def one():
        try:
            status, body = http_get(host, "/", 5.0)
            results.append(status == 200 and bool(body))
        except OSError:
            results.append(False)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"burst connections={count} ok={sum(results)}")


def cmd_slowloris(host, count, seconds, interval):
    """COUNT connections each start a request and add one header byte every INTERVAL seconds. Reports how
    many the server closed (with 408 or silently) and how long each one lasted."""
    raise_fd_limit(count)
    conns = {}
    opened = refused = 0
    for i in range(count):
        try:
            s = socket.create_connection((host, 80), timeout=3)
            s.setblocking(False)
            s.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
            conns[s] = time.monotonic()
            opened += 1
        except OSError:
            refused += 1
    closed_408 = closed_silent = 0
    lifetimes = []
    end = time.monotonic() + seconds
    next_byte = time.monotonic() + interval
    while conns and time.monotonic() < end:
        readable, _, _ = select.select(list(conns), [], [], 0.5)
        for s in readable:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data and not data.startswith(b"HTTP/1.1 408"):
                continue
            if data:
                closed_408 += 1
            else:
                closed_silent += 1
            lifetimes.append(time.monotonic() - conns.pop(s))
            s.close()
        if time.monotonic() >= next_byte:
            next_byte += interval
            for s in list(conns):
                try:
                    s.send(b"X")
                except OSError:
                    pass
    still_open = len(conns)
    for s in conns:
        s.close()
    lifetimes.sort()
    print(f"slowloris opened={opened} refused={refused} closed_408={closed_408} closed_silent={closed_silent} "
          f"still_open={still_open} min_life_s={int(lifetimes[0]) if lifetimes else -1} "
          f"max_life_s={int(lifetimes[-1]) if lifetimes else -1}")


def cmd_idle(host, count, seconds, sources):
    """COUNT non-blocking connects spread over SOURCES local addresses (192.100.200.10, .11, ...), held
    idle for SECONDS. Counts what was established, what was reset, what never got an answer, and what
    the server closed while idle."""
    raise_fd_limit(count)
    pending = {}
    established = []
    refused = unanswered = local_errors = 0
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.bind((f"192.100.200.{10 + i % sources}", 0))
            err = s.connect_ex((host, 80))
        except OSError:
            local_errors += 1
            s.close()
            continue
        if err not in (0, errno.EINPROGRESS):
            local_errors += 1
            s.close()
            continue
        pending[s.fileno()] = s
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    end = time.monotonic() + seconds
    peak = 0
    closed_by_server = 0
    live = {}
    while time.monotonic() < end:
        for fd, ev in poller.poll(200):
            s = pending.pop(fd, None)
            if s is not None:
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                poller.unregister(fd)
                if err == 0:
                    live[fd] = s
                    poller.register(fd, select.POLLIN)
                elif err == errno.ECONNREFUSED or err == errno.ECONNRESET:
                    refused += 1
                    s.close()
                else:
                    unanswered += 1
                    s.close()
            elif fd in live:
                s = live.pop(fd)
                poller.unregister(fd)
                closed_by_server += 1
                s.close()
        established_now = len(live)
        peak = max(peak, established_now)
    unanswered += len(pending)
    for s in list(pending.values()) + list(live.values()):
        s.close()
    print(f"idle attempted={count} peak_established={peak} held_at_end={len(live)} "
          f"closed_by_server={closed_by_server} reset={refused} unanswered={unanswered} local_errors={local_errors}")


def cmd_garbage(host, mac, count, seed):
    """COUNT hostile frames to the guest's MAC on br0, several kinds in turn, from a seeded PRNG."""
    from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, conf, fragment, sendp
    conf.verb = 0
    rng = random.Random(seed)
    rb = lambda n: bytes(rng.getrandbits(8) for _ in range(n))
    me = "192.100.200.1"
    frames = []
    for i in range(count):
        kind = i % 8
        if kind == 0:      # random bytes after a random EtherType
            f = Ether(dst=mac, type=rng.getrandbits(16)) / Raw(rb(rng.randint(0, 1500)))
        elif kind == 1:    # IPv4 with random header bytes (bad version, IHL, lengths, checksum)
            f = Ether(dst=mac, type=0x0800) / Raw(rb(rng.randint(0, 80)))
        elif kind == 2:    # IPv4 fragments of a large ICMP echo, some dropped, some overlapping
            pkt = IP(src=me, dst=host, id=rng.getrandbits(16)) / ICMP() / Raw(rb(rng.randint(1500, 4000)))
            pieces = fragment(pkt, fragsize=rng.choice([8, 64, 512, 1400]))
            rng.shuffle(pieces)
            f = [Ether(dst=mac) / p for p in pieces[: max(1, len(pieces) - rng.randint(0, 1))]]
        elif kind == 3:    # single fragments with random offsets and MF
            f = Ether(dst=mac) / IP(src=me, dst=host, flags=rng.choice([0, 1]), frag=rng.getrandbits(13),
                                    proto=rng.choice([1, 6, 17])) / Raw(rb(rng.randint(0, 1400)))
        elif kind == 4:    # TCP to port 80 with random flags, options and payload
            f = Ether(dst=mac) / IP(src=me, dst=host) / TCP(sport=rng.randint(1024, 65535), dport=80,
                flags=rng.getrandbits(8), seq=rng.getrandbits(32), ack=rng.getrandbits(32),
                dataofs=rng.randint(0, 15), options=[]) / Raw(rb(rng.randint(0, 200)))
        elif kind == 5:    # TCP with a corrupted checksum or a random IP header length
            f = Ether(dst=mac) / IP(src=me, dst=host, ihl=rng.randint(0, 15)) / TCP(dport=rng.choice([7, 80, 8081]),
                chksum=rng.getrandbits(16)) / Raw(rb(rng.randint(0, 100)))
        elif kind == 6:    # UDP to random ports, random lengths
            f = Ether(dst=mac) / IP(src=me, dst=host) / UDP(dport=rng.getrandbits(16), len=rng.getrandbits(16)) / Raw(rb(rng.randint(0, 600)))
        else:              # ARP with random opcodes, lengths and addresses
            f = Ether(dst=rng.choice([mac, "ff:ff:ff:ff:ff:ff"])) / ARP(op=rng.getrandbits(16), hwlen=rng.choice([6, rng.getrandbits(8)]),
                plen=rng.choice([4, rng.getrandbits(8)]), psrc=f"192.100.200.{rng.randint(2, 254)}", pdst=host) / Raw(rb(rng.randint(0, 30)))
        frames.extend(f if isinstance(f, list) else [f])
    start = time.monotonic()
    sendp(frames, iface="br0")
    print(f"garbage frames={len(frames)} seconds={time.monotonic() - start:.1f}")


MALFORMED = [
    ("long-request-line", lambda: b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("long-header", lambda: b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"b" * 17000 + b"\r\n\r\n"),
    ("many-headers", lambda: b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(150)) + b"\r\n"),
    ("huge-content-length", lambda: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"),
    ("bad-chunk", lambda: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n"),
    ("long-chunk-line", lambda: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" + b"e" * 400 + b"\r\n"),
    ("bad-version", lambda: b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"),
    ("long-method", lambda: b"A" * 40 + b" / HTTP/1.1\r\n\r\n"),
    ("nul-bytes", lambda: b"GET /\x00\x00 HTTP/1.1\r\nHost: \x00\r\n\r\n"),
    ("no-colon", lambda: b"GET / HTTP/1.1\r\nHost x\r\n\r\n"),
    ("dot-dot", lambda: b"GET /../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("random", lambda: bytes(random.getrandbits(8) for _ in range(random.randint(1, 3000))) + b"\r\n\r\n"),
    ("cl-and-te", lambda: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("body-too-large", lambda: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n" + b"z" * 65536),
]


def cmd_malformed(host, rounds):
    """Each malformed request ROUNDS times on a fresh connection: the server must answer with a status
    (or close) within 5 s; a request that hangs counts as 'hung'."""
    random.seed(rounds)
    statuses = {}
    hung = refused = 0
    for _ in range(rounds):
        for name, make in MALFORMED:
            try:
                with socket.create_connection((host, 80), timeout=5) as s:
                    s.settimeout(5)
                    try:
                        s.sendall(make())
                    except OSError:
                        pass        # the server may close before taking everything; its answer is still readable
                    data = b""
                    try:
                        while True:
                            chunk = s.recv(4096)
                            if not chunk:
                                break
                            data += chunk
                    except socket.timeout:
                        hung += 1
                        continue
                    except OSError:
                        pass
                    parts = data.split(b" ", 2)
                    code = parts[1].decode() if len(parts) > 1 and data.startswith(b"HTTP/") else "close"
                    statuses[code] = statuses.get(code, 0) + 1
            except OSError:
                refused += 1
    summary = " ".join(f"s{k}={v}" for k, v in sorted(statuses.items()))
    print(f"malformed requests={rounds * len(MALFORMED)} hung={hung} refused={refused} {summary}")


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "etc":
        cmd_etc(args[0])
    elif cmd == "legit":
        cmd_legit(args[0], float(args[1]))
    elif cmd == "burst":
        cmd_burst(args[0], int(args[1]), float(args[2]))
    elif cmd == "slowloris":
        cmd_slowloris(args[0], int(args[1]), float(args[2]), float(args[3]))
    elif cmd == "idle":
        cmd_idle(args[0], int(args[1]), float(args[2]), int(args[3]))
    elif cmd == "garbage":
        cmd_garbage(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "malformed":
        cmd_malformed(args[0], int(args[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
