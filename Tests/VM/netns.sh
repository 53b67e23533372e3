# Sourced by VM network tests: a private network namespace with the appliance's classic topology —
# bridge br0 192.100.200.1/24 and tap0 — so test traffic never leaves the namespace. Processes started
# through `ns_bg` are remembered by PID and killed on exit, then the namespace is deleted.
#
#   source Tests/VM/netns.sh
#   ns_create NAME            # creates netns NAME-$$ with lo, br0 (192.100.200.1/24) and tap0
#   ns_exec CMD...            # runs CMD inside the namespace
#   ns_bg LOGFILE CMD...      # starts CMD inside the namespace in the background; sets NS_PID
#   ns_guest LOGFILE APPEND [QEMU ARGS...]   # boots build/kernel.elf on tap0 (or on GUEST_NETDEV, a
#                                            # -netdev value with id=n0) through a GUEST_NIC (default
#                                            # virtio-net-pci; virtio-net-device on -M microvm); sets GUEST_PID
#   ns_guest_impaired LOGFILE RELAYLOG IMPAIR APPEND [QEMU ARGS...]
#                             # the same, but through Tests/VM/impair_relay.py (IMPAIR: its options,
#                             # e.g. "--loss 2 --delay 10"); sets GUEST_PID and RELAY_PID
#   ns_radvd PREFIX DIR       # br0 takes PREFIX::1/64 and radvd advertises PREFIX::/64 (SLAAC); sets RADVD_PID
#   ns_wait_log LOGFILE TEXT SECONDS         # waits for TEXT to appear in LOGFILE
#   check NAME COMMAND...     # one PASS/FAIL line; ns_summary prints 'N passed, N failed'
#   fail NAME                 # one FAIL line, counted (for a step whose failure skips later checks)
#   check_clean_stop NAME LOG PRESSED DRAIN  # the console lines of a clean stop, and no panic

NS=""
NS_PIDS=()
NS_PASSED=0
NS_FAILED=0
GUEST_MAC=52:54:00:c8:64:64
GUEST_IP=192.100.200.100

ns_cleanup() {
    local pid
    for pid in "${NS_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${NS_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
    NS=""
    NS_PIDS=()
}
trap ns_cleanup EXIT

ns_create() {
    NS="$1-$$"
    ip netns add "$NS"
    ns_exec ip link set lo up
    ns_exec ip link add br0 type bridge
    ns_exec ip addr add 192.100.200.1/24 dev br0
    ns_exec ip link set br0 up
    ns_exec ip tuntap add dev tap0 mode tap
    ns_exec ip link set tap0 master br0
    ns_exec ip link set tap0 up
    # Quick ARP retries so a test does not wait a second for a lost first request.
    ns_exec sysctl -qw net.ipv4.neigh.br0.retrans_time_ms=100
}

ns_exec() { ip netns exec "$NS" "$@"; }

ns_bg() {
    local log=$1; shift
    ip netns exec "$NS" "$@" >"$log" 2>&1 &
    NS_PID=$!
    NS_PIDS+=("$NS_PID")
}

ns_accel() {
    if [ -n "${ACCEL:-}" ]; then echo "$ACCEL"
    elif [ -w /dev/kvm ] && grep -qE '^kvm_(intel|amd) ' /proc/modules 2>/dev/null; then echo kvm
    else echo tcg; fi
}

# ns_qemu LOGFILE APPEND NETDEV [QEMU ARGS...]: the guest with network backend NETDEV (id n0), booting
# GUEST_KERNEL (default build/kernel.elf; build/NAME.elf for an app).
ns_qemu() {
    local log=$1 append=$2 netdev=$3; shift 3
    ns_bg "$log" qemu-system-x86_64 -accel "$(ns_accel)" -m "${GUEST_MEM:-64M}" -nographic -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "${GUEST_KERNEL:-build/kernel.elf}" -append "$append" \
        -netdev "$netdev" -device "${GUEST_NIC:-virtio-net-pci},netdev=n0,mac=$GUEST_MAC${GUEST_NIC_OPTS:-}" "$@"
    GUEST_PID=$NS_PID
}

ns_guest() {
    local log=$1 append=$2; shift 2
    ns_qemu "$log" "$append" "${GUEST_NETDEV:-tap,id=n0,ifname=tap0,script=no,downscript=no}" "$@"
}

# The guest's frames travel as UDP datagrams on the namespace's loopback (QEMU -netdev dgram) to the
# relay, which impairs them and writes them to tap0 (and back). The relay runs first so no frame is lost.
RELAY_GUEST_PORT=10001
RELAY_PORT=10002
ns_guest_impaired() {
    local log=$1 relay_log=$2 impair=$3 append=$4; shift 4
    # shellcheck disable=SC2086  # IMPAIR is a list of options
    ns_bg "$relay_log" python3 Tests/VM/impair_relay.py --tap tap0 --listen 127.0.0.1:$RELAY_PORT \
        --guest 127.0.0.1:$RELAY_GUEST_PORT $impair
    RELAY_PID=$NS_PID
    ns_wait_log "$relay_log" "relay: ready" 10 || return 1
    ns_qemu "$log" "$append" "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=$RELAY_GUEST_PORT,remote.type=inet,remote.host=127.0.0.1,remote.port=$RELAY_PORT" "$@"
}

# radvd (Debian's, config and log in DIR) advertises PREFIX::/64, on-link and autonomous, every 3-4 s
# from br0, which takes PREFIX::1 (no DAD: nobody else is on the bridge yet). Killed on exit like any ns_bg.
ns_radvd() {
    local prefix=$1 dir=$2
    ns_exec sysctl -qw net.ipv6.conf.all.forwarding=1     # radvd advertises only as a router
    ns_exec ip -6 addr add "$prefix::1/64" dev br0 nodad
    cat >"$dir/radvd.conf" <<CONF
interface br0 {
    AdvSendAdvert on;
    MinRtrAdvInterval 3;
    MaxRtrAdvInterval 4;
    prefix $prefix::/64 { AdvOnLink on; AdvAutonomous on; };
};
CONF
    ns_bg "$dir/radvd.log" radvd --nodaemon --config "$dir/radvd.conf" --pidfile "$dir/radvd.pid" --logmethod stderr
    RADVD_PID=$NS_PID
}

# ns_ipv6_address LOGFILE ORIGIN SECONDS: waits for the guest's console to name its address of ORIGIN
# ("SLAAC", "link-local", "ip=") preferred, and prints it.
ns_ipv6_address() {
    local log=$1 origin=$2 seconds=$3
    ns_wait_log "$log" "($origin) preferred" "$seconds" || return 1
    sed -n "s/.*net: IPv6 \([0-9a-f:]*\)\/[0-9]* ($origin) preferred.*/\1/p" "$log" | head -1
}

ns_wait_log() {
    local log=$1 text=$2 seconds=$3 i
    for ((i = 0; i < seconds * 10; i++)); do
        grep -qF -- "$text" "$log" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

check() {
    local name=$1; shift
    if "$@"; then NS_PASSED=$((NS_PASSED + 1)); echo "PASS $name"
    else NS_FAILED=$((NS_FAILED + 1)); echo "FAIL $name"; fi
}

fail() { NS_FAILED=$((NS_FAILED + 1)); echo "FAIL $1"; }

# check_clean_stop NAME LOG PRESSED_LINE DRAIN_SECONDS: the console shows every step of the clean stop,
# in the words of Appliance+Shutdown and the kernel's power-off, and no panic.
check_clean_stop() {
    local name=$1 log=$2 pressed=$3 drain=$4 line
    for line in "$pressed" "shutdown: draining for $drain s" "shutdown: no longer accepting" \
                "shutdown: every connection finished" "shutdown: exit callbacks run (doExit): http" \
                "shutdown: flushing the log" "shutdown: powering off (ACPI S5)"; do
        check "$name: console: '$line'" grep -qF "$line" "$log"
    done
    check "$name: no panic" bash -c "! grep -q PANIC '$log'"
}

ns_summary() {
    echo "$1: $NS_PASSED passed, $NS_FAILED failed"
    [ "$NS_FAILED" = 0 ]
}

# ns_add_sources N: N more addresses on br0 (192.100.200.20 up), exported as PEER_SOURCES for
# tcp_peer.py's concurrent clients: the appliance holds one address to 32 connections once its
# table is half used (per-source caps), so many concurrent clients must come from several addresses.
ns_add_sources() {
    local sources=() i
    for ((i = 0; i < $1; i++)); do ns_exec ip addr add "192.100.200.$((20 + i))/24" dev br0; sources+=("192.100.200.$((20 + i))"); done
    export PEER_SOURCES=$(IFS=,; echo "${sources[*]}")
}
