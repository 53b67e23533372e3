#!/usr/bin/env python3
"""Runs REDbot (PyPI `redbot`, "lint for HTTP") on one URL and judges its notes:

  redbot_check.py URL STATUS

Prints every note REDbot gives at level warning or bad, one per line, and exits non-zero if the answer
is not STATUS, if REDbot could not fetch the URL, or if any note is "bad" (a conformance error).
REDbot's HAR output is used because it carries each note's level (the text output colours levels
only on a terminal).
"""
import json
import subprocess
import sys


def main():
    url, expected = sys.argv[1], int(sys.argv[2])
    run = subprocess.run(["redbot", "-o", "har", url], capture_output=True, text=True, timeout=120)
    try:
        entries = json.loads(run.stdout)["log"]["entries"]
    except (ValueError, KeyError):
        print(f"redbot {url}: no report (exit {run.returncode}): {(run.stdout + run.stderr).strip()[:300]}")
        sys.exit(1)
    if not entries:
        print(f"redbot {url}: no response fetched")
        sys.exit(1)
    ok = True
    for entry in entries:
        status = entry["response"]["status"]
        notes = entry.get("_red_messages", [])

        def flat(notes, depth):
            for n in notes:
                yield depth, n
                yield from flat(n.get("subnotes", []), depth + 1)

        counts = {}
        for _, n in flat(notes, 0):
            counts[n["level"]] = counts.get(n["level"], 0) + 1
        print(f"redbot {entry['request']['url']}: {status}; notes "
              + ", ".join(f"{counts[k]} {k.lower()}" for k in sorted(counts)))
        for depth, n in flat(notes, 0):
            if n["level"] in ("WARN", "BAD"):
                print(f"  {'  ' * depth}{n['level']} {n['note_id']}: {n['summary']}")
        ok &= status == expected and counts.get("BAD", 0) == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
