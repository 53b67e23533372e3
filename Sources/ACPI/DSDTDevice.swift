/// What this kernel needs from a device the DSDT declares: its memory window and its interrupt. QEMU's
/// `-M microvm` with ACPI describes its virtio-mmio transports (`_HID "LNRO0005"`) and its generic
/// event device (`_HID "ACPI0013"`, the power button) only there. No AML interpreter: a bounded scan
/// finds each string "ID" (StringPrefix, the ID, NUL: how `Name(_HID, "ID")` is encoded) and, before
/// the next DeviceOp and within `reach` bytes, the first Memory32Fixed descriptor or SystemMemory
/// OperationRegion and the first Extended Interrupt descriptor (ACPI 6.5, 6.4.3.4, 6.4.3.6,
/// 19.6.100). A device missing either is left out.
public struct DSDTDevice: Equatable {
    public var base: UInt64
    public var length: UInt64
    public var interrupt: MADT.Route

    /// Bytes after the ID in which the device's resources must lie (QEMU's are within 80).
    static var reach: Int { 256 }
    /// Devices returned at most (QEMU's microvm declares up to 24 transports).
    public static var maximumDevices: Int { 32 }

    /// Every device in `dsdt` (the whole table) whose hardware ID is `hid`.
    public static func find(hid: StaticString, in dsdt: [UInt8]) -> [DSDTDevice] {
        let n = hid.utf8CodeUnitCount
        var found: [DSDTDevice] = []
        var i = 36
        while i + n + 2 <= dsdt.count && found.count < maximumDevices {
            var match = dsdt[i] == 0x0D && dsdt[i + n + 1] == 0
            var k = 0
            while match && k < n { match = dsdt[i + 1 + k] == hid.utf8Start[k]; k += 1 }
            if match, let device = resources(dsdt, from: i + n + 2, to: Swift.min(dsdt.count, i + n + 2 + reach)) {
                found.append(device)
            }
            i += 1
        }
        return found
    }

    private static func resources(_ b: [UInt8], from start: Int, to end: Int) -> DSDTDevice? {
        var window: (UInt64, UInt64)?
        var route: MADT.Route?
        var p = start
        while p + 4 <= end && (window == nil || route == nil) && !(b[p] == 0x5B && b[p + 1] == 0x82) {   // DeviceOp: the next device
            defer { p += 1 }
            if window == nil, b[p] == 0x86, b[p + 1] == 9, b[p + 2] == 0, p + 12 <= end,
               let base = b.le(p + 4, 4), let length = b.le(p + 8, 4) {
                window = (base, length)                       // Memory32Fixed: info, base, length
            } else if window == nil, b[p] == 0x5B, b[p + 1] == 0x80, p + 7 < end, b[p + 6] == 0,
                      let (base, next) = integer(b, at: p + 7, end), let (length, _) = integer(b, at: next, end) {
                window = (base, length)                       // OperationRegion(NAME, SystemMemory, base, length)
            } else if route == nil, b[p] == 0x89, b[p + 1] >= 6, b[p + 2] == 0, p + 9 <= end, b[p + 4] >= 1,
                      let gsi = b.le(p + 5, 4) {
                let flags = b[p + 3]                          // bit 1 edge, bit 2 active low
                route = MADT.Route(globalInterrupt: UInt32(gsi), activeLow: flags & 4 != 0, levelTriggered: flags & 2 == 0)
            }
        }
        guard let (base, length) = window, let route else { return nil }
        return DSDTDevice(base: base, length: length, interrupt: route)
    }

    /// An AML integer (ZeroOp, OneOp, or Byte/Word/DWord/QWord prefix) at `p`, and where it ends.
    private static func integer(_ b: [UInt8], at p: Int, _ end: Int) -> (UInt64, Int)? {
        guard p < end else { return nil }
        switch b[p] {
        case 0x00, 0x01: return (UInt64(b[p]), p + 1)
        case 0x0A, 0x0B, 0x0C, 0x0E:
            let size = b[p] == 0x0E ? 8 : 1 << Int(b[p] - 0x0A)
            guard p + 1 + size <= end, let v = b.le(p + 1, size) else { return nil }
            return (v, p + 1 + size)
        default: return nil
        }
    }
}
