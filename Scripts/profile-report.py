#!/usr/bin/env python3
"""Symbolises the guest's /factory/profile histogram (Kernel/CPU/Profiler.swift) against the kernel's
symbols and prints the functions that took the most busy samples.

    profile-report.py KERNEL.debug.elf [BEFORE] AFTER [--top N] [--drop-page-tails]

With two profiles, only the samples taken between them count (the load, not the boot). Addresses are
mapped to the function containing them with `nm -n` (identical functions folded by the linker share an
address: the first name is shown with '+N folded'); names are demangled with `swift demangle`."""
import argparse, bisect, struct, subprocess, sys


def read_profile(path):
    """Kernel/CPU/Profiler.swift's binary report: five little-endian UInt64 (hz, samples, idle, outside,
    address of the first bucket), then one UInt32 count per 16-byte bucket."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 40 or (len(data) - 40) % 4:
        sys.exit(f"profile-report: {path} is not a profile ({len(data)} bytes)")
    hz, samples, idle, outside, start = struct.unpack_from("<5Q", data)
    counts = struct.unpack_from(f"<{(len(data) - 40) // 4}I", data, 40)
    buckets = {start + 16 * i: n for i, n in enumerate(counts) if n}
    return {"hz": hz, "samples": samples, "idle": idle, "outside": outside}, buckets


def functions(elf):
    """Sorted (address, names) of every code symbol."""
    out = subprocess.run(["nm", "-n", "--defined-only", elf], capture_output=True, text=True, check=True).stdout
    by_address = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            by_address.setdefault(int(parts[0], 16), []).append(parts[2])
    starts = sorted(by_address)
    return starts, [by_address[a] for a in starts]


def demangle(names):
    try:
        out = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                             capture_output=True, text=True, check=True).stdout.splitlines()
        return out if len(out) == len(names) else names
    except (OSError, subprocess.CalledProcessError):
        return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("elf")
    ap.add_argument("before", nargs="?")
    ap.add_argument("after")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--drop-page-tails", action="store_true",
                    help="leave out samples on the last 16 bytes of 4 KiB pages (see the note printed)")
    a = ap.parse_args()
    head, buckets = read_profile(a.after)
    if a.before:
        h0, b0 = read_profile(a.before)
        head = {k: head[k] - h0.get(k, 0) for k in head if k != "hz"} | {"hz": head.get("hz", 0)}
        buckets = {addr: n - b0.get(addr, 0) for addr, n in buckets.items() if n - b0.get(addr, 0) > 0}
    tail = lambda addr: addr & 0xFFF == 0x1000 - 16
    tails = sum(n for addr, n in buckets.items() if tail(addr))
    all_busy = sum(buckets.values())
    if a.drop_page_tails:
        buckets = {addr: n for addr, n in buckets.items() if not tail(addr)}
    starts, names = functions(a.elf)
    per_function = {}
    unknown = 0
    for addr, n in buckets.items():
        i = bisect.bisect_right(starts, addr) - 1
        if i < 0:
            unknown += n
            continue
        per_function[i] = per_function.get(i, 0) + n
    busy = sum(per_function.values()) + unknown
    total = head["samples"]
    print(f"# samples {total} at {head['hz']} Hz: busy {all_busy} ({100 * all_busy / max(total, 1):.1f} %), "
          f"idle {head['idle']} ({100 * head['idle'] / max(total, 1):.1f} %), outside the kernel {head['outside']}")
    # Under TCG an interrupt is taken between translated blocks, and a block never crosses a 4 KiB page:
    # samples pile up on the last bytes of pages when the vCPU keeps leaving its translated code there.
    if tails * 20 > all_busy:
        print(f"# {tails} busy samples fell on the last 16 bytes of a 4 KiB page (1/256 expected): under TCG an "
              f"NMI is taken where translated code is left, which piles samples there; "
              + ("they are left out below" if a.drop_page_tails else "--drop-page-tails leaves them out"))
    ranked = sorted(per_function.items(), key=lambda kv: -kv[1])[:a.top]
    pretty = demangle([names[i][0] for i, _ in ranked])
    print(f"{'busy %':>7} {'cum %':>6} {'samples':>8}  function")
    cum = 0
    for (i, n), name in zip(ranked, pretty):
        cum += n
        folded = f"  (+{len(names[i]) - 1} folded)" if len(names[i]) > 1 else ""
        print(f"{100 * n / max(busy, 1):7.2f} {100 * cum / max(busy, 1):6.1f} {n:8d}  {name[:150]}{folded}")
    if unknown:
        print(f"# {unknown} samples below the first symbol")


if __name__ == "__main__":
    main()
