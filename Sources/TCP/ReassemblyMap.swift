/// Which out-of-order bytes the receive buffer holds beyond the next expected one (smoltcp's
/// "assembler"): a short sorted list of disjoint ranges, as offsets from RCV.NXT. The bytes themselves
/// sit in the receive ring's free space, so out-of-order data never costs memory beyond the window
/// we advertised; the list length is the other bound (`TCPLimits.maximumOutOfOrderRanges`).
struct ReassemblyMap {
    struct Range: Equatable {
        var start: Int
        var end: Int
    }

    let maximumRanges: Int
    private(set) var ranges: [Range] = []
    /// Index of the range that absorbed the latest segment: RFC 2018 wants it reported first.
    private(set) var latest: Int? = nil

    init(maximumRanges: Int) { self.maximumRanges = maximumRanges }

    var isEmpty: Bool { ranges.isEmpty }

    /// Bytes past RCV.NXT up to the end of the last parked range (0 with none): what a resized receive
    /// ring must keep beyond its queued data.
    var extent: Int { ranges.last?.end ?? 0 }

    /// Records bytes `start..<end` (offsets from RCV.NXT). False when that would need more ranges
    /// than allowed; the caller then drops the segment (the sender will resend it). In-order bytes
    /// (`start == 0`) are always taken: `takeContiguous` removes their range at once.
    mutating func insert(start: Int, end: Int) -> Bool {
        precondition(start >= 0 && start < end)
        var merged = Range(start: start, end: end)
        var firstOverlap = ranges.count
        var lastOverlap = -1
        for (i, r) in ranges.enumerated() where r.end >= merged.start && r.start <= merged.end {
            firstOverlap = min(firstOverlap, i)
            lastOverlap = i
        }
        if lastOverlap >= 0 {
            merged.start = min(merged.start, ranges[firstOverlap].start)
            merged.end = max(merged.end, ranges[lastOverlap].end)
            ranges.replaceSubrange(firstOverlap...lastOverlap, with: [merged])
            latest = firstOverlap
            return true
        }
        guard ranges.count < maximumRanges || start == 0 else { return false }
        let at = ranges.firstIndex { $0.start > merged.end } ?? ranges.count
        ranges.insert(merged, at: at)
        latest = at
        return true
    }

    /// Removes the range that starts at RCV.NXT, if any, and returns its length: the bytes that are
    /// now in order. The remaining offsets are rebased to the new RCV.NXT.
    mutating func takeContiguous() -> Int {
        guard let first = ranges.first, first.start == 0 else { return 0 }
        ranges.removeFirst()
        if let l = latest { latest = l == 0 ? nil : l - 1 }
        for i in ranges.indices {
            ranges[i].start -= first.end
            ranges[i].end -= first.end
        }
        return first.end
    }

    mutating func removeAll() { ranges.removeAll(); latest = nil }
}
