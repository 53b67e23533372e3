/// One `virtio_mmio.device=SIZE@BASE:IRQ[:ID]` entry of the kernel command line: where a virtio-mmio
/// register window is (virtio spec 4.2). QEMU's `-M microvm,acpi=off` and Firecracker append one per
/// device (QEMU: `512@0xfeb00e00:12`, Firecracker: `4K@0xd0000000:5`); the syntax is Linux's
/// (drivers/virtio/virtio_mmio.c): SIZE and BASE in decimal or 0x hex, SIZE with an optional K, M or G
/// suffix, an optional trailing platform device ID that is ignored here.
public struct VirtioMMIODevice: Equatable {
    public var base: UInt64
    public var size: UInt64
    public var interrupt: UInt32

    /// The register block every device has (spec 4.2.2); a smaller window cannot be a device.
    public static let registerBytes: UInt64 = 0x100
    /// Largest window accepted: QEMU and Firecracker use 512 bytes and 4 KiB.
    public static let maxSize: UInt64 = 1 << 20
    /// Interrupt lines (global system interrupts) an entry may name.
    public static let maxInterrupt: UInt32 = 255
    /// Entries kept; further ones are reported and skipped (QEMU's microvm has 24 transports).
    public static let maxDevices = 32

    public init(base: UInt64, size: UInt64, interrupt: UInt32) {
        self.base = base
        self.size = size
        self.interrupt = interrupt
    }

    public var end: UInt64 { base &+ size }

    public func overlaps(_ other: VirtioMMIODevice) -> Bool { base < other.end && other.base < end }

    /// Parses the value of one entry, or says why it is malformed.
    public static func parse(_ text: [UInt8]) -> Result<VirtioMMIODevice, Malformed> {
        guard let at = text.firstIndex(of: UInt8(ascii: "@")) else { return .failure(.syntax) }
        let rest = text[(at + 1)...]
        let fields = rest.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard fields.count == 2 || fields.count == 3 else { return .failure(.syntax) }
        guard let size = parseSize(text[..<at]), let base = parseNumber(fields[0]),
              let irq = parseNumber(fields[1]) else { return .failure(.syntax) }
        if fields.count == 3 && parseNumber(fields[2]) == nil { return .failure(.syntax) }
        return checked(base: base, size: size, interrupt: irq)
    }

    /// A window from anywhere (the command line, the DSDT), or why it cannot be one.
    public static func checked(base: UInt64, size: UInt64, interrupt irq: UInt64) -> Result<VirtioMMIODevice, Malformed> {
        guard size >= registerBytes, size <= maxSize else { return .failure(.size) }
        guard base % 4 == 0, base <= UInt64.max - size else { return .failure(.base) }
        guard irq <= UInt64(maxInterrupt) else { return .failure(.interrupt) }
        return .success(VirtioMMIODevice(base: base, size: size, interrupt: UInt32(irq)))
    }

    public enum Malformed: Error, Equatable {
        case syntax, size, base, interrupt

        public var reason: String {
            switch self {
            case .syntax: return "expected virtio_mmio.device=SIZE@BASE:IRQ"
            case .size: return "size must be 256 bytes to 1 MiB"
            case .base: return "base must be 4-byte aligned and the window inside the address space"
            case .interrupt: return "interrupt must be 0...255"
            }
        }
    }

    /// A number with an optional K, M or G suffix (binary multiples), as Linux's memparse.
    private static func parseSize(_ text: ArraySlice<UInt8>) -> UInt64? {
        guard let last = text.last else { return nil }
        let shift: UInt64
        switch last | 0x20 {            // lower case
        case UInt8(ascii: "k"): shift = 10
        case UInt8(ascii: "m"): shift = 20
        case UInt8(ascii: "g"): shift = 30
        default: return parseNumber(text)
        }
        guard let n = parseNumber(text.dropLast()), n <= UInt64.max >> shift else { return nil }
        return n << shift
    }

    /// Decimal, or hexadecimal after 0x; at most 16 significant hex digits or 19 decimal ones.
    static func parseNumber(_ text: ArraySlice<UInt8>) -> UInt64? {
        var digits = text
        var radix: UInt64 = 10
        if digits.count > 2, digits.first == UInt8(ascii: "0"), digits.dropFirst().first.map({ $0 | 0x20 }) == UInt8(ascii: "x") {
            digits = digits.dropFirst(2)
            radix = 16
        }
        guard !digits.isEmpty, digits.count <= (radix == 16 ? 16 : 19) else { return nil }
        var value: UInt64 = 0
        for c in digits {
            let d: UInt64
            switch c {
            case 48...57: d = UInt64(c - 48)
            case 97...102 where radix == 16: d = UInt64(c - 87)
            case 65...70 where radix == 16: d = UInt64(c - 55)
            default: return nil
            }
            value = value * radix + d
        }
        return value
    }
}
