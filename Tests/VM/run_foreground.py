#!/usr/bin/env python3
"""Scripts/run in the foreground on a terminal (a pty), as a user meets it: the console appears, the
first Ctrl-C asks the guest to power down, a second one quits at once, and the terminal's line wrap
(which SeaBIOS turns off) is turned back on. Usage: run_foreground.py PORT. Prints one PASS/FAIL line per
check; exit status 1 when one failed. Never waits unbounded: a Scripts/run that does not quit is
failed, then ended (SIGTERM, whose trap forces QEMU off; SIGKILL and QEMU's pidfile as a last resort)."""
import os
import pty
import select
import signal
import sys
import time

QUIT_SECONDS = 5        # "at once": a second Ctrl-C must end Scripts/run within this
STOP_SECONDS = 10       # what Scripts/run gets to end itself after SIGTERM

port = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("Scripts/run", ["Scripts/run", "--no-build", "--port", port, "--grace", "60"])
output = b""


def read_until(text, seconds):
    """Reads the terminal until TEXT appears (True) or SECONDS pass or it closes (False)."""
    global output
    end = time.time() + seconds
    while time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            output += data
            if text in output:
                return True
    return text in output


failed = 0


def exit_status(seconds):
    """Scripts/run's exit status once it has ended, or None if it still runs after SECONDS."""
    end = time.time() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.time() > end:
            return None
        time.sleep(0.1)


def end_run():
    """Ends a Scripts/run that did not quit, and its QEMU (a session of its own) with it."""
    os.kill(pid, signal.SIGTERM)
    if exit_status(STOP_SECONDS) is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        try:
            with open(f"build/vm/port-{port}/qemu.pid") as f:
                os.kill(int(f.read()), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def check(name, ok):
    global failed
    print(("PASS " if ok else "FAIL ") + name)
    failed += not ok


check("the console shows the boot in the terminal", read_until(b"ready; idle", 60))
os.write(fd, b"\x03")
check("the first Ctrl-C asks the guest to power down", read_until(b"asking the guest to power down", 5))
time.sleep(0.5)
running = os.waitpid(pid, os.WNOHANG) == (0, 0)
check("the VM keeps running while the guest has its grace period", running)
if not running:
    print(output[-1500:].decode(errors="replace"))
    sys.exit(1)
asked = time.time()
os.write(fd, b"\x03")
status = exit_status(QUIT_SECONDS)
if status is None:
    check(f"a second Ctrl-C quits at once (still running after {QUIT_SECONDS} s; ended with SIGTERM)", False)
    end_run()
else:
    check(f"a second Ctrl-C quits at once ({time.time() - asked:.1f} s), exit status {status}", status == 0)
read_until(b"\x00", 1)                       # the rest of the output, until the pty closes
check("line wrap is turned back on at exit", output.rstrip().endswith(b"\x1b[?7h"))
if failed:
    print(output[-1500:].decode(errors="replace"))
sys.exit(1 if failed else 0)
