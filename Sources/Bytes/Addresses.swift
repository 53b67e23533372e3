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
        var out: [UInt8] = []
        out.putAddress(self)
        return String(decoding: out, as: UTF8.self)
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

/// An address of either family, for what names a peer (`Endpoint`, TCP's connection keys, the access
/// log): IPv6, or IPv4 held in its IPv4-mapped form (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so one 128-bit
/// value compares, hashes and keys both families. Mapped addresses never appear on the wire here (Net
/// refuses them as IPv6 sources and destinations), so the mapped form is unambiguous.
public struct IPAddress: Hashable {
    /// The 128 bits: an IPv6 address, or the IPv4-mapped form of an IPv4 one.
    public var bits: IPv6Address

    @inlinable public init(_ v4: IPv4Address) { bits = IPv6Address(mapping: v4) }
    /// `v6` as it is (an IPv4-mapped `v6` is that IPv4 address).
    @inlinable public init(_ v6: IPv6Address) { bits = v6 }

    @inlinable public var isIPv4: Bool { bits.high == 0 && bits.low >> 32 == 0xFFFF }
    /// The IPv4 address, when this is one.
    @inlinable public var ipv4: IPv4Address? { isIPv4 ? bits.mappedIPv4 : nil }
    /// The IPv6 address, when this is one.
    @inlinable public var ipv6: IPv6Address? { isIPv4 ? nil : bits }

    /// Dotted quad for IPv4, RFC 5952 for IPv6.
    public var text: String { String { $0.putAddress(self) } }
}

/// An address and port: one end of a UDP flow or TCP connection.
public struct Endpoint: Hashable {
    public var address: IPAddress
    public var port: UInt16

    @inlinable public init(_ address: IPAddress, _ port: UInt16) { self.address = address; self.port = port }
    @inlinable public init(_ address: IPv4Address, _ port: UInt16) { self.init(IPAddress(address), port) }
    @inlinable public init(_ address: IPv6Address, _ port: UInt16) { self.init(IPAddress(address), port) }

    /// "10.0.2.15:80", or "[fd00::1]:80" (RFC 5952 6).
    public var text: String {
        String { out in
            let v6 = !address.isIPv4
            if v6 { out.put(UInt8(ascii: "[")) }
            out.putAddress(address)
            if v6 { out.put(UInt8(ascii: "]")) }
            out.put(UInt8(ascii: ":"))
            out.putDecimal(UInt64(port))
        }
    }
}

/// An IPv6 address (RFC 4291), the 128 bits as two host-order halves: comparing or hashing is two words.
public struct IPv6Address: Hashable, Comparable {
    public var high: UInt64
    public var low: UInt64

    @inlinable public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    public static let unspecified = IPv6Address(high: 0, low: 0)
    public static let loopback = IPv6Address(high: 0, low: 1)
    /// ff02::1 and ff02::2: every node and every router on the link.
    public static let allNodes = IPv6Address(high: 0xFF02 << 48, low: 1)
    public static let allRouters = IPv6Address(high: 0xFF02 << 48, low: 2)
    /// ff02::16: where MLDv2 reports go (RFC 3810 5.2.14).
    public static let allMLDv2Routers = IPv6Address(high: 0xFF02 << 48, low: 0x16)
    /// fe80::/64, the link-local prefix.
    public static let linkLocalPrefix = IPv6Address(high: 0xFE80 << 48, low: 0)

    @inlinable public static func < (a: IPv6Address, b: IPv6Address) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// Reads 16 bytes at `offset` (caller checked the length).
    @inlinable public init(reading view: ByteView, at offset: Int) {
        high = UInt64(view.u32(at: offset)) << 32 | UInt64(view.u32(at: offset + 4))
        low = UInt64(view.u32(at: offset + 8)) << 32 | UInt64(view.u32(at: offset + 12))
    }

    @inlinable public func write(to view: MutableByteView, at offset: Int) {
        view.setU32(UInt32(truncatingIfNeeded: high >> 32), at: offset)
        view.setU32(UInt32(truncatingIfNeeded: high), at: offset + 4)
        view.setU32(UInt32(truncatingIfNeeded: low >> 32), at: offset + 8)
        view.setU32(UInt32(truncatingIfNeeded: low), at: offset + 12)
    }

    @inlinable public var isUnspecified: Bool { high == 0 && low == 0 }
    @inlinable public var isMulticast: Bool { high >> 56 == 0xFF }
    /// fe80::/10.
    @inlinable public var isLinkLocal: Bool { high >> 54 == 0xFE80 >> 6 }
    /// ::1 and ::ffff:0:0/96 (IPv4-mapped) are never a host's address on the wire (RFC 4291 2.5).
    @inlinable public var isLoopbackOrMapped: Bool { high == 0 && (low == 1 || low >> 32 == 0xFFFF) }
    /// Link-scope multicast (ff02::/16): what a node may send and receive without a router.
    @inlinable public var isLinkScopeMulticast: Bool { high >> 48 == 0xFF02 }

    /// `v4` as an IPv4-mapped address (::ffff:a.b.c.d, RFC 4291 2.5.5.2): one key type lets ARP and
    /// neighbour discovery share their resolution code.
    @inlinable public init(mapping v4: IPv4Address) { self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(v4.value)) }

    /// The IPv4 address inside an IPv4-mapped one (the low 32 bits).
    @inlinable public var mappedIPv4: IPv4Address { IPv4Address(UInt32(truncatingIfNeeded: low)) }

    /// The solicited-node multicast group of this address (RFC 4291 2.7.1): ff02::1:ffXX:XXXX.
    @inlinable public var solicitedNode: IPv6Address {
        IPv6Address(high: 0xFF02 << 48, low: 0x1_FF00_0000 | (low & 0xFF_FFFF))
    }

    /// The Ethernet group address of a multicast address (RFC 2464 7): 33:33 and its low 32 bits.
    @inlinable public var multicastMAC: MACAddress { MACAddress(0x3333_0000_0000 | (low & 0xFFFF_FFFF)) }

    /// The modified EUI-64 interface identifier of `mac` (RFC 4291 appendix A): ff:fe in the middle,
    /// the universal/local bit inverted.
    @inlinable public static func interfaceIdentifier(of mac: MACAddress) -> UInt64 {
        let m = mac.value
        return ((m >> 24) << 40 | 0xFF_FE00_0000 | (m & 0xFF_FFFF)) ^ (0x02 << 56)
    }

    /// `prefix`'s upper 64 bits with `mac`'s EUI-64 identifier: SLAAC's and the link-local address.
    @inlinable public init(prefix: IPv6Address, mac: MACAddress) {
        self.init(high: prefix.high, low: IPv6Address.interfaceIdentifier(of: mac))
    }

    /// The first `prefixLength` bits (0...128), the rest zero.
    @inlinable public func masked(prefixLength: Int) -> IPv6Address {
        let n = max(0, min(128, prefixLength))
        if n <= 64 { return IPv6Address(high: n == 0 ? 0 : high & ~(UInt64.max >> UInt64(n)), low: 0) }
        return IPv6Address(high: high, low: n == 128 ? low : low & ~(UInt64.max >> UInt64(n - 64)))
    }

    /// Leading bits `self` and `other` share (0...128), for longest-prefix matching (RFC 6724 rule 8).
    @inlinable public func commonPrefixLength(with other: IPv6Address) -> Int {
        let h = high ^ other.high
        return h != 0 ? h.leadingZeroBitCount : 64 + (low ^ other.low).leadingZeroBitCount
    }

    /// The eight 16-bit groups.
    @inlinable public func group(_ i: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i & 3)))
    }

    /// Parses RFC 4291 2.2 text: eight hex groups of 1-4 digits, one "::" for a run of zero groups
    /// ("fd00:100:200::64", "fe80::1", "::"). nil for anything else (the dotted IPv4 tail and zone
    /// indexes are not accepted: the command line does not need them).
    public init?(parsing text: ByteView) {
        var groups: [UInt16] = []
        var gap: Int? = nil          // index in `groups` where "::" stands
        var i = 0
        let n = text.count
        guard n >= 2, n <= 39 else { return nil }
        if text[0] == UInt8(ascii: ":") {
            guard text[1] == UInt8(ascii: ":") else { return nil }
            gap = 0; i = 2
        }
        while i < n {
            var value: UInt16 = 0
            var digits = 0
            while i < n, let d = Hex.value(of: text[i]) {
                guard digits < 4 else { return nil }
                value = value << 4 | UInt16(d); digits += 1; i += 1
            }
            guard digits > 0, groups.count < 8 else { return nil }
            groups.append(value)
            guard i < n else { break }
            guard text[i] == UInt8(ascii: ":"), i + 1 < n else { return nil }
            i += 1
            if text[i] == UInt8(ascii: ":") {
                guard gap == nil else { return nil }
                gap = groups.count; i += 1
            }
        }
        if let gap {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: [UInt16](repeating: 0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for k in 0..<4 { h = h << 16 | UInt64(groups[k]); l = l << 16 | UInt64(groups[k + 4]) }
        self.init(high: h, low: l)
    }

    public init?(parsing text: String) {
        var utf8 = Array(text.utf8)
        guard let parsed = utf8.withMutableByteView({ IPv6Address(parsing: $0.readOnly) }) else { return nil }
        self = parsed
    }

    /// RFC 5952 text (`ByteSink.putAddress`).
    public var text: String {
        var out: [UInt8] = []
        out.putAddress(self)
        return String(decoding: out, as: UTF8.self)
    }
}
