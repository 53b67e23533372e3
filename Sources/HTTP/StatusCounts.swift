/// Responses by status code. A table indexed by the code, not a dictionary: it is counted on every
/// response, and hashing the key (Swift's SipHash, a helper call per 64-bit step under TCG) cost more
/// than the request's access-log entry. Codes are three digits (RFC 9110 §15); anything else an app
/// returns is counted under `otherCodes`.
public struct StatusCounts {
    private static let first = 100, last = 599
    private var counts = [UInt64](repeating: 0, count: StatusCounts.last - StatusCounts.first + 1)
    /// Responses whose code was outside 100-599.
    public private(set) var otherCodes: UInt64 = 0

    public init() {}

    public subscript(code: Int) -> UInt64 {
        code >= StatusCounts.first && code <= StatusCounts.last ? counts[code - StatusCounts.first] : 0
    }

    /// Counts one response.
    public mutating func count(_ code: Int) {
        if code >= StatusCounts.first && code <= StatusCounts.last { counts[code - StatusCounts.first] &+= 1 } else { otherCodes &+= 1 }
    }

    /// The codes counted at least once, ascending.
    public var codes: [Int] { counts.indices.filter { counts[$0] > 0 }.map { $0 + StatusCounts.first } }
}
