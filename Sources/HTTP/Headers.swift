/// One header (or trailer) field as received: the name keeps its case, comparisons ignore it.
public struct HTTPField {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) { self.name = name; self.value = value }
    public init(_ name: String, _ value: String) { self.name = Array(name.utf8); self.value = Array(value.utf8) }

    public var nameText: String { String(decoding: name, as: UTF8.self) }
    public var valueText: String { String(decoding: value, as: UTF8.self) }
}

/// An ordered field list. Order is kept (it matters for list-valued fields and for repeated Set-Cookie),
/// and lookups are case-insensitive on the name, as RFC 9110 §5.1 requires.
public struct HTTPHeaders {
    public private(set) var fields: [HTTPField] = []

    public init() {}
    public init(_ pairs: [(String, String)]) { for (n, v) in pairs { add(n, v) } }

    public var count: Int { fields.count }

    public mutating func add(_ field: HTTPField) { fields.append(field) }
    public mutating func add(_ name: String, _ value: String) { fields.append(HTTPField(name, value)) }
    public mutating func add(_ name: String, _ value: [UInt8]) {
        fields.append(HTTPField(name: Array(name.utf8), value: value))
    }

    /// Replaces every field of this name with one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    /// These fields followed by `other`'s.
    public func merging(_ other: HTTPHeaders) -> HTTPHeaders {
        var all = self
        all.fields += other.fields
        return all
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { ASCII.equalsIgnoringCase($0.name, name) }
    }

    public func contains(_ name: String) -> Bool {
        fields.contains { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// The first value of `name`, as bytes.
    public func first(_ name: String) -> [UInt8]? {
        for f in fields where ASCII.equalsIgnoringCase(f.name, name) { return f.value }
        return nil
    }

    /// The first value of `name`, as text.
    public subscript(name: String) -> String? {
        first(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for f in fields where ASCII.equalsIgnoringCase(f.name, name) { out.append(f.value) }
        return out
    }

    /// The elements of a comma-separated list field, across all its lines (RFC 9110 §5.3).
    public func listElements(_ name: String) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for v in values(name) { for e in ASCII.listElements(v[...]) { out.append(Array(e)) } }
        return out
    }

    /// True when the list field `name` holds `token` (case-insensitive), e.g. `Connection: close`.
    /// Looked at in place: every request asks it (`Connection: close`), and gathering the elements into
    /// arrays first cost a `Connection: close` request four allocations.
    public func hasToken(_ name: String, _ token: String) -> Bool {
        fields.contains { ASCII.equalsIgnoringCase($0.name, name) && ASCII.listContains($0.value[...], token) }
    }
}
