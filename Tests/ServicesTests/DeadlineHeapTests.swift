import Bytes
import Testing
@testable import Services

/// The registry's timer heap against a plain dictionary: random sets, moves and cancels, then every
/// timer comes out once, in (instant, timer) order, and none that was cancelled or replaced.
@Suite struct DeadlineHeapTests {
    @Test func popsWhatIsSetInOrderAndNothingCancelledOrReplaced() {
        var rng = SplitMix64(seed: 14)   // deterministic, so a failure repeats
        for _ in 0..<50 {
            var heap = DeadlineHeap()
            var reference: [Int: Instant] = [:]
            for _ in 0..<400 {
                let timer = Int(rng.next() % 64)
                if rng.next() % 4 == 0 {
                    heap.cancel(timer)
                    reference[timer] = nil
                } else {
                    let at = Instant(nanoseconds: rng.next() % 50)   // few instants: many ties
                    heap.set(timer, at: at)
                    reference[timer] = at
                }
                #expect(heap.count == reference.count)
                #expect(heap.earliest == reference.values.min() ?? .never)
            }
            let now = Instant(nanoseconds: 25)
            var popped: [Int] = []
            while let timer = heap.popDue(now) { popped.append(timer) }
            let due = reference.filter { $0.value <= now }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.map { $0.key }
            #expect(popped == due)
            #expect(heap.count == reference.count - due.count)
            #expect(heap.earliest > now)
        }
    }
}
