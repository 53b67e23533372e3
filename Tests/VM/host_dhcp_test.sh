#!/usr/bin/env bash
# The hosted runner with ip=dhcp against dnsmasq in a private namespace: it probes, binds an address from
# the pool (which excludes 192.100.200.100, so the address provably came from DHCP), and answers pings
# there. Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh

swift build --product Host >/dev/null 2>&1 || { echo "FAIL building the hosted runner"; exit 1; }
host_bin=$(swift build --product Host --show-bin-path)/Host
log=$(mktemp); dlog=$(mktemp)
ns_create hostdhcp
ns_bg "$dlog" dnsmasq --no-daemon --conf-file=/dev/null --interface=br0 --bind-interfaces --port=0 \
    --dhcp-range=192.100.200.150,192.100.200.160,255.255.255.0,2m --dhcp-leasefile=/dev/null --log-dhcp
ns_bg "$log" "$host_bin" --tap tap0 --append "ip=dhcp"
check "binds a lease from dnsmasq" ns_wait_log "$log" "dhcp: bound" 30
addr=$(grep -o "192\.100\.200\.1[5-6][0-9]" "$log" | head -1)
check "the address is from the DHCP pool ($addr)" test -n "$addr"
check "answers ping at the leased address" bash -c "ip netns exec $NS ping -q -c 5 -i 0.2 -W 1 $addr >/dev/null"
check "dnsmasq logged the ACK" grep -q "DHCPACK(br0) $addr" "$dlog"
grep -E "dhcp|net:" "$log" | head -10
ns_summary host-dhcp
