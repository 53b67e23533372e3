/// A TCP sequence number: a position in a 2^32 circle (RFC 9293 3.4). Comparisons are modular, so
/// they are meaningful only between numbers less than 2^31 apart, which TCP's windows guarantee.
/// Deliberately not `Comparable`: a modular order is not a total order and must not reach `sort`.
public struct SequenceNumber: Hashable {
    public var raw: UInt32

    @inlinable public init(_ raw: UInt32) { self.raw = raw }

    /// Signed distance from `self` to `other` (positive when `other` is later).
    @inlinable public func distance(to other: SequenceNumber) -> Int32 {
        Int32(bitPattern: other.raw &- raw)
    }

    @inlinable public static func + (a: SequenceNumber, n: UInt32) -> SequenceNumber { SequenceNumber(a.raw &+ n) }
    @inlinable public static func + (a: SequenceNumber, n: Int) -> SequenceNumber {
        SequenceNumber(a.raw &+ UInt32(truncatingIfNeeded: n))
    }
    @inlinable public static func += (a: inout SequenceNumber, n: Int) { a = a + n }
    @inlinable public static func - (a: SequenceNumber, n: UInt32) -> SequenceNumber { SequenceNumber(a.raw &- n) }

    /// Bytes from `b` up to `a`, for callers that know `a` is not before `b`.
    @inlinable public static func - (a: SequenceNumber, b: SequenceNumber) -> Int {
        let d = b.distance(to: a)
        precondition(d >= 0, "SequenceNumber: subtraction went negative")
        return Int(d)
    }

    @inlinable public static func < (a: SequenceNumber, b: SequenceNumber) -> Bool { a.distance(to: b) > 0 }
    @inlinable public static func <= (a: SequenceNumber, b: SequenceNumber) -> Bool { a.distance(to: b) >= 0 }
    @inlinable public static func > (a: SequenceNumber, b: SequenceNumber) -> Bool { b < a }
    @inlinable public static func >= (a: SequenceNumber, b: SequenceNumber) -> Bool { b <= a }

    /// The later of two numbers (modular).
    @inlinable public static func latest(_ a: SequenceNumber, _ b: SequenceNumber) -> SequenceNumber { a < b ? b : a }

    /// True when `low <= self < high`; an empty range (`low == high`) holds nothing.
    @inlinable public func isIn(_ low: SequenceNumber, upTo high: SequenceNumber) -> Bool {
        low <= self && self < high
    }
}
