#!/usr/bin/env python3
"""An HTTP/1.1 client that checks the appliance's server byte by byte, for Tests/VM/vm_http_test.sh (run
inside the test's namespace). Each mode prints one result line and exits non-zero on any mismatch.

  http_peer.py head HOST                  GET then HEAD of /: same head fields, and HEAD sends no body
  http_peer.py telnet HOST                a request typed by a person: one byte at a time with pauses,
                                          bare LF line endings; the answer must be a complete 200
  http_peer.py keepalive HOST COUNT       COUNT requests one after another on one connection
  http_peer.py pipeline HOST COUNT        COUNT requests sent in one write on one connection
  http_peer.py framing HOST               request bodies (Content-Length, chunked) between pipelined
                                          requests are consumed as bodies, never parsed as requests
  http_peer.py limits HOST                each refusal (414, 431, 505, 501, 400 for CL+TE) on its own
                                          connection: the right status, then the connection closes
  http_peer.py incomplete HOST SECONDS    half a request, then silence: 408 within SECONDS, then close
  http_peer.py idle HOST SECONDS          one request, then silence: the server closes within SECONDS
  http_peer.py echolines HOST             port 7, line by line as telnet sends them: each line echoed
  http_peer.py echoidle HOST MIN MAX      port 7, send nothing: closed by the server after MIN..MAX s
  http_peer.py hello HOST                 the hello app: HTTP/1.0 on port 80 gets the welcome page, then close

The request mix for keepalive and pipeline cycles through four requests whose answers differ, so an
answer out of order or missing is seen: GET / (200, the welcome page), GET /factory/etc (200, its
request counter must rise by at least the number of requests in between), HEAD / (200, no body) and
GET /missing-N (404).
"""
import re
import socket
import sys
import threading
import time

HTTP_PORT = 80
TIMEOUT = 60


class Reader:
    """Reads HTTP/1.1 responses off a socket, framing each by Content-Length or chunked coding."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()

    def fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise EOFError("connection closed")
        self.buffer.extend(chunk)

    def line(self):
        while b"\n" not in self.buffer:
            self.fill()
        end = self.buffer.index(b"\n") + 1
        line = bytes(self.buffer[:end])
        del self.buffer[:end]
        return line

    def exactly(self, n):
        while len(self.buffer) < n:
            self.fill()
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def response(self, head_request=False):
        """(status, {lowercase name: value}, body, raw head). Strict: CRLF endings, one framing."""
        status_line = self.line()
        if not status_line.endswith(b"\r\n"):
            raise ValueError(f"status line without CRLF: {status_line!r}")
        m = re.match(rb"HTTP/1\.1 (\d{3}) [^\r\n]*\r\n$", status_line)
        if not m:
            raise ValueError(f"bad status line {status_line!r}")
        status = int(m.group(1))
        headers = {}
        head = status_line
        while True:
            line = self.line()
            head += line
            if line == b"\r\n":
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep or name != name.strip():
                raise ValueError(f"bad header line {line!r}")
            key = name.lower()
            if key in headers and key != "set-cookie":
                raise ValueError(f"header {name} repeated")
            headers[key] = value.strip()
        if head_request or status in (204, 304) or 100 <= status < 200:
            return status, headers, b"", head
        if "transfer-encoding" in headers:
            if "content-length" in headers:
                raise ValueError("both Content-Length and Transfer-Encoding")
            body = bytearray()
            while True:
                size = int(self.line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.line() != b"\r\n":
                        pass
                    break
                body.extend(self.exactly(size))
                if self.exactly(2) != b"\r\n":
                    raise ValueError("chunk without CRLF")
            return status, headers, bytes(body), head
        if "content-length" not in headers:
            raise ValueError(f"status {status} without Content-Length or chunked coding")
        return status, headers, self.exactly(int(headers["content-length"])), head

    def closed(self, seconds):
        """True if the peer closes (FIN or RST) with no further bytes within `seconds`."""
        self.sock.settimeout(seconds)
        try:
            extra = self.sock.recv(4096)
            return extra == b"" and not self.buffer
        except ConnectionResetError:
            return not self.buffer
        except socket.timeout:
            return False


def connect(host, port=HTTP_PORT):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request(method, path, host, extra=""):
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


def head(host):
    s = connect(host)
    r = Reader(s)
    s.sendall(request("GET", "/", host))
    gs, gh, gbody, _ = r.response()
    s.sendall(request("HEAD", "/", host, "Connection: close\r\n"))
    hs, hh, _, _ = r.response(head_request=True)
    # Nothing may follow the HEAD response's blank line: the server closes right after it.
    no_body = r.closed(10)
    s.close()
    same = all(gh.get(k) == hh.get(k) for k in ("content-length", "content-type", "server"))
    ok = gs == hs == 200 and same and no_body and int(gh["content-length"]) == len(gbody)
    print(f"head: GET {gs} ({len(gbody)} bytes), HEAD {hs} Content-Length {hh.get('content-length')}, "
          f"fields {'match' if same else 'DIFFER'}, {'no body' if no_body else 'BODY SENT or no close'}")
    return ok


def telnet(host):
    """A person at telnet: bare LF (as `nc` sends), a byte at a time, a pause at every line end."""
    typed = f"GET / HTTP/1.1\nHost: {host}\nUser-Agent: a person\nConnection: close\n\n".encode()
    s = connect(host)
    start = time.monotonic()
    for i, b in enumerate(typed):
        s.send(bytes([b]))
        time.sleep(0.3 if b == 0x0A else 0.02)
    r = Reader(s)
    status, headers, body, _ = r.response()
    closed = r.closed(10)
    s.close()
    ok = status == 200 and b"It works." in body and closed
    print(f"telnet: {len(typed)} bytes typed in {time.monotonic() - start:.1f} s; answer {status}, "
          f"{len(body)} bytes{', then closed' if closed else ', NOT CLOSED'}")
    return ok


def mix(host, i):
    """(request bytes, checker(status, headers, body) -> error or None) for request i of a run."""
    kind = i % 4
    if kind == 0:
        return request("GET", "/", host), lambda s, h, b: None if s == 200 and b"It works." in b else "welcome"
    if kind == 1:
        return request("GET", "/factory/etc", host), None   # checked by the caller (counter order)
    if kind == 2:
        return request("HEAD", "/", host), lambda s, h, b: None if s == 200 and b == b"" and \
            int(h.get("content-length", "0")) > 0 else "head"
    return request("GET", f"/missing-{i}", host), lambda s, h, b: None if s == 404 else "404"


REQUESTS_COUNTER = re.compile(rb"http\.requests_received (\d+)\n")


def run_mix(host, count, pipelined):
    s = connect(host)
    r = Reader(s)
    reqs = [mix(host, i) for i in range(count)]
    errors = []
    last_counter = None
    start = time.monotonic()
    sender = None
    if pipelined:
        payload = b"".join(q for q, _ in reqs)
        # One write; a thread so that our reading keeps the server's replies flowing meanwhile.
        sender = threading.Thread(target=s.sendall, args=(payload,))
        sender.start()
    answered = 0
    try:
        for i, (q, check) in enumerate(reqs):
            if not pipelined:
                s.sendall(q)
            status, headers, body, _ = r.response(head_request=q.startswith(b"HEAD"))
            answered += 1
            if check is None:
                m = REQUESTS_COUNTER.search(body)
                if status != 200 or not m:
                    errors.append(f"#{i}: /factory/etc answered {status}")
                else:
                    counter = int(m.group(1))
                    # Four requests per cycle: the counter rises by at least four between two etc pages
                    # (more if another client of the test was served meanwhile).
                    if last_counter is not None and counter < last_counter + 4:
                        errors.append(f"#{i}: request counter {counter} after {last_counter}")
                    last_counter = counter
            else:
                e = check(status, headers, body)
                if e:
                    errors.append(f"#{i}: expected {e}, got {status}")
            if len(errors) > 5:
                break
    except (EOFError, OSError, ValueError) as e:
        errors.append(f"after {answered} answers: {e}")
    elapsed = time.monotonic() - start
    if sender:
        sender.join(TIMEOUT)
    s.close()
    mode = "pipelined (one write)" if pipelined else "keep-alive"
    print(f"{mode}: {answered}/{count} answered in order in {elapsed:.1f} s ({answered / elapsed:.0f}/s)"
          + (f"; errors: {'; '.join(errors[:5])}" if errors else ""))
    return answered == count and not errors


def framing(host):
    """One write, four requests. The second request's body is itself a complete request for
    /factory/etc: answering it would mean the body was taken for a request (smuggling). The third
    announces chunked content to a path that takes none: answered at its head, then the connection
    closes, so the fourth is never read."""
    hidden = request("GET", "/factory/etc", host)
    payload = (request("POST", "/", host, "Content-Length: 5\r\n") + b"abcde"
               + request("GET", "/", host, f"Content-Length: {len(hidden)}\r\n") + hidden
               + request("POST", "/", host, "Transfer-Encoding: chunked\r\n") + b"5;ext=1\r\nabcde\r\n0\r\n\r\n"
               + request("GET", "/", host, "Connection: close\r\n"))
    s = connect(host)
    s.sendall(payload)
    r = Reader(s)
    statuses = []
    try:
        while True:
            status, _, body, _ = r.response()
            statuses.append((status, b"It works." in body))
    except EOFError:
        pass
    s.close()
    # Content for a path that takes none is skipped when short and announced by Content-Length; chunked
    # content of unknown length is not worth skipping: the server answers at the head and closes.
    expected = [(405, False), (200, True), (405, False)]
    print(f"framing: answers {[st for st, _ in statuses]} (expected 405, 200, 405 and close)")
    return statuses == expected


LIMIT_CASES = [
    # (name, request bytes, expected status)
    ("10 KB request line", b"GET /" + b"a" * 10240 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414),
    ("huge header section", b"GET / HTTP/1.1\r\nHost: h\r\n" + b"".join(
        b"X-Filler-%d: %s\r\n" % (i, b"v" * 200) for i in range(100)) + b"\r\n", 431),
    ("one 20 KB header", b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + b"v" * 20480 + b"\r\n\r\n", 431),
    ("HTTP/2.0 version", b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
    ("unknown method", b"BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 501),
    ("Content-Length with Transfer-Encoding",
     b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("two different Content-Lengths",
     b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    ("space before the colon", b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
    ("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\n\r\n", 400),
]


def limits(host):
    good = 0
    for name, payload, expected in LIMIT_CASES:
        s = connect(host)
        try:
            s.sendall(payload)
        except OSError:
            pass   # the server may answer and close before reading everything
        r = Reader(s)
        try:
            status, headers, body, _ = r.response()
            closed = r.closed(10)
        except (EOFError, OSError, ValueError) as e:
            status, body, closed = f"no answer ({e})", b"", False
        s.close()
        ok = status == expected and closed and 0 < len(body) < 1024
        good += ok
        print(f"  {name}: {status}, {len(body)}-byte page{', closed' if closed else ', NOT CLOSED'}"
              f"{'' if ok else f'  <-- expected {expected} then close'}")
    print(f"limits: {good}/{len(LIMIT_CASES)} refusals correct")
    return good == len(LIMIT_CASES)


def incomplete(host, seconds):
    s = connect(host)
    s.sendall(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\n")
    start = time.monotonic()
    r = Reader(s)
    s.settimeout(seconds)
    try:
        status, _, body, _ = r.response()
        closed = r.closed(5)
    except (EOFError, OSError, ValueError) as e:
        status, body, closed = f"no answer ({e})", b"", False
    elapsed = time.monotonic() - start
    s.close()
    print(f"incomplete request: {status} after {elapsed:.1f} s{', then closed' if closed else ', NOT CLOSED'}")
    return status == 408 and closed


def idle(host, seconds):
    s = connect(host)
    r = Reader(s)
    s.sendall(request("GET", "/", host))
    status, _, _, _ = r.response()
    start = time.monotonic()
    closed = r.closed(seconds)
    elapsed = time.monotonic() - start
    s.close()
    print(f"idle keep-alive connection: {'closed' if closed else 'STILL OPEN'} after {elapsed:.1f} s")
    return status == 200 and closed


def echolines(host):
    s = connect(host, 7)
    r = Reader(s)
    lines = [b"hello, echo\r\n", b"typed line two\r\n", b"\r\n", b"x" * 300 + b"\r\n"]
    good = 0
    for line in lines:
        for b in line:
            s.send(bytes([b]))
        got = b""
        while len(got) < len(line):
            got += r.line()
        good += got == line
        time.sleep(0.1)
    s.shutdown(socket.SHUT_WR)
    closed = r.closed(10)
    s.close()
    print(f"echo lines: {good}/{len(lines)} echoed{', closed after ours' if closed else ', NOT CLOSED'}")
    return good == len(lines) and closed


def echoidle(host, low, high):
    s = connect(host, 7)
    start = time.monotonic()
    closed = Reader(s).closed(high)
    elapsed = time.monotonic() - start
    s.close()
    print(f"silent echo client: {'closed' if closed else 'STILL OPEN'} after {elapsed:.1f} s "
          f"(expected {low:.0f}..{high:.0f} s)")
    return closed and low <= elapsed <= high


def hello(host):
    """The hello app (Toro's ToroHttp): a raw HTTP/1.0 request over a plain TCP connection gets the
    welcome page, and the server closes the connection after it."""
    s = socket.create_connection((host, 80), timeout=10)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break          # the server closed: the end of the answer
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n")[0]
    print(f"hello on 80: {status_line!r}, {len(body)} bytes of body, then closed")
    return head.startswith(b"HTTP/1.0 200 ") and b"<h1>Hello World!</h1>" in body


def main():
    mode, host = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    try:
        if mode == "head":
            ok = head(host)
        elif mode == "telnet":
            ok = telnet(host)
        elif mode == "keepalive":
            ok = run_mix(host, int(args[0]), pipelined=False)
        elif mode == "pipeline":
            ok = run_mix(host, int(args[0]), pipelined=True)
        elif mode == "framing":
            ok = framing(host)
        elif mode == "limits":
            ok = limits(host)
        elif mode == "incomplete":
            ok = incomplete(host, float(args[0]))
        elif mode == "idle":
            ok = idle(host, float(args[0]))
        elif mode == "echolines":
            ok = echolines(host)
        elif mode == "echoidle":
            ok = echoidle(host, float(args[0]), float(args[1]))
        elif mode == "hello":
            ok = hello(host)
        else:
            print(__doc__)
            ok = False
    except (OSError, EOFError, ValueError) as e:
        print(f"{mode}: error {e}")
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
