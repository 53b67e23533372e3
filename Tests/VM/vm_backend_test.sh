#!/usr/bin/env bash
# The outgoing-connection example (issue 5): with backend=ADDR:PORT the appliance connects out to a real
# server in the namespace (socat answering PING with +PONG), sends its request line and logs the reply;
# it keeps probing, and reports a backend that is down. Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
[ -f build/kernel.elf ] || { echo "FAIL build/kernel.elf is missing (run Scripts/build)"; exit 1; }

log=$(mktemp)
ns_create backend
ns_bg /dev/null socat TCP-LISTEN:6379,fork,reuseaddr,bind=192.100.200.1 SYSTEM:'read line; echo +PONG'
ns_guest "$log" "backend=192.100.200.1:6379"
check "the appliance reaches the backend and logs its reply" \
    ns_wait_log "$log" 'backend 192.100.200.1:6379: replied "+PONG"' 30
kill "${NS_PIDS[0]}"; wait "${NS_PIDS[0]}" 2>/dev/null
check "a backend that went away is reported (next probe, 30 s later)" \
    ns_wait_log "$log" 'backend 192.100.200.1:6379: cannot connect' 45
check "no panic" bash -c "! grep -q PANIC '$log'"
ns_summary vm-backend
