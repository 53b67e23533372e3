/// Every counter and gauge the appliance keeps, as data: a name ("tcp.segments_received"), a value, a
/// kind, a help text, and an optional label. One list renders three ways: "name value" lines for the
/// console (loglevel=debug) and /factory/etc, and the Prometheus text format for /factory/metrics, so
/// a counter that is kept is shown everywhere or nowhere (MetricsCoverageTests checks every one is).
/// Lines that are not numbers (an address, a state) travel along as notes, for the text forms only.
public struct Metric {
    public enum Kind { case counter, gauge }

    /// Bytes, not String: names are compared, and String comparison would pull Unicode tables in.
    public var name: [UInt8]
    public var value: UInt64
    public var kind: Kind
    public var help: String
    /// One label, e.g. ("code", "200"): one series of the family `name` per value.
    public var label: (name: String, value: String)?
    /// The Prometheus name after `appliance_` when it is not `name` with dots as underscores.
    public var exportName: String?
}

public struct Metrics {
    public private(set) var all: [Metric] = []
    /// Text lines shown with the numbers but not exported ("net.address 10.0.0.2/24").
    public private(set) var notes: [String] = []

    public init() {}

    /// Never inlined: the counter tables call these dozens of times each, and inlining the
    /// name conversion at every call site cost kilobytes of kernel image.
    @inline(never)
    public mutating func counter(_ name: String, _ value: UInt64, help: String = "",
                                 label: (name: String, value: String)? = nil) {
        all.append(Metric(name: Array(name.utf8), value: value, kind: .counter, help: help, label: label))
    }

    @inline(never)
    public mutating func gauge(_ name: String, _ value: UInt64, help: String = "", exportName: String? = nil) {
        all.append(Metric(name: Array(name.utf8), value: value, kind: .gauge, help: help, exportName: exportName))
    }

    /// A counter named "layer.name" (the layers' counter tables).
    @inline(never)
    public mutating func add(_ layer: String, _ name: String, _ value: UInt64) { counter(layer + "." + name, value) }

    /// Counters "layer.NAME", one for each NAME in `names` (separated by a space or a line break), valued from `values` in
    /// order: a layer's whole table in one call and two literals (a call per counter cost kilobytes).
    @inline(never)
    public mutating func add(_ layer: StaticString, names: StaticString, _ values: [UInt64]) {
        var prefix: [UInt8] = []
        layer.withUTF8Buffer { prefix += $0 }
        prefix.append(UInt8(ascii: "."))
        var name = prefix
        var i = 0
        names.withUTF8Buffer { bytes in
            for b in bytes {
                if b != UInt8(ascii: " ") && b != 10 { name.append(b); continue }
                all.append(Metric(name: name, value: values[i], kind: .counter, help: ""))
                i += 1
                name = prefix
            }
        }
        all.append(Metric(name: name, value: values[i], kind: .counter, help: ""))
        precondition(i + 1 == values.count, "Metrics.add: as many names as values")
    }

    public mutating func note(_ line: String) { notes.append(line) }

    public mutating func append(_ other: Metrics) {
        all += other.all
        notes += other.notes
    }

    /// Notes, then one "name value" line per metric ("http.requests{code=200} 5" for a labelled one).
    public var lines: [String] {
        var out = notes
        for m in all {
            var line = m.name
            if let label = m.label {
                line.put(UInt8(ascii: "{")); line += label.name.utf8; line.put(UInt8(ascii: "="))
                line += label.value.utf8; line.put(UInt8(ascii: "}"))
            }
            line.put(UInt8(ascii: " "))
            line.putDecimal(m.value)
            out.append(String(decoding: line, as: UTF8.self))
        }
        return out
    }

    /// The Prometheus text exposition format 0.0.4: per family a HELP and a TYPE line, then its series.
    /// Names are `prefix` + the name with every byte outside [a-zA-Z0-9_] as "_"; counters end in
    /// "_total". Series of one family must be adjacent: a family's metrics are gathered here.
    public func prometheus(prefix: String) -> [UInt8] {
        var out: [UInt8] = []
        var done = Set<[UInt8]>()
        for (i, m) in all.enumerated() where !done.contains(m.name) {
            done.insert(m.name)
            var family: [UInt8] = Array(prefix.utf8)
            for b in m.exportName.map({ Array($0.utf8) }) ?? m.name { family.append(Metrics.isNameByte(b) ? b : UInt8(ascii: "_")) }
            if m.kind == .counter { family += "_total".utf8 }
            out += "# HELP ".utf8; out += family; out.put(UInt8(ascii: " "))
            for b in m.help.isEmpty ? m.name : Array(m.help.utf8) {
                // HELP text escapes only backslash and newline.
                if b == UInt8(ascii: "\\") { out += "\\\\".utf8 } else if b == 10 { out += "\\n".utf8 } else { out.append(b) }
            }
            out += "\n# TYPE ".utf8; out += family
            out += (m.kind == .counter ? " counter\n" : " gauge\n").utf8
            for s in all[i...] where s.name == m.name {
                out += family
                if let label = s.label {
                    out.put(UInt8(ascii: "{")); out += label.name.utf8; out += "=\"".utf8
                    for b in label.value.utf8 {
                        if b == UInt8(ascii: "\\") || b == UInt8(ascii: "\"") { out.append(UInt8(ascii: "\\")) }
                        out.append(b)
                    }
                    out += "\"}".utf8
                }
                out.put(UInt8(ascii: " "))
                out.putDecimal(s.value)
                out.append(10)
            }
        }
        return out
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
    }
}
