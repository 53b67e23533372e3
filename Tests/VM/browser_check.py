#!/usr/bin/env python3
"""Loads a page in Debian's headless Chromium and checks it renders without errors.

    browser_check.py URL OUTDIR [--charts N] [--text T ...]

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages ended by
a NUL byte, commands on fd 3, answers and events on fd 4), so it needs nothing beyond the standard
library. Fails (exit 1, one line per problem) on a console error or warning, an uncaught exception, a
load that failed or answered 4xx/5xx, a request to any other origin, fewer than N inline SVG charts
(svg.chart) each drawing a line, or a text T missing from the rendered page. Writes OUTDIR/page.png
(screenshot), OUTDIR/page.html (the DOM as rendered) and OUTDIR/chromium.log; prints a summary line.
Run it inside the test's namespace (ip netns exec NS ...); Chromium runs as root only with --no-sandbox.
"""
import argparse, base64, fcntl, json, os, select, subprocess, sys, tempfile, time
from urllib.parse import urlsplit

TIMEOUT = 40        # seconds for the whole check, Chromium's start included


class Browser:
    def __init__(self, outdir):
        self.profile = tempfile.mkdtemp(prefix="chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def wire():     # in the child: the pipe ends on the fds Chromium expects
            # Out of the way first: a pipe end may itself be 3 or 4, and dup2 onto itself would keep
            # its close-on-exec flag (dup2 to another number makes an inheritable copy).
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.log = open(os.path.join(outdir, "chromium.log"), "w")
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             # Chromium tries https:// first for a typed http:// address; the appliance serves plain HTTP.
             "--disable-features=HttpsUpgrades",
             f"--user-data-dir={self.profile}", "--window-size=1280,1600", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            # Not close_fds: it would close 3 and 4 after `wire`. Python's own fds are close-on-exec anyway.
            preexec_fn=wire, close_fds=False)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + TIMEOUT

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        return self.next_id

    def receive(self):
        """The next message, or None at the deadline."""
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                return None
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                return None
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None):
        """Sends a command and waits for its answer; events meanwhile are kept in `events`."""
        wanted = self.send(method, params, session)
        while True:
            message = self.receive()
            if message is None:
                raise TimeoutError(f"no answer to {method}")
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method):
        while True:
            if any(e.get("method") == method for e in self.events):
                return
            message = self.receive()
            if message is None:
                raise TimeoutError(f"no {method}")
            self.events.append(message)

    def settle(self, seconds):
        """Collects events for `seconds` more (late console messages, late loads)."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self.deadline = min(self.deadline, until)
            message = self.receive()
            if message is None:
                break
            self.events.append(message)
        self.deadline = time.monotonic() + TIMEOUT

    def close(self):
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        subprocess.run(["rm", "-rf", self.profile])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("outdir")
    parser.add_argument("--charts", type=int, default=0, help="inline SVG charts (svg.chart) the page must draw")
    parser.add_argument("--text", action="append", default=[], help="text the rendered page must contain")
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    origin = urlsplit(args.url)[:2]
    problems = []
    browser = Browser(args.outdir)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", session=session)
        browser.events.clear()      # about:blank's own
        browser.call("Page.navigate", {"url": args.url}, session=session)
        browser.wait_for("Page.loadEventFired")
        browser.settle(0.5)

        def evaluate(expression):
            result = browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
            return result["result"].get("value")

        page = evaluate("""JSON.stringify({
            charts: [...document.querySelectorAll('svg.chart')].map(s => ({
                points: (s.querySelector('polyline')?.getAttribute('points') || '').split(' ').filter(p => p).length,
                width: s.getBoundingClientRect().width, height: s.getBoundingClientRect().height})),
            text: document.body.innerText})""")
        page = json.loads(page)
        with open(os.path.join(args.outdir, "page.html"), "w") as f:
            f.write(evaluate("document.documentElement.outerHTML"))
        shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
        with open(os.path.join(args.outdir, "page.png"), "wb") as f:
            f.write(base64.b64decode(shot["data"]))

        requests = 0
        for e in browser.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                problems.append(f"console {p['type']}: " + " ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                problems.append("exception: " + p["exceptionDetails"].get("text", "?"))
            elif method == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                problems.append(f"log {p['entry']['level']}: {p['entry']['text']} {p['entry'].get('url', '')}")
            elif method == "Network.loadingFailed":
                problems.append(f"load failed: {p.get('errorText')} ({p.get('type')})")
            elif method == "Network.responseReceived" and p["response"]["status"] >= 400:
                problems.append(f"{p['response']['url']} answered {p['response']['status']}")
            elif method == "Network.requestWillBeSent":
                requests += 1
                url = p["request"]["url"]
                if urlsplit(url)[:2] != origin and not url.startswith("data:"):
                    problems.append(f"request to another origin: {url}")
        if requests == 0:
            problems.append("the page was never requested")
        charts = page["charts"]
        if len(charts) < args.charts:
            problems.append(f"{len(charts)} svg.chart elements, expected {args.charts}")
        for i, c in enumerate(charts):
            if c["points"] < 2:
                problems.append(f"chart {i} draws {c['points']} points")
            if c["width"] < 50 or c["height"] < 20:
                problems.append(f"chart {i} is {c['width']}x{c['height']} px")
        for t in args.text:
            if t not in page["text"]:
                problems.append(f"text missing: {t!r}")
        summary = f"{requests} request(s), {len(charts)} charts ({', '.join(str(c['points']) for c in charts)} points), " \
                  f"screenshot {os.path.getsize(os.path.join(args.outdir, 'page.png'))} bytes"
    except (TimeoutError, RuntimeError, KeyError, ValueError) as error:
        problems.append(f"browser: {error}")
        summary = "incomplete"
    finally:
        browser.close()
    for p in problems:
        print(p)
    print(summary)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
