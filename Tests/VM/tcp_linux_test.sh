#!/usr/bin/env bash
# Linux's own TCP as the peer of ours, through a lossy link, in a private namespace: on the hosted runner
# (the stack as a Linux process; its tap backend impairs the link, `Host --impair`) and in the VM (QEMU
# -netdev dgram through Tests/VM/impair_relay.py). For each guest:
#   - bulk echo, both directions at once, byte-exact: 2 % loss, 10 ms delay each way, 10 % reordering;
#     an HTTP GET of a file from the ext2 disk over the same link (sha256); then echo at 5 % loss
#     (same delay and reordering)
#   - on a clean link: 1,000 sequential short connections, 256 concurrent ones, the peer sending more
#     data after we closed (must draw an RST, the response intact)
#   - no leak: after a warm-up round of the same work, TCP's open connections and buffer memory (and in
#     the VM the kernel heap in use) return to that baseline once every connection has finished closing
# Throughput is printed per case. Builds nothing but the hosted runner: run Scripts/build first.
#   GUEST="host vm" (default) | host | vm
#   FULL=1        16 MiB / 4 MiB in the VM too (by default the VM, slow under TCG, moves less; see SIZES)
#   SEED=N        seed of both impairments (default 1)
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh

MiB=$((1 << 20))
# Sizes per guest: "bytes at 2 % loss" "bytes at 5 % loss". Under TCG the VM moves a few hundred KB/s
# through the lossy link; the full sizes keep the whole script near four minutes only on the host.
if [ "${FULL:-0}" = 1 ]; then VM_SIZES="$((16 * MiB)) $((4 * MiB))"; else VM_SIZES="$((2 * MiB)) $((1 * MiB))"; fi
HOST_SIZES="$((16 * MiB)) $((4 * MiB))"
SEED=${SEED:-1}
LINK_A="loss=2,reorder=10,delay=10,seed=$SEED"
LINK_B="loss=5,reorder=10,delay=10,seed=$SEED"
# Heap growth allowed over the baseline: well under one connection's buffers, so one leaked connection fails.
HEAP_SLACK=16384

work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT
mkdir "$work/www"
echo "<h1>tcp test</h1>" >"$work/www/index.html"
# Files for the HTTP GET case, one per size in use (the smaller size of each guest).
for size in $(echo "$HOST_SIZES $VM_SIZES" | awk '{ print $2; print $4 }' | sort -u); do
    head -c "$size" /dev/urandom >"$work/www/blob-$size.bin"
done
Scripts/mkdisk "$work/www" "$work/www.img" >/dev/null || { echo "FAIL making the disk image"; exit 1; }
kernel_ok=1; [ -f build/kernel.elf ] || kernel_ok=0
swift build --product Host >/dev/null 2>&1 || { echo "FAIL building the hosted runner"; exit 1; }
host_bin=$(swift build --product Host --show-bin-path)/Host
peer() { ns_exec timeout 300 python3 Tests/VM/tcp_peer.py "$@"; }

# "loss=2,reorder=10,delay=10,seed=1" -> the relay's "--loss 2 --reorder 10 --delay 10 --seed 1"
relay_options() { echo "$1" | sed -e 's/^/--/' -e 's/,/ --/g' -e 's/=/ /g'; }

# start_guest KIND IMPAIRMENT|"" : the hosted runner, or the VM behind the relay (first call boots it;
# later calls only replace the relay, so the VM and its heap stay the same).
start_guest() {
    local kind=$1 link=$2 log=$work/$1.log
    if [ "$kind" = host ]; then
        [ -n "${GUEST_PID:-}" ] && { kill -INT "$GUEST_PID"; wait "$GUEST_PID" 2>/dev/null; cat "$log" >>"$log.all"; }
        ns_bg "$log" "$host_bin" --tap tap0 --disk "$work/www.img" --append "ip=$GUEST_IP/24 gw=192.100.200.1 services=echo" \
            ${link:+--impair "$link"}
        GUEST_PID=$NS_PID
        ns_wait_log "$log" "host: running" 20
    elif [ -z "${GUEST_PID:-}" ]; then
        ns_guest_impaired "$log" "$work/relay.log" "$(relay_options "${link:-seed=1}")" "ip=$GUEST_IP/24 gw=192.100.200.1 services=echo" \
            -drive "file=$work/www.img,if=virtio,format=raw,readonly=on" &&
        ns_wait_log "$log" "ready; idle" 60
    else
        kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null; cat "$work/relay.log" >>"$work/relay.log.all"
        ns_bg "$work/relay.log" python3 Tests/VM/impair_relay.py --tap tap0 --listen 127.0.0.1:$RELAY_PORT \
            --guest 127.0.0.1:$RELAY_GUEST_PORT $(relay_options "${link:-seed=1}")
        RELAY_PID=$NS_PID
        ns_wait_log "$work/relay.log" "relay: ready" 10 || return 1
        # The new relay forwards once it has heard from QEMU; until then the host's ARP for the guest
        # can fail (a test once got "No route to host" on a loaded machine): wait for an answer.
        local i
        for ((i = 0; i < 20; i++)); do ns_exec ping -c1 -W1 "$GUEST_IP" >/dev/null 2>&1 && return 0; done
        return 1
    fi
}

status() { ns_exec curl -s --max-time 20 "http://$GUEST_IP/factory/etc"; }
field() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

# Waits (bounded) until no connection is open, then saves /factory/etc in FILE.
settled_status() {
    local file=$1 i
    for ((i = 0; i < 60; i++)); do
        status >"$file"
        # The status request itself is the one open connection.
        [ "$(field tcp.connections_open "$file")" = 1 ] && return 0
        sleep 1
    done
    return 1
}

no_leak() {
    local kind=$1 base=$2 after=$3 key ok=0
    for key in tcp.connections_open tcp.buffer_bytes_in_use; do
        echo "    $key: baseline $(field $key "$base"), after $(field $key "$after")"
        # Both snapshots must hold the counter: two missing values are equal and prove nothing.
        [ -n "$(field $key "$base")" ] && [ "$(field $key "$base")" = "$(field $key "$after")" ] || ok=1
    done
    echo "    tcp.time_wait_entries: baseline $(field tcp.time_wait_entries "$base"), after $(field tcp.time_wait_entries "$after")"
    if [ "$kind" = vm ]; then
        local b a
        b=$(field memory.heap_in_use_bytes "$base"); a=$(field memory.heap_in_use_bytes "$after")
        echo "    memory.heap_in_use_bytes: baseline $b, after $a (allowed +$HEAP_SLACK)"
        [ -n "$a" ] && [ -n "$b" ] && [ "$a" -le $((b + HEAP_SLACK)) ] || ok=1
    fi
    return $ok
}

run_guest() {
    local kind=$1 sizes big small t0
    GUEST_PID=""
    ns_create "tcp$kind"
    ns_add_sources 16     # the 256 concurrent connections come from 16 addresses (per-source caps)
    if [ "$kind" = host ]; then sizes=$HOST_SIZES; else sizes=$VM_SIZES; fi
    read -r big small <<<"$sizes"
    echo "== $kind: $LINK_A"
    start_guest "$kind" "$LINK_A" || { echo "FAIL $kind: guest did not start"; tail -20 "$work/$kind.log"; NS_FAILED=$((NS_FAILED + 1)); ns_cleanup; return; }
    t0=$SECONDS
    check "$kind: $((big / MiB)) MiB echo each way, 2 % loss, 10 ms, 10 % reordering" peer echo "$GUEST_IP" "$big" --seed 1
    echo "    ($((SECONDS - t0)) s)"
    t0=$SECONDS
    check "$kind: HTTP GET of a $((small / MiB)) MiB file from the ext2 disk, same link, sha256" \
        peer get "$GUEST_IP" "/blob-$small.bin" "$(sha256sum "$work/www/blob-$small.bin" | cut -d' ' -f1)"
    echo "    ($((SECONDS - t0)) s)"
    echo "== $kind: $LINK_B"
    start_guest "$kind" "$LINK_B" || { echo "FAIL $kind: could not change the link"; NS_FAILED=$((NS_FAILED + 1)); }
    t0=$SECONDS
    check "$kind: $((small / MiB)) MiB echo each way, 5 % loss, 10 ms, 10 % reordering" peer echo "$GUEST_IP" "$small" --seed 2
    echo "    ($((SECONDS - t0)) s)"
    echo "== $kind: clean link"
    start_guest "$kind" "" || { echo "FAIL $kind: could not change the link"; NS_FAILED=$((NS_FAILED + 1)); }
    # Warm-up: the same work once, so tables that legitimately keep their size (connection slots,
    # dictionaries, the block cache) have grown before the baseline is taken.
    peer concurrent "$GUEST_IP" 256 >/dev/null; peer sequential "$GUEST_IP" 50 >/dev/null; peer afterclose "$GUEST_IP" >/dev/null
    settled_status "$work/base.txt" || echo "    (connections still open before the baseline)"
    t0=$SECONDS
    check "$kind: 1000 sequential connections" peer sequential "$GUEST_IP" 1000
    check "$kind: 256 concurrent connections" peer concurrent "$GUEST_IP" 256
    check "$kind: peer sends more data after we closed" peer afterclose "$GUEST_IP"
    check "$kind: peer sends data behind its request while a $((small / MiB)) MiB body is in flight: RST only after the body" \
        peer earlyjunk "$GUEST_IP" "/blob-$small.bin" "$(sha256sum "$work/www/blob-$small.bin" | cut -d' ' -f1)"
    echo "    ($((SECONDS - t0)) s)"
    settled_status "$work/after.txt"
    check "$kind: connections and memory back to the baseline" no_leak "$kind" "$work/base.txt" "$work/after.txt"
    grep -E "^ *tcp\.(retransmission_timeouts|fast_retransmits|segments_retransmitted|syn_dropped_[a-z_]*|out_of_order_dropped|backlog_full) " "$work/after.txt" | sed "s/^ */    /"
    ns_cleanup
}

for kind in ${GUEST:-host vm}; do
    if [ "$kind" = vm ] && [ $kernel_ok = 0 ]; then
        echo "FAIL vm: build/kernel.elf missing (run Scripts/build)"; NS_FAILED=$((NS_FAILED + 1)); continue
    fi
    run_guest "$kind"
done
ns_summary tcp-linux
