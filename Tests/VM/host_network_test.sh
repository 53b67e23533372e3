#!/usr/bin/env bash
# The hosted runner (the appliance as a Linux process on a tap device) answers Linux's own tools inside a
# private namespace: ping (many, fast, and MTU-sized), arping, UDP echo on port 7, ICMP port unreachable
# for a closed UDP port. Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh

swift build --product Host >/dev/null 2>&1 || { echo "FAIL building the hosted runner"; exit 1; }
host_bin=$(swift build --product Host --show-bin-path)/Host
log=$(mktemp)
ns_create hostnet
ns_bg "$log" "$host_bin" --tap tap0 --append "ip=$GUEST_IP/24 gw=192.100.200.1"
ns_wait_log "$log" "host: running" 20 || { cat "$log"; echo "FAIL host runner did not start"; exit 1; }

check "ping -c 200 -i 0.005 with no loss" bash -c "ip netns exec $NS ping -q -c 200 -i 0.005 -W 1 $GUEST_IP | grep -q ' 0% packet loss'"
check "ping -s 1472 (full MTU)" bash -c "ip netns exec $NS ping -q -c 3 -s 1472 -W 1 $GUEST_IP >/dev/null"
check "ping -s 1473 is not answered (fragments are dropped)" bash -c "! ip netns exec $NS ping -q -c 2 -s 1473 -W 1 $GUEST_IP >/dev/null"
check "arping" bash -c "ip netns exec $NS arping -c 2 -w 3 -I br0 $GUEST_IP >/dev/null"
check "UDP echo on port 7" bash -c "[ \"\$(echo hello-echo | ip netns exec $NS nc -u -w 2 $GUEST_IP 7)\" = hello-echo ]"
check "ICMP port unreachable for a closed UDP port" bash -c \
    "ip netns exec $NS python3 -c \"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(('$GUEST_IP', 9)); s.send(b'x')
try:
    s.recv(10); sys.exit(1)
except ConnectionRefusedError:
    sys.exit(0)
except socket.timeout:
    sys.exit(1)
\""
kill -INT "${NS_PIDS[0]}"; wait "${NS_PIDS[0]}" 2>/dev/null
grep -E "^(icmp.echo_replies_sent|icmp.unreachable_sent|udp_echo.echoed) " "$log"
ns_summary host-network
