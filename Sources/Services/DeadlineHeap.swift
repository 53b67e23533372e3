import Bytes

/// The registry's timers: a binary min-heap of (instant, timer), a timer being a small number the
/// registry gives meaning to (each connection slot has two: its idle deadline and its alarm). A timer
/// is in the heap at most once and the heap knows where, so setting, moving and cancelling one cost
/// O(log n) and a cancelled or moved instant can never fire; the earliest is always at the top, so
/// neither `nextDeadline` nor firing what is due looks at connections that are not due. Bounded by
/// construction: one entry per timer, so no more than twice `RegistryLimits.maxConnections`.
struct DeadlineHeap {
    private var entries: [(at: Instant, timer: Int)] = []
    /// Where each timer sits in `entries`, by timer; `absent` when it is not set.
    private var positions: [Int] = []
    private static let absent = -1

    /// The earliest set instant; `.never` when no timer is set.
    var earliest: Instant { entries.first?.at ?? .never }
    /// Timers set.
    var count: Int { entries.count }

    /// Sets `timer` to `instant`, replacing the instant it had; `.never` cancels it. (Out and in again:
    /// one path instead of a move up or down in place, for a few more comparisons.)
    mutating func set(_ timer: Int, at instant: Instant) {
        cancel(timer)
        guard instant != .never else { return }
        while positions.count <= timer { positions.append(Self.absent) }
        entries.append((instant, timer))
        positions[timer] = entries.count - 1
        siftUp(entries.count - 1)
    }

    mutating func cancel(_ timer: Int) {
        guard timer < positions.count, positions[timer] != Self.absent else { return }
        let i = positions[timer]
        positions[timer] = Self.absent
        let last = entries.removeLast()
        guard i < entries.count else { return }
        entries[i] = last
        positions[last.timer] = i
        siftUp(i)
        siftDown(positions[last.timer])
    }

    /// Removes and returns the earliest timer set at or before `now` (of equal instants, the lowest
    /// number first, so ties go in a fixed order); nil when none is due.
    mutating func popDue(_ now: Instant) -> Int? {
        guard let top = entries.first, top.at <= now else { return nil }
        cancel(top.timer)
        return top.timer
    }

    @inline(never)   // called from both sifts; inlined, each copy cost the image its bounds checks again
    private func before(_ a: Int, _ b: Int) -> Bool {
        entries[a].at != entries[b].at ? entries[a].at < entries[b].at : entries[a].timer < entries[b].timer
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        entries.swapAt(a, b)
        positions[entries[a].timer] = a
        positions[entries[b].timer] = b
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard before(i, parent) else { return }
            swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1
            var first = i
            if left < entries.count && before(left, first) { first = left }
            if left + 1 < entries.count && before(left + 1, first) { first = left + 1 }
            guard first != i else { return }
            swapAt(i, first)
            i = first
        }
    }
}
