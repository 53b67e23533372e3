import Bytes

/// One access-log entry: what a Common Log Format line says, as fields. The kernel stores it encoded in
/// the console ring and makes the line only when someone reads it (under load the console drains a
/// small share of what is logged), so a request pays for a copy of its target, not for formatting:
///   10.0.0.2 - - [10/Oct/2000:13:55:36 +0000] "GET /a.html HTTP/1.1" 200 2326
/// After the size: " truncated" when the body was cut short, " reason=WHY" when the request was refused.
public struct AccessLogEntry {
    public var peer: IPAddress
    /// The authenticated user (Basic auth), or nil for "-".
    public var user: [UInt8]?
    public var unixSeconds: UInt64
    /// nil when no request line could be read ("-").
    public var method: HTTPMethod?
    public var target: [UInt8]
    public var version: HTTPVersion
    public var status: Int
    public var bodyBytes: UInt64
    public var truncated: Bool
    public var reason: String?

    /// Longest target, user and reason kept (a request line may be 8 KiB; the console's records are
    /// smaller). The line then shows the start of each.
    public static let maximumTarget = 768
    static let maximumUser = 64
    static let maximumReason = 64

    // Encoded: peer (16: IPv6, or IPv4-mapped), seconds (8), status (2), body bytes (8), version (2), method index (1, 0xFF
    // for none), flags (1), user, reason and target lengths (1, 1, 2), then their bytes.
    private static let fixedSize = 42
    private static let noMethod: UInt8 = 0xFF
    private static let truncatedFlag: UInt8 = 1, userFlag: UInt8 = 2

    private var userCount: Int { Swift.min(user?.count ?? 0, AccessLogEntry.maximumUser) }
    private var reasonCount: Int { Swift.min(reason?.utf8.count ?? 0, AccessLogEntry.maximumReason) }
    private var targetCount: Int { Swift.min(target.count, AccessLogEntry.maximumTarget) }

    /// Bytes `encode` writes.
    public var encodedCount: Int { AccessLogEntry.fixedSize + userCount + reasonCount + targetCount }

    /// Writes the entry into `out`, which holds `encodedCount` bytes.
    public func encode(into out: UnsafeMutableRawBufferPointer) {
        guard out.count >= encodedCount, let base = out.baseAddress else { return }
        base.storeBytes(of: peer.bits.high.bigEndian, toByteOffset: 0, as: UInt64.self)
        base.storeBytes(of: peer.bits.low.bigEndian, toByteOffset: 8, as: UInt64.self)
        base.storeBytes(of: unixSeconds.littleEndian, toByteOffset: 16, as: UInt64.self)
        base.storeBytes(of: UInt16(clamping: status).littleEndian, toByteOffset: 24, as: UInt16.self)
        base.storeBytes(of: bodyBytes.littleEndian, toByteOffset: 26, as: UInt64.self)
        base.storeBytes(of: version.major, toByteOffset: 34, as: UInt8.self)
        base.storeBytes(of: version.minor, toByteOffset: 35, as: UInt8.self)
        let index = method.flatMap { m in HTTPMethod.all.firstIndex(of: m) }.map { UInt8($0) } ?? AccessLogEntry.noMethod
        base.storeBytes(of: index, toByteOffset: 36, as: UInt8.self)
        let flags = (truncated ? AccessLogEntry.truncatedFlag : 0) | (user != nil ? AccessLogEntry.userFlag : 0)
        base.storeBytes(of: flags, toByteOffset: 37, as: UInt8.self)
        base.storeBytes(of: UInt8(userCount), toByteOffset: 38, as: UInt8.self)
        base.storeBytes(of: UInt8(reasonCount), toByteOffset: 39, as: UInt8.self)
        base.storeBytes(of: UInt16(targetCount).littleEndian, toByteOffset: 40, as: UInt16.self)
        var at = AccessLogEntry.fixedSize
        func copy<C: Collection>(_ bytes: C, _ n: Int) where C.Element == UInt8 {
            for b in bytes.prefix(n) { base.storeBytes(of: b, toByteOffset: at, as: UInt8.self); at += 1 }
        }
        if let user { copy(user, userCount) }
        if let reason { copy(reason.utf8, reasonCount) }
        target.withUnsafeBytes { t in
            if targetCount > 0, let from = t.baseAddress { (base + at).copyMemory(from: from, byteCount: targetCount) }
        }
    }

    /// The Common Log Format line of an encoded entry, allocation-free (the console renders records in a
    /// panic too). A payload too short for its own lengths renders as "malformed access record".
    public static func render<Sink: ByteSink>(encoded e: UnsafeRawBufferPointer, into out: inout Sink) {
        guard e.count >= fixedSize else { out.put("malformed access record"); return }
        let userCount = Int(e[38]), reasonCount = Int(e[39])
        let targetCount = Int(UInt16(littleEndian: e.loadUnaligned(fromByteOffset: 40, as: UInt16.self)))
        guard e.count >= fixedSize + userCount + reasonCount + targetCount else { out.put("malformed access record"); return }
        let user = UnsafeRawBufferPointer(rebasing: e[fixedSize ..< fixedSize + userCount])
        let reason = UnsafeRawBufferPointer(rebasing: e[fixedSize + userCount ..< fixedSize + userCount + reasonCount])
        let target = UnsafeRawBufferPointer(rebasing: e[fixedSize + userCount + reasonCount ..< fixedSize + userCount + reasonCount + targetCount])

        out.putAddress(IPAddress(IPv6Address(high: UInt64(bigEndian: e.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                                             low: UInt64(bigEndian: e.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))))
        out.put(" - ")
        if e[37] & userFlag != 0 { for b in user { out.put(b == ASCII.sp ? 0x5F : b) } } else { out.put("-") }
        out.put(" [")
        HTTPDate.putCommonLog(UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 16, as: UInt64.self)), into: &out)
        out.put("] \"")
        if Int(e[36]) < HTTPMethod.all.count {
            out.put(contentsOf: HTTPMethod.all[Int(e[36])].name.utf8)
            out.put(ASCII.sp)
            for b in target { out.put(b == ASCII.quote ? 0x27 : b) }
            out.put(" HTTP/"); out.putDecimal(UInt64(e[34])); out.put(ASCII.dot); out.putDecimal(UInt64(e[35]))
        } else {
            out.put("-")
        }
        out.put("\" ")
        out.putDecimal(UInt64(UInt16(littleEndian: e.loadUnaligned(fromByteOffset: 24, as: UInt16.self))))
        out.put(ASCII.sp)
        let body = UInt64(littleEndian: e.loadUnaligned(fromByteOffset: 26, as: UInt64.self))
        if body == 0 { out.put("-") } else { out.putDecimal(body) }
        if e[37] & truncatedFlag != 0 { out.put(" truncated") }
        if reasonCount > 0 { out.put(" reason="); for b in reason { out.put(b) } }
    }

    /// The line, for hosted logs and the syslog sender (they need it at once).
    public var line: [UInt8] {
        var encoded = [UInt8](repeating: 0, count: encodedCount)
        encoded.withUnsafeMutableBytes { encode(into: $0) }
        var out: [UInt8] = []
        out.reserveCapacity(encodedCount + 80)
        encoded.withUnsafeBytes { AccessLogEntry.render(encoded: $0, into: &out) }
        return out
    }
}
