#!/usr/bin/env bash
# Clean shutdown (issue 17, item 2) on -M pc, -M q35 and -M microvm,acpi=on (hardware-reduced ACPI:
# the power button is a generic event device, the virtio-mmio devices come from the DSDT, and S5 is
# the FADT's sleep control register): QMP system_powerdown (the ACPI power button)
# while a 16 MiB download, rate-limited by the client to about 4 s, is in flight. The appliance keeps
# serving through the drain (shutdown.drain, 2 s), then refuses new connections, lets the download
# finish, powers off by ACPI S5, and QEMU exits by itself within 15 s; the download is byte-exact and
# every step is on the console. The same on -M pc with Ctrl-Alt-Del on the i8042 keyboard (QMP
# send-key ctrl-alt-delete, as Firecracker stops its guests). Then with ip=dhcp against dnsmasq: the power button leads to the
# services' exit callbacks, a DHCPRELEASE that dnsmasq logs, and QEMU's exit. Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
[ -f build/kernel.elf ] || { echo "FAIL build/kernel.elf is missing (run Scripts/build)"; exit 1; }

work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT
mkdir "$work/root"
head -c $((16 << 20)) /dev/urandom >"$work/root/big.bin"
echo "small" >"$work/root/small.txt"
Scripts/mkdisk "$work/root" "$work/www.img" >/dev/null 2>&1 || { echo "FAIL Scripts/mkdisk"; exit 1; }
base=http://$GUEST_IP

ns_create shutdown

CTRL_ALT_DEL='{"keys": [{"type": "qcode", "data": "ctrl"}, {"type": "qcode", "data": "alt"}, {"type": "qcode", "data": "delete"}]}'

# stop MACHINE [ctrl-alt-del]: one guest on MACHINE, stopped in the middle of a download by the power
# button (QMP system_powerdown) or by Ctrl-Alt-Del.
stop() {
    local machine=$1 how=${2:-power-button}
    local name=$machine
    [ "$how" = ctrl-alt-del ] && name="$machine ctrl-alt-del"
    local log="$work/$machine-$how.log" qmp="$work/$machine-$how.qmp"
    local nic=virtio-net-pci machine_args=(-M "$machine" -drive "file=$work/www.img,if=virtio,format=raw,readonly=on")
    if [ "$machine" = microvm ]; then
        nic=virtio-net-device
        machine_args=(-M microvm,acpi=on -global virtio-mmio.force-legacy=false
                      -drive "id=d0,if=none,file=$work/www.img,format=raw,readonly=on" -device virtio-blk-device,drive=d0)
    fi
    GUEST_NIC=$nic ns_guest "$log" "ip=$GUEST_IP/24 gw=192.100.200.1" "${machine_args[@]}" -qmp "unix:$qmp,server,nowait"
    local guest=$GUEST_PID
    if ! ns_wait_log "$log" "ready; idle" 30 || ! ns_wait_log "$log" "ext2" 30; then fail "$name: the guest boots"; return; fi
    if [ "$machine" = microvm ]; then
        check "$name: the virtio-mmio devices come from the DSDT, with wired interrupts" \
            bash -c "! grep -q 'virtio_mmio.device=' '$log' && [ \$(grep -cE 'info  virtio-(net|blk) .*, wired IRQ, .*at mmio 0x' '$log') = 2 ]"
    fi
    if [ "$how" = ctrl-alt-del ]; then
        check "$name: Ctrl-Alt-Del is armed" grep -q "keyboard: Ctrl-Alt-Del armed" "$log"
    else
        check "$name: the power button is armed" grep -q "acpi: power button armed" "$log"
    fi
    # 16 MiB at 4 MiB/s: about 4 s, so it is in flight through the drain and into the grace period.
    ns_exec curl -s -m 60 --limit-rate 4M -o "$work/$machine-$how.bin" -w '%{http_code}' "$base/big.bin" >"$work/$machine-$how.code" 2>&1 &
    local download=$!
    sleep 1
    local pressed=$SECONDS
    if [ "$how" = ctrl-alt-del ]; then
        python3 Scripts/qmp.py "$qmp" send-key "$CTRL_ALT_DEL" >/dev/null
    else
        python3 Scripts/qmp.py "$qmp" system_powerdown >/dev/null
    fi
    sleep 0.5
    check "$name: a new request during the drain is still served" \
        test "$(ns_exec curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/small.txt")" = 200
    ns_wait_log "$log" "shutdown: no longer accepting" 10
    check "$name: after the drain a new connection is refused" \
        bash -c "! ip netns exec '$NS' curl -s -m 5 -o /dev/null '$base/small.txt'"
    wait "$download"
    check "$name: the download in flight completes (200)" test "$(cat "$work/$machine-$how.code")" = 200
    check "$name: ... byte-exact" cmp -s "$work/$machine-$how.bin" "$work/root/big.bin"
    local i
    for ((i = 0; i < 150; i++)); do kill -0 "$guest" 2>/dev/null || break; sleep 0.1; done
    check "$name: QEMU exits by itself within 15 s of the stop request ($((SECONDS - pressed)) s)" \
        bash -c "! kill -0 $guest 2>/dev/null"
    # A guest that did not power off still holds tap0: end it so the next machine's run is its own.
    kill "$guest" 2>/dev/null; wait "$guest" 2>/dev/null
    local pressed_line="shutdown: power button pressed"
    [ "$how" = ctrl-alt-del ] && pressed_line="shutdown: Ctrl-Alt-Del pressed"
    check_clean_stop "$name" "$log" "$pressed_line" 2
}

# release: a guest with a DHCP lease powered down; dnsmasq must see the RELEASE.
release() {
    local log=$work/dhcp.log qmp=$work/dhcp.qmp server=$work/dnsmasq.log
    ns_bg "$server" dnsmasq --no-daemon --conf-file=/dev/null --log-facility=- --log-dhcp --port=0 \
        --interface=br0 --bind-interfaces --dhcp-leasefile="$work/leases" \
        --dhcp-range=192.100.200.150,192.100.200.160,255.255.255.0,300s
    ns_wait_log "$server" "DHCP, sockets bound exclusively to interface br0" 10 || { fail "dhcp: dnsmasq starts"; return; }
    ns_guest "$log" "ip=dhcp" -M pc -qmp "unix:$qmp,server,nowait"
    local guest=$GUEST_PID
    ns_wait_log "$log" "dhcp: bound " 30 || { fail "dhcp: the guest binds a lease"; return; }
    python3 Scripts/qmp.py "$qmp" system_powerdown >/dev/null
    local i
    for ((i = 0; i < 150; i++)); do kill -0 "$guest" 2>/dev/null || break; sleep 0.1; done
    check "dhcp: QEMU exits by itself within 15 s" bash -c "! kill -0 $guest 2>/dev/null"
    kill "$guest" 2>/dev/null; wait "$guest" 2>/dev/null
    check "dhcp: console: 'shutdown: releasing the DHCP lease'" grep -qF "shutdown: releasing the DHCP lease" "$log"
    # The guest has not resolved dnsmasq's MAC (DHCP replies need no ARP): the RELEASE waits for ARP
    # while the address stays, and leaves once the answer comes; only then is the address withdrawn.
    check "dhcp: console: 'dhcp: RELEASE sent to 192.100.200.1'" grep -qF "dhcp: RELEASE sent to 192.100.200.1" "$log"
    check "dhcp: the address is withdrawn after the RELEASE left" \
        bash -c "grep -n -e 'dhcp: RELEASE sent' -e 'dhcp: address withdrawn: lease released' '$log' | cut -d: -f1 | paste -sd' ' | awk '{ exit !(NF == 2 && \$1 < \$2) }'"
    ns_wait_log "$server" "DHCPRELEASE(br0)" 3
    check "dhcp: dnsmasq logged the DHCPRELEASE" grep -q "DHCPRELEASE(br0) 192.100.200.1[56][0-9] $GUEST_MAC" "$server"
    check "dhcp: console: exit callbacks run before the power-off" grep -qF "shutdown: exit callbacks run (doExit): http" "$log"
}

stop pc
stop q35
stop microvm
stop pc ctrl-alt-del
release
ns_summary vm-shutdown
