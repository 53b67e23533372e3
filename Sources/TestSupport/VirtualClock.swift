import Bytes

/// A clock that moves only when a test moves it, so every timer fires at an exact, repeatable instant.
public final class VirtualClock: Clock, WallClock {
    public private(set) var current: Instant
    /// Unix seconds at virtual time zero, for components that need a wall clock.
    public var epochAtZero: UInt64

    public init(start: Instant = .zero, epochAtZero: UInt64 = 1_764_000_000) {
        current = start
        self.epochAtZero = epochAtZero
    }

    public func now() -> Instant { current }
    public func unixSeconds() -> UInt64 { epochAtZero + current.nanoseconds / 1_000_000_000 }

    public func advance(by interval: Interval) { current = current + interval }

    /// Moves forward to `instant` (never backwards).
    public func advance(to instant: Instant) { if instant > current { current = instant } }
}
