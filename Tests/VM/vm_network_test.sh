#!/usr/bin/env bash
# The appliance below TCP, seen from Linux's own tools in a private namespace (bridge br0 + tap0):
# ping (200 fast, full MTU), arping, UDP echo on port 7, ICMP port unreachable for a closed UDP port;
# then malformed frames (Tests/VM/malformed_frames.py) that must each move their drop counter in
# /factory/etc by exactly the number sent, and a seeded burst of random frames, all while a ping loop
# runs with no loss. Then (VM only) a boot with a modern-only NIC (disable-legacy=on) that must answer
# pings, and runt frames shorter than an Ethernet header sent through QEMU's datagram backend.
#   Tests/VM/vm_network_test.sh          the VM: build/kernel.elf under QEMU (run Scripts/build first)
#   Tests/VM/vm_network_test.sh --host   the same checks against the hosted runner (swift build --product Host)
# Prints one PASS/FAIL line per check and ends with 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh

mode=vm; [ "${1:-}" = "--host" ] && mode=host
work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT

if [ $mode = vm ]; then
    [ -f build/kernel.elf ] || { echo "FAIL build/kernel.elf missing: run Scripts/build first"; exit 1; }
else
    swift build --product Host >/dev/null 2>&1 || { echo "FAIL building the hosted runner"; exit 1; }
    host_bin=$(swift build --product Host --show-bin-path)/Host
fi

# start_target LOG: the appliance on tap0 at $GUEST_IP, ready when this returns 0.
start_target() {
    local log=$1
    if [ $mode = vm ]; then
        ns_guest "$log" "ip=$GUEST_IP/24 gw=192.100.200.1 services=echo"
        ns_wait_log "$log" "ready;" 60
    else
        ns_bg "$log" "$host_bin" --tap tap0 --append "ip=$GUEST_IP/24 gw=192.100.200.1 services=echo"
        GUEST_PID=$NS_PID
        ns_wait_log "$log" "host: running" 30
    fi
}

stop_target() { kill "$GUEST_PID" 2>/dev/null; wait "$GUEST_PID" 2>/dev/null; }

ping_all() {   # ping_all COUNT INTERVAL [SIZE]: every echo answered
    ns_exec ping -q -c "$1" -i "$2" -s "${3:-56}" -W 1 "$GUEST_IP" | grep -q ' 0% packet loss'
}

ns_create vmnet
# No IPv6 chatter (router solicitations, MLD reports) on the bridge: it would move eth.not_for_us.
ns_exec sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ns_exec sysctl -qw net.ipv6.conf.br0.disable_ipv6=1 net.ipv6.conf.tap0.disable_ipv6=1

log=$work/target.log
start_target "$log" || { cat "$log"; echo "FAIL the $mode target did not start"; exit 1; }

start=$SECONDS
check "ping -c 200 -i 0.005 with no loss" ping_all 200 0.005
check "ping -s 1472 (full MTU)" ping_all 3 0.2 1472
# Silence proves something only from a guest that answers: a full-MTU ping right before must get through.
check "ping -s 1473 is not answered (fragments are dropped), ping -s 1472 just before is" \
    bash -c "ip netns exec $NS ping -q -c 1 -s 1472 -W 2 $GUEST_IP >/dev/null && ! ip netns exec $NS ping -q -c 2 -s 1473 -W 1 $GUEST_IP >/dev/null"
check "arping" bash -c "ip netns exec $NS arping -c 2 -w 3 -I br0 $GUEST_IP >/dev/null"
check "UDP echo on port 7" bash -c "[ \"\$(echo hello-echo | ip netns exec $NS nc -u -w 2 $GUEST_IP 7)\" = hello-echo ]"
check "ICMP port unreachable for a closed UDP port" ns_exec python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.connect(('$GUEST_IP', 9)); s.send(b'x')
try:
    s.recv(10); sys.exit(1)
except ConnectionRefusedError:
    sys.exit(0)
except socket.timeout:
    sys.exit(1)
"
echo "tools checks took $((SECONDS - start)) s"

# Malformed frames with a ping loop running the whole time: 20 s of pings at 50 per second, which must
# outlast the sender (about 12 s).
start=$SECONDS
ns_bg "$work/pingloop.log" ping -c 1000 -i 0.02 -W 1 "$GUEST_IP"
ping_pid=$NS_PID
ns_exec python3 Tests/VM/malformed_frames.py br0 "$GUEST_MAC" "$GUEST_IP" >"$work/malformed.out" 2>"$work/malformed.err"
echo "malformed frames took $((SECONDS - start)) s"
check "the ping loop outlasted the malformed frames" kill -0 "$ping_pid"
[ -s "$work/malformed.err" ] && sed 's/^/    /' "$work/malformed.err"
check "malformed-frame sender ran every kind" test "$(wc -l <"$work/malformed.out")" -ge 20
while read -r kind counter before after sent; do
    if [ "$kind" = garbage ]; then
        check "$sent random frames all reached the stack ($counter +$((after - before)))" test $((after - before)) -ge "$sent"
    else
        check "$kind: dropped and counted ($counter +$((after - before)) for $sent)" test $((after - before)) -eq "$sent"
    fi
done <"$work/malformed.out"
wait "$ping_pid"
check "pings answered throughout the malformed frames ($(grep -o '[0-9]* received' "$work/pingloop.log"))" \
    grep -q ' 0% packet loss' "$work/pingloop.log"
check "still answers UDP echo afterwards" bash -c "[ \"\$(echo after | ip netns exec $NS nc -u -w 2 $GUEST_IP 7)\" = after ]"
check "still serves /factory/etc afterwards" bash -c "ip netns exec $NS curl -sf -m 10 http://$GUEST_IP/factory/etc | grep -q '^ *udp.bad_checksum '"
if [ $mode = vm ]; then
    check "no panic on the console" bash -c "! grep -qiE 'panic|fault|trap' '$log'"
fi
stop_target

if [ $mode = vm ]; then
    # QEMU's default virtio-net is transitional; a modern-only device must work as well.
    log2=$work/modern.log
    GUEST_NIC_OPTS=",disable-legacy=on" start_target "$log2"
    check "modern-only NIC (disable-legacy=on) boots with MSI-X" grep -q "virtio-net $GUEST_MAC, MTU 1500, MSI-X" "$log2"
    check "modern-only NIC answers ping -c 50 -i 0.01" ping_all 50 0.01
    stop_target

    # Frames shorter than the 14-byte Ethernet header cannot leave a Linux socket (dev_validate_header),
    # but QEMU's datagram backend delivers any length: the guest reaches tap0 through impair_relay.py
    # (no impairment) and the runts go straight to QEMU's datagram port. (Not a zero-length one: QEMU
    # takes an empty datagram for the end of the connection and stops reading.)
    ns_bg "$work/relay.log" python3 Tests/VM/impair_relay.py --tap tap0 --listen 127.0.0.1:10002 --guest 127.0.0.1:10001
    relay_pid=$NS_PID
    log3=$work/runt.log
    GUEST_NETDEV="dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=10001,remote.type=inet,remote.host=127.0.0.1,remote.port=10002" \
        start_target "$log3"
    counter() { ns_exec curl -sf -m 10 "http://$GUEST_IP/factory/etc" | awk -v n="$1" '$1 == n { print $2 }'; }
    before=$(counter eth.truncated)
    ns_exec python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for n in range(1, 14):
    s.sendto(bytes([0xFF] * n), ('127.0.0.1', 10001))
"
    for ((i = 0; i < 30; i++)); do
        after=$(counter eth.truncated)
        [ $((after - before)) -ge 13 ] && break
        sleep 0.1
    done
    check "runt frames of 1 to 13 bytes: dropped and counted (eth.truncated +$((after - before)) for 13)" \
        test -n "$before" -a $((after - before)) -eq 13
    check "answers ping after the runts" ping_all 20 0.02
    stop_target
    kill "$relay_pid"; wait "$relay_pid" 2>/dev/null
fi
ns_summary "vm-network ($mode)"
