import Bytes

/// Named counters as `name=value` pairs: one console line at loglevel=debug, and the form /factory/etc
/// can list. Built byte by byte rather than by string interpolation, which costs far more code per field.
struct CounterList {
    typealias Field = (name: StaticString, value: UInt64)
    let fields: [Field]

    init(_ fields: [Field]) { self.fields = fields }

    var text: String {
        var out: [UInt8] = []
        for (i, f) in fields.enumerated() {
            if i > 0 { out.append(UInt8(ascii: " ")) }
            f.name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "="))
            CounterList.appendDecimal(f.value, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One "prefix.name" counter per field, the /factory/etc and /factory/metrics form.
    func metrics(prefix: String) -> Metrics {
        var m = Metrics()
        for f in fields { m.counter(prefix + "." + f.name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }, f.value) }
        return m
    }

    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        if value >= 10 { appendDecimal(value / 10, to: &out) }
        out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
    }
}
