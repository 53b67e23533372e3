#!/usr/bin/env bash
# Hoarding attacks at -m 16M (issue 16): many cheap connections that try to hold the appliance's memory
# and connection slots, from HOARD_SOURCES addresses, while a legitimate client fetches / every 0.2 s.
#   (a) HOARD_COUNT connections announcing 1 MiB of content to POST /, then adding one byte a second;
#   (b) HOARD_COUNT slow readers of a 1 MiB file with a 2 KiB receive buffer that never read;
#   (c) as many idle connections as TCP's table holds (256), opened 64 at a time (the backlog) and held
#       IDLE_HOLD s without a request: all must be held at once (buffers start small) while the client
#       is still served.
# The attackers reconnect whenever the server closes one of theirs. Each phase lasts HOARD_SECONDS;
# the client must succeed at least LEGIT_MIN_PCT % of the time, nothing panics, and connections and
# heap return to their baseline. First, a TCP port scan of the default boot must find only port 80.
# Builds nothing: run Scripts/build first. Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
[ -f build/kernel.elf ] || { echo "vm_hoard_test: build/kernel.elf missing; run Scripts/build first"; exit 2; }

HOARD_COUNT=${HOARD_COUNT:-300} HOARD_SECONDS=${HOARD_SECONDS:-30} HOARD_SOURCES=${HOARD_SOURCES:-8}
LEGIT_MIN_PCT=${LEGIT_MIN_PCT:-95}
IDLE_HOLD=${IDLE_HOLD:-16}    # under the 20 s an idle connection may take to start its request
SETTLE_SECONDS=${SETTLE_SECONDS:-90}
HOARD_PY=Tests/VM/hoard.py
source Tests/VM/attacks.sh

work=$(mktemp -d)
mkdir "$work/www"
head -c 3000 /dev/urandom | base64 >"$work/www/index.html"
head -c 1048576 /dev/urandom >"$work/www/1M.bin"
Scripts/mkdisk "$work/www" "$work/www.img" >/dev/null || { echo "FAIL mkdisk"; exit 1; }

ns_create hoard
for ((i = 0; i < HOARD_SOURCES; i++)); do ns_exec ip addr add "192.100.200.$((10 + i))/24" dev br0; done
GUEST_LOG=$work/guest.log
GUEST_MEM=${GUEST_MEM:-16M} ns_guest "$GUEST_LOG" "ip=$GUEST_IP/24" \
    -drive "file=$work/www.img,if=virtio,format=raw,readonly=on"
ns_wait_log "$GUEST_LOG" "ready" 60 || { cat "$GUEST_LOG"; echo "FAIL the VM did not boot"; exit 1; }
for i in $(seq 1 30); do serves && break; sleep 1; done
check "the appliance serves before any attack" serves
scan=$(ns_exec python3 "$HOARD_PY" scan "$GUEST_IP" 1 ${SCAN_LAST_PORT:-9000})
echo "    $scan"
check "a default boot has only port 80 open (TCP 1-${SCAN_LAST_PORT:-9000})" [ "$(field open "$scan")" = 80 ]
take_baseline

hoard_phase() {   # hoard_phase NAME ATTACK-ARGS...
    local name=$1; shift
    echo "--- $name: $HOARD_COUNT connections from $HOARD_SOURCES addresses for $HOARD_SECONDS s, GET / every 0.2 s meanwhile"
    local out=$(mktemp)
    ns_exec bash -c "ulimit -n $((HOARD_COUNT + 200)); exec python3 $HOARD_PY $* " >"$out" &
    local attack=$!
    sleep 3
    local legit
    legit=$(ns_exec python3 "$HOARD_PY" legit "$GUEST_IP" $((HOARD_SECONDS - 5)) 0.2)
    wait $attack
    echo "    $legit"
    echo "    $(cat "$out")"
    snap
    show_limits
    grep -E "^  http\.(content_|body_budget|body_timeouts|forbidden|send_stall|request_timeouts|parse_errors)" <(ns_exec curl -s -m 5 "http://$GUEST_IP/factory/etc") | sed 's/^ */    /'
    check "$name: the legitimate client succeeded at least $LEGIT_MIN_PCT % ($(field success_pct "$legit") %)" \
        [ "$(field success_pct "$legit")" -ge "$LEGIT_MIN_PCT" ]
    check "$name: the attack got connections" [ "$(field established "$(cat "$out")")" -gt 0 ]
    aftermath "$name"
}

idle_phase() {
    local count=$(val tcp.limit.connections) out=$(mktemp)
    echo "--- idle: $count connections from $HOARD_SOURCES addresses, held $IDLE_HOLD s without a request, GET / every 0.2 s meanwhile"
    ns_exec bash -c "ulimit -n $((count + 200)); exec python3 $HOARD_PY idle $GUEST_IP $count $IDLE_HOLD $HOARD_SOURCES" >"$out" &
    local idle=$!
    sleep 6
    snap
    local held=$(val tcp.connections_open) buffers=$(val tcp.buffer_bytes_in_use) heap=$(val memory.heap_in_use_bytes)
    local legit
    legit=$(ns_exec python3 "$HOARD_PY" legit "$GUEST_IP" $((IDLE_HOLD - 9)) 0.2)
    wait $idle
    echo "    after 6 s: tcp.connections_open=$held tcp.buffer_bytes_in_use=$buffers memory.heap_in_use_bytes=$heap"
    echo "    $legit"
    echo "    $(cat "$out")"
    snap
    show_limits
    # The snapshot's own connection took the place of a stalled idle one: the table holds $count.
    check "idle: all $count connections held at once (${held:-none} open)" [ "${held:-0}" -ge "$count" ]
    check "idle: the legitimate client succeeded at least $LEGIT_MIN_PCT % ($(field success_pct "$legit") %)" \
        [ "$(field success_pct "$legit")" -ge "$LEGIT_MIN_PCT" ]
    aftermath idle
}

show_limits() {
    show tcp.connections_peak tcp.stalled_evicted tcp.fair_share_evicted tcp.syn_dropped_source_limit tcp.syn_dropped_source_half_open_limit \
         tcp.syn_dropped_source_rate tcp.syn_dropped_connection_limit tcp.syn_dropped_memory_limit \
         tcp.syn_dropped_memory_pressure tcp.half_open_evicted tcp.buffers_grown tcp.buffer_growth_refused tcp.buffers_trimmed \
         memory.heap_peak_bytes memory.failed_allocations
}

hoard_phase "bodies" bodies "$GUEST_IP" "$HOARD_COUNT" "$HOARD_SECONDS" "$HOARD_SOURCES"
hoard_phase "slow readers" readers "$GUEST_IP" "$HOARD_COUNT" "$HOARD_SECONDS" "$HOARD_SOURCES" /1M.bin
idle_phase

grep -E "PANIC|fatal" "$GUEST_LOG" | head -5
ns_summary vm-hoard
