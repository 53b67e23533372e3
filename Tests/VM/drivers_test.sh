#!/usr/bin/env bash
# Boots build/selftest.elf headless in QEMU with virtio devices and runs the in-kernel driver self-tests
# (Kernel/Drivers/*SelfTest.swift). Builds nothing: run Scripts/build --selftest first. Networking is QEMU's
# user-mode network only (slirp: guest 10.0.2.15, gateway 10.0.2.2): no tap, no root, no host changes.
#   Tests/VM/drivers_test.sh          every case
#   VM_TIMEOUT=120 ACCEL=kvm ...      per-boot timeout in seconds (default 60), QEMU accelerator (default tcg)
# A case passes when QEMU exits with status 33 (isa-debug-exit: every self-test check passed) before the
# timeout and the console shows the line the case is about. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
kernel=build/selftest.elf
[ -f "$kernel" ] || { echo "drivers_test: $kernel missing; run Scripts/build --selftest first"; exit 2; }
timeout_s=${VM_TIMEOUT:-60}
accel=${ACCEL:-tcg}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The disk pattern DiskSelfTest checks: sector s begins with s as a little-endian 64-bit number, and
# byte i >= 8 of it is (s * 7 + i) mod 256. 8 MiB = 512 reads of 16 KiB.
image=$work/pattern.img
python3 - "$image" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    for s in range(8 * 1024 * 1024 // 512):
        sector = bytearray((s * 7 + i) & 0xFF for i in range(512))
        sector[0:8] = struct.pack("<Q", s)
        f.write(sector)
PY

passed=0
failed=0

# run_case NAME APPEND EXPECTED-CONSOLE-REGEX QEMU-DEVICE-ARGS...
run_case() {
    local name=$1 append=$2 expect=$3
    shift 3
    local log=$work/$name.log
    timeout "$timeout_s" qemu-system-x86_64 -accel "$accel" -m 64M -nographic -no-reboot -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$kernel" -append "$append" "$@" \
        </dev/null >"$log" 2>&1
    local status=$?
    if [ $status -eq 33 ] && grep -Eq "$expect" "$log"; then
        echo "PASS $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name (QEMU status $status; expected 33 and a console line matching: $expect)"
        grep -E "selftest|virtio|pci|PANIC|warn|error" "$log" | tail -15 | sed 's/^/    /'
        failed=$((failed + 1))
    fi
}

net=(-netdev user,id=n0)
disk_modern=(-drive "file=$image,if=none,id=d0,format=raw,readonly=on" -device virtio-blk-pci,drive=d0,disable-legacy=on)

run_case net-transitional "selftest=net" "virtio-net 52:54:00:12:34:56, MTU 1500, MSI-X" \
    "${net[@]}" -device virtio-net-pci,netdev=n0
run_case net-modern-only "selftest=net" "interrupts=[0-9]+ event_index=1 rx.doorbells" \
    "${net[@]}" -device virtio-net-pci,netdev=n0,disable-legacy=on
# Checksum and segmentation offload need a backend with vnet headers (a tap); here the device is told
# to offer neither explicitly, and the driver must say it uses none.
run_case net-no-offloads "selftest=net" "virtio-net 52:54:00:12:34:56, MTU 1500, MSI-X, link up, offload none" \
    "${net[@]}" -device virtio-net-pci,netdev=n0,csum=off,guest_csum=off,host_tso4=off
run_case disk-transitional "selftest=disk" "virtio-blk 8 MiB read-only, .*MSI-X" \
    -drive "file=$image,if=virtio,format=raw,readonly=on"
run_case disk-modern-only "selftest=disk" "interrupts=[0-9]+ event_index=1 doorbells" \
    "${disk_modern[@]}"
run_case net-and-disk "selftest=net selftest=disk" "virtio-blk 8 MiB read-only" \
    "${net[@]}" -device virtio-net-pci,netdev=n0 "${disk_modern[@]}"
# Devices without VIRTIO_F_EVENT_IDX: suppression falls back to the ring flags.
run_case net-disk-no-event-index "selftest=net selftest=disk" "interrupts=[0-9]+ event_index=0 rx.doorbells" \
    "${net[@]}" -device virtio-net-pci,netdev=n0,event_idx=off \
    -drive "file=$image,if=none,id=d0,format=raw,readonly=on" -device virtio-blk-pci,drive=d0,event_idx=off
# The PCI Express machine type, and a NIC behind a PCI-PCI bridge (bus 1: enumeration beyond bus 0).
run_case q35-net-and-disk "selftest=net selftest=disk" "virtio-blk 8 MiB read-only, .*MSI-X" \
    -M q35 "${net[@]}" -device virtio-net-pci,netdev=n0 -drive "file=$image,if=virtio,format=raw,readonly=on"
run_case net-behind-bridge "selftest=net loglevel=debug" "pci: 01:03.0 1af4:1000" \
    "${net[@]}" -device pci-bridge,id=br1,chassis_nr=1 -device virtio-net-pci,netdev=n0,bus=br1,addr=3
# No MSI-X: both drivers fall back to polling (with a console warning) and still pass.
run_case no-msix-polled "selftest=net selftest=disk" "virtio-net: no MSI-X capability; polling" \
    "${net[@]}" -device virtio-net-pci,netdev=n0,vectors=0 \
    -drive "file=$image,if=none,id=d0,format=raw,readonly=on" -device virtio-blk-pci,drive=d0,vectors=0
# A 2 GiB BAR pushes the firmware's 64-bit window above 4 GiB: the NIC's registers must be mapped.
run_case bar-above-4gib "selftest=net" "uncached 2 MiB pages for device registers" \
    "${net[@]}" -device virtio-net-pci,netdev=n0,disable-legacy=on \
    -object memory-backend-memfd,id=big,size=2G,share=on -device ivshmem-plain,memdev=big
# A legacy-only NIC (no virtio 1.x interface) is refused with one line; boot and the disk carry on.
run_case legacy-only-refused "selftest=disk" "virtio-net 00:0[0-9].0: no virtio 1.x .*continuing without it" \
    "${net[@]}" -device virtio-net-pci,netdev=n0,disable-modern=on -drive "file=$image,if=virtio,format=raw,readonly=on"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
