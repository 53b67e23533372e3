"""Boot build/kernel.elf headless in QEMU and watch its serial console.

Used by the VM tests: start a guest, wait for console lines (with timestamps taken on the host), and
stop it. Never touches the network beyond what the caller passes in `extra` (user-mode networking,
or a tap inside a namespace the caller created)."""
import os
import selectors
import subprocess
import time

KERNEL = os.path.join(os.path.dirname(__file__), "..", "..", "build", "kernel.elf")
# The standard appliance with the in-kernel self-tests (Scripts/build --selftest).
SELFTEST_KERNEL = os.path.join(os.path.dirname(__file__), "..", "..", "build", "selftest.elf")
EXIT_SUCCESS = 33   # isa-debug-exit: (0x10 << 1) | 1
EXIT_PANIC = 35
EXIT_TEST_FAILURE = 37


def accel():
    """KVM only where the host has hardware virtualisation; this workplace's kvm_pvm is 100x slower."""
    forced = os.environ.get("ACCEL")
    if forced:
        return forced
    try:
        mods = open("/proc/modules").read()
    except OSError:
        mods = ""
    if os.access("/dev/kvm", os.W_OK) and ("kvm_intel " in mods or "kvm_amd " in mods):
        return "kvm"
    return "tcg"


class Guest:
    def __init__(self, append="", memory="64M", extra=(), machine=None, prefix=(), kernel=KERNEL):
        cmd = list(prefix) + ["qemu-system-x86_64", "-accel", accel(), "-m", memory, "-nographic",
                              "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                              "-kernel", kernel, "-append", append]
        if machine:
            cmd[len(prefix) + 1:len(prefix) + 1] = ["-M", machine]
        cmd += list(extra)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)
        self.lines = []          # (seconds since start, text)
        self._partial = b""

    def _pump(self, timeout):
        if not self.sel.select(timeout=timeout):
            return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            return False
        self._partial += chunk
        now = time.monotonic() - self.started
        while b"\n" in self._partial:
            line, self._partial = self._partial.split(b"\n", 1)
            self.lines.append((now, line.decode(errors="replace").rstrip("\r")))
        return True

    def wait_for(self, needle, timeout):
        """Seconds since start when a line containing `needle` appeared, or None on timeout/exit."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for t, text in self.lines[seen:]:
                if needle in text:
                    return t
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if not self._pump(min(left, 0.2)) and self.proc.poll() is not None:
                while self._pump(0):
                    pass
                for t, text in self.lines[seen:]:
                    if needle in text:
                        return t
                return None

    def wait_exit(self, timeout):
        """QEMU's exit status, or None if it is still running after `timeout` (then it is killed)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump(0.2)
        while self._pump(0):
            pass
        if self.proc.poll() is None:
            self.stop()
            return None
        return self.proc.returncode

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self):
        return "\n".join(text for _, text in self.lines)
