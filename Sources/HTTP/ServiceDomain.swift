import Bytes

/// The set of client addresses the server answers (Daylight's service domain); others get 403.
public struct ServiceDomain {
    /// A network of either family: `length` counts that family's bits (0-32 or 0-128).
    public struct Prefix: Equatable {
        public var network: IPAddress
        public var length: Int
        public init(_ network: IPv4Address, _ length: Int) { self.network = IPAddress(network); self.length = length }
        public init(_ network: IPv6Address, _ length: Int) { self.network = IPAddress(network); self.length = length }

        /// Whether `address` is in this network: same family, same leading `length` bits (an IPv4
        /// prefix compared as its IPv4-mapped form, 96 bits more).
        public func contains(_ address: IPAddress) -> Bool {
            let bits = network.isIPv4 ? 96 + length : length
            return address.isIPv4 == network.isIPv4 && address.bits.masked(prefixLength: bits) == network.bits.masked(prefixLength: bits)
        }
    }

    /// nil: any address.
    public var prefixes: [Prefix]?
    /// Which IPv6 peers are inside (the default domain: those on the link, as the interface knows it
    /// from its link-local prefix and the prefixes routers advertise); nil: none but with `any`.
    public var ipv6: ((IPv6Address) -> Bool)?

    public static let any = ServiceDomain(prefixes: nil)

    public init(prefixes: [Prefix]?, ipv6: ((IPv6Address) -> Bool)? = nil) {
        self.prefixes = prefixes
        self.ipv6 = ipv6
    }

    /// Inside: any address for `any`; else one in a prefix, or an IPv6 peer the domain's `ipv6` admits.
    public func allows(_ address: IPAddress) -> Bool {
        guard let prefixes else { return true }
        if prefixes.contains(where: { $0.contains(address) }) { return true }
        return address.ipv6.map { ipv6?($0) ?? false } ?? false
    }

    /// Parses the `http.domain=` value: `any`, or a comma list of IPv4 `A.B.C.D/N` or `A.B.C.D` (= /32)
    /// and IPv6 `X:X::/N` or `X:X::X` (= /128). nil when any part is malformed (the caller reports it
    /// and keeps its default).
    public static func parse(_ text: String) -> ServiceDomain? {
        let bytes = Array(text.utf8)
        if ASCII.equalsIgnoringCase(bytes, "any") { return .any }
        var prefixes: [Prefix] = []
        for part in bytes.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
            let item = Array(part)
            let v6 = item.contains(UInt8(ascii: ":"))
            var addressBytes = item[...]
            var length = v6 ? 128 : 32
            if let slash = item.firstIndex(of: ASCII.slash) {
                addressBytes = item[..<slash]
                let lengthBytes = item[(slash + 1)...]
                guard lengthBytes.count <= 3, let n = ASCII.parseDecimal(lengthBytes), n <= length else { return nil }
                length = Int(n)
            }
            let address = Array(addressBytes)
            if v6 {
                // An IPv4-mapped literal would be an IPv4 prefix in disguise: write A.B.C.D/N.
                guard let a = address.withByteView({ IPv6Address(parsing: $0) }), !a.isLoopbackOrMapped else { return nil }
                prefixes.append(Prefix(a, length))
            } else {
                guard let a = address.withByteView({ IPv4Address(parsing: $0) }) else { return nil }
                prefixes.append(Prefix(a, length))
            }
        }
        return prefixes.isEmpty ? nil : ServiceDomain(prefixes: prefixes)
    }

    public var text: String {
        guard let prefixes else { return "any" }
        var out = ""
        for p in prefixes { out += (out.isEmpty ? "" : ",") + "\(p.network.text)/\(p.length)" }
        return out
    }
}
