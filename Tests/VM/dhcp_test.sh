#!/usr/bin/env bash
# The appliance with ip=dhcp against real DHCP servers, each scenario in its own private namespace
# (Tests/VM/netns.sh), all running side by side so the whole test takes about as long as the
# longest one (dnsmasq's: it will not hand out leases shorter than two minutes):
#
#   dnsmasq  binds from a pool without 192.100.200.100 (so the address provably came from DHCP),
#            answers ping there, renews (dnsmasq logs the second REQUEST/ACK); dnsmasq stops; the
#            console shows RENEWING at T1, REBINDING at T2 and the withdrawal at the end of the lease,
#            all timed from the last acknowledged REQUEST; discovery starts again and binds from a
#            restarted dnsmasq. HTTP is served at each leased address; /factory/etc shows the lease.
#   kea      the same against kea-dhcp4 with a 20 s lease (T1 6 s, T2 12 s).
#   rebind   kea stops after a renewal and comes back after the unanswered unicast at T1: it extends
#            the lease when it hears the broadcast REQUEST at T2; the address never goes.
#   decline  kea offers an address something on the link already holds: the guest's ARP probe sees it,
#            DECLINEs, and binds the next address after the RFC's ten-second pause.
#   nak      dnsmasq is replaced by one serving another range; it NAKs the next renewal and the
#            guest withdraws the address, discovers, and binds from the new range.
#
#   Tests/VM/dhcp_test.sh                # boots build/kernel.elf with -append ip=dhcp on tap0
#   GUEST=host Tests/VM/dhcp_test.sh     # the hosted runner (Sources/Host) instead (host_dhcp_test.sh)
#   GUEST=microvm Tests/VM/dhcp_test.sh  # the kernel on -M microvm,acpi=off, virtio-mmio devices
#   DHCP_SCENARIOS="kea" Tests/VM/dhcp_test.sh   # only some scenarios (vm_microvm_test.sh runs kea)
#
# One PASS/FAIL line per check, then 'dhcp: N passed, N failed'; exit status non-zero on failure.
set -uo pipefail
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh

GUEST=${GUEST:-vm}
SERVER_IP=192.100.200.1
# Generous waits for a console or server line on a loaded machine; a line that is on time appears long
# before. Timing checks use the console's own timestamps, so a slow check never skews them.
WAIT=${DHCP_WAIT:-45}
# How early (a bug: the RFC says "at T1") or late (scheduling on a busy host) a timer may fire, in s.
EARLY=0.1
LATE=2.0

# dnsmasq refuses leases under 120 s; T1 and T2 are sent as options 58/59.
DNSMASQ_LEASE=120 DNSMASQ_T1=10 DNSMASQ_T2=20
KEA_LEASE=20 KEA_T1=6 KEA_T2=12
# The NAK scenario's T1: the time there is to swap servers between two renewals.
NAK_T1=8

# --- the guest --------------------------------------------------------------------------------------

# start_guest LOG: the appliance on tap0 with ip=dhcp, its console in LOG; sets GUEST_PID.
start_guest() {
    local log=$1
    case "$GUEST" in
    host) ns_bg "$log" "$HOST_BIN" --tap tap0 --mac "$GUEST_MAC" --disk "$DISK_IMAGE" --append "ip=dhcp"
          GUEST_PID=$NS_PID ;;
    vm) ns_guest "$log" "ip=dhcp" -drive "file=$DISK_IMAGE,if=virtio,format=raw,readonly=on" ;;
    microvm) GUEST_NIC=virtio-net-device ns_guest "$log" "ip=dhcp" -M microvm,acpi=off -global virtio-mmio.force-legacy=false \
                 -drive "id=d0,if=none,file=$DISK_IMAGE,format=raw,readonly=on" -device virtio-blk-device,drive=d0 ;;
    *) echo "GUEST must be host, vm or microvm" >&2; exit 2 ;;
    esac
}

# --- the servers ------------------------------------------------------------------------------------

# start_dnsmasq LOG FIRST LAST LEASE T1 T2: dnsmasq in the foreground serving FIRST-LAST; sets
# SERVER_PID and waits until its DHCP socket is bound. Authoritative, so it NAKs a lease it does not know.
start_dnsmasq() {
    local log=$1 first=$2 last=$3 lease=$4 t1=$5 t2=$6
    ns_bg "$log" dnsmasq --no-daemon --conf-file=/dev/null --log-facility=- --log-dhcp --port=0 \
        --interface=br0 --bind-interfaces --dhcp-authoritative --dhcp-leasefile="$(mktemp -p "$TMP")" \
        --dhcp-range="$first,$last,255.255.255.0,${lease}s" \
        --dhcp-option=option:router,$SERVER_IP --dhcp-option=option:T1,"$t1" --dhcp-option=option:T2,"$t2"
    SERVER_PID=$NS_PID
    ns_wait_log "$log" "DHCP, sockets bound exclusively to interface br0" "$WAIT"
}

# bridge_carrier: br0 has no carrier while tap0 has no reader, and kea will not open its sockets on an
# interface that is not running (nor retry). A veth pair plugged into the bridge gives it carrier.
bridge_carrier() {
    ns_exec ip link show carrier0 >/dev/null 2>&1 && return 0
    ns_exec ip link add carrier0 type veth peer name carrier1
    ns_exec ip link set carrier0 master br0
    ns_exec ip link set carrier0 up
    ns_exec ip link set carrier1 up
}

# start_kea LOG FIRST LAST LEASE T1 T2: kea-dhcp4 in the foreground with an in-memory lease database,
# its pid and lock files in the test's directory; logs each packet (debug level 50) to LOG.
start_kea() {
    local log=$1 first=$2 last=$3 lease=$4 t1=$5 t2=$6 conf
    bridge_carrier
    conf=$(mktemp -p "$TMP" kea-XXXX.json)
    cat >"$conf" <<EOF
{ "Dhcp4": {
    "interfaces-config": { "interfaces": [ "br0" ] },
    "lease-database": { "type": "memfile", "persist": false },
    "valid-lifetime": $lease, "renew-timer": $t1, "rebind-timer": $t2,
    "subnet4": [ { "id": 1, "subnet": "192.100.200.0/24",
                   "pools": [ { "pool": "$first - $last" } ],
                   "option-data": [ { "name": "routers", "data": "$SERVER_IP" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "INFO", "output_options": [ { "output": "stdout" } ] },
                 { "name": "kea-dhcp4.packets", "severity": "DEBUG", "debuglevel": 50,
                   "output_options": [ { "output": "stdout" } ] } ]
} }
EOF
    ns_bg "$log" env KEA_PIDFILE_DIR="$TMP" KEA_LOCKFILE_DIR="$TMP" kea-dhcp4 -c "$conf"
    SERVER_PID=$NS_PID
    ns_wait_log "$log" "DHCP4_STARTED" "$WAIT"
}

# renewal_logged_<server> LOG ADDR: the server logged a renewal of ADDR and its ACK. dnsmasq does not
# say where a REQUEST came from, so: two REQUEST/ACK pairs for ADDR (the bind, then the renewal); kea:
# a REQUEST from ADDR unicast to the server, and an ACK sent to ADDR.
renewal_logged_dnsmasq() {
    [ "$(grep -c "DHCPREQUEST(br0) $2 $GUEST_MAC" "$1")" -ge 2 ] && [ "$(grep -c "DHCPACK(br0) $2 $GUEST_MAC" "$1")" -ge 2 ]
}
renewal_logged_kea() {
    grep -q "DHCPREQUEST (type 3) received from $2 to $SERVER_IP" "$1" &&
        grep -q "DHCPACK (type 5) from $SERVER_IP:67 to $2:68" "$1"
}
# release_logged_<server> LOG ADDR: the server logged a DHCPRELEASE of ADDR from the guest.
release_logged_dnsmasq() { grep -q "DHCPRELEASE(br0) $2 $GUEST_MAC" "$1"; }
release_logged_kea() { grep -q "DHCP4_RELEASE .*$GUEST_MAC.*address $2 was released" "$1"; }

# granted_<server> LOG: "LEASE T1 T2" in seconds, as the last ACK in LOG gave them. dnsmasq takes a
# random few seconds off T1 and T2 in every renewal ACK ("desynchronise renewals") and logs what it
# sent, as "2m" or "9s"; kea sends its configuration.
granted_dnsmasq() {
    local code
    for code in "51 lease-time" "58 T1" "59 T2"; do
        grep -F "option: $code " "$1" | tail -1 | awk '{ v = $NF; t = 0
            while (match(v, /^[0-9]+[hms]/)) {
                u = substr(v, RLENGTH, 1); t += substr(v, 1, RLENGTH - 1) * (u == "h" ? 3600 : u == "m" ? 60 : 1)
                v = substr(v, RLENGTH + 1) }
            print t }'
    done | paste -sd' '
}
granted_kea() { echo "$KEA_LEASE $KEA_T1 $KEA_T2"; }

# discover_logged_<server> LOG: the server heard a DISCOVER from the guest.
discover_logged_dnsmasq() { grep -q "DHCPDISCOVER(br0) $GUEST_MAC" "$1"; }
discover_logged_kea() { grep -q "\[hwtype=1 $GUEST_MAC\].*DHCPDISCOVER (type 1) received" "$1"; }

# forget_pid PID: a process already reaped is no business of the cleanup (its PID may be reused).
forget_pid() {
    local i
    for i in "${!NS_PIDS[@]}"; do [ "${NS_PIDS[$i]}" = "$1" ] && unset "NS_PIDS[$i]"; done
}

# stop_server PID: SIGTERM, reaped, forgotten.
stop_server() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    forget_pid "$1"
}

# --- reading the console ----------------------------------------------------------------------------

# wait_lines LOG TEXT N SECONDS: waits until TEXT is on at least N lines of LOG.
wait_lines() {
    local log=$1 text=$2 n=$3 seconds=$4 i
    for ((i = 0; i < seconds * 10; i++)); do
        [ "$(grep -cF -- "$text" "$log" 2>/dev/null)" -ge "$n" ] && return 0
        sleep 0.1
    done
    return 1
}

# console_time LOG TEXT [N]: the console timestamp, in seconds, of the Nth line containing TEXT.
console_time() {
    [ "${3:-1}" -ge 1 ] || return 0
    grep -F -- "$2" "$1" | sed -n "${3:-1}p" | sed -nE 's/^\[ *([0-9]+\.[0-9]+)\].*/\1/p'
}

# bound_address LOG [N]: the address of the Nth "dhcp: bound" line.
bound_address() {
    grep -F "dhcp: bound " "$1" | sed -n "${2:-1}p" | sed -nE 's/.*dhcp: bound ([0-9.]+)\/.*/\1/p'
}

# elapsed FROM TO: TO - FROM with one decimal ("?" when either is missing).
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.1f", b - a }'; }

# on_time FROM TO EXPECTED: TO - FROM is EXPECTED seconds, no earlier than EARLY before and no later
# than LATE after.
on_time() {
    awk -v a="$1" -v b="$2" -v e="$3" -v early="$EARLY" -v late="$LATE" \
        'BEGIN { exit !(a != "" && b != "" && b - a >= e - early && b - a <= e + late) }'
}

# in_range ADDR FIRST LAST: ADDR lies in FIRST-LAST (same /24).
in_range() {
    local a=${1##*.} f=${2##*.} l=${3##*.}
    [ -n "$1" ] && [ "${1%.*}" = "${2%.*}" ] && [ "$a" -ge "$f" ] && [ "$a" -le "$l" ]
}

# http_get ADDR PATH: the body, or failure.
http_get() { ns_exec curl -sf --max-time 10 "http://$1$2" 2>/dev/null; }
# answers_http ADDR: serves the test's document root there.
answers_http() { local page; page=$(http_get "$1" /) && grep -qF "$HTTP_TOKEN" <<<"$page"; }
# etc_shows_lease ADDR LEASE: /factory/etc, fetched from ADDR, shows that lease from our server.
etc_shows_lease() {
    local page; page=$(http_get "$1" /factory/etc) &&
        grep -qF "dhcp.address $1/24" <<<"$page" && grep -qF "dhcp.server $SERVER_IP" <<<"$page" &&
        grep -qF "dhcp.lease-seconds $2" <<<"$page"
}

quiet() { "$@" >/dev/null 2>&1; }
answers_ping() { quiet ns_exec ping -q -c 3 -i 0.2 -W 2 "$1"; }
silent_to_ping() { ! quiet ns_exec ping -q -c 2 -i 0.2 -W 1 "$1"; }
count_is() { [ "$(grep -cF -- "$2" "$1")" = "$3" ]; }

show_console() {
    echo "  console ($1):"
    grep -F "dhcp" "$2" | grep -v "^dhcp\." | sed 's/^/    /'
}

# kea_time LOG TEXT [N]: kea's own timestamp (seconds into the day) of the Nth line containing TEXT.
kea_time() {
    grep -F -- "$2" "$1" | sed -n "${3:-1}p" | awk '{ split($2, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }'
}

# --- the scenarios ----------------------------------------------------------------------------------

# expiry SERVER LEASE T1 T2 FIRST LAST FIRST2 LAST2: bind, ping, renew, then the server stops and the
# lease runs out; a server restarted on FIRST2-LAST2 is found by the new discovery.
scenario_expiry() {
    local s=$1 lease=$2 t1=$3 t2=$4 first=$5 last=$6 first2=$7 last2=$8
    local glog=$TMP/guest.log slog=$TMP/$s.log slog2=$TMP/$s-restarted.log addr addr2 renewals r t
    local g_lease g_t1 g_t2
    ns_create "dhcp-$s"
    check "$s: server starts" start_"$s" "$slog" "$first" "$last" "$lease" "$t1" "$t2"
    start_guest "$glog"
    check "$s: the guest binds a lease" ns_wait_log "$glog" "dhcp: bound" "$WAIT"
    addr=$(bound_address "$glog")
    check "$s: the address ($addr) is from the pool $first-$last" in_range "$addr" "$first" "$last"
    check "$s: the console gives address, server and lease time" \
        grep -qF "dhcp: bound $addr/24 from server $SERVER_IP for $lease s (router $SERVER_IP)" "$glog"
    check "$s: answers ping at $addr" answers_ping "$addr"
    check "$s: answers HTTP at $addr" answers_http "$addr"
    check "$s: /factory/etc shows the lease" etc_shows_lease "$addr" "$lease"

    check "$s: renews (console)" ns_wait_log "$glog" "dhcp: renewed $addr/24" $((t1 + WAIT))
    check "$s: the server logged the renewal (REQUEST/ACK from $addr)" renewal_logged_"$s" "$slog" "$addr"
    stop_server "$SERVER_PID"
    # The lease now counts from the last acknowledged renewal's REQUEST, sent when the console said
    # "renewing" (on a quiet link each REQUEST is answered at once, so renewing and renewed pair up).
    renewals=$(grep -cF "dhcp: renewed $addr/24" "$glog")
    r=$(console_time "$glog" "dhcp: renewing $addr" "$renewals")

    # The timers the guest must keep are the ones that ACK gave.
    read -r g_lease g_t1 g_t2 <<<"$(granted_"$s" "$slog")"

    wait_lines "$glog" "dhcp: renewing $addr" $((renewals + 1)) $((g_t1 + WAIT))
    t=$(console_time "$glog" "dhcp: renewing $addr" $((renewals + 1)))
    check "$s: RENEWING again at T1 ($(elapsed "$r" "$t") s after the last REQUEST; T1 was $g_t1 s)" on_time "$r" "$t" "$g_t1"
    ns_wait_log "$glog" "dhcp: rebinding $addr" $((g_t2 + WAIT))
    t=$(console_time "$glog" "dhcp: rebinding $addr")
    check "$s: REBINDING at T2 ($(elapsed "$r" "$t") s; T2 was $g_t2 s)" on_time "$r" "$t" "$g_t2"
    ns_wait_log "$glog" "dhcp: address withdrawn: lease expired" $((g_lease + WAIT))
    t=$(console_time "$glog" "dhcp: address withdrawn: lease expired")
    check "$s: address withdrawn at expiry ($(elapsed "$r" "$t") s; lease was $g_lease s)" on_time "$r" "$t" "$g_lease"
    check "$s: no renewal was acknowledged without a server" count_is "$glog" "dhcp: renewed" "$renewals"
    check "$s: the withdrawal is reported once" count_is "$glog" "dhcp: address withdrawn" 1
    check "$s: the console says discovery restarts" grep -qF "dhcp: lease on $addr ran out in REBINDING; restarting discovery" "$glog"
    check "$s: no longer answers ping at $addr" silent_to_ping "$addr"

    check "$s: server restarts on $first2-$last2" start_"$s" "$slog2" "$first2" "$last2" "$lease" "$t1" "$t2"
    check "$s: the new discovery reaches it" wait_lines "$glog" "dhcp: bound" 2 "$WAIT"
    addr2=$(bound_address "$glog" 2)
    check "$s: bound again, to $addr2 from the new pool" in_range "$addr2" "$first2" "$last2"
    check "$s: the restarted server logged a DISCOVER" discover_logged_"$s" "$slog2"
    check "$s: answers ping at $addr2" answers_ping "$addr2"
    check "$s: answers HTTP at $addr2" answers_http "$addr2"
    if [ "$GUEST" = host ]; then   # a process can be stopped cleanly; the VM has no shutdown
        stop_server "$GUEST_PID"
        check "$s: stopped with SIGTERM, it released $addr2 (server log)" release_logged_"$s" "$slog2" "$addr2"
    fi
    show_console "$s" "$glog"
}

# nak: bound and renewed by one dnsmasq, which is then replaced by one serving another range; the next
# renewal is NAKed, the address goes, and the guest binds from the new range.
scenario_nak() {
    local glog=$TMP/guest.log slog=$TMP/dnsmasq.log slog2=$TMP/dnsmasq-other-range.log addr addr2
    ns_create dhcp-nak
    check "nak: server starts" start_dnsmasq "$slog" 192.100.200.150 192.100.200.160 "$DNSMASQ_LEASE" "$NAK_T1" $((NAK_T1 * 2))
    start_guest "$glog"
    check "nak: the guest binds a lease" ns_wait_log "$glog" "dhcp: bound" "$WAIT"
    addr=$(bound_address "$glog")
    # Swap servers right after a renewal, so the swap has all of T1.
    check "nak: renews ($addr)" ns_wait_log "$glog" "dhcp: renewed $addr/24" $((NAK_T1 + WAIT))
    stop_server "$SERVER_PID"
    check "nak: a server for 192.100.200.161-169 starts" \
        start_dnsmasq "$slog2" 192.100.200.161 192.100.200.169 "$DNSMASQ_LEASE" "$NAK_T1" $((NAK_T1 * 2))
    check "nak: the next renewal is NAKed (console)" \
        ns_wait_log "$glog" "dhcp: DHCPNAK from $SERVER_IP in RENEWING; restarting discovery" $((NAK_T1 + WAIT))
    check "nak: the server logged the NAK" grep -q "DHCPNAK(br0) $addr $GUEST_MAC" "$slog2"
    check "nak: the address is withdrawn" grep -qF "dhcp: address withdrawn: server refused the lease (DHCPNAK)" "$glog"
    check "nak: binds from the new range" wait_lines "$glog" "dhcp: bound" 2 "$WAIT"
    addr2=$(bound_address "$glog" 2)
    check "nak: the new address ($addr2) is from 192.100.200.161-169" in_range "$addr2" 192.100.200.161 192.100.200.169
    check "nak: answers ping at $addr2" answers_ping "$addr2"
    check "nak: answers HTTP at $addr2" answers_http "$addr2"
    show_console nak "$glog"
}

# rebind: kea stops after a renewal and starts again once the unicast renewal has gone unanswered, so
# the broadcast REQUEST at T2 is the first it hears: any server may extend the lease in REBINDING, and the
# guest keeps its address and goes back to renewing with that server at T1.
scenario_rebind() {
    local glog=$TMP/guest.log slog=$TMP/kea.log slog2=$TMP/kea-restarted.log addr renewals r t
    local first=192.100.200.170 last=192.100.200.179
    ns_create dhcp-rebind
    check "rebind: server starts" start_kea "$slog" "$first" "$last" "$KEA_LEASE" "$KEA_T1" "$KEA_T2"
    start_guest "$glog"
    check "rebind: the guest binds a lease" ns_wait_log "$glog" "dhcp: bound" "$WAIT"
    addr=$(bound_address "$glog")
    check "rebind: renews ($addr)" ns_wait_log "$glog" "dhcp: renewed $addr/24" $((KEA_T1 + WAIT))
    stop_server "$SERVER_PID"
    renewals=$(grep -cF "dhcp: renewed $addr/24" "$glog")
    r=$(console_time "$glog" "dhcp: renewing $addr" "$renewals")
    check "rebind: RENEWING unanswered" wait_lines "$glog" "dhcp: renewing $addr" $((renewals + 1)) $((KEA_T1 + WAIT))
    check "rebind: server restarts" start_kea "$slog2" "$first" "$last" "$KEA_LEASE" "$KEA_T1" "$KEA_T2"
    check "rebind: REBINDING" ns_wait_log "$glog" "dhcp: rebinding $addr" $((KEA_T2 + WAIT))
    t=$(console_time "$glog" "dhcp: rebinding $addr")
    check "rebind: REBINDING at T2 ($(elapsed "$r" "$t") s after the last REQUEST; T2 $KEA_T2 s)" on_time "$r" "$t" "$KEA_T2"
    check "rebind: the restarted server extends the lease (console)" \
        wait_lines "$glog" "dhcp: renewed $addr/24" $((renewals + 1)) "$WAIT"
    check "rebind: it heard a broadcast REQUEST from $addr" \
        grep -q "DHCPREQUEST (type 3) received from $addr to 255.255.255.255" "$slog2"
    check "rebind: the address was never withdrawn" count_is "$glog" "dhcp: address withdrawn" 0
    check "rebind: answers ping at $addr" answers_ping "$addr"
    check "rebind: answers HTTP at $addr" answers_http "$addr"
    # Back in BOUND, the lease counts from the rebinding REQUEST: the next renewal is unicast at T1.
    wait_lines "$glog" "dhcp: renewing $addr" $((renewals + 2)) $((KEA_T1 + WAIT))
    r=$t
    t=$(console_time "$glog" "dhcp: renewing $addr" $((renewals + 2)))
    check "rebind: renews with the server again at T1 ($(elapsed "$r" "$t") s; T1 $KEA_T1 s)" on_time "$r" "$t" "$KEA_T1"
    # Its ACKs (to the rebinding REQUEST, then to this one) go to the leased address.
    check "rebind: the server ACKed the rebinding and the renewal" \
        wait_lines "$slog2" "DHCPACK (type 5) from $SERVER_IP:67 to $addr:68" 2 "$WAIT"
    check "rebind: the server logged the unicast REQUEST" \
        grep -q "DHCPREQUEST (type 3) received from $addr to $SERVER_IP" "$slog2"
    # The same interval by the server's clock: the guest's clock must agree with the world's, or it
    # keeps (or drops) leases at times the server does not expect.
    r=$(kea_time "$slog2" "DHCPREQUEST (type 3) received from $addr to 255.255.255.255")
    t=$(kea_time "$slog2" "DHCPREQUEST (type 3) received from $addr to $SERVER_IP")
    [ -n "$r" ] && [ -n "$t" ] && t=$(awk -v a="$r" -v b="$t" 'BEGIN { print (b < a ? b + 86400 : b) }')  # midnight
    check "rebind: by kea's clock too ($(elapsed "$r" "$t") s from the rebinding REQUEST to the renewal; T1 $KEA_T1 s)" \
        on_time "$r" "$t" "$KEA_T1"
    show_console rebind "$glog"
}

# decline: kea's pool is 192.100.200.175-176, and .175 already answers ARP on the link: it sits on a
# second veth pair plugged into the bridge (not on br0 itself, where kea would see a second address). The
# guest's RFC 5227 probe finds the conflict, DECLINEs the offer, waits, discovers again and binds .176,
# which kea offers once .175 is declined.
scenario_decline() {
    local glog=$TMP/guest.log slog=$TMP/kea.log taken=192.100.200.175 free=192.100.200.176 d t
    ns_create dhcp-decline
    ns_exec ip link add occ0 type veth peer name occ1
    ns_exec ip link set occ0 master br0
    ns_exec ip link set occ0 up
    ns_exec ip addr add "$taken/32" dev occ1
    ns_exec ip link set occ1 up
    check "decline: server starts" start_kea "$slog" "$taken" "$free" "$KEA_LEASE" "$KEA_T1" "$KEA_T2"
    start_guest "$glog"
    check "decline: the probe finds $taken in use" \
        ns_wait_log "$glog" "dhcp: $taken is already in use; declined it" "$WAIT"
    check "decline: kea received the DHCPDECLINE" \
        wait_lines "$slog" "DHCPDECLINE (type 4) received" 1 "$WAIT"
    check "decline: kea took $taken out of the pool" grep -q "DHCP4_DECLINE_LEASE.*$taken" "$slog"
    check "decline: binds $free instead" ns_wait_log "$glog" "dhcp: bound $free/24" $((WAIT + 10))
    d=$(console_time "$glog" "dhcp: $taken is already in use; declined it")
    t=$(console_time "$glog" "dhcp: bound $free/24")
    # RFC 2131 §3.1 step 5: at least ten seconds before the next DISCOVER; the probe adds a few more.
    check "decline: not before the 10 s pause ($(elapsed "$d" "$t") s from DECLINE to bound)" \
        awk -v a="$d" -v b="$t" 'BEGIN { exit !(a != "" && b != "" && b - a >= 10) }'
    check "decline: never configured $taken" bash -c "! grep -qF 'dhcp: bound $taken/' '$glog'"
    check "decline: answers ping at $free" answers_ping "$free"
    check "decline: answers HTTP at $free" answers_http "$free"
    show_console decline "$glog"
}

run_scenario() {
    TMP=$(mktemp -d)
    trap 'ns_cleanup; rm -rf "$TMP"' EXIT
    case "$1" in
    dnsmasq) scenario_expiry dnsmasq "$DNSMASQ_LEASE" "$DNSMASQ_T1" "$DNSMASQ_T2" \
                 192.100.200.150 192.100.200.160 192.100.200.161 192.100.200.169 ;;
    kea) scenario_expiry kea "$KEA_LEASE" "$KEA_T1" "$KEA_T2" \
             192.100.200.170 192.100.200.179 192.100.200.180 192.100.200.189 ;;
    nak) scenario_nak ;;
    rebind) scenario_rebind ;;
    decline) scenario_decline ;;
    esac
    # KEEP_LOGS=/some/prefix keeps each scenario's console and server logs for a post-mortem.
    [ -z "${KEEP_LOGS:-}" ] || cp -r "$TMP" "$KEEP_LOGS-$1"
    ns_summary "dhcp-$1" >/dev/null
}

# --- the driver: every scenario as a child process, by PID ------------------------------------------

if [ "${1:-}" = --scenario ]; then run_scenario "$2"; exit; fi

case "$GUEST" in
host)
    swift build --product Host >/dev/null 2>&1 || { echo "FAIL building the hosted runner"; exit 1; }
    export HOST_BIN
    HOST_BIN=$(swift build --product Host --show-bin-path)/Host ;;
vm|microvm) [ -f build/kernel.elf ] || { echo "FAIL no build/kernel.elf"; exit 1; } ;;
esac

OUT=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$OUT"' EXIT
# The document root every guest serves: a page only this run can produce.
export HTTP_TOKEN="dhcp test $$ $RANDOM" DISK_IMAGE=$OUT/www.img
mkdir "$OUT/www" && echo "$HTTP_TOKEN" >"$OUT/www/index.html"
Scripts/mkdisk "$OUT/www" "$DISK_IMAGE" >/dev/null 2>&1 || { echo "FAIL building the disk image"; exit 1; }
# shellcheck disable=SC2206  # a list of names
scenarios=(${DHCP_SCENARIOS:-nak rebind decline kea dnsmasq})
declare -A scenario_pid
for s in "${scenarios[@]}"; do
    bash "$SELF" --scenario "$s" >"$OUT/$s" 2>&1 &
    scenario_pid[$s]=$!
    NS_PIDS+=("$!")
done
for s in "${scenarios[@]}"; do
    wait "${scenario_pid[$s]}"
    rc=$?
    forget_pid "${scenario_pid[$s]}"
    cat "$OUT/$s"
    NS_PASSED=$((NS_PASSED + $(grep -c '^PASS' "$OUT/$s")))
    NS_FAILED=$((NS_FAILED + $(grep -c '^FAIL' "$OUT/$s")))
    # A scenario that died without saying why still fails the test.
    [ "$rc" != 0 ] && ! grep -q '^FAIL' "$OUT/$s" && check "$s: scenario exited with status $rc" false
done
ns_summary dhcp
