/// The last `capacity` seconds of a few series of numbers, one sample per second, in fixed memory
/// (capacity x series values, allocated once): what the status page's charts draw.
///
/// The caller looks at the start of every pass of its loop, before doing any work, and records when
/// `nextDue` has come. The first look in a second sees the state at the end of the second before, and
/// at the end of every second since the last record too, since no pass ran in those (it would have
/// recorded). So nobody wakes up to sample, and a loop that halted through many seconds still gets
/// each second right: whatever changed did so before the halt, in the newest second recorded. A gap
/// longer than the ring refills the whole ring.
///
/// Portable (no kernel code) so the sampling is tested hosted on a virtual clock.
public struct SecondRing {
    public let capacity: Int
    public let seriesCount: Int
    /// Slot i holds series 0..<seriesCount at values[i * seriesCount ..< (i + 1) * seriesCount].
    private var values: [UInt64]
    /// The slot of the newest second; the oldest held is `count - 1` slots before it (wrapping).
    private var newest = 0
    /// Seconds held, at most `capacity`.
    public private(set) var count = 0
    /// The second (since the clock's zero) the newest slot describes.
    private var newestSecond: UInt64 = 0

    public init(capacity: Int, series: Int) {
        precondition(capacity >= 2 && series >= 1)
        self.capacity = capacity
        seriesCount = series
        values = Array(repeating: 0, count: capacity * series)
    }

    /// When the next record is due (a comparison for a caller that looks on every pass): once the
    /// second after the newest slot's has ended; the first, once second 0 has. (Due at zero, every
    /// look in the first second was a record that `record` then refused, and the caller's sample,
    /// all the status metrics, was built on every pass of that second for nothing.)
    public var nextDue: Instant {
        Instant(nanoseconds: (count == 0 ? 1 : newestSecond + 2) &* SecondRing.nanosecondsPerSecond)
    }

    /// Records `sample` (one value per series) as the state at the end of the second before `now`'s
    /// and of every second since the newest slot; nothing if those are held already.
    public mutating func record(_ sample: [UInt64], at now: Instant) {
        precondition(sample.count == seriesCount)
        let second = now.nanoseconds / SecondRing.nanosecondsPerSecond
        guard second > 0 else { return }
        let ended = second - 1
        var slots = 1
        if count > 0 {
            guard ended > newestSecond else { return }
            slots = Int(Swift.min(ended - newestSecond, UInt64(capacity)))
        }
        for _ in 0..<slots { push(sample) }
        newestSecond = ended
    }

    /// Series `index`, oldest second first.
    public func series(_ index: Int) -> [UInt64] {
        precondition(index >= 0 && index < seriesCount)
        var out: [UInt64] = []
        out.reserveCapacity(count)
        var slot = (newest + capacity - count + 1) % capacity
        for _ in 0..<count {
            out.append(values[slot * seriesCount + index])
            slot = (slot + 1) % capacity
        }
        return out
    }

    /// The increase from each second to the next of a counter series (one fewer than `count`); a
    /// counter that went down (reset) counts as no increase.
    public func increases(_ index: Int) -> [UInt64] {
        let s = series(index)
        guard s.count > 1 else { return [] }
        return (1..<s.count).map { s[$0] >= s[$0 - 1] ? s[$0] - s[$0 - 1] : 0 }
    }

    private mutating func push(_ sample: [UInt64]) {
        newest = count == 0 ? 0 : (newest + 1) % capacity
        count = Swift.min(count + 1, capacity)
        for (i, v) in sample.enumerated() { values[newest * seriesCount + i] = v }
    }

    static let nanosecondsPerSecond: UInt64 = 1_000_000_000
}
