import Bytes

/// The set of client addresses the server answers (Daylight's service domain); others get 403.
public struct ServiceDomain {
    public struct Prefix: Equatable {
        public var network: IPv4Address
        public var length: Int
        public init(_ network: IPv4Address, _ length: Int) { self.network = network; self.length = length }
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

    /// The prefixes are IPv4 (`http.domain=` takes A.B.C.D/N): an IPv6 peer is inside `any`, or a
    /// domain whose `ipv6` admits it.
    public func allows(_ address: IPAddress) -> Bool {
        guard let prefixes else { return true }
        guard let v4 = address.ipv4 else { return address.ipv6.map { ipv6?($0) ?? false } ?? false }
        return prefixes.contains { v4.sameNetwork(as: $0.network, prefixLength: $0.length) }
    }

    /// Parses the `http.domain=` value: `any`, or a comma list of `A.B.C.D/N` or `A.B.C.D` (= /32).
    /// nil when any part is malformed (the caller reports it and keeps its default).
    public static func parse(_ text: String) -> ServiceDomain? {
        let bytes = Array(text.utf8)
        if ASCII.equalsIgnoringCase(bytes, "any") { return .any }
        var prefixes: [Prefix] = []
        for part in bytes.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
            let item = Array(part)
            var addressBytes = item[...]
            var length = 32
            if let slash = item.firstIndex(of: ASCII.slash) {
                addressBytes = item[..<slash]
                let lengthBytes = item[(slash + 1)...]
                guard lengthBytes.count <= 2, let n = ASCII.parseDecimal(lengthBytes), n <= 32 else { return nil }
                length = Int(n)
            }
            guard let address = Array(addressBytes).withByteView({ IPv4Address(parsing: $0) }) else { return nil }
            prefixes.append(Prefix(address, length))
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
