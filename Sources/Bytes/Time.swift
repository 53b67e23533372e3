/// Time as the stack sees it: a monotonic instant in nanoseconds since an arbitrary origin (boot, or
/// zero on a test's virtual clock). Nothing in the portable layers reads a clock; callers pass `now`,
/// and every component answers "when do you next need to run?" with an Instant.
public struct Instant: Comparable, Hashable {
    public var nanoseconds: UInt64

    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)
    /// A deadline that never comes (an idle timer).
    public static let never = Instant(nanoseconds: UInt64.max)

    @inlinable public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }

    /// Saturating: adding to `never`, or past the end of time, stays `never`.
    @inlinable public static func + (a: Instant, b: Interval) -> Instant {
        let (r, overflow) = a.nanoseconds.addingReportingOverflow(b.nanoseconds)
        return overflow ? .never : Instant(nanoseconds: r)
    }

    /// Time elapsed from `earlier` to `self`; zero if `earlier` is later.
    @inlinable public func since(_ earlier: Instant) -> Interval {
        nanoseconds > earlier.nanoseconds ? Interval(nanoseconds: nanoseconds - earlier.nanoseconds) : .zero
    }

    @inlinable public var milliseconds: UInt64 { nanoseconds / 1_000_000 }
}

/// A non-negative span of time in nanoseconds.
public struct Interval: Comparable, Hashable {
    public var nanoseconds: UInt64

    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static let zero = Interval(nanoseconds: 0)
    @inlinable public static func microseconds(_ n: UInt64) -> Interval { Interval(nanoseconds: n &* 1_000) }
    @inlinable public static func milliseconds(_ n: UInt64) -> Interval { Interval(nanoseconds: n &* 1_000_000) }
    @inlinable public static func seconds(_ n: UInt64) -> Interval { Interval(nanoseconds: n &* 1_000_000_000) }

    @inlinable public static func < (a: Interval, b: Interval) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: Interval, b: Interval) -> Interval {
        let (r, o) = a.nanoseconds.addingReportingOverflow(b.nanoseconds)
        return Interval(nanoseconds: o ? UInt64.max : r)
    }
    @inlinable public static func * (a: Interval, k: UInt64) -> Interval {
        let (r, o) = a.nanoseconds.multipliedReportingOverflow(by: k)
        return Interval(nanoseconds: o ? UInt64.max : r)
    }

    @inlinable public var milliseconds: UInt64 { nanoseconds / 1_000_000 }
}

/// A monotonic clock: the TSC in the kernel, a virtual clock in tests.
public protocol Clock: AnyObject {
    func now() -> Instant
}

/// Wall-clock time for protocols that need it (HTTP Date, Last-Modified): seconds since the Unix epoch.
public protocol WallClock: AnyObject {
    func unixSeconds() -> UInt64
}
