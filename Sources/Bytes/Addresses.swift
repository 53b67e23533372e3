/// An IPv4 address, held in host order as a 32-bit value (192.100.200.100 is 0xC064C864).
public struct IPv4Address: Hashable, Comparable {
    public var value: UInt32

    @inlinable public init(_ value: UInt32) { self.value = value }
    @inlinable public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    public static let any = IPv4Address(0)
    public static let broadcast = IPv4Address(0xFFFF_FFFF)

    @inlinable public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    /// Parses dotted-quad text ("192.100.200.100"); nil for anything else (no leading zeros tricks,
    /// no missing or extra parts, every part 0...255).
    public init?(parsing text: ByteView) {
        var parts: [UInt32] = []
        var current: UInt32 = 0
        var digits = 0
        for i in 0..<text.count {
            let c = text[i]
            if c == UInt8(ascii: ".") {
                guard digits > 0, parts.count < 3 else { return nil }
                parts.append(current); current = 0; digits = 0
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                guard digits < 3 else { return nil }
                current = current * 10 + UInt32(c - UInt8(ascii: "0"))
                digits += 1
                guard current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts.count == 3 else { return nil }
        parts.append(current)
        value = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3]
    }

    public init?(parsing text: String) {
        var utf8 = Array(text.utf8)
        guard let parsed = utf8.withMutableByteView({ IPv4Address(parsing: $0.readOnly) }) else { return nil }
        self = parsed
    }

    /// The four octets, most significant first.
    @inlinable public var octets: (UInt8, UInt8, UInt8, UInt8) {
        (UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value))
    }

    /// Dotted-quad text.
    public var text: String {
        let o = octets
        return "\(o.0).\(o.1).\(o.2).\(o.3)"
    }

    /// True when `self` and `other` share the first `prefixLength` bits.
    @inlinable public func sameNetwork(as other: IPv4Address, prefixLength: Int) -> Bool {
        let mask = IPv4Address.mask(prefixLength: prefixLength)
        return value & mask == other.value & mask
    }

    @inlinable public static func mask(prefixLength: Int) -> UInt32 {
        prefixLength <= 0 ? 0 : prefixLength >= 32 ? 0xFFFF_FFFF : ~(UInt32(0xFFFF_FFFF) >> UInt32(prefixLength))
    }
}

/// An Ethernet MAC address, the six octets packed into the low 48 bits of a UInt64.
public struct MACAddress: Hashable {
    public var value: UInt64

    @inlinable public init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }
    @inlinable public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        value = UInt64(a) << 40 | UInt64(b) << 32 | UInt64(c) << 24 | UInt64(d) << 16 | UInt64(e) << 8 | UInt64(f)
    }

    public static let broadcast = MACAddress(0xFFFF_FFFF_FFFF)
    public static let zero = MACAddress(0)

    @inlinable public var isBroadcast: Bool { value == 0xFFFF_FFFF_FFFF }
    /// Group bit (multicast or broadcast).
    @inlinable public var isMulticast: Bool { (value >> 40) & 1 == 1 }

    /// Reads six bytes at `offset` (caller checked the length).
    @inlinable public init(reading view: ByteView, at offset: Int) {
        var v: UInt64 = 0
        for i in 0..<6 { v = v << 8 | UInt64(view[offset + i]) }
        value = v
    }

    @inlinable public func write(to view: MutableByteView, at offset: Int) {
        for i in 0..<6 { view[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * i)) }
    }

    /// Colon-separated lowercase hex ("52:54:00:12:34:56").
    public var text: String {
        var out: [UInt8] = []
        for i in 0..<6 {
            if i > 0 { out.append(UInt8(ascii: ":")) }
            let b = UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * i))
            out.append(Hex.digit(b >> 4)); out.append(Hex.digit(b & 0xF))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// An address and port: one end of a UDP flow or TCP connection.
public struct Endpoint: Hashable {
    public var address: IPv4Address
    public var port: UInt16

    @inlinable public init(_ address: IPv4Address, _ port: UInt16) { self.address = address; self.port = port }

    public var text: String { "\(address.text):\(port)" }
}
