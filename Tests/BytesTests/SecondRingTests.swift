import Testing
@testable import Bytes

@Suite struct SecondRingTests {
    private func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1_000_000_000)) }

    @Test func oneSamplePerSecondTheFirstLookWins() {
        var ring = SecondRing(capacity: 4, series: 2)
        #expect(ring.count == 0 && ring.series(0).isEmpty && ring.increases(0).isEmpty)
        #expect(ring.nextDue == at(1))              // not before: a look in second 0 would record nothing
        ring.record([9, 9], at: at(0.5))           // no second has ended yet
        #expect(ring.count == 0 && ring.nextDue == at(1))
        ring.record([1, 10], at: at(5.2))          // the end of second 4
        ring.record([2, 20], at: at(5.9))          // second 4 has its sample
        #expect(ring.series(0) == [1] && ring.series(1) == [10])
        #expect(ring.nextDue == at(6))
        ring.record([4, 30], at: at(6.0))
        #expect(ring.series(0) == [1, 4] && ring.series(1) == [10, 30])
        #expect(ring.increases(0) == [3])
    }

    @Test func secondsWithoutALookTakeTheNextSample() {
        var ring = SecondRing(capacity: 8, series: 2)
        ring.record([100, 7], at: at(10.5))        // second 9
        // Nobody looked in seconds 11 and 12, so nothing ran then: what changed, changed in second 10.
        ring.record([130, 9], at: at(13.1))
        #expect(ring.series(0) == [100, 130, 130, 130])
        #expect(ring.series(1) == [7, 9, 9, 9])    // a gauge holds its value through the halt
        #expect(ring.increases(0) == [30, 0, 0])
        ring.record([1, 1], at: at(12))            // a clock going back is ignored
        #expect(ring.count == 4 && ring.series(0).last == 130)
    }

    @Test func wrapsKeepingTheNewestInOrder() {
        var ring = SecondRing(capacity: 3, series: 1)
        for s in 1...6 { ring.record([UInt64(s * s)], at: at(Double(s))) }
        #expect(ring.count == 3)
        #expect(ring.series(0) == [16, 25, 36])
        #expect(ring.increases(0) == [9, 11])
    }

    @Test func aGapLongerThanTheRingRefillsIt() {
        var ring = SecondRing(capacity: 3, series: 1)
        ring.record([5], at: at(1))
        ring.record([6], at: at(2))
        ring.record([9], at: at(1_000))
        #expect(ring.series(0) == [9, 9, 9])
        #expect(ring.nextDue == at(1_001))     // second 1000 ends then
    }

    @Test func aCounterThatWentDownIsNoIncrease() {
        var ring = SecondRing(capacity: 4, series: 1)
        for (s, v) in [5, 8, 2, 4].enumerated() { ring.record([UInt64(v)], at: at(Double(s + 1))) }
        #expect(ring.increases(0) == [3, 0, 2])
    }
}
