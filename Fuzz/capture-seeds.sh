#!/usr/bin/env bash
# Captures real traffic to the hosted runner inside a private network namespace (Tests/VM/netns.sh) and
# turns it into seeds for the `net` and `dhcp` fuzz targets (Fuzz/pcap-to-seeds.py). Two sessions:
#   1. static address: ping (small, full-MTU, fragmented), broadcast ping, arping, UDP echo, UDP to a
#      closed port, a TCP SYN;
#   2. ip=dhcp against dnsmasq: DISCOVER/OFFER/REQUEST/ACK and the ARP probes.
# Needs root (namespaces), tcpdump, dnsmasq, arping, nc. Writes Fuzz/corpus/{net,dhcp}.
set -euo pipefail
cd "$(dirname "$0")/.."
source Tests/VM/netns.sh

swift build --product Host >/dev/null
host_bin=$(swift build --product Host --show-bin-path)/Host
work=$(mktemp -d)

stop() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

ns_create fuzzcap
ns_bg "$work/tcpdump-net.log" tcpdump -U -i br0 -w "$work/net.pcap"; dump=$NS_PID
sleep 1
ns_bg "$work/host.log" "$host_bin" --tap tap0 --append "ip=$GUEST_IP/24 gw=192.100.200.1"; host=$NS_PID
ns_wait_log "$work/host.log" "host: running" 20 || { cat "$work/host.log"; exit 1; }
ns_exec ping -q -c 3 -i 0.2 -W 1 "$GUEST_IP" >/dev/null || true
ns_exec ping -q -c 1 -s 1472 -W 1 "$GUEST_IP" >/dev/null || true
ns_exec ping -q -c 1 -s 2000 -W 1 "$GUEST_IP" >/dev/null || true
ns_exec ping -q -b -c 1 -W 1 192.100.200.255 >/dev/null 2>&1 || true
ns_exec arping -c 2 -w 3 -I br0 "$GUEST_IP" >/dev/null || true
echo hello-echo | ns_exec nc -u -w 1 "$GUEST_IP" 7 >/dev/null || true
echo closed | ns_exec nc -u -w 1 "$GUEST_IP" 9 >/dev/null || true
ns_exec nc -z -w 1 "$GUEST_IP" 80 >/dev/null 2>&1 || true
stop "$host"; sleep 0.5; stop "$dump"

ns_bg "$work/tcpdump-dhcp.log" tcpdump -U -i br0 -w "$work/dhcp.pcap"; dump=$NS_PID
sleep 1
ns_bg "$work/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null --interface=br0 --bind-interfaces --port=0 \
    --dhcp-range=192.100.200.150,192.100.200.160,255.255.255.0,2m --dhcp-leasefile=/dev/null \
    --dhcp-option=option:dns-server,192.100.200.1 --dhcp-option=option:mtu,1500; dnsmasq=$NS_PID
ns_bg "$work/host-dhcp.log" "$host_bin" --tap tap0 --append "ip=dhcp"; host=$NS_PID
ns_wait_log "$work/host-dhcp.log" "dhcp: bound" 30 || { cat "$work/host-dhcp.log"; exit 1; }
stop "$host"; stop "$dnsmasq"; sleep 0.5; stop "$dump"

rm -f Fuzz/corpus/net/* Fuzz/corpus/dhcp/* Fuzz/corpus/tcp/*
python3 Fuzz/pcap-to-seeds.py "$work/net.pcap" "$work/dhcp.pcap" Fuzz/corpus
echo "captured: $(ls Fuzz/corpus/net | wc -l) net, $(ls Fuzz/corpus/dhcp | wc -l) dhcp, $(ls Fuzz/corpus/tcp | wc -l) tcp seeds"
rm -rf "$work"
