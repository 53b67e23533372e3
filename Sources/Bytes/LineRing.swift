/// A bounded ring of text lines: the console log. Writers put bytes (a newline ends a line) and never
/// wait for anything; a reader drains complete lines later, when it has time (the kernel's main loop,
/// just before it halts, to the UART). Lines already drained stay until their room is needed, so the
/// most recent lines can still be read back (/factory/log).
///
/// Full ring: the oldest line goes, drained or not; an undrained one is counted in `linesDropped`, so a
/// burst faster than the console loses old lines, never the writer's time. A line longer than
/// `maximumLineLength` keeps its start and is counted in `linesTruncated`.
///
/// Portable (no kernel code) so its edge cases are tested hosted. A class over one fixed allocation:
/// writers reach it through a static in the kernel, and a struct there would copy-check every byte.
public final class LineRing: ByteSink {
    public let capacity: Int
    public let maximumLineLength: Int

    private let storage: UnsafeMutablePointer<UInt8>
    /// capacity - 1 when the capacity is a power of two (the kernel's is): a slot is then a mask, not
    /// a division, which TCG runs as a helper call for every byte.
    private let mask: UInt64?
    // Positions count bytes ever written (UInt64 never wraps in practice); a byte's slot is
    // position % capacity. start <= drained <= committed <= end, and end - start <= capacity.
    private var start: UInt64 = 0       // oldest byte held
    private var drained: UInt64 = 0     // next byte to drain
    private var committed: UInt64 = 0   // end of the last complete line
    private var end: UInt64 = 0         // next byte to write: [committed, end) is the open line

    /// Lines that went before they were drained.
    public private(set) var linesDropped: UInt64 = 0
    /// Lines cut at `maximumLineLength`.
    public private(set) var linesTruncated: UInt64 = 0
    /// Complete lines ever written.
    public private(set) var linesWritten: UInt64 = 0
    private var truncating = false

    /// `maximumLineLength` is clamped below `capacity`, so one line can always be held.
    public init(capacity: Int, maximumLineLength: Int) {
        precondition(capacity >= 2)
        self.capacity = capacity
        self.maximumLineLength = Swift.max(1, Swift.min(maximumLineLength, capacity - 1))
        storage = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        mask = capacity & (capacity - 1) == 0 ? UInt64(capacity - 1) : nil
    }

    deinit { storage.deallocate() }

    /// Bytes of complete lines not yet drained.
    public var undrainedBytes: Int { Int(committed - drained) }

    /// Appends one byte to the open line; a newline completes it.
    public func put(_ byte: UInt8) {
        if byte == ASCIINewline.lf { endLine(); return }
        guard end - committed < UInt64(maximumLineLength) else { truncating = true; return }
        makeRoom()
        storage[slot(end)] = byte
        end += 1
    }

    /// Appends many bytes: each run between newlines is copied in at most two pieces, after the room
    /// for all of it is made at once (an access-log line was ~100 calls of `put(_:)`, each checking
    /// for room, a measurable share of a request's time in the default configuration).
    public func put(bytes: UnsafeBufferPointer<UInt8>) {
        var i = 0
        while i < bytes.count {
            var j = i
            while j < bytes.count && bytes[j] != ASCIINewline.lf { j += 1 }
            putRun(UnsafeBufferPointer(rebasing: bytes[i..<j]))
            if j < bytes.count { endLine(); j += 1 }
            i = j
        }
    }

    /// Bytes of the open line (no newline among them), cut at `maximumLineLength`.
    private func putRun(_ run: UnsafeBufferPointer<UInt8>) {
        let room = maximumLineLength - Int(end - committed)
        var n = run.count
        if n > room { n = Swift.max(0, room); truncating = true }
        guard n > 0, let base = run.baseAddress else { return }
        // The open line stays below the capacity, so complete lines exist to drop while it does not fit.
        while end - start + UInt64(n) > UInt64(capacity) { dropOldestLine() }
        let at = slot(end)
        let first = Swift.min(n, capacity - at)
        (storage + at).update(from: base, count: first)
        if first < n { storage.update(from: base + first, count: n - first) }
        end += UInt64(n)
    }

    private func endLine() {
        makeRoom()
        storage[slot(end)] = ASCIINewline.lf
        end += 1
        committed = end
        linesWritten += 1
        if truncating { linesTruncated += 1; truncating = false }
    }

    /// Frees one byte, dropping the oldest whole line if the ring is full. The open line is shorter
    /// than the capacity, so a complete line exists whenever the ring is full.
    private func makeRoom() {
        guard end - start == UInt64(capacity) else { return }
        dropOldestLine()
    }

    private func dropOldestLine() {
        var p = start
        while storage[slot(p)] != ASCIINewline.lf { p += 1 }
        let next = p + 1
        if drained < next {
            linesDropped += 1
            drained = next
        }
        start = next
    }

    /// Hands up to `maxBytes` undrained bytes, oldest first, to `write`; returns how many it handed.
    @discardableResult
    public func drain(maxBytes: Int, _ write: (UInt8) -> Void) -> Int {
        let n = Swift.min(UInt64(Swift.max(maxBytes, 0)), committed - drained)
        var p = drained
        while p < drained + n { write(storage[slot(p)]); p += 1 }
        drained += n
        return Int(n)
    }

    /// The most recent complete lines, at most `maxBytes` of them (whole lines only), oldest first.
    public func recentLines(maxBytes: Int) -> [UInt8] {
        var from = start
        if committed - from > UInt64(maxBytes) {
            from = committed - UInt64(maxBytes)
            // Start at a line boundary: skip the rest of the line `from` falls in.
            if from > start && storage[slot(from - 1)] != ASCIINewline.lf {
                while from < committed && storage[slot(from)] != ASCIINewline.lf { from += 1 }
                from = Swift.min(from + 1, committed)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(Int(committed - from))
        var p = from
        while p < committed { out.append(storage[slot(p)]); p += 1 }
        return out
    }

    @inline(__always) private func slot(_ position: UInt64) -> Int {
        if let mask { return Int(position & mask) }
        return Int(position % UInt64(capacity))
    }
}

private enum ASCIINewline {
    static let lf: UInt8 = 10
}
