import Bytes
import Ext2
import Testing

/// The cache on its own, over a device whose 1 KiB block n is filled with the byte n.
@Suite struct BlockCacheTests {
    static let blocks = 200

    func makeDevice(mode: TestBlockDevice.Mode = .immediate, queueDepth: Int = 64) -> TestBlockDevice {
        var bytes: [UInt8] = []
        for n in 0..<BlockCacheTests.blocks { bytes += [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 1024) }
        return TestBlockDevice(DiskImage(bytes), mode: mode, queueDepth: queueDepth)
    }

    /// The byte block `n` holds, if resident.
    func resident(_ cache: BlockCache, _ n: UInt64) -> UInt8? {
        if case .ready(let view) = cache.block(n) { return view[0] }
        return nil
    }

    @Test func missThenHit() {
        let cache = BlockCache(device: makeDevice(), memoryBytes: 0)
        #expect(resident(cache, 5) == nil)
        #expect(cache.inFlight == 1)
        cache.poll()
        #expect(cache.inFlight == 0)
        guard case .ready(let view) = cache.block(5) else { Issue.record("block 5 not resident"); return }
        #expect(view.count == 1024 && view[0] == 5 && view[1023] == 5)
        #expect(cache.counters.misses == 1 && cache.counters.hits == 1)
    }

    @Test func leastRecentlyUsedIsEvicted() {
        let cache = BlockCache(device: makeDevice(), memoryBytes: 0)
        let slots = cache.slotCount
        #expect(slots == BlockCache.minimumSlots * 4)  // the minimum pool holds 64 blocks of 1 KiB
        // Fill every slot with blocks far apart (no read-ahead), touching block 0 throughout.
        for i in 0..<slots {
            _ = cache.block(UInt64(i * 2))
            cache.poll()
            #expect(resident(cache, UInt64(i * 2)) == UInt8(i * 2))
            #expect(resident(cache, 0) == 0)
        }
        #expect(cache.counters.evictions == 0)
        _ = cache.block(151)  // needs a slot: evicts block 2, the least recently used
        cache.poll()
        #expect(cache.counters.evictions == 1)
        #expect(resident(cache, 0) == 0)
        #expect(resident(cache, 151) == 151)
        #expect(resident(cache, 2) == nil)
    }

    @Test func sequentialAccessReadsAhead() {
        let cache = BlockCache(device: makeDevice(), memoryBytes: 0)
        for n: UInt64 in 10...11 {
            _ = cache.block(n)
            cache.poll()
            #expect(resident(cache, n) == UInt8(n))
        }
        let window = UInt64(min(BlockCache.readAheadWindow, cache.slotCount / 4))
        #expect(cache.counters.readAheads == window)
        // The next blocks are already there; using them keeps the window moving.
        cache.poll()
        for n: UInt64 in 12..<(12 + 2 * window) {
            #expect(resident(cache, n) == UInt8(n), "block \(n) was read ahead")
            cache.poll()
        }
        #expect(cache.counters.readAheadHits >= 2 * window)
        #expect(cache.counters.misses == 2)
    }

    @Test func fullDeviceQueueIsRetried() {
        let device = makeDevice(mode: .deferred(seed: 1), queueDepth: 1)
        let cache = BlockCache(device: device, memoryBytes: 0)
        #expect(resident(cache, 1) == nil)
        #expect(resident(cache, 50) == nil)
        #expect(cache.counters.deviceBusy == 1 && cache.inFlight == 1)
        cache.poll()
        #expect(resident(cache, 50) == nil)  // queued now
        cache.poll()
        #expect(resident(cache, 50) == 50 && resident(cache, 1) == 1)
    }

    @Test func readErrorIsReportedOnceThenRetried() {
        let device = makeDevice()
        device.failingSectors = [14]  // inside block 7
        let cache = BlockCache(device: device, memoryBytes: 0)
        guard case .wouldBlock = cache.block(7) else { Issue.record("expected a miss"); return }
        cache.poll()
        guard case .failed = cache.block(7) else { Issue.record("expected the error"); return }
        #expect(cache.counters.readErrors == 1)
        device.failingSectors = []
        guard case .wouldBlock = cache.block(7) else { Issue.record("expected a fresh read"); return }
        cache.poll()
        #expect(resident(cache, 7) == 7)
    }

    @Test func blocksPastTheDeviceAreOutOfRange() {
        let cache = BlockCache(device: makeDevice(), memoryBytes: 0)
        guard case .outOfRange = cache.block(UInt64(BlockCacheTests.blocks)) else { Issue.record("expected out of range"); return }
        #expect(cache.counters.outOfRange == 1 && cache.inFlight == 0)
    }

    @Test func blockSizeChangesOnlyWhenIdle() {
        let cache = BlockCache(device: makeDevice(), memoryBytes: 0)
        _ = cache.block(3)
        #expect(!cache.setBlockSize(4096), "a read is in flight into a 1 KiB slot")
        #expect(!cache.setBlockSize(3000) && !cache.setBlockSize(8192) && !cache.setBlockSize(512))
        cache.poll()
        #expect(cache.setBlockSize(4096))
        #expect(cache.slotCount == BlockCache.minimumSlots && cache.blockCount == UInt64(BlockCacheTests.blocks / 4))
        _ = cache.block(1)
        cache.poll()
        guard case .ready(let view) = cache.block(1) else { Issue.record("4 KiB block 1 not resident"); return }
        #expect(view.count == 4096 && view[0] == 4 && view[4095] == 7)
    }

    @Test func everySlotInFlightMeansWouldBlock() {
        let cache = BlockCache(device: makeDevice(mode: .deferred(seed: 2), queueDepth: 1000), memoryBytes: 0)
        for i in 0..<cache.slotCount { _ = cache.block(UInt64(i * 3)) }
        #expect(cache.inFlight == cache.slotCount)
        guard case .wouldBlock = cache.block(199) else { Issue.record("expected wouldBlock"); return }
        #expect(cache.counters.noFreeSlot == 1)
    }

    @Test func spuriousCompletionsAreCountedAndIgnored() {
        let device = makeDevice()
        let cache = BlockCache(device: device, memoryBytes: 0)
        _ = cache.block(9)
        device.bogusCompletions = [12345, 0, UInt64.max]
        cache.poll()
        #expect(cache.counters.spuriousCompletions == 3)
        #expect(resident(cache, 9) == 9)
    }

    /// Read-ahead triggered by a hit must not evict the very block that hit is lending out, even when
    /// it is the only slot not being read into.
    @Test func readAheadSparesTheBlockBeingLent() {
        let device = makeDevice(mode: .deferred(seed: 3), queueDepth: 1000)
        device.maxReadBytes = 4096      // one block per request, so each read-ahead block fails alone
        let cache = BlockCache(device: device, memoryBytes: 0)
        #expect(cache.setBlockSize(4096) && cache.slotCount == BlockCache.minimumSlots)
        func drain() { for _ in 0..<100 where cache.inFlight > 0 { cache.poll() } }
        // Blocks 0 and 1 start a stream, which reads 2...5 ahead; all but block 2 then fail and are
        // dropped, leaving block 2 (prefetched, not yet used) the only resident block.
        device.failingSectors = Set([0, 1, 3, 4, 5].flatMap { b in (0..<8).map { UInt64(b * 8 + $0) } })
        _ = cache.block(0)
        _ = cache.block(1)
        drain()
        for b: UInt64 in [0, 1] { guard case .failed = cache.block(b) else { Issue.record("block \(b)"); return } }
        // Every other slot gets a read that stays in flight.
        for i in 0..<(cache.slotCount - 1) { _ = cache.block(UInt64(20 + 2 * i)) }
        #expect(cache.inFlight == cache.slotCount - 1)
        guard case .ready(let view) = cache.block(2) else { Issue.record("block 2 not resident"); return }
        #expect(view[0] == 8 && view[4095] == 11)
        #expect(resident(cache, 2) == 8, "block 2 is still resident")
    }

    /// A stream read front to back: read-ahead goes out as runs of consecutive blocks, one request each,
    /// never longer than the device takes, and every block arrives intact.
    @Test func readAheadGoesOutInRunsWithinTheDeviceLimit() {
        for (limit, mode) in [(Int.max, TestBlockDevice.Mode.immediate), (4096, .deferred(seed: 4))] {
            let device = makeDevice(mode: mode)
            device.maxReadBytes = limit
            let cache = BlockCache(device: device, memoryBytes: 0)
            let blocks: UInt64 = 150
            for n in 0..<blocks {
                var value: UInt8? = nil
                for _ in 0..<1000 where value == nil {
                    value = resident(cache, n)
                    if value == nil { cache.poll() }
                }
                #expect(value == UInt8(truncatingIfNeeded: n), "block \(n)")
            }
            let window = min(BlockCache.readAheadWindow, cache.slotCount / 4)
            let longest = min(window, limit / 1024)
            #expect(device.largestRead <= limit && device.largestRead == longest * 1024)
            #expect(cache.counters.mergedReads > 0 && cache.counters.mergedBlocks >= 2 * cache.counters.mergedReads)
            // Two demand misses start the stream; refills then carry half a window or more each (split
            // at the device's limit), instead of one request per block.
            #expect(cache.counters.misses == 2)
            // (150 blocks: 19 requests unlimited, 54 at four blocks per request, against 150 unmerged.)
            #expect(device.submitted <= (limit == Int.max ? 3 + Int(blocks) / (window / 2) : Int(blocks) / 2))
        }
    }

    /// A failed run drops every block it carried; each is read again when asked for.
    @Test func failedRunDropsAllItsBlocks() {
        let device = makeDevice()
        device.failingSectors = [40]  // block 20
        let cache = BlockCache(device: device, memoryBytes: 0)
        _ = cache.block(9)
        _ = cache.block(10)  // sequential: reads 11 ... 26 ahead as one run, which fails at block 20
        cache.poll()
        #expect(cache.counters.readErrors == 1 && cache.counters.mergedReads == 1)
        device.failingSectors = []
        for n: UInt64 in [20, 11] {
            guard case .wouldBlock = cache.block(n) else { Issue.record("block \(n): expected a fresh read"); return }
            cache.poll()
            #expect(resident(cache, n) == UInt8(n))
        }
        #expect(resident(cache, 26) == 26, "read ahead again after block 11")
    }

    @Test func failedReadAheadIsDroppedSilently() {
        let device = makeDevice()
        device.failingSectors = [6]  // block 3
        let cache = BlockCache(device: device, memoryBytes: 0)
        _ = cache.block(1)
        _ = cache.block(2)  // sequential: reads 3... ahead
        cache.poll()
        #expect(cache.counters.readErrors == 1)
        device.failingSectors = []
        guard case .wouldBlock = cache.block(3) else { Issue.record("expected a fresh read, not the guess's error"); return }
        cache.poll()
        #expect(resident(cache, 3) == 3)
    }
}
