import Bytes

/// What a non-blocking block lookup found.
public enum BlockLookup {
    /// The block's bytes, valid until the next call on the cache (a later call may evict the slot).
    case ready(ByteView)
    /// A read is in flight (or could not be queued yet): call `poll()` and ask again.
    case wouldBlock
    /// The device reported an error reading this block. Reported once; the next lookup reads again.
    case failed
    /// The block lies beyond the end of the device.
    case outOfRange
}

/// What the cache did, for the console and /factory pages.
public struct BlockCacheCounters {
    public var hits: UInt64 = 0
    /// Blocks read because someone asked for them.
    public var misses: UInt64 = 0
    /// Resident blocks dropped to make room.
    public var evictions: UInt64 = 0
    public var readErrors: UInt64 = 0
    /// Blocks read because a sequential stream was detected.
    public var readAheads: UInt64 = 0
    /// Device requests that carried several consecutive blocks (read-ahead runs), and the blocks they held.
    public var mergedReads: UInt64 = 0
    public var mergedBlocks: UInt64 = 0
    /// Read-ahead blocks that were then asked for (how well read-ahead guesses).
    public var readAheadHits: UInt64 = 0
    /// Submissions the device refused because its queue was full.
    public var deviceBusy: UInt64 = 0
    /// Misses that found every slot busy with an in-flight read.
    public var noFreeSlot: UInt64 = 0
    /// Lookups of blocks past the end of the device.
    public var outOfRange: UInt64 = 0
    /// Completions whose tag matched no in-flight read (a confused device; ignored).
    public var spuriousCompletions: UInt64 = 0

    public init() {}
}

/// A fixed pool of block-sized slots over a `BlockDevice`, with LRU eviction, in-flight tracking and
/// read-ahead. Read-ahead goes out in runs: consecutive blocks into consecutive slots, one device request
/// per run (each request costs the guest a descriptor chain, a doorbell and a completion), refilled
/// only once the reader is half a window from the end of what has been fetched. It never blocks: a miss submits a read and answers `.wouldBlock`; the owner calls `poll()`
/// when the device signals completions and the asker retries, finding the block resident.
///
/// Memory is one allocation made at init (the named bound), carved into `poolBytes / blockSize` slots;
/// it is page-aligned so a DMA engine can write into it directly. The owner must keep the cache alive
/// until every submitted read has completed (`inFlight == 0`): the device writes into its memory.
public final class BlockCache {
    /// Smallest pool, in slots of the largest block size: enough for the deepest lookup chain (group
    /// descriptor, inode table, three indirect levels, data) plus read-ahead, so retries always progress.
    public static let minimumSlots = 16
    public static let minimumBlockSize = 1024
    public static let maximumBlockSize = 4096
    /// A sensible pool for the appliance: 512 blocks of 4 KiB, room for the hot metadata of a document
    /// root plus several streams' read-ahead.
    public static let defaultMemoryBytes = 2 << 20
    /// Most blocks a detected sequential stream reads ahead of the reader (128 KiB of 4 KiB blocks).
    public static let readAheadWindow = 32

    private enum SlotState { case empty, loading, ready, failed }

    public let device: BlockDevice
    public let poolBytes: Int
    public private(set) var blockSize: Int
    public private(set) var slotCount: Int
    public private(set) var counters = BlockCacheCounters()
    /// Reads submitted and not yet completed.
    public private(set) var inFlight = 0

    private let pool: UnsafeMutableRawBufferPointer
    private var state: [SlotState]
    private var slotBlock: [UInt64]
    private var slotTag: [UInt64]
    private var lastUse: [UInt64]
    /// Slot filled by read-ahead and not yet asked for; its first hit extends the read-ahead.
    private var prefetched: [Bool]
    /// Block number -> slot, as chains threaded through fixed arrays: no allocation after init, no
    /// hash seed and no floating-point capacity maths (a Dictionary needs all three in the kernel).
    /// Only non-empty slots are on a chain.
    private var chainHead: [Int32]
    private var chainNext: [Int32]
    private let bucketShift: UInt64
    private var clock: UInt64 = 0
    private var submissions: UInt64 = 0

    /// `memoryBytes` is rounded down to whole pages and raised to `minimumSlots` slots of
    /// `maximumBlockSize`. The cache starts with `minimumBlockSize` blocks (what the superblock needs);
    /// the filesystem switches it to its own block size at mount.
    public init(device: BlockDevice, memoryBytes: Int) {
        let page = BlockCache.maximumBlockSize
        self.device = device
        poolBytes = max(memoryBytes / page, BlockCache.minimumSlots) * page
        pool = UnsafeMutableRawBufferPointer.allocate(byteCount: poolBytes, alignment: page)
        let maxSlots = poolBytes / BlockCache.minimumBlockSize
        state = Array(repeating: .empty, count: maxSlots)
        slotBlock = Array(repeating: 0, count: maxSlots)
        slotTag = Array(repeating: 0, count: maxSlots)
        lastUse = Array(repeating: 0, count: maxSlots)
        prefetched = Array(repeating: false, count: maxSlots)
        var bits: UInt64 = 1
        while (1 << bits) < maxSlots { bits += 1 }
        bucketShift = 64 - bits
        chainHead = Array(repeating: -1, count: 1 << Int(bits))
        chainNext = Array(repeating: -1, count: maxSlots)
        blockSize = BlockCache.minimumBlockSize
        slotCount = maxSlots
        blockCount = device.sectorCount / UInt64(BlockCache.minimumBlockSize / blockDeviceSectorSize)
    }

    deinit { pool.deallocate() }

    /// Whole blocks the device holds at the current block size (kept, not divided out on every lookup).
    public private(set) var blockCount: UInt64

    /// Changes the block size, dropping every resident block. Refused (false) while reads are in flight,
    /// because their buffers are laid out for the old size; also refused for sizes outside 1...4 KiB or
    /// not a power of two.
    public func setBlockSize(_ size: Int) -> Bool {
        guard size >= BlockCache.minimumBlockSize, size <= BlockCache.maximumBlockSize,
              size & (size - 1) == 0 else { return false }
        if size == blockSize { return true }
        guard inFlight == 0 else { return false }
        blockSize = size
        slotCount = poolBytes / size
        blockCount = device.sectorCount / UInt64(size / blockDeviceSectorSize)
        for b in 0..<chainHead.count { chainHead[b] = -1 }
        for s in 0..<state.count { state[s] = .empty; prefetched[s] = false }
        return true
    }

    /// Block `n`'s bytes if resident; otherwise submits its read (and read-ahead when the access looks
    /// sequential) and answers `.wouldBlock`.
    public func block(_ n: UInt64) -> BlockLookup {
        guard n < blockCount else { counters.outOfRange += 1; return .outOfRange }
        clock += 1
        if let s = slot(holding: n) {
            switch state[s] {
            case .ready:
                counters.hits += 1
                lastUse[s] = clock
                if prefetched[s] {
                    prefetched[s] = false
                    counters.readAheadHits += 1
                    readAhead(after: n, sparing: s, refillingFrom: readAheadRefill)
                }
                return .ready(view(of: s))
            case .loading:
                return .wouldBlock
            case .failed, .empty:
                release(s)
                return .failed
            }
        }
        guard let s = submit(n, count: 1, prefetch: false, sparing: nil) else { return .wouldBlock }
        counters.misses += 1
        // The previous block being resident is the sign of a sequential stream (a file read front to
        // back): fetch the blocks after this one while the reader consumes it.
        if n > 0, slot(holding: n - 1) != nil { readAhead(after: n, sparing: s, refillingFrom: 0) }
        return .wouldBlock
    }

    /// Absorbs the device's completions: finished reads become resident (or failed).
    public func poll() {
        device.pollCompletions { tag, ok in
            var s = Int(truncatingIfNeeded: tag & 0xFFFF_FFFF)
            guard s < slotCount, state[s] == .loading, slotTag[s] == tag else {
                counters.spuriousCompletions += 1
                return
            }
            if !ok { counters.readErrors += 1 }
            // A run's slots are consecutive and share its tag (a submission number is never reused).
            while s < slotCount && state[s] == .loading && slotTag[s] == tag {
                inFlight -= 1
                if ok {
                    state[s] = .ready
                } else if prefetched[s] {
                    // A failed read-ahead was a guess nobody asked for: drop it, and a real request
                    // later reads the block again. A failed demand read is reported to its asker.
                    release(s)
                } else {
                    state[s] = .failed
                }
                s += 1
            }
        }
    }

    private func view(of slot: Int) -> ByteView {
        ByteView(UnsafeRawBufferPointer(rebasing: pool[(slot * blockSize)..<((slot + 1) * blockSize)]))
    }

    private func release(_ slot: Int) {
        unlink(slot)
        state[slot] = .empty
        prefetched[slot] = false
    }

    /// Reads blocks `n ..< n + count` with one device request into as many consecutive slots: free ones or
    /// the least recently used, none being read into and none `sparing` (the slot whose bytes are about to
    /// be lent out). Returns the first slot; nil when no such slots exist or the device queue is full.
    private func submit(_ n: UInt64, count: Int, prefetch: Bool, sparing: Int?) -> Int? {
        guard let first = count == 1 ? victim(sparing: sparing) : victimRun(count, sparing: sparing) else {
            counters.noFreeSlot += 1
            return nil
        }
        submissions += 1
        let tag = (submissions & 0xFFFF_FFFF) << 32 | UInt64(first)
        let sectorsPerBlock = UInt64(blockSize / blockDeviceSectorSize)
        let buffer = UnsafeMutableRawBufferPointer(rebasing: pool[(first * blockSize)..<((first + count) * blockSize)])
        guard device.submitRead(sector: n * sectorsPerBlock, into: buffer, tag: tag) else {
            counters.deviceBusy += 1
            return nil
        }
        if count > 1 {
            counters.mergedReads += 1
            counters.mergedBlocks += UInt64(count)
        }
        for i in 0..<count {
            let s = first + i
            if state[s] == .ready { counters.evictions += 1 }
            if state[s] != .empty { unlink(s) }
            state[s] = .loading
            slotBlock[s] = n + UInt64(i)
            slotTag[s] = tag
            lastUse[s] = clock
            prefetched[s] = prefetch
            let b = bucket(n + UInt64(i))
            chainNext[s] = chainHead[b]
            chainHead[b] = Int32(s)
        }
        inFlight += count
        return first
    }

    /// Fibonacci hashing: consecutive blocks spread over the buckets.
    private func bucket(_ n: UInt64) -> Int {
        Int(truncatingIfNeeded: (n &* 0x9E37_79B9_7F4A_7C15) >> bucketShift)
    }

    /// The slot holding (or loading) block `n`. Chains hold distinct slots, so at most slotCount steps.
    private func slot(holding n: UInt64) -> Int? {
        var s = Int(chainHead[bucket(n)])
        while s >= 0 {
            if slotBlock[s] == n { return s }
            s = Int(chainNext[s])
        }
        return nil
    }

    private func unlink(_ slot: Int) {
        let b = bucket(slotBlock[slot])
        var s = Int(chainHead[b])
        if s == slot { chainHead[b] = chainNext[slot]; return }
        while s >= 0 {
            let next = Int(chainNext[s])
            if next == slot { chainNext[s] = chainNext[slot]; return }
            s = next
        }
    }

    /// An empty slot if there is one, else the least recently used slot not being read into.
    private func victim(sparing: Int?) -> Int? {
        var best: Int? = nil
        var bestUse = UInt64.max
        for s in 0..<slotCount where s != sparing {
            switch state[s] {
            case .empty: return s
            case .loading: continue
            case .ready, .failed:
                if lastUse[s] < bestUse { best = s; bestUse = lastUse[s] }
            }
        }
        return best
    }

    /// `count` consecutive slots, none being read into nor `sparing`, whose last uses sum least (empty
    /// slots count as never used): LRU order, approximately, for a run. One pass with a sliding window.
    private func victimRun(_ count: Int, sparing: Int?) -> Int? {
        guard count <= slotCount else { return nil }
        var best: Int? = nil
        var bestAge = UInt64.max
        var age: UInt64 = 0
        var usable = 0          // consecutive usable slots ending at s
        for s in 0..<slotCount {
            let ok = state[s] != .loading && s != sparing
            usable = ok ? usable + 1 : 0
            age &+= ok && state[s] != .empty ? lastUse[s] : 0
            if s >= count, state[s - count] != .empty && state[s - count] != .loading && s - count != sparing {
                age &-= lastUse[s - count]
            }
            if usable >= count && age < bestAge { best = s + 1 - count; bestAge = age }
        }
        return best
    }

    /// Blocks after the reader a prefetched hit lets fetching fall to before it reads the rest of the
    /// window: half of it, so refills go out as runs of half a window or more, not one block per hit.
    private var readAheadRefill: UInt64 { UInt64(max(readAheadLimit / 2, 1)) }

    /// Read-ahead window: never more than a quarter of the pool, so it cannot flush what a reader is
    /// still using.
    private var readAheadLimit: Int { min(BlockCache.readAheadWindow, slotCount / 4) }

    /// Submits reads for the blocks after `n` that are not resident, up to the window, in runs of
    /// consecutive blocks (each as long as the device takes in one request). Nothing when the first
    /// missing block is more than `refill` blocks ahead: the reader has not used enough of the window yet.
    private func readAhead(after n: UInt64, sparing: Int, refillingFrom refill: UInt64) {
        let window = UInt64(readAheadLimit)
        let end = min(n &+ 1 &+ window, blockCount)
        let longestRun = max(min(Int(window), device.maxReadBytes / blockSize), 1)
        var b = n + 1
        while b < end && slot(holding: b) != nil { b += 1 }
        if refill > 0 && b > n + refill { return }
        while b < end {
            if slot(holding: b) != nil { b += 1; continue }
            var run = 1
            while run < longestRun && b + UInt64(run) < end && slot(holding: b + UInt64(run)) == nil { run += 1 }
            // Without a free stretch that long, shorter runs (down to single blocks) still make progress.
            var submitted: Int? = nil
            while submitted == nil && run > 0 {
                submitted = submit(b, count: run, prefetch: true, sparing: sparing)
                if submitted == nil { run /= 2 }
            }
            guard submitted != nil else { return }
            counters.readAheads += UInt64(run)
            b += UInt64(run)
        }
    }
}
