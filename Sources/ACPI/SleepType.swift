/// SLP_TYPa for the S5 (soft off) state, from the `\_S5_` package in the DSDT's AML. A full AML
/// interpreter is far beyond what power-off needs; the usual small-kernel approach is a bounded scan
/// for the name followed by a package whose first element is the value (ACPI 6.5, 7.4.2).
public enum SleepType {
    /// QEMU's value on pc (PIIX4) and q35 (ICH9) alike: hw/i386/acpi-build.c declares `_S5` as
    /// Package(4) {0, 0, 0, 0}. Used when the scan finds nothing.
    public static var qemuS5: UInt8 { 0 }

    static var nameOp: UInt8 { 0x08 }
    static var packageOp: UInt8 { 0x12 }
    static var bytePrefix: UInt8 { 0x0A }
    static var zeroOp: UInt8 { 0x00 }
    static var oneOp: UInt8 { 0x01 }

    /// The S5 sleep type in `dsdt` (the whole table, header included), or nil when no well-formed
    /// `Name(_S5_, Package(){...})` is found.
    public static func s5(in dsdt: [UInt8]) -> UInt8? {
        let name = Array("_S5_".utf8)
        var i = 36
        while i + 4 <= dsdt.count {
            defer { i += 1 }
            guard dsdt[i] == name[0], Array(dsdt[i..<i + 4]) == name else { continue }
            // Name(_S5_, ...) is NameOp, an optional root prefix '\', the name, then the PackageOp.
            let before = dsdt[i - 1]
            guard before == nameOp || (before == UInt8(ascii: "\\") && dsdt[i - 2] == nameOp) else { continue }
            var p = i + 4
            guard p < dsdt.count, dsdt[p] == packageOp else { continue }
            p += 1
            guard p < dsdt.count else { return nil }
            p += 1 + Int(dsdt[p] >> 6)      // PkgLength: bits 7-6 of its lead byte count the bytes that follow
            p += 1                          // NumElements
            guard p < dsdt.count else { return nil }
            switch dsdt[p] {
            case zeroOp: return 0
            case oneOp: return 1
            case bytePrefix: return p + 1 < dsdt.count ? dsdt[p + 1] & 7 : nil
            default: return nil
            }
        }
        return nil
    }
}
