import Bytes

/// Proves the virtio-blk driver against a pattern image (Tests/VM/drivers_test.sh writes it): every
/// 512-byte sector s starts with s as a little-endian UInt64, and byte i >= 8 is (s * 7 + i) mod 256.
/// A first read must wake the halted CPU by interrupt; then the whole disk is read in chunks with every
/// request slot busy, the next read submitted from inside each completion (as read-ahead does), and
/// every byte is checked. Invalid requests must fail cleanly.
enum DiskSelfTest {
    static let chunkBytes = 16 * 1024
    static let timeout = Interval.seconds(20)

    static func expectedByte(sector: UInt64, offset: Int) -> UInt8 {
        offset < 8 ? UInt8(truncatingIfNeeded: sector >> UInt64(8 * offset))
                   : UInt8(truncatingIfNeeded: sector &* 7 &+ UInt64(offset))
    }

    static func run() {
        guard let disk = Devices.disk else {
            SelfTest.expect(false, "disk: a virtio-blk device is attached")
            return
        }
        let polled = disk.interruptMode.isPolling
        if polled { Log.warn("selftest: virtio-blk is polled; interrupt checks skipped") }
        SelfTest.expect(disk.readOnly, "disk: the device reports read-only (VIRTIO_BLK_F_RO)")
        let sectorsPerChunk = UInt64(chunkBytes / VirtioBlock.sectorBytes)
        SelfTest.expect(disk.sectorCount >= sectorsPerChunk && disk.sectorCount % sectorsPerChunk == 0,
                        "disk: capacity is a whole number of test chunks")
        let chunks = Int(disk.sectorCount / sectorsPerChunk)
        let before = disk.counters

        // One buffer per request slot. Completions may come back in any order, so a buffer returns to
        // the free stack only when its own read completed; the tag carries chunk and buffer.
        let slots = disk.slotCount
        guard let pool = Heap.allocate(size: slots * chunkBytes, alignment: Heap.pageSize) else {
            SelfTest.expect(false, "disk: memory for read buffers")
            return
        }
        defer { Heap.free(pool) }
        func buffer(_ index: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(start: pool + index * chunkBytes, count: chunkBytes)
        }
        // One read first: its completion must wake the halted CPU by interrupt (it may already be
        // pending when we halt; QEMU can finish before we look). Interrupts are asked for first, as the
        // main loop does before it halts; a completion while they are off raises none.
        if !polled {
            _ = disk.prepareToHalt()
            _ = disk.submitRead(sector: 0, into: buffer(0), tag: 0)
            let interrupted = DriverSelfTests.wait(timeout: timeout, haltingEvenWithWork: true) {
                disk.counters.interrupts > before.interrupts
            }
            SelfTest.expect(interrupted, "disk: a completion raised an interrupt that woke the halted CPU")
            var firstOK = false
            disk.pollCompletions { _, ok in firstOK = ok }
            SelfTest.expect(firstOK && buffer(0)[0] == 0 && buffer(0)[8] == expectedByte(sector: 0, offset: 8),
                            "disk: the first read returned sector 0")
        }

        var freeBuffers = Array(0..<slots)
        var next = 0
        var completed = 0
        var failed = 0
        var corrupt = 0
        var peakInFlight = 0
        /// Submits reads while buffers and chunks remain.
        func submitMore() {
            while next < chunks, let index = freeBuffers.popLast() {
                guard disk.submitRead(sector: UInt64(next) * sectorsPerChunk, into: buffer(index),
                                      tag: UInt64(next) << 8 | UInt64(index)) else {
                    freeBuffers.append(index)
                    return
                }
                next += 1
            }
            peakInFlight = Swift.max(peakInFlight, disk.inFlight)
        }
        submitMore()
        let finished = DriverSelfTests.wait(timeout: timeout) {
            disk.pollCompletions { tag, ok in
                completed += 1
                let chunk = Int(tag >> 8)
                let index = Int(tag & 0xFF)
                if ok {
                    let bytes = buffer(index)
                    for s in 0..<Int(sectorsPerChunk) {
                        let sector = UInt64(chunk) * sectorsPerChunk + UInt64(s)
                        for i in 0..<VirtioBlock.sectorBytes
                        where bytes[s * VirtioBlock.sectorBytes + i] != expectedByte(sector: sector, offset: i) {
                            corrupt += 1
                            break
                        }
                    }
                } else {
                    failed += 1
                }
                // Refill from inside the completion, as a file reader with read-ahead does.
                freeBuffers.append(index)
                submitMore()
            }
            return completed == chunks
        }
        let after = disk.counters
        Log.info("selftest: read \(completed) of \(chunks) chunks, peak \(peakInFlight) in flight; \(disk.counterList.text)")
        SelfTest.expect(finished, "disk: every read completed")
        SelfTest.expect(failed == 0, "disk: no read failed")
        SelfTest.expect(corrupt == 0, "disk: every sector holds its pattern")
        SelfTest.expect(peakInFlight >= Swift.min(slots, chunks) / 2, "disk: many requests in flight at once")
        SelfTest.expect(after.doorbells + after.doorbellsSkipped - before.doorbells - before.doorbellsSkipped
                        < after.readsSubmitted - before.readsSubmitted, "disk: reads submitted from completions share doorbells")

        // Requests the disk must refuse: past the end, straddling the end, not whole sectors.
        let probe = buffer(0)       // every read has completed: all buffers are free
        var refusals = 0
        let badRequests: [(UInt64, UnsafeMutableRawBufferPointer)] = [
            (disk.sectorCount, UnsafeMutableRawBufferPointer(rebasing: probe[0..<512])),
            (disk.sectorCount - 1, UnsafeMutableRawBufferPointer(rebasing: probe[0..<1024])),
            (0, UnsafeMutableRawBufferPointer(rebasing: probe[0..<100])),
        ]
        for (i, request) in badRequests.enumerated() {
            _ = disk.submitRead(sector: request.0, into: request.1, tag: UInt64(1000 + i))
        }
        disk.pollCompletions { tag, ok in if tag >= 1000 && !ok { refusals += 1 } }
        SelfTest.expect(refusals == badRequests.count, "disk: invalid reads fail without reaching the device")
        SelfTest.expect(disk.counters.readsRejected == after.readsRejected + UInt64(badRequests.count), "disk: rejections are counted")
    }
}
