#!/usr/bin/env bash
# A fleet behind a real load balancer (issue 17, item 4): Scripts/fleet starts 3 instances at -m 16M
# behind haproxy (health-checking /factory/health) in its own namespace; wrk runs through haproxy
# while instance 2 is powered down cleanly (QMP system_powerdown) and instance 4 is added. Passes
# only with zero failed requests (no non-2xx response, no socket error), the new instance serving,
# and the powered-down one on the clean path, all while wrk runs. Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
export KERNEL=${KERNEL:-build/kernel.elf}      # Scripts/fleet boots this
[ -f "$KERNEL" ] || { echo "FAIL $KERNEL is missing (run Scripts/build)"; exit 1; }
command -v haproxy >/dev/null || { echo "FAIL haproxy is missing (Scripts/install-deps)"; exit 1; }
NAME=test-$$
DIR=build/fleet/$NAME
work=$(mktemp -d)
trap 'Scripts/fleet down --name "$NAME" >/dev/null 2>&1; rm -rf "$work" "$DIR"' EXIT
DURATION=20

check "Scripts/fleet up 3" Scripts/fleet up 3 --name "$NAME"
servers_up() { [ "$(Scripts/fleet status --name "$NAME" | grep -c '^haproxy a[0-9]* UP ')" = "$1" ]; }
wait_for() { local i; for ((i = 0; i < $2 * 10; i++)); do "$1" "${@:3}" && return 0; sleep 0.1; done; return 1; }
check "haproxy sees 3 healthy instances" wait_for servers_up 20 3
Scripts/fleet status --name "$NAME" | sed 's/^/  /'

ip netns exec "fleet-$NAME" wrk -t2 -c16 -d${DURATION}s http://127.0.0.1:8080/ >"$work/wrk.out" 2>&1 &
wrk_pid=$!
started=$SECONDS
sleep 1
check "instance 4 is added under load" Scripts/fleet add --name "$NAME"
added=$((SECONDS - started))
check "instance 2 powers off cleanly (QMP system_powerdown) under load" Scripts/fleet powerdown 2 --name "$NAME"
gone=$((SECONDS - started))
check "both happened while wrk ran (instance 4 serving at $added s, instance 2 gone at $gone s, of $DURATION s)" \
    test "$gone" -lt "$DURATION"
wait "$wrk_pid"
sed 's/^/  wrk: /' "$work/wrk.out"
Scripts/fleet status --name "$NAME" >"$work/status"
sed 's/^/  /' "$work/status"
requests=$(awk '/requests in/ { print $1 }' "$work/wrk.out")
check "wrk made requests through haproxy ($requests)" test "${requests:-0}" -gt 0
check "no non-2xx responses" bash -c "! grep -q 'Non-2xx' '$work/wrk.out'"
check "no socket errors" bash -c "! grep -q 'Socket errors' '$work/wrk.out'"
sessions4=$(awk '$1 == "haproxy" && $2 == "a4" { print $5 }' "$work/status")
check "haproxy sent instance 4 requests (${sessions4:-none} sessions) and it is UP" \
    bash -c "[ '${sessions4:-0}' -gt 0 ] && grep -q '^haproxy a4 UP ' '$work/status'"
check "instance 2 left haproxy" bash -c "! grep -q '^haproxy a2 ' '$work/status'"
for line in "shutdown: power button pressed" "shutdown: draining for 2 s" "shutdown: exit callbacks run (doExit): http" \
            "shutdown: powering off (ACPI S5)"; do
    check "instance 2 console: '$line'" grep -qF "$line" "$DIR/2.console"
done
check "haproxy saw instance 2 go down during the drain" grep -q "a2 is DOWN" "$DIR/haproxy.log"
ns_summary vm-fleet
