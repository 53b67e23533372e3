#!/usr/bin/env python3
"""bench-report.py LABEL=RESDIR[,RESDIR...] [LABEL=RESDIR[,RESDIR...] ...]

Reads what ../shared/bench/linux-peer/bench.sh (results.tsv, runN.PHASE.txt) and Scripts/bench-shim/wrk
(runN.PHASE.cpu, runN.PHASE.factory-*) left in each result directory and prints one table: the median
over runs (of all the guest's directories) of every figure per guest, then each guest's ratio to the
last one given (the reference), and each "-default" guest's ratio to its "-quiet" twin (what logging costs).
Then round by round, each "-default" guest against its "-quiet" twin and each of our guests against each
Linux guest: the ratio within each round (the guests of a round run back to back, so a slow spell of the
host hits both), with its median and range over the rounds.
"""
import os, statistics, sys

PHASES = ("keepalive", "close", "big")
# (column, title, how to read "better": 'hi' or 'lo')
COLUMNS = [("boot_ms", "boot ms", "lo"), ("rps_keepalive", "rps ka", "hi"), ("p99_ka_ms", "p99 ka ms", "lo"),
           ("rps_close", "rps close", "hi"), ("p99_close_ms", "p99 close ms", "lo"),
           ("big_MBps", "1MiB MB/s", "hi"), ("errors", "errors", "lo"), ("image_bytes", "image B", "lo"),
           ("qemu_rss_MiB", "RSS MiB", "lo"), ("cpu_ka", "cpu s/1k ka", "lo"), ("cpu_close", "cpu s/1k cl", "lo"),
           ("cpu_big", "cpu s/1k big", "lo")]


def wrk_line(path):
    try:
        for line in open(path):
            if line.startswith("WRK "):
                return dict(kv.split("=", 1) for kv in line.split()[1:])
    except OSError:
        pass
    return None


def factory(path):
    """The `name value` lines of /factory/etc."""
    try:
        text = open(path).read()
    except OSError:
        return None
    fields = {p[0]: p[1] for p in (l.split() for l in text.splitlines()) if len(p) == 2}
    return fields


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def runs_of(resdir):
    rows = []
    lines = open(os.path.join(resdir, "results.tsv")).read().split("\n")
    head = lines[0].split("\t")
    for line in lines[1:]:
        if not line.strip():
            continue
        row = {k: num(v) for k, v in zip(head, line.split("\t"))}
        run = int(row["run"])
        for phase in PHASES:
            base = os.path.join(resdir, f"run{run}.{phase}")
            w, cpu = wrk_line(base + ".txt"), None
            try:
                b, a, hz = open(base + ".cpu").read().split()
                if w and int(w["requests"]) > 0:
                    cpu = (int(a) - int(b)) / int(hz) / (int(w["requests"]) / 1000)
            except (OSError, ValueError):
                pass
            row["cpu_" + ("ka" if phase == "keepalive" else phase)] = cpu
            f0, f1 = factory(base + ".factory-before"), factory(base + ".factory-after")
            if f0 and f1 and "cpu.idle_ns" in f1:
                up = int(f1["cpu.uptime_ns"]) - int(f0["cpu.uptime_ns"])
                idle = int(f1["cpu.idle_ns"]) - int(f0["cpu.idle_ns"])
                row["busy_" + phase] = 100.0 * (1 - idle / up) if up > 0 else None
            if f1:
                row["factory"] = f1
        rows.append(row)
    return rows


def median(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3f}".rstrip("0").rstrip(".") if abs(v) < 1 else f"{v:.1f}"


PAIRED = ("rps_keepalive", "rps_close", "big_MBps")


def paired_ratio(rows_a, rows_b, key):
    """Median (min-max) of row i of a over row i of b: the ratio within each round."""
    r = [a[key] / b[key] for a, b in zip(rows_a, rows_b) if a.get(key) is not None and b.get(key)]
    return f"{statistics.median(r):.2f}x ({min(r):.2f}-{max(r):.2f})" if r else "-"


def print_table(table):
    print("| " + " | ".join(table[0]) + " |")
    print("|" + "|".join("---" for _ in table[0]) + "|")
    for r in table[1:]:
        print("| " + " | ".join(r) + " |")


def main():
    guests = [(a.split("=", 1)[0], [r for d in a.split("=", 1)[1].split(",") for r in runs_of(d)])
              for a in sys.argv[1:]]
    meds = [(label, {c: median(rows, c) for c, _, _ in COLUMNS}, rows) for label, rows in guests]
    table = [["guest"] + [t for _, t, _ in COLUMNS]]
    for label, m, _ in meds:
        table.append([label] + [fmt(m[c]) for c, _, _ in COLUMNS])
    def ratio(label, m, ref_label, ref):
        cells = []
        for c, _, _ in COLUMNS:
            a, b = m[c], ref[c]
            cells.append(f"{a / b:.2f}x" if a is not None and b else "-")
        table.append([f"{label}/{ref_label}"] + cells)
    by_label = {label: m for label, m, _ in meds}
    # Each "-default" guest and its "-quiet" twin: what logging costs.
    twins = [(l, l.replace("-default", "-quiet")) for l, _, _ in meds
             if l.endswith("-default") and l.replace("-default", "-quiet") in by_label]
    for label, quiet in twins:
        ratio(label, by_label[label], quiet, by_label[quiet])
    if len(meds) > 1:
        ref_label, ref, _ = meds[-1]
        for label, m, _ in meds[:-1]:
            if (label, ref_label) not in twins:
                ratio(label, m, ref_label, ref)
    print_table(table)
    print("(medians over runs; rps and MB/s: higher is better; boot, p99, image, RSS, host CPU s per 1,000 "
          "requests: lower is better; ratio = guest / reference)")
    rows_of = {label: rows for label, _, rows in meds}
    # Against every Linux guest (with and without its access log), else against the reference; a pair
    # that is also a twin is listed once.
    refs = [l for l, _, _ in meds if l.startswith("linux")] or [meds[-1][0]]
    pairs = twins + [(l, r) for r in refs for l, _, _ in meds
                     if l != r and not l.startswith("linux") and (l, r) not in twins]
    if pairs and min(len(r) for r in rows_of.values()) > 1:
        paired = [["pair, round by round"] + [t for c, t, _ in COLUMNS if c in PAIRED]]
        for a, b in pairs:
            paired.append([f"{a}/{b}"] + [paired_ratio(rows_of[a], rows_of[b], c) for c in PAIRED])
        print()
        print_table(paired)
        print("(each round's ratio, then their median and, in brackets, the lowest and highest)")
    for label, m, rows in meds:
        last = [r["factory"] for r in rows if "factory" in r]
        if not last:
            continue
        f = last[-1]
        busy = ", ".join(f"{p} {fmt(median(rows, 'busy_' + p))}%" for p in PHASES)
        print(f"{label}, the guest's own view (last run, /factory/etc): http.requests_received {f.get('http.requests_received', '-')}, "
              f"heap peak {f.get('memory.heap_peak_bytes', '-')} B of {f.get('memory.heap_capacity_bytes', '-')} B, "
              f"failed allocations {f.get('memory.failed_allocations', '-')}; CPU busy (median) {busy}")


if __name__ == "__main__":
    main()
