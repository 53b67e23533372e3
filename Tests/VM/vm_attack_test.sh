#!/usr/bin/env bash
# Attack and overload tests, short versions (Scripts/stress runs the same attacks longer): from a private
# namespace against the VM (-m 64M, TCG) serving an ext2 disk: SYN flood with a legitimate client,
# slowloris, many idle connections, garbage frames and fragments, ping flood, malformed HTTP. After each:
# the appliance serves, connections and heap return to baseline, and the refusal counters are printed.
# Then memory pressure at -m 12M; then IPv6 (radvd advertising a /64): malformed IPv6, ICMPv6 and ND
# frames and RFC 6583 floods, each moving its drop counter, while HTTP answers over both families; and
# a 4 MiB file over IPv6 through Tests/VM/impair_relay.py at 3 % loss, byte-exact.
# Builds nothing: run Scripts/build first. Prints 'N passed, N failed'.
#   PHASES="attacks pressure ipv6 lossy" (default: all) runs only the phases named.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
[ -f build/kernel.elf ] || { echo "vm_attack_test: build/kernel.elf missing; run Scripts/build first"; exit 2; }
for tool in hping3 curl; do command -v $tool >/dev/null || { echo "FAIL $tool missing"; exit 1; }; done

SYN_SECONDS=${SYN_SECONDS:-8} SYN_RATE=${SYN_RATE:-u1000}
SLOW_COUNT=${SLOW_COUNT:-24} SLOW_SECONDS=${SLOW_SECONDS:-26}
IDLE_COUNT=${IDLE_COUNT:-1000} IDLE_SECONDS=${IDLE_SECONDS:-10} IDLE_SOURCES=${IDLE_SOURCES:-4}
GARBAGE_COUNT=${GARBAGE_COUNT:-800}
PING_COUNT=${PING_COUNT:-1000}
# What the README reports for these runs: every request of the client served, no ping lost.
SYN_CLIENT_PCT=${SYN_CLIENT_PCT:-100} PING_ANSWERED_PCT=${PING_ANSWERED_PCT:-100}
MALFORMED_ROUNDS=${MALFORMED_ROUNDS:-2}
SETTLE_SECONDS=${SETTLE_SECONDS:-90}
PRESSURE_MEM=${PRESSURE_MEM:-12M} PRESSURE_COUNT=${PRESSURE_COUNT:-400}
PHASES=${PHASES:-attacks pressure ipv6 lossy}
LOSSY_PCT=${LOSSY_PCT:-3} LOSSY_MIB=${LOSSY_MIB:-4} LOSSY_SEED=${LOSSY_SEED:-1}
IPV6_PREFIX=fd00:100:200
source Tests/VM/attacks.sh

work=$(mktemp -d)
mkdir "$work/www"
head -c 3000 /dev/urandom | base64 >"$work/www/index.html"
head -c $((LOSSY_MIB << 20)) /dev/urandom >"$work/www/blob.bin"
Scripts/mkdisk "$work/www" "$work/www.img" >/dev/null || { echo "FAIL mkdisk"; exit 1; }

ns_create attack
disk=(-drive "file=$work/www.img,if=virtio,format=raw,readonly=on")
phase() { [[ " $PHASES " == *" $1 "* ]]; }
stop_guest() { kill "$GUEST_PID"; wait "$GUEST_PID" 2>/dev/null; }

if phase attacks; then
    GUEST_LOG=$work/guest.log
    GUEST_MEM=${GUEST_MEM:-64M} ns_guest "$GUEST_LOG" "ip=$GUEST_IP/24" "${disk[@]}"
    ns_wait_log "$GUEST_LOG" "ready" 60 || { cat "$GUEST_LOG"; echo "FAIL the VM did not boot"; exit 1; }
    for i in $(seq 1 30); do serves && break; sleep 1; done
    check "the appliance serves before any attack" serves
    take_baseline

    attack_syn_flood
    attack_slowloris
    attack_idle
    attack_garbage
    attack_ping_flood
    attack_malformed

    check "no PANIC or fatal line on the console" bash -c "! grep -E 'PANIC|fatal' '$GUEST_LOG' | head -5 | grep ."
    stop_guest
fi

if phase pressure; then
    # Memory exhaustion as a defined state: on a small machine the TCP buffer budget is more than the heap
    # can spare, so many connections drive the heap to its pressure mark: new SYNs are refused (counted),
    # the open connections are served, nothing panics, and everything returns once they close.
    echo "--- memory pressure: -m $PRESSURE_MEM, $PRESSURE_COUNT connections held $IDLE_SECONDS s"
    GUEST_LOG=$work/guest-small.log
    GUEST_MEM=$PRESSURE_MEM ns_guest "$GUEST_LOG" "ip=$GUEST_IP/24" "${disk[@]}"
    ns_wait_log "$GUEST_LOG" "ready" 60 || { cat "$GUEST_LOG"; echo "FAIL the VM did not boot with -m $PRESSURE_MEM"; exit 1; }
    for i in $(seq 1 30); do serves && break; sleep 1; done
    take_baseline
    # From 16 addresses: idle connections hold only their initial 8 KiB rings now, and from 4 addresses the
    # per-source caps (32 each once the table is half used) stopped them at 128, long before the heap; 16
    # addresses can fill the table, and the heap gives out first (measured: 4 addresses, 128 held, heap peak
    # 7.4 of 10.6 MB, no memory refusal).
    IDLE_SOURCES=16 IDLE_COUNT=$PRESSURE_COUNT attack_idle
    # The heap must reach its pressure mark (what this phase is for), and every connection beyond what fit
    # must be refused and counted. Which counter takes them depends on the order things fill: with 8 KiB
    # initial rings the SYN backlog overflows into SYN cookies about when the heap reaches the mark (run
    # of 21:12: peak 9.45 of 10.58 MB, mark at 9.26 MB; 497 backlog_full, no syn_dropped_memory_*), so a
    # memory counter alone is not required (the pressure path itself is unit-tested in
    # Tests/TCPTests/LimitsTests.swift).
    pressure_mark=$((HEAP_CAPACITY - $(val memory.pressure_reserve_bytes)))
    check "pressure: the heap reached its pressure mark (peak $(val memory.heap_peak_bytes), mark $pressure_mark)" \
        [ "$(val memory.heap_peak_bytes)" -ge "$pressure_mark" ]
    check "pressure: the excess was refused and counted (memory limit $(val tcp.syn_dropped_memory_limit), pressure $(val tcp.syn_dropped_memory_pressure), backlog $(val tcp.backlog_full))" \
        [ "$(refusals)" -gt 0 ]
    check "pressure: the heap never came within 64 KiB of its capacity (peak $(val memory.heap_peak_bytes) of $HEAP_CAPACITY)" \
        [ "$(val memory.heap_peak_bytes)" -lt $((HEAP_CAPACITY - 65536)) ]
    check "pressure: pressure is over once the connections closed" [ "$(val memory.under_pressure)" = 0 ]
    check "pressure: no PANIC or fatal line on the console" bash -c "! grep -E 'PANIC|fatal' '$GUEST_LOG' | head -5 | grep ."
    stop_guest
fi

# IPv6 (#19): radvd advertises a /64 from here on; the guest takes its SLAAC address.
if phase ipv6 || phase lossy; then
    ns_radvd "$IPV6_PREFIX" "$work"
    OUR_IPV6=$IPV6_PREFIX::1
fi
if phase ipv6; then
    GUEST_LOG=$work/guest-ipv6.log
    ns_guest "$GUEST_LOG" "ip=$GUEST_IP/24" "${disk[@]}"
    if ns_wait_log "$GUEST_LOG" "ready" 60 && GUEST_LINK_LOCAL=$(ns_ipv6_address "$GUEST_LOG" link-local 15) &&
       GUEST_IPV6=$(ns_ipv6_address "$GUEST_LOG" SLAAC 30); then
        for i in $(seq 1 30); do serves && serves_ipv6 && break; sleep 1; done
        check "ipv6: the appliance serves over IPv4" serves
        check "ipv6: the appliance serves over $GUEST_IPV6 (SLAAC) and $GUEST_LINK_LOCAL" serves_ipv6
        take_baseline
        attack_ipv6_frames
    else
        tail -20 "$GUEST_LOG"; fail "ipv6: the VM did not boot or took no SLAAC address"
    fi
    stop_guest
fi

# A file over IPv6 through a lossy link: the relay drops LOSSY_PCT % of the frames each way (seeded).
if phase lossy; then
    echo "--- IPv6 through a lossy link: a $LOSSY_MIB MiB file over curl -6 at $LOSSY_PCT % loss (impair_relay.py)"
    GUEST_LOG=$work/guest-lossy.log
    if ns_guest_impaired "$GUEST_LOG" "$work/relay.log" "--loss $LOSSY_PCT --seed $LOSSY_SEED" "ip=$GUEST_IP/24" "${disk[@]}" &&
       ns_wait_log "$GUEST_LOG" "ready" 60 && GUEST_IPV6=$(ns_ipv6_address "$GUEST_LOG" SLAAC 60); then
        start=$SECONDS
        ns_exec curl -6 -s -f -m 300 -o "$work/blob.got" "http://[$GUEST_IPV6]/blob.bin"
        echo "    $((SECONDS - start)) s"
        check "lossy: the $LOSSY_MIB MiB file arrived byte-exact over IPv6 (sha256)" \
            bash -c "[ \"\$(sha256sum <'$work/blob.got')\" = \"\$(sha256sum <'$work/www/blob.bin')\" ]"
    else
        tail -20 "$GUEST_LOG"; fail "lossy: the VM behind the relay did not boot or took no SLAAC address"
    fi
    stop_guest
    kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
    relay=$(tail -1 "$work/relay.log"); echo "    relay: $relay"
    check "lossy: the relay dropped frames ($(field dropped "$relay") dropped, $(field to_guest "$relay") to the guest)" \
        [ "$(field dropped "$relay")" -gt 0 ]
    check "lossy: no PANIC or fatal line on the console" bash -c "! grep -E 'PANIC|fatal' '$GUEST_LOG' | head -5 | grep ."
fi
ns_summary vm-attack
