#!/usr/bin/env bash
# libvirt (issue 17, item 3): the domain template Scripts/libvirt/appliance.xml, defined and started
# by a real libvirtd (Debian's libvirt-daemon-system) that this test starts itself, with virtlogd,
# inside its own network namespace, so the guest's tap (ethernet interface, managed='no') and QEMU
# live there. A page is fetched; then `virsh shutdown` presses the ACPI power button, and the
# console shows the clean path (drain, exit callbacks, S5) ending within shutdown.drain +
# shutdown.grace, with libvirt reporting the domain shut off by the guest ("shutdown"), not destroyed.
# Everything started is stopped by PID; the domain is undefined. Prints 'N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
KERNEL=${KERNEL:-build/kernel.elf}    # another image to boot, e.g. for an A/B run
[ -f "$KERNEL" ] || { echo "FAIL $KERNEL is missing (run Scripts/build)"; exit 1; }
for tool in libvirtd virtlogd virsh; do
    command -v "$tool" >/dev/null || { echo "FAIL $tool is missing (Scripts/install-deps installs libvirt)"; exit 1; }
done
# One system libvirtd per machine: its sockets are in /run/libvirt. Never take over one we did not start.
if [ -S /run/libvirt/libvirt-sock ] && virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "FAIL a libvirtd is already running here; this test starts its own"; exit 1
fi

# libvirtd's run-time directory and virtlogd's PID file go when the test made them.
[ -e /run/libvirt ] && made_run_dir=0 || made_run_dir=1
[ -e /run/virtlogd.pid ] && made_virtlogd_pid=0 || made_virtlogd_pid=1

DRAIN=1 GRACE=5
NAME=appliance-test-$$
work=$(mktemp -d)
chmod 755 "$work"
VIRSH=(virsh -q -c qemu:///system)

cleanup() {
    if [ -n "${LIBVIRTD_PID:-}" ] && kill -0 "$LIBVIRTD_PID" 2>/dev/null; then
        "${VIRSH[@]}" destroy "$NAME" >/dev/null 2>&1
        "${VIRSH[@]}" undefine "$NAME" >/dev/null 2>&1
    fi
    # A QEMU libvirtd could not stop outlives it: end it by the PID libvirt recorded.
    local qemu_pid
    qemu_pid=$(cat "/run/libvirt/qemu/$NAME.pid" 2>/dev/null)
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
    ns_cleanup      # libvirtd and virtlogd, by PID, then the namespace
    rm -f "/var/log/libvirt/qemu/$NAME.log"
    [ "$made_run_dir" = 1 ] && rm -rf /run/libvirt
    [ "$made_virtlogd_pid" = 1 ] && rm -f /run/virtlogd.pid
    rm -rf "$work"
}
trap cleanup EXIT

token="libvirt test $$ $RANDOM"
mkdir "$work/root" && echo "$token" >"$work/root/index.html"
Scripts/mkdisk "$work/root" "$work/www.img" >/dev/null 2>&1 || { echo "FAIL Scripts/mkdisk"; exit 1; }
cp "$KERNEL" "$work/kernel.elf"

ns_create libvirt
ns_bg "$work/virtlogd.log" virtlogd
VIRTLOGD_PID=$NS_PID
ns_bg "$work/libvirtd.log" libvirtd --pid-file "$work/libvirtd.pid"
LIBVIRTD_PID=$NS_PID
up=0
for ((i = 0; i < 100; i++)); do
    ns_exec "${VIRSH[@]}" version >/dev/null 2>&1 && { up=1; break; }
    sleep 0.1
done
check "libvirtd (PID $LIBVIRTD_PID) and virtlogd (PID $VIRTLOGD_PID) start in the namespace" test "$up" = 1
[ "$up" = 1 ] || { sed 's/^/  libvirtd: /' "$work/libvirtd.log" | tail -20; ns_summary vm-libvirt; exit 1; }

accel=qemu
[ "$(ns_accel)" = kvm ] && accel=kvm
disk="<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$work/www.img'/><target dev='vda' bus='virtio'/><readonly/></disk>"
# The test runs QEMU as root (no relabelling of the checkout's files); the template leaves this to the user.
seclabel="<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>"
sed -e "s|@NAME@|$NAME|" -e "s|@KERNEL@|$work/kernel.elf|" -e "s|@TAP@|tap0|" -e "s|@MAC@|$GUEST_MAC|" \
    -e "s|@APPEND@|ip=$GUEST_IP/24 gw=192.100.200.1 shutdown.drain=$DRAIN shutdown.grace=$GRACE|" \
    -e "s|@CONSOLE@|$work/console.log|" -e "s|@EMULATOR@|$(command -v qemu-system-x86_64)|" -e "s|@ACCEL@|$accel|" \
    -e "s|<!--@DISK@-->|$disk|" -e "s|</devices>|</devices>\n  $seclabel|" \
    Scripts/libvirt/appliance.xml >"$work/domain.xml"
give_up() { fail "$1"; tail -5 "$work/libvirtd.log" | sed 's/^/  libvirtd: /'; ns_summary vm-libvirt; exit 1; }
ns_exec "${VIRSH[@]}" define "$work/domain.xml" >/dev/null || give_up "virsh define accepts the template"
check "virsh define accepts the template" true
ns_exec "${VIRSH[@]}" start "$NAME" >/dev/null || give_up "virsh start"
check "virsh start" true
ns_wait_log "$work/console.log" "ready; idle" 30 || give_up "the guest boots (console to a file)"
check "the guest boots (console to a file)" true
check "it serves the disk's page at $GUEST_IP" \
    bash -c "ip netns exec '$NS' curl -s -m 10 http://$GUEST_IP/ | grep -qF '$token'"
check "virsh shutdown is accepted" ns_exec "${VIRSH[@]}" shutdown "$NAME"
pressed=$SECONDS
state=""
for ((i = 0; i < (DRAIN + GRACE + 5) * 10; i++)); do
    state=$(ns_exec "${VIRSH[@]}" domstate --reason "$NAME" 2>/dev/null)
    case "$state" in "shut off"*) break ;; esac
    sleep 0.1
done
took=$((SECONDS - pressed))
check "the domain is shut off by the guest itself ('$state') in $took s (drain $DRAIN + grace $GRACE)" \
    test "$state" = "shut off (shutdown)"
check "... within drain + grace + 2 s" test "$took" -le $((DRAIN + GRACE + 2))
check_clean_stop "virsh shutdown" "$work/console.log" "shutdown: power button pressed" "$DRAIN"
check "virsh undefine" ns_exec "${VIRSH[@]}" undefine "$NAME"
ns_summary vm-libvirt
