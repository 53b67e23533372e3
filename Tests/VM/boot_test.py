#!/usr/bin/env python3
"""VM boot tests for the foundation: the in-kernel self-tests pass (build/selftest.elf; the standard image
has none and says so), the banner names the memory size and the command line within a second, the image
boots with 8 MiB and on -M microvm. Prints one line per check and a final 'N passed, N failed'."""
import sys
from qemu import Guest, EXIT_SUCCESS, SELFTEST_KERNEL

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{(': ' + detail) if detail else ''}", flush=True)


def selftest(memory):
    g = Guest(append="selftest loglevel=debug", memory=memory, kernel=SELFTEST_KERNEL)
    status = g.wait_exit(60)
    out = g.output()
    skips = [line.split("SKIP: ", 1)[1] for line in out.splitlines() if "selftest: SKIP: " in line]
    summary = "selftest: all" in out or (skips and "skipped (SKIP lines above)" in out)
    ok = status == EXIT_SUCCESS and "PANIC" not in out and summary
    check(f"in-kernel self-tests with -m {memory}", ok, f"exit status {status}")
    # A skipped check is neither a pass nor a failure: say so on its own line.
    for skip in skips:
        print(f"SKIP in-kernel self-test with -m {memory}: {skip.strip()}", flush=True)
    for line in out.splitlines():
        if "selftest: timer woke" in line or "selftest: a 1500 ms sleep" in line or "one RTC second" in line:
            print(f"    -m {memory}: {line.split('selftest: ', 1)[1]}")
    if not ok:
        print(out)


def no_selftests_in_the_standard_image():
    """The standard image does not carry the self-tests: `selftest` is reported and it boots on."""
    g = Guest(append="selftest")
    t = g.wait_for("selftest: this image has no self-tests", 10)
    ready = g.wait_for("idle", 10)
    g.stop()
    out = g.output()
    check("the standard image says it has no self-tests and boots on", t is not None and ready is not None
          and "selftest: start" not in out and "PANIC" not in out)
    if t is None or ready is None:
        print(out)


def banner(memory, machine=None):
    g = Guest(append="ip=192.100.200.100/24 bogus=1", memory=memory, machine=machine)
    t = g.wait_for("Swift unikernel appliance", 10)
    t_cmd = g.wait_for('command line: "ip=192.100.200.100/24 bogus=1"', 5)
    warned = g.wait_for("ignoring 'bogus=1': unknown key", 5)
    ready = g.wait_for("idle", 10)   # "ready; idle ..." or "no network card: ...; idle"
    g.stop()
    out = g.output()
    mib = int(memory.rstrip("M"))
    named = f"{mib - 1} MiB RAM" in out or f"{mib} MiB RAM" in out
    where = machine or "pc"
    ok = t is not None and t < 1.0 and t_cmd is not None and named and warned is not None and ready is not None \
        and "PANIC" not in out
    check(f"banner on {where} with -m {memory} within 1 s", ok,
          f"banner at {t:.3f} s" if t is not None else "no banner")
    if not ok:
        print(out)


def dhcp_user_mode():
    """ip=dhcp under QEMU's user-mode network (what Scripts/run gives a newcomer): QEMU's built-in DHCP
    server hands out 192.100.200.100."""
    net = ["-netdev", "user,id=n0,net=192.100.200.0/24,host=192.100.200.1,dhcpstart=192.100.200.100",
           "-device", "virtio-net-pci,netdev=n0"]
    g = Guest(append="ip=dhcp", extra=net)
    t = g.wait_for("dhcp: bound 192.100.200.100/24 from server 192.100.200.1", 30)
    g.stop()
    check("ip=dhcp binds from QEMU's user-mode DHCP server", t is not None and "PANIC" not in g.output(),
          f"bound at {t:.1f} s" if t is not None else "not bound")
    if t is None:
        print(g.output())


selftest("64M")
selftest("8M")
no_selftests_in_the_standard_image()
banner("64M")
banner("8M")
banner("64M", machine="microvm")
dhcp_user_mode()
passed = sum(results)
print(f"boot: {passed} passed, {len(results) - passed} failed")
sys.exit(0 if passed == len(results) else 1)
