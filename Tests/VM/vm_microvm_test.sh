#!/usr/bin/env bash
# The appliance on QEMU -M microvm (issue 17, item 1): no PCI, no PIT channel 2; virtio-mmio devices
# that QEMU names on the kernel command line (`virtio_mmio.device=512@0xfeb00e00:12`, appended with
# acpi=off), in their modern form (version 2; QEMU 7.2 defaults to legacy version 1 unless given
# -global virtio-mmio.force-legacy=false, and the kernel drives only version 2). A run without that
# option is also checked: the legacy devices are reported and skipped, no panic. The same
# build/kernel.elf calibrates its clock without the PIT, drives virtio-net and virtio-blk over MMIO
# with their interrupt lines routed through the I/O APIC (no 1 ms polling: an idle guest wakes only
# for its timers, and the devices' interrupt counters grow with traffic), serves HTTP and a file from
# its disk. A command line naming malformed, overlapping, absent and
# unmappable windows boots too: each is reported and skipped. The DHCP
# timing scenario against kea (T1, T2, expiry timed from the console) runs on microvm as well.
# In its own network namespace (Tests/VM/netns.sh). Prints 'vm-microvm: N passed, N failed'.
set -uo pipefail
cd "$(dirname "$0")/../.."
source Tests/VM/netns.sh
[ -f build/kernel.elf ] || { echo "FAIL build/kernel.elf is missing (run Scripts/build)"; exit 1; }

work=$(mktemp -d)
trap 'ns_cleanup; rm -rf "$work"' EXIT
mkdir "$work/root"
head -c $((1 << 20)) /dev/urandom >"$work/root/blob.bin"
echo "microvm $$" >"$work/root/index.html"
Scripts/mkdisk "$work/root" "$work/www.img" >/dev/null 2>&1 || { echo "FAIL Scripts/mkdisk"; exit 1; }
base=http://$GUEST_IP

ns_create microvm

# microvm LOG APPEND: the guest on -M microvm with a virtio-mmio NIC and disk; sets GUEST_PID.
microvm() {
    GUEST_NIC=virtio-net-device ns_guest "$1" "ip=$GUEST_IP/24 gw=192.100.200.1 $2" -M microvm,acpi=off \
        -global virtio-mmio.force-legacy=false \
        -drive "id=d0,if=none,file=$work/www.img,format=raw,readonly=on" -device virtio-blk-device,drive=d0
}

# reached NAME LOG TEXT: whether the console reached TEXT; if not, one FAIL and the console.
reached() {
    ns_wait_log "$2" "$3" 30 && return 0
    fail "$1: the guest boots (console reaches '$3')"
    cat "$2"
    return 1
}

# metric NAME: the value of appliance_NAME in /factory/metrics (empty when absent).
metric() { ns_exec curl -s -m 10 "$base/factory/metrics" | awk -v n="appliance_$1" '$1 == n { print $2 }'; }

# finish NAME LOG: no panic on the console; the guest is ended.
finish() {
    check "$1: no panic" bash -c "! grep -q PANIC '$2'"
    kill "$GUEST_PID" 2>/dev/null; wait "$GUEST_PID" 2>/dev/null
}

log=$work/microvm.log
microvm "$log" "loglevel=debug"
if reached serve "$log" "ready; idle"; then
    check "serve: console: the devices come from the command line" grep -qF "virtio_mmio.device=512@0xfeb00" "$log"
    check "serve: console: virtio-net over MMIO" grep -qE "info  virtio-net .*, at mmio 0x" "$log"
    check "serve: console: virtio-blk over MMIO" grep -qE "info  virtio-blk .*, at mmio 0x" "$log"
    check "serve: console: the clock is calibrated, not assumed" grep -qE "clock: TSC [0-9]+ MHz \((CPUID|PIT channel 0)\)" "$log"
    check "serve: console: virtio-net and virtio-blk take wired interrupts (I/O APIC), none is polled" \
        bash -c "[ \$(grep -cE 'info  virtio-(net|blk) .*, wired IRQ, .*at mmio 0x' '$log') = 2 ] && ! grep -q 'polling every' '$log'"
    check "serve: GET / answers the disk's index.html" \
        test "$(ns_exec curl -s -m 10 "$base/")" = "microvm $$"
    ns_exec curl -s -m 30 -o "$work/blob.got" "$base/blob.bin"
    check "serve: GET /blob.bin (1 MiB from the disk) is byte-exact" cmp -s "$work/blob.got" "$work/root/blob.bin"
    check "serve: /factory/health answers 200" test "$(ns_exec curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/factory/health")" = 200
    # Delivered, not polled: both devices counted interrupts, and an idle second costs far fewer than
    # the 1,000 wakeups polling every millisecond would (the count includes the APIC timer's).
    net_irqs=$(metric virtio_net_interrupts_total) blk_irqs=$(metric virtio_blk_interrupts_total)
    check "serve: the devices' interrupts are delivered (virtio-net ${net_irqs:-?}, virtio-blk ${blk_irqs:-?})" \
        test "${net_irqs:-0}" -gt 0 -a "${blk_irqs:-0}" -gt 0
    before=$(metric cpu_device_interrupts_total); sleep 1; after=$(metric cpu_device_interrupts_total)
    check "serve: idle, no 1 ms polling ($((${after:-0} - ${before:-0})) interrupts in 1 s, under 200)" \
        test -n "$before" -a -n "$after" -a $((${after:-0} - ${before:-0})) -lt 200
fi
finish serve "$log"

# Bad device tables: QEMU appends its own entries after these, so the real devices still come up.
log=$work/bad.log
bad="virtio_mmio.device=512@0xfeb0zz00:12 virtio_mmio.device=512@0xd0000000:5 virtio_mmio.device=4K@0xd0000000:6"
bad+=" virtio_mmio.device=512@0x100000:7"
microvm "$log" "$bad"
if reached "bad table" "$log" "ready; idle"; then
    check "bad table: a malformed entry is reported" \
        grep -qF "ignoring 'virtio_mmio.device=512@0xfeb0zz00:12': expected virtio_mmio.device=SIZE@BASE:IRQ" "$log"
    check "bad table: an overlapping entry is reported" \
        grep -qF "ignoring 'virtio_mmio.device=4K@0xd0000000:6': overlaps virtio_mmio.device entry 1" "$log"
    check "bad table: an absent device is reported and skipped" \
        grep -qF "virtio-mmio 0xd0000000 (irq 5): no virtio-mmio device there" "$log"
    check "bad table: a window outside the device window is skipped" \
        grep -qF "virtio-mmio 0x00100000 (irq 7): lies outside the uncached device window" "$log"
    check "bad table: the real devices still serve" \
        test "$(ns_exec curl -s -m 10 "$base/")" = "microvm $$"
fi
finish "bad table" "$log"

# QEMU's default legacy (version 1) transports: reported with the option that fixes it, boot goes on.
log=$work/legacy.log
GUEST_NIC=virtio-net-device ns_guest "$log" "ip=$GUEST_IP/24" -M microvm,acpi=off
if reached legacy "$log" "nothing to serve, idle"; then
    check "legacy: version 1 transports are reported and skipped" \
        grep -qF "virtio-mmio version 1 (legacy) is not supported, only version 2 (QEMU: add -global virtio-mmio.force-legacy=false); skipped" "$log"
fi
finish legacy "$log"
ns_cleanup

# The DHCP client's timers (T1, T2, expiry) against kea, timed from the console, on microvm.
if GUEST=microvm DHCP_SCENARIOS=kea bash Tests/VM/dhcp_test.sh >"$work/dhcp.out" 2>&1; then
    check "dhcp on microvm: $(tail -1 "$work/dhcp.out")" true
else
    cat "$work/dhcp.out"
    check "dhcp on microvm: $(tail -1 "$work/dhcp.out")" false
fi

ns_summary vm-microvm
