#!/usr/bin/env bash
# IPv6 against Linux in a private namespace (bridge br0 + tap0): radvd, started here, advertises
# fd00:100:200::/64 on the bridge; the guest takes its EUI-64 address by SLAAC and answers ping -6
# there and on its link-local address, serves HTTP on both (curl -6, the access log naming the IPv6
# peer), while its IPv4 HTTP service answers as before in the same boot. Then, without
# radvd, a static ip6= address answers ping -6, UDP echo answers a Linux client over IPv6 (a closed port
# gets ICMPv6 port unreachable), an IPv6 syslog= collector gets the access log, and an http.domain=
# with an IPv6 prefix serves that prefix and refuses a link-local peer (403). Needs
# build/kernel.elf (Scripts/build) and radvd.
# Prints one PASS/FAIL line per check and ends with 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh

[ -f build/kernel.elf ] || { echo "FAIL build/kernel.elf missing: run Scripts/build first"; exit 1; }
command -v radvd >/dev/null || { echo "FAIL radvd missing: run Scripts/install-deps"; exit 1; }
work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT

PREFIX=fd00:100:200
# The guest's MAC 52:54:00:c8:64:64 as a modified EUI-64 (RFC 4291 appendix A), in RFC 5952 text.
SLAAC=$PREFIX:0:5054:ff:fec8:6464
LINK_LOCAL=fe80::5054:ff:fec8:6464
STATIC=$PREFIX::64

ns_create vmipv6
ns_radvd "$PREFIX" "$work"

log=$work/slaac.log
ns_guest "$log" "ip=$GUEST_IP/24 gw=192.100.200.1"
if ! ns_wait_log "$log" "ready;" 60; then cat "$log"; fail "the guest did not start"; ns_summary vm_ipv6; exit 1; fi

check "console: link-local address $LINK_LOCAL preferred" ns_wait_log "$log" "net: IPv6 $LINK_LOCAL/64 (link-local) preferred" 15
check "console: SLAAC address $SLAAC from radvd's prefix preferred" ns_wait_log "$log" "net: IPv6 $SLAAC/64 (SLAAC) preferred" 30
check "ping -6 the SLAAC address" bash -c "ip netns exec $NS ping -6 -q -c 5 -i 0.2 -W 1 $SLAAC | grep -q ' 0% packet loss'"
check "ping -6 -I br0 the link-local address" bash -c "ip netns exec $NS ping -6 -q -c 5 -i 0.2 -W 1 -I br0 $LINK_LOCAL | grep -q ' 0% packet loss'"
check "ping -6 -s 1452 (full MTU) the SLAAC address" bash -c "ip netns exec $NS ping -6 -q -c 3 -i 0.2 -W 1 -s 1452 $SLAAC | grep -q ' 0% packet loss'"
check "IPv4 HTTP answers at the same time" bash -c "ip netns exec $NS curl -sf -m 10 -o /dev/null http://$GUEST_IP/"
# HTTP over IPv6: TCP on both families, one listener on port 80.
check "curl -6 fetches / over the SLAAC address" bash -c "ip netns exec $NS curl -6 -sf -m 10 -o /dev/null 'http://[$SLAAC]/'"
check "curl -6 fetches / over the link-local address (zone br0)" \
    bash -c "ip netns exec $NS curl -6 -g -sf -m 10 -o /dev/null 'http://[$LINK_LOCAL%25br0]/'"
etc6=$(ns_exec curl -6 -sf -m 10 "http://[$SLAAC]/factory/etc?format=text")
check "a multi-segment page over IPv6 arrives whole (/factory/etc lists the SLAAC address)" \
    bash -c "grep -q 'net.ipv6 $SLAAC/64 (SLAAC) preferred' <<<\"\$0\" && grep -q '^ *net.ipv6_router fe80::' <<<\"\$0\"" "$etc6"
ns_exec curl -6 -s -m 10 -o /dev/null "http://[$SLAAC]/v6-global-probe"
ns_exec curl -6 -g -s -m 10 -o /dev/null "http://[$LINK_LOCAL%25br0]/v6-link-local-probe"
ns_wait_log "$log" '"GET /v6-link-local-probe HTTP/1.1" 404' 10
check "the access log shows the IPv6 peer ($PREFIX::1)" grep -qE "^.*$PREFIX::1 - - \[.*\"GET /v6-global-probe HTTP/1.1\" 404" "$log"
check "the access log shows the link-local peer (fe80::...)" grep -qE "fe80::[0-9a-f:]+ - - \[.*\"GET /v6-link-local-probe HTTP/1.1\" 404" "$log"
check "IPv4 HTTP still answers after the IPv6 requests" bash -c "ip netns exec $NS curl -sf -m 10 -o /dev/null http://$GUEST_IP/"
check "Linux resolved the guest (neighbour REACHABLE or STALE)" bash -c "ip netns exec $NS ip -6 neigh show $SLAAC dev br0 | grep -qE 'lladdr 52:54:00:c8:64:64'"
etc=$(ns_exec curl -sf -m 10 "http://$GUEST_IP/factory/etc?format=text")
check "/factory/etc lists the SLAAC address and the router" bash -c "grep -q 'net.ipv6 $SLAAC/64 (SLAAC) preferred' <<<\"\$0\" && grep -q '^ *net.ipv6_router fe80::' <<<\"\$0\"" "$etc"
check "/factory/etc counts the echo replies and the router advertisements" \
    bash -c "awk '\$1 == \"icmp6.echo_replies_sent\" && \$2 >= 13 { a = 1 } \$1 == \"nd.router_advertisements_received\" && \$2 >= 1 { b = 1 } END { exit !(a && b) }' <<<\"\$0\"" "$etc"
check "/factory/metrics exports the IPv6 counters" bash -c "ip netns exec $NS curl -sf -m 10 http://$GUEST_IP/factory/metrics | grep -q '^appliance_nd_duplicate_addresses_total 0'"
kill "$GUEST_PID" 2>/dev/null; wait "$GUEST_PID" 2>/dev/null
kill "$RADVD_PID" 2>/dev/null; wait "$RADVD_PID" 2>/dev/null

# Without radvd: a static address, on-link with its prefix; UDP over IPv6 in the same boot: the echo
# service and a syslog collector named by an IPv6 literal (a Python listener here).
log=$work/static.log
ns_bg "$work/collector.log" python3 -u -c "
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(('$PREFIX::1', 5140))
while True: print(s.recv(2048).decode(errors='replace'))"
COLLECTOR_PID=$NS_PID
ns_guest "$log" "ip=$GUEST_IP/24 gw=192.100.200.1 ip6=$STATIC/64 services=echo syslog=[$PREFIX::1]:5140 http.domain=192.100.200.0/24,$PREFIX::/64"
# One datagram to port 7 (echoed) and one to closed port 9 (Linux reports the ICMPv6 port unreachable
# as ECONNREFUSED on a connected socket); retried while neighbour discovery warms up.
udp6() {
    ip netns exec "$NS" python3 - "$STATIC" <<'PY'
import socket, sys
for attempt in range(5):
    echo = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); echo.settimeout(1)
    echo.sendto(b"v6-echo", (sys.argv[1], 7))
    try:
        if echo.recvfrom(64)[0] == b"v6-echo": break
    except socket.timeout: pass
else: sys.exit("no echo")
closed = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); closed.settimeout(2)
closed.connect((sys.argv[1], 9)); closed.send(b"x")
try: closed.recv(64)
except ConnectionRefusedError: sys.exit(0)
except socket.timeout: sys.exit("no port unreachable")
PY
}
if ns_wait_log "$log" "ready;" 60; then
    check "console: static address $STATIC preferred" ns_wait_log "$log" "net: IPv6 $STATIC/64 (ip6=) preferred" 15
    check "ping -6 the static address (no router advertising)" bash -c "ip netns exec $NS ping -6 -q -c 5 -i 0.2 -W 1 $STATIC | grep -q ' 0% packet loss'"
    check "no SLAAC address without radvd" bash -c "! grep -q '(SLAAC)' '$log'"
    check "UDP echo over IPv6 answers a Linux client; a closed port answers ICMPv6 port unreachable" udp6
    ns_exec curl -6 -s -m 10 -o /dev/null "http://[$STATIC]/v6-syslog-probe"
    check "syslog=[$PREFIX::1]:5140: the IPv6 collector gets the access line" \
        ns_wait_log "$work/collector.log" 'appliance - access - ' 10
    # http.domain= with an IPv6 prefix: a peer in fd00:100:200::/64 is served, a link-local one is not.
    check "http.domain=...,$PREFIX::/64: curl -6 from $PREFIX::1 gets 200" \
        bash -c "[ \"\$(ip netns exec $NS curl -6 -s -m 10 -o /dev/null -w '%{http_code}' 'http://[$STATIC]/')\" = 200 ]"
    check "http.domain=...,$PREFIX::/64: curl -6 from a link-local address gets 403" \
        bash -c "[ \"\$(ip netns exec $NS curl -6 -g -s -m 10 -o /dev/null -w '%{http_code}' 'http://[$LINK_LOCAL%25br0]/')\" = 403 ]"
else
    cat "$log"; fail "the guest with ip6= did not start"
fi
kill "$GUEST_PID" 2>/dev/null; wait "$GUEST_PID" 2>/dev/null
kill "$COLLECTOR_PID" 2>/dev/null; wait "$COLLECTOR_PID" 2>/dev/null
ns_summary vm_ipv6
