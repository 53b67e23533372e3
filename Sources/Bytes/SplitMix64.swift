/// A small, fast, seedable pseudo-random generator (SplitMix64). Deterministic for tests given a
/// seed; the kernel seeds it from the TSC and RTC. Not a cryptographic generator: secrets that must
/// resist prediction (TCP ISN keys) mix several seeded draws through a keyed hash (see TCP).
public struct SplitMix64 {
    public var state: UInt64

    @inlinable public init(seed: UInt64) { state = seed }

    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in 0..<bound (bound > 0), by rejection so it is unbiased.
    @inlinable public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let v = next()
            if v < limit { return v % bound }
        }
    }
}
