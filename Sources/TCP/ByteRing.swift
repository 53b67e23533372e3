import Bytes

/// A ring of bytes: a connection's send or receive buffer. Its capacity changes only by `resize`
/// (see Connection+BufferTuning: buffers start small and grow with what the connection moves).
///
/// Besides the queued bytes (`count`, from the head), the receive side may park out-of-order data in
/// the free space beyond them (`write(_:atGap:)`) and later `commit` it once the gap before it fills.
///
/// The memory is an object of its own (one allocation, as an array's), so the send side can lend queued
/// bytes to the NIC by reference (`lend`), and the NIC keeps that memory alive until the device has read
/// it, even when the ring has meanwhile grown into new memory or been dropped.
struct ByteRing {
    /// nil for a ring of no capacity (a closed connection's), which needs no memory.
    private var storage: ManagedBuffer<Int, UInt8>?
    /// The storage's bytes; they never move while the storage lives.
    private var bytes: UnsafeMutableRawBufferPointer
    private var head = 0
    private(set) var count = 0

    /// The storage is left uninitialised: zeroing 96 KiB for every connection was the largest single
    /// cost of a short `Connection: close` exchange. No byte is ever read before it is written: every
    /// read is bounded by `count` (bytes appended or committed), and out-of-order data is only read
    /// after `commit`.
    init(capacity: Int) {
        guard capacity > 0 else {
            storage = nil
            bytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)
            return
        }
        let buffer = ManagedBuffer<Int, UInt8>.create(minimumCapacity: capacity) { _ in capacity }
        storage = buffer
        bytes = buffer.withUnsafeMutablePointerToElements { UnsafeMutableRawBufferPointer(start: $0, count: capacity) }
    }

    @inline(__always) var capacity: Int { bytes.count }
    @inline(__always) var free: Int { bytes.count - count }
    var isEmpty: Bool { count == 0 }

    /// Appends as much of `bytes` as fits; returns how many.
    mutating func append(_ bytes: ByteView) -> Int {
        let n = min(bytes.count, free)
        if n > 0 { write(bytes.slice(0, n)!, atGap: 0); count += n }
        return n
    }

    /// Lets `fill` write straight into the free space after the queued data, and queues what it wrote:
    /// the producer's bytes land here without a buffer in between. `fill` sees one contiguous run of at
    /// most `maximum` bytes (shorter where the free space wraps past the end of the storage: call again
    /// for the rest) and returns how many bytes it wrote from the run's start. Only for a ring that parks
    /// nothing in its free space (the send side). Returns the bytes queued.
    mutating func append(upTo maximum: Int, _ fill: (MutableByteView) -> Int) -> Int {
        let cap = bytes.count
        let start = (head + count) % max(cap, 1)
        let run = min(maximum, free, cap - start)
        guard run > 0 else { return 0 }
        let n = fill(MutableByteView(bytes).slice(start, run)!)
        precondition(n >= 0 && n <= run, "ByteRing: fill wrote beyond its run")
        count += n
        return n
    }

    /// Writes `bytes` into free space, `gap` bytes past the end of the queued data, without queueing
    /// them. The caller guarantees `gap + bytes.count <= free`.
    mutating func write(_ bytes: ByteView, atGap gap: Int) {
        precondition(gap >= 0 && bytes.count <= free - gap, "ByteRing: write beyond capacity")
        let cap = self.bytes.count
        var start = (head + count + gap) % max(cap, 1)
        var done = 0
        while done < bytes.count {
            let run = min(bytes.count - done, cap - start)
            MutableByteView(self.bytes).slice(start, run)!.copy(bytes.slice(done, run)!, to: 0)
            done += run
            start = 0
        }
    }

    /// Queues `n` bytes already placed by `write(_:atGap:)` directly after the queued data.
    mutating func commit(_ n: Int) {
        precondition(n >= 0 && n <= free, "ByteRing: commit beyond capacity")
        count += n
    }

    /// Copies `length` queued bytes starting `offset` bytes after the head into `destination` at
    /// `destinationOffset`, without consuming them.
    func copy(from offset: Int, length: Int, to destination: MutableByteView, at destinationOffset: Int) {
        precondition(offset >= 0 && length >= 0 && offset + length <= count, "ByteRing: copy beyond data")
        let cap = bytes.count
        var position = (head + offset) % max(cap, 1)
        var done = 0
        while done < length {
            let run = min(length - done, cap - position)
            destination.copy(ByteView(UnsafeRawBufferPointer(bytes)).slice(position, run)!, to: destinationOffset + done)
            done += run
            position = 0
        }
    }

    /// Lends `length` queued bytes starting `offset` bytes after the head, by reference: the runs they
    /// occupy and the storage as their owner (see `LentBytes`). Only for the send side, whose free space
    /// is written only once the peer has acknowledged what it held.
    func lend(from offset: Int, length: Int) -> LentBytes? {
        precondition(offset >= 0 && length >= 0 && offset + length <= count, "ByteRing: lend beyond data")
        guard let storage, length > 0 else { return nil }
        let cap = bytes.count
        let position = (head + offset) % cap
        let firstRun = min(length, cap - position)
        let view = ByteView(UnsafeRawBufferPointer(bytes))
        return LentBytes(owner: storage, first: view.slice(position, firstRun)!, second: view.slice(0, length - firstRun)!)
    }

    /// Moves the first `keeping` bytes from the head (queued bytes, plus any parked out of order right
    /// after them) into new storage of `capacity` bytes; the old storage goes back to the heap.
    mutating func resize(to capacity: Int, keeping: Int) {
        precondition(keeping >= count && keeping <= capacity && keeping <= bytes.count, "ByteRing: resize loses data")
        var moved = ByteRing(capacity: capacity)
        let cap = bytes.count
        var position = head
        var done = 0
        while done < keeping {
            let run = min(keeping - done, cap - position)
            MutableByteView(moved.bytes).copy(ByteView(UnsafeRawBufferPointer(bytes)).slice(position, run)!, to: done)
            done += run
            position = 0
        }
        moved.count = count
        self = moved
    }

    /// Drops `n` bytes from the head.
    mutating func discard(_ n: Int) {
        precondition(n >= 0 && n <= count, "ByteRing: discard beyond data")
        count -= n
        // The head never snaps back to zero when empty: out-of-order bytes may be parked past it.
        if bytes.count > 0 { head = (head + n) % bytes.count }
    }

    /// Moves up to `destination.count` bytes out; returns how many.
    mutating func read(into destination: MutableByteView) -> Int {
        let n = min(count, destination.count)
        copy(from: 0, length: n, to: destination, at: 0)
        discard(n)
        return n
    }
}
