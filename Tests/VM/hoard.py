#!/usr/bin/env python3
"""Clients that try to hoard the appliance's memory and connection slots (Tests/VM/vm_hoard_test.sh).
Run inside the test namespace only: every packet goes to the guest on br0. Each attacker keeps COUNT
connections open for SECONDS from SOURCES local addresses (192.100.200.10, .11, ...), opening a new one
whenever the server closes or refuses one, and prints one line of `key=value` pairs.

  hoard.py bodies HOST COUNT SECONDS SOURCES        # POST / announcing 1 MiB, then 1 content byte a second
  hoard.py readers HOST COUNT SECONDS SOURCES PATH  # GET PATH with a 2 KiB receive buffer, never read
  hoard.py idle HOST COUNT SECONDS SOURCES          # connections that never send a request
  hoard.py legit HOST SECONDS INTERVAL              # GET / every INTERVAL s (2 s timeout): success rate
  hoard.py scan HOST FIRST LAST                     # TCP connect scan of ports FIRST..LAST: the open ones
"""
import errno
import resource
import select
import socket
import sys
import time

from attack import cmd_legit     # the same legitimate client the other attacks use, paced

HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, n + 100), hard), hard))


class Hoard:
    """COUNT connections kept open: `request` is sent once a connection is up; `tick` runs once a second.
    At most `per_round` new attempts every `pace` seconds (0: every poll round)."""

    def __init__(self, host, count, sources, request, rcvbuf=None, per_round=64, pace=0.0):
        self.host, self.count, self.sources, self.request, self.rcvbuf = host, count, sources, request, rcvbuf
        self.per_round, self.pace, self.next_round = per_round, pace, 0.0
        self.poller = select.poll()
        self.connecting = {}
        self.live = {}
        self.made = self.established = self.closed_by_server = self.refused = self.answered = 0
        self.peak = 0
        self.statuses = {}

    def open_one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        s.setblocking(False)
        try:
            s.bind((f"192.100.200.{10 + self.made % self.sources}", 0))
            err = s.connect_ex((self.host, 80))
        except OSError:
            s.close()
            return
        self.made += 1
        if err not in (0, errno.EINPROGRESS):
            s.close()
            return
        self.connecting[s.fileno()] = (s, time.monotonic())
        self.poller.register(s.fileno(), select.POLLOUT)

    def drop(self, fd, s):
        self.poller.unregister(fd)
        s.close()

    def run(self, seconds, tick, watch):
        end = time.monotonic() + seconds
        next_tick = time.monotonic() + 1
        while time.monotonic() < end:
            # Top up, a bounded number of new attempts per round so the namespace's SYN rate stays bounded.
            if time.monotonic() >= self.next_round:
                self.next_round = time.monotonic() + self.pace
                for _ in range(min(self.per_round, self.count - len(self.live) - len(self.connecting))):
                    self.open_one()
            for fd, ev in self.poller.poll(100):
                if fd in self.connecting:
                    s, _ = self.connecting.pop(fd)
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        self.refused += 1
                        self.drop(fd, s)
                        continue
                    self.established += 1
                    try:
                        s.send(self.request)
                    except OSError:
                        self.drop(fd, s)
                        continue
                    self.live[fd] = s
                    self.poller.modify(fd, watch)
                elif fd in self.live:
                    s = self.live[fd]
                    if self.on_event(s, ev):
                        del self.live[fd]
                        self.closed_by_server += 1
                        self.drop(fd, s)
            # A connection that never finished its handshake within 3 s is given up and replaced.
            now = time.monotonic()
            for fd, (s, started) in list(self.connecting.items()):
                if now - started > 3:
                    del self.connecting[fd]
                    self.refused += 1
                    self.drop(fd, s)
            self.peak = max(self.peak, len(self.live))
            if now >= next_tick:
                next_tick += 1
                for s in list(self.live.values()):
                    tick(s)
        held = len(self.live)
        for s, _ in self.connecting.values():
            s.close()
        for s in self.live.values():
            s.close()
        return held

    def summary(self, name, held):
        codes = " ".join(f"s{k}={v}" for k, v in sorted(self.statuses.items()))
        return (f"{name} attempts={self.made} established={self.established} peak_open={self.peak} "
                f"held_at_end={held} closed_by_server={self.closed_by_server} refused_or_unanswered={self.refused} "
                f"answered={self.answered} {codes}")


class Bodies(Hoard):
    def on_event(self, s, ev):
        """Reads the server's answer; True when the server closed."""
        try:
            data = s.recv(65536)
        except OSError:
            return True
        if data.startswith(b"HTTP/1.1 "):
            self.answered += 1
            code = data[9:12].decode("ascii", "replace")
            self.statuses[code] = self.statuses.get(code, 0) + 1
        return not data


class Readers(Hoard):
    def on_event(self, s, ev):
        """Never reads: only a reset or the server's FIN (seen as RDHUP) ends the connection."""
        return bool(ev & (select.POLLERR | select.POLLHUP | select.POLLRDHUP))


class Idle(Hoard):
    def on_event(self, s, ev):
        """The server sends nothing to an idle connection: any event is its close or reset."""
        return True


def trickle(s):
    try:
        s.send(b"x")
    except OSError:
        pass


def cmd_bodies(host, count, seconds, sources):
    raise_fd_limit(count)
    h = Bodies(host, count, sources, HEAD)
    held = h.run(seconds, trickle, select.POLLIN)
    print(h.summary("bodies", held))


def cmd_readers(host, count, seconds, sources, path):
    raise_fd_limit(count)
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    h = Readers(host, count, sources, request, rcvbuf=2048)
    held = h.run(seconds, lambda s: None, select.POLLRDHUP | select.POLLERR | select.POLLHUP)
    print(h.summary("readers", held))


def cmd_idle(host, count, seconds, sources):
    raise_fd_limit(count)
    # 8 every 50 ms: a client sending nothing never repeats an ACK the server could not take (its
    # SYN-ACK was a cookie and the accept queue was full), so the backlog is not overrun.
    h = Idle(host, count, sources, b"", per_round=8, pace=0.05)
    held = h.run(seconds, lambda s: None, select.POLLIN | select.POLLRDHUP | select.POLLERR | select.POLLHUP)
    print(h.summary("idle", held))


def cmd_scan(host, first, last):
    """Non-blocking connects, 200 at a time, 2 s each; prints the ports that accepted."""
    raise_fd_limit(300)
    open_ports, unanswered = [], 0
    ports = list(range(first, last + 1))
    for at in range(0, len(ports), 200):
        poller, socks = select.poll(), {}
        for port in ports[at:at + 200]:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((host, port))
            socks[s.fileno()] = (s, port)
            poller.register(s.fileno(), select.POLLOUT)
        end = time.monotonic() + 2
        while socks and time.monotonic() < end:
            for fd, _ in poller.poll(100):
                s, port = socks.pop(fd)
                poller.unregister(fd)
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    open_ports.append(port)
                s.close()
        unanswered += len(socks)
        for s, _ in socks.values():
            s.close()
    print(f"scan ports={first}-{last} open={','.join(map(str, open_ports)) or 'none'} unanswered={unanswered}")


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "bodies":
        cmd_bodies(args[0], int(args[1]), float(args[2]), int(args[3]))
    elif cmd == "readers":
        cmd_readers(args[0], int(args[1]), float(args[2]), int(args[3]), args[4])
    elif cmd == "idle":
        cmd_idle(args[0], int(args[1]), float(args[2]), int(args[3]))
    elif cmd == "scan":
        cmd_scan(args[0], int(args[1]), int(args[2]))
    elif cmd == "legit":
        cmd_legit(args[0], float(args[1]), float(args[2]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
