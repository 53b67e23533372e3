/// A bounded ring of log records: the console log. A record is a header (a kind, a level, the time) and
/// its payload, copied in once and never formatted on the way in: text is made only when a record is
/// read (the UART drain, /factory/log), as Linux's printk ring keeps records and formats them for each
/// reader. Under load the console drains a small share of what is logged, so formatting every record
/// as it was written spent a request's time on lines nobody would read.
///
/// Records are contiguous in the storage: one that would not fit before its end starts again at the
/// beginning, behind a padding marker. Full ring: the oldest records go, drained or not, one header read
/// each; an undrained one is counted in `linesDropped`. A payload longer than `maximumPayload` keeps its
/// start and is counted in `linesTruncated`.
///
/// Portable (no kernel code) so its edge cases are tested hosted. A class over one fixed allocation:
/// writers reach it through a static in the kernel.
public final class LogRing {
    /// One record as stored. `payload` points into the ring: valid until the next `append`.
    public struct Record {
        public let kind: UInt8
        public let level: UInt8
        public let time: UInt64
        public let payload: UnsafeRawBufferPointer
    }

    public let capacity: Int
    public let maximumPayload: Int

    private let storage: UnsafeMutableRawPointer
    // Positions count bytes ever used (UInt64 never wraps in practice); a position's slot is
    // position % capacity. start <= drained <= end, end - start <= capacity, all on record boundaries.
    private var start: UInt64 = 0       // oldest record held
    private var drained: UInt64 = 0     // next record to drain
    private var end: UInt64 = 0         // where the next record goes

    /// Records that went before they were drained.
    public private(set) var linesDropped: UInt64 = 0
    /// Records whose payload was cut at `maximumPayload`.
    public private(set) var linesTruncated: UInt64 = 0
    /// Records ever written.
    public private(set) var linesWritten: UInt64 = 0

    /// Header: payload length (2 bytes), kind, level, time (8 bytes); records are 4-byte aligned.
    private static let headerSize = 12
    private static let alignment = 4
    /// The kind of the marker that fills the storage's tail when a record starts again at the beginning.
    private static let padding: UInt8 = 0xFF

    /// `capacity` is rounded down to the alignment; `maximumPayload` is clamped so a record and the
    /// padding before it always fit (a quarter of the capacity).
    public init(capacity: Int, maximumPayload: Int) {
        self.capacity = Swift.max(64, capacity) / LogRing.alignment * LogRing.alignment
        self.maximumPayload = Swift.max(1, Swift.min(maximumPayload, self.capacity / 4 - LogRing.headerSize))
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: LogRing.alignment)
    }

    deinit { storage.deallocate() }

    /// True while records wait to be drained.
    public var hasUndrained: Bool { drained < end }

    /// Appends a record of `count` payload bytes (cut at `maximumPayload`), written by `fill` straight
    /// into the ring: one copy, no allocation. `fill` gets exactly the room kept.
    public func append(kind: UInt8, level: UInt8, time: UInt64, count: Int,
                       _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(kind != LogRing.padding)
        var n = Swift.max(0, count)
        if n > maximumPayload { n = maximumPayload; linesTruncated += 1 }
        let size = LogRing.recordSize(n)
        let at = slot(end)
        let pad = at + size > capacity ? capacity - at : 0
        while end + UInt64(pad + size) - start > UInt64(capacity) { dropOldest() }
        if pad > 0 {
            storage.storeBytes(of: LogRing.padding, toByteOffset: at + 2, as: UInt8.self)
            end += UInt64(pad)
        }
        let header = storage + slot(end)
        header.storeBytes(of: UInt16(n).littleEndian, as: UInt16.self)
        header.storeBytes(of: kind, toByteOffset: 2, as: UInt8.self)
        header.storeBytes(of: level, toByteOffset: 3, as: UInt8.self)
        header.storeBytes(of: time.littleEndian, toByteOffset: 4, as: UInt64.self)
        fill(UnsafeMutableRawBufferPointer(start: header + LogRing.headerSize, count: n))
        end += UInt64(size)
        linesWritten += 1
    }

    /// Appends a record holding `bytes`.
    public func append(kind: UInt8, level: UInt8, time: UInt64, bytes: UnsafeRawBufferPointer) {
        append(kind: kind, level: level, time: time, count: bytes.count) { room in
            if let from = bytes.baseAddress, let to = room.baseAddress { to.copyMemory(from: from, byteCount: room.count) }
        }
    }

    /// The oldest record not yet drained, now counted as drained; nil when there is none.
    public func takeUndrained() -> Record? {
        while drained < end {
            let (record, next) = read(at: drained)
            drained = next
            if let record { return record }
        }
        return nil
    }

    /// Where the next record will be appended: a mark for `skipUndrained(before:)`, and, against
    /// `drainPosition`, whether the record appended there has been drained.
    public var endPosition: UInt64 { end }
    public var drainPosition: UInt64 { drained }

    /// Drains every record before `position` unread, counting them as dropped: a reader that must show
    /// one record promptly and cannot show all before it (the console under load, for a warning).
    public func skipUndrained(before position: UInt64) {
        while drained < Swift.min(position, end) {
            let (record, next) = read(at: drained)
            if record != nil { linesDropped += 1 }
            drained = next
        }
    }

    /// Every record held, oldest first, drained or not (/factory/log).
    public func forEach(_ body: (Record) -> Void) {
        var p = start
        while p < end {
            let (record, next) = read(at: p)
            if let record { body(record) }
            p = next
        }
    }

    /// The record at position `p` (nil for padding) and the position after it.
    private func read(at p: UInt64) -> (Record?, UInt64) {
        let at = slot(p)
        let header = UnsafeRawPointer(storage + at)
        let kind = header.load(fromByteOffset: 2, as: UInt8.self)
        if kind == LogRing.padding { return (nil, p + UInt64(capacity - at)) }
        let n = Int(UInt16(littleEndian: header.loadUnaligned(as: UInt16.self)))
        let record = Record(kind: kind, level: header.load(fromByteOffset: 3, as: UInt8.self),
                            time: UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 4, as: UInt64.self)),
                            payload: UnsafeRawBufferPointer(start: header + LogRing.headerSize, count: n))
        return (record, p + UInt64(LogRing.recordSize(n)))
    }

    private func dropOldest() {
        let (record, next) = read(at: start)
        if drained < next {
            if record != nil { linesDropped += 1 }
            drained = next
        }
        start = next
    }

    private static func recordSize(_ payload: Int) -> Int {
        (headerSize + payload + alignment - 1) / alignment * alignment
    }

    @inline(__always) private func slot(_ position: UInt64) -> Int { Int(position % UInt64(capacity)) }
}
