#!/usr/bin/env bash
# The guest sampling profiler (profile=HZ, /factory/profile, Scripts/profile) end to end: a short
# keep-alive load in a private namespace, then the symbolised report must show busy samples, no samples
# outside the kernel or below its first symbol, and top entries that resolve to the kernel's own
# functions (the HTTP engine must appear: it is what the load exercises).
# Builds nothing: run Scripts/build first. Prints one PASS/FAIL line per check, then 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
[ -f build/kernel.debug.elf ] || { echo "FAIL build/kernel.debug.elf missing: run Scripts/build first"; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
Scripts/profile --no-build --duration 3 --hz 2000 --top 15 >"$out" 2>&1
status=$?
cat "$out"
summary=$(grep '^# samples ' "$out")
busy=$(sed -n 's/.* busy \([0-9]*\) .*/\1/p' <<<"$summary")
check "Scripts/profile ran and printed a summary" test "$status" = 0 -a -n "$summary"
check "busy samples were taken under load (more than 1000 at 2000 Hz for 3 s)" test "${busy:-0}" -gt 1000
check "no sample outside the kernel's code" grep -q 'outside the kernel 0$' <<<"$summary"
check "no sample below the first symbol" bash -c "! grep -q 'below the first symbol' '$out'"
check "the top entries are demangled kernel functions" test "$(grep -cE '^ +[0-9.]+ +[0-9.]+ +[0-9]+  [A-Za-z_]' "$out")" -ge 10
check "the HTTP engine is among them" grep -qE 'ConnectionEngine|RequestParser|HTTPServer' "$out"
ns_summary "profile"
