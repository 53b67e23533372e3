#!/usr/bin/env bash
# The hosted runner as the README tells a newcomer to use it (issue 21), inside a private network
# namespace: the recipe (tap, the host side's address, curl, cleanup) serves a page; a tap name that
# is no device is refused in words, naming the device, unless --create-tap; errors carry no errno numbers;
# syslog= works on the runner too (a UDP collector in the namespace gets the access line, MSGID access).
# Builds the hosted runner (swift build --product Host). Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
swift build --product Host >/dev/null 2>&1 || { echo "FAIL swift build --product Host"; exit 1; }
host_bin=$(swift build --product Host --show-bin-path)/Host
work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT

# A bare namespace: the recipe makes its own tap.
NS=hostrunner-$$
ip netns add "$NS"
ns_exec ip link set lo up

ns_exec timeout 5 "$host_bin" --tap tap1 >"$work/missing.log" 2>&1; status=$?
cat "$work/missing.log"
refused() { [ $status = 1 ] && grep -q '^host: tap1: no such network device. Create it (sudo ip tuntap add dev tap1' "$work/missing.log" && ! ns_exec ip link show tap1 >/dev/null 2>&1; }
check "a tap that does not exist is refused, naming it and what to do, and none is created" refused

ns_exec timeout 5 "$host_bin" --tap lo >"$work/lo.log" 2>&1
cat "$work/lo.log"
check "an attach error is in words, not an errno number" \
    bash -c "grep -q 'host: lo: cannot attach: Invalid argument (it is not a tap device' '$work/lo.log' && ! grep -qE '\([0-9]+\)' '$work/lo.log'"

# The README's recipe.
ns_exec ip tuntap add dev tap0 mode tap && ns_exec ip link set tap0 up
ns_exec ip addr add 192.100.200.1/24 dev tap0
# A collector for syslog=: each datagram as one line.
ns_bg "$work/syslog.txt" python3 -u -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.100.200.1", 5140))
while True: print(s.recv(4096).decode(errors="replace"))'
for i in $(seq 50); do ns_exec ss -lun | grep -q "192.100.200.1:5140" && break; sleep 0.1; done
ns_bg "$work/host.log" "$host_bin" --tap tap0 --append "ip=192.100.200.100/24 syslog=192.100.200.1:5140"
runner=$NS_PID
served() { local i; for i in $(seq 50); do ns_exec curl -sf -m 2 -o /dev/null http://192.100.200.100/ && return 0; sleep 0.1; done; return 1; }
check "the recipe serves: tap, host-side address, curl http://192.100.200.100/" served
syslogged() { local i; for i in $(seq 30); do grep -qE '^<134>1 [-0-9T:.]+Z 192.100.200.100 appliance - access - .*"GET / HTTP/1.1" 200' "$work/syslog.txt" && return 0; sleep 0.1; done; return 1; }
check "syslog= on the runner: the collector gets the access line as RFC 5424, MSGID access" syslogged
ns_exec timeout 5 "$host_bin" --tap tap0 >"$work/busy.log" 2>&1
check "a tap in use is refused in words" grep -q 'host: tap0: cannot attach: Device or resource busy' "$work/busy.log"
kill -INT "$runner"; wait "$runner" 2>/dev/null
check "Ctrl-C (SIGINT) stops the runner, which prints its counters" grep -q 'services.connections_open' "$work/host.log"
ns_exec ip link del tap0
check "cleanup: ip link del tap0 removes it" bash -c "! ip netns exec '$NS' ip link show tap0 >/dev/null 2>&1"

ns_bg "$work/create.log" "$host_bin" --tap tapnew --create-tap
ns_wait_log "$work/create.log" "tapnew is down" 10
check "--create-tap makes a temporary tap, and says it is down" ns_exec ip link show tapnew
ns_summary host-runner
