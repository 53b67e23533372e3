#!/usr/bin/env python3
"""Prints how many bytes of code and data each module contributes to a kernel image, from the symbol
sizes in its unstripped ELF (llvm-nm --print-size). Swift symbols name their module in the mangling
($s or, in Embedded Swift, $e, then <length><Module>...); the standard library's are $es/$eS...; everything else is the C runtime and
boot code. Identical-code folding merges some functions, so the figures are close, not exact.

    Scripts/module-sizes.py build/kernel.debug.elf
"""
import re
import subprocess
import sys

MANGLED_MODULE = re.compile(r"^_?\$[se](\d+)([A-Za-z_][A-Za-z0-9_]*)")


def module_of(name: str) -> str:
    if re.match(r"^_?\$[se][sS]", name):      # the standard library's own symbols and its specialisations
        return "Swift stdlib"
    m = MANGLED_MODULE.match(name)
    if m:
        length = int(m.group(1))
        return m.group(2)[:length]
    if name.startswith(("$s", "_$s", "$e", "_$e", "swift_", "_swift")):
        return "Swift runtime"
    return "C runtime and boot"


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    out = subprocess.run(["llvm-nm", "--print-size", sys.argv[1]], capture_output=True, text=True, check=True)
    sizes: dict[str, int] = {}
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[2] in "bBU":      # no size, or zero-filled (BSS takes no image bytes)
            continue
        size = int(parts[1], 16)
        if size:
            sizes[module_of(parts[3])] = sizes.get(module_of(parts[3]), 0) + size
    total = sum(sizes.values())
    ranked = sorted(sizes.items(), key=lambda kv: -kv[1])
    print("build: bytes by module: " + ", ".join(f"{name} {size / 1024:.1f} KiB" for name, size in ranked)
          + f" (symbols {total / 1024:.1f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
