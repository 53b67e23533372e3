#!/usr/bin/env python3
"""Linux's own TCP as the peer of the appliance's stack, for the TCP tests (run inside the test's
namespace). Each mode prints one result line and exits non-zero on any mismatch or error.

  tcp_peer.py echo HOST SIZE [--seed N]      send SIZE random bytes to the echo service (port 7) while
                                             reading them back; both directions must match (sha256)
  tcp_peer.py get HOST PATH SHA256           HTTP GET on port 80; the body must have this sha256
  tcp_peer.py sequential HOST COUNT          COUNT short connections one after another (echo a line)
  tcp_peer.py concurrent HOST COUNT          COUNT connections open at once, each echoing its own bytes
  tcp_peer.py afterclose HOST                the peer keeps sending after the appliance closed: the
                                             appliance answers with RST, and the response is intact
  tcp_peer.py earlyjunk HOST PATH SHA256     the peer sends bytes nobody will read right behind its
                                             request, while the (large) response is still in flight:
                                             the RST must wait until the whole body is acknowledged
"""
import hashlib
import os
import random
import socket
import sys
import threading
import time

ECHO_PORT = 7
TIMEOUT = 120


def echo(host, size, seed):
    data = random.Random(seed).randbytes(size)
    s = socket.create_connection((host, ECHO_PORT), timeout=TIMEOUT)
    received = bytearray()
    failure = []

    def reader():
        try:
            while len(received) < size:
                chunk = s.recv(65536)
                if not chunk:
                    break
                received.extend(chunk)
        except OSError as e:
            failure.append(e)

    t = threading.Thread(target=reader)
    start = time.monotonic()
    t.start()
    s.sendall(data)
    t.join(TIMEOUT)
    elapsed = time.monotonic() - start
    s.close()
    ok = bytes(received) == data
    print(f"echo {size} bytes: {'ok' if ok else 'MISMATCH'} in {elapsed:.2f} s "
          f"({size / elapsed / 1e6:.2f} MB/s each way), sha256 {hashlib.sha256(received).hexdigest()[:16]}"
          + (f", error {failure[0]}" if failure else ""))
    return ok


def get(host, path, expected):
    s = socket.create_connection((host, 80), timeout=TIMEOUT)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    start = time.monotonic()
    response = bytearray()
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        response.extend(chunk)
    elapsed = time.monotonic() - start
    head, _, body = bytes(response).partition(b"\r\n\r\n")
    digest = hashlib.sha256(body).hexdigest()
    ok = head.startswith(b"HTTP/1.1 200") and digest == expected
    status = head.split(b"\r\n")[0].decode(errors="replace")
    print(f"get {path}: {len(body)} bytes in {elapsed:.2f} s ({len(body) / max(elapsed, 1e-9) / 1e6:.2f} MB/s): "
          f"{'ok' if ok else 'MISMATCH ' + status}")
    return ok


def one_exchange(host, payload):
    with socket.create_connection((host, ECHO_PORT), timeout=30) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        got = bytearray()
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got.extend(chunk)
        return bytes(got) == payload


def sequential(host, count):
    start = time.monotonic()
    good = sum(one_exchange(host, f"connection {i}\n".encode()) for i in range(count))
    print(f"sequential: {good}/{count} connections echoed correctly in {time.monotonic() - start:.1f} s")
    return good == count


def concurrent(host, count):
    """`count` connections open at once, each echoing its own bytes. They come from the addresses in
    PEER_SOURCES (comma-separated) in turn, when given: once its table is half used the appliance holds
    each address to its share (32 connections), so 256 from one address are refused by design."""
    sources = [a for a in os.environ.get("PEER_SOURCES", "").split(",") if a]
    sockets = []
    for i in range(count):
        source = (sources[i % len(sources)], 0) if sources else None
        sockets.append(socket.create_connection((host, ECHO_PORT), timeout=60, source_address=source))
    for i, s in enumerate(sockets):
        s.sendall(f"client {i} says hello {'x' * (i % 200)}\n".encode())
    good = 0
    for i, s in enumerate(sockets):
        expected = f"client {i} says hello {'x' * (i % 200)}\n".encode()
        got = bytearray()
        while len(got) < len(expected):
            chunk = s.recv(4096)
            if not chunk:
                break
            got.extend(chunk)
        good += bytes(got) == expected
        s.close()
    print(f"concurrent: {good}/{count} connections got exactly their own bytes")
    return good == count


def read_then_push(s, while_reading=None):
    """Reads the response to its end (calling `while_reading(bytes so far)` after each chunk), then
    keeps sending data nobody will read; returns (response, whether the peer answered with RST)."""
    response = bytearray()
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            response.extend(chunk)
            if while_reading:
                while_reading(len(response))
        for _ in range(20):
            s.sendall(b"more data nobody will read\n")
            time.sleep(0.05)
    except (ConnectionResetError, BrokenPipeError):
        return response, True
    return response, False


def afterclose(host):
    """Request with Connection: close, then keep sending junk after the response: the appliance must
    still deliver the whole response (orderly release), then refuse the extra data with RST."""
    s = socket.create_connection((host, 80), timeout=30)
    s.sendall(f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    response, reset = read_then_push(s)
    ok = response.startswith(b"HTTP/1.1 200") and reset
    print(f"afterclose: response {'intact' if response.startswith(b'HTTP/1.1 200') else 'BROKEN'}, "
          f"{'RST' if reset else 'no RST'} for data after close")
    return ok


def earlyjunk(host, path, expected):
    """Linux resets a socket closed with unread data at once, discarding what it had not yet sent
    (RFC 1122 4.2.2.13 allows it); the appliance promises to reset only after its own data is
    acknowledged. A small receive buffer and a late first read keep the body in flight while the
    junk arrives, before and after the appliance's close."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(TIMEOUT)
    s.connect((host, 80))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
              + b"junk nobody will read\n" * 50)
    time.sleep(0.5)

    def junk(received):
        # All along the body: the server closes once the last bytes are queued, so junk that
        # arrives then meets a closed connection with its data still in flight.
        if received % 16384 < 4096:
            s.sendall(b"more junk while the body is in flight\n")

    response, reset = read_then_push(s, junk)
    head, _, body = bytes(response).partition(b"\r\n\r\n")
    intact = head.startswith(b"HTTP/1.1 200") and hashlib.sha256(body).hexdigest() == expected
    print(f"earlyjunk {path}: body {len(body)} bytes {'intact' if intact else 'TRUNCATED or wrong'}, "
          f"{'RST' if reset else 'no RST'} once it was read")
    return intact and reset


def main():
    mode, host = sys.argv[1], sys.argv[2]
    if mode == "echo":
        seed = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--seed" else 1
        ok = echo(host, int(sys.argv[3]), seed)
    elif mode == "get":
        ok = get(host, sys.argv[3], sys.argv[4])
    elif mode == "sequential":
        ok = sequential(host, int(sys.argv[3]))
    elif mode == "concurrent":
        ok = concurrent(host, int(sys.argv[3]))
    elif mode == "afterclose":
        ok = afterclose(host)
    elif mode == "earlyjunk":
        ok = earlyjunk(host, sys.argv[3], sys.argv[4])
    else:
        print(__doc__)
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
