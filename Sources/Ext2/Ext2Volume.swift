import Bytes

/// What the reader met, for the console and /factory pages.
public struct Ext2Counters {
    public var inodesRead: UInt64 = 0
    /// Operations that failed because the image is damaged (see `Ext2Error.isCorruption`).
    public var corruptionErrors: UInt64 = 0
    /// Operations refused because an inode uses a feature the reader cannot follow.
    public var unsupportedInodes: UInt64 = 0
    /// Operations that failed because the device could not read a block.
    public var readErrors: UInt64 = 0
    public var notFound: UInt64 = 0
    /// Waiting `lookup(_:)` calls forgotten because `maximumPendingLookups` newer ones were waiting
    /// (their retry starts again from the root).
    public var lookupsAbandoned: UInt64 = 0

    public init() {}
}

/// A mounted, read-only ext2 filesystem over a block cache.
///
/// Every operation either completes or throws `.wouldBlock` after queueing the block it needs; the
/// caller polls the cache and calls again. Retries are cheap because everything already read stays in
/// the cache (hits), and correct because operations keep no half-done state of their own: progress
/// that spans many blocks lives in caller-held values (`DirectoryCursor`, `PathLookup`, the file offset).
/// The one exception is `lookup(_:)`, for callers that can hold nothing between retries.
public final class Ext2Volume {
    /// Paths `lookup(_:)` keeps half-resolved between a `.wouldBlock` and its retry: one per request a
    /// server may have waiting on the disk at once. Beyond it the oldest is forgotten.
    public static let maximumPendingLookups = 32

    public let cache: BlockCache
    public let superblock: Superblock
    public private(set) var counters = Ext2Counters()
    /// `lookup(_:)` calls left at `.wouldBlock`, oldest first.
    private var pendingLookups: [(path: [UInt8], lookup: PathLookup)] = []

    private init(cache: BlockCache, superblock: Superblock) {
        self.cache = cache
        self.superblock = superblock
    }

    /// Reads and checks the superblock, then switches the cache to the filesystem's block size.
    /// Throws `.wouldBlock` until the superblock is resident (poll the cache and call again).
    public static func mount(_ cache: BlockCache) throws(Ext2Error) -> Ext2Volume {
        // The block size change below needs an idle device; waiting first keeps a retry from flushing
        // the superblock it has just read.
        guard cache.inFlight == 0, cache.setBlockSize(Superblock.size) else { throw .wouldBlock }
        let superblockNumber = UInt64(Superblock.byteOffset / Superblock.size)
        let sb: Superblock
        switch cache.block(superblockNumber) {
        case .ready(let view):
            // A device claiming more than 2^64 bytes (a broken driver) is clamped, not trusted to overflow.
            let sectors = cache.device.sectorCount
            let sectorSize = UInt64(blockDeviceSectorSize)
            let deviceBytes = sectors > UInt64.max / sectorSize ? UInt64.max : sectors * sectorSize
            sb = try Superblock(parsing: view, deviceBytes: deviceBytes)
        case .wouldBlock: throw .wouldBlock
        case .failed: throw .readError(block: superblockNumber)
        case .outOfRange: throw .deviceTooSmall(deviceBlocks: cache.blockCount, filesystemBlocks: superblockNumber + 1)
        }
        guard cache.setBlockSize(sb.blockSize) else { throw .wouldBlock }
        return Ext2Volume(cache: cache, superblock: sb)
    }

    public var blockSize: Int { superblock.blockSize }

    /// The root directory's inode.
    public func root() throws(Ext2Error) -> Ext2Inode {
        try inode(Superblock.rootInode)
    }

    /// Resolves `path` (as `resolve` does, following every symlink) for callers that keep nothing
    /// between retries: poll the cache and call again with the same path. The progress made is kept
    /// here, so the retry resumes where the last attempt stopped. Starting again from the root instead
    /// would never finish a path needing more blocks than the cache holds: each attempt would evict
    /// the blocks the previous one had fetched (a directory tree deep enough does it on any cache).
    public func lookup(_ path: [UInt8]) throws(Ext2Error) -> Ext2Inode {
        var l = PathLookup(path: path)
        if let i = pendingLookups.firstIndex(where: { $0.path == path }) { l = pendingLookups.remove(at: i).lookup }
        do throws(Ext2Error) {
            return try resolve(&l)
        } catch {
            if error == .wouldBlock {
                if pendingLookups.count == Ext2Volume.maximumPendingLookups {
                    pendingLookups.removeFirst()
                    counters.lookupsAbandoned += 1
                }
                pendingLookups.append((path, l))
            }
            throw error
        }
    }

    /// Inode `number` (1-based), read through its group descriptor.
    public func inode(_ number: UInt32) throws(Ext2Error) -> Ext2Inode {
        try counted { () throws(Ext2Error) -> Ext2Inode in try loadInode(number) }
    }

    /// A symlink's target bytes.
    public func readLink(_ link: Ext2Inode) throws(Ext2Error) -> [UInt8] {
        try counted { () throws(Ext2Error) -> [UInt8] in try linkTarget(link) }
    }

    // MARK: - Internals shared by files, directories, symlinks and lookups (errors counted by callers)

    func loadInode(_ number: UInt32) throws(Ext2Error) -> Ext2Inode {
        guard number >= 1, number <= superblock.inodesCount else { throw .inodeOutOfRange(number) }
        let group = (number - 1) / superblock.inodesPerGroup
        let index = (number - 1) % superblock.inodesPerGroup
        let (descriptorBlock, descriptorOffset) = superblock.descriptorLocation(group: group)
        let table = UInt64(try block(descriptorBlock).u32le(at: descriptorOffset + 8))
        // The table must lie after the superblock and wholly inside the filesystem.
        guard table > superblock.firstDataBlock,
              table + superblock.inodeTableBlocks <= superblock.blocksCount else {
            throw .badGroupDescriptor(group: group)
        }
        let byte = UInt64(index) * UInt64(superblock.inodeSize)
        let view = try block(table + byte / UInt64(blockSize))
        guard let raw = view.slice(Int(byte % UInt64(blockSize)), superblock.inodeSize) else {
            throw .badInode(number, .truncated)
        }
        let node = try Ext2Inode(number: number, parsing: raw, blockSize: blockSize)
        counters.inodesRead += 1
        return node
    }

    /// Copies file bytes from `offset` into `buffer`; returns how many (0 at or past the end). Holes
    /// read as zeros. A read that has copied something returns that much rather than `.wouldBlock`, so
    /// every call makes progress; ask again from `offset + returned`.
    public func read(_ file: Ext2Inode, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(Ext2Error) -> Int {
        try counted { () throws(Ext2Error) -> Int in
            guard file.fileType == .regular else { throw .notARegularFile }
            return try readData(file, at: offset, into: buffer)
        }
    }

    func linkTarget(_ link: Ext2Inode) throws(Ext2Error) -> [UInt8] {
        guard link.fileType == .symlink else { throw .notASymlink }
        // Linux limits a target to one block (and PATH_MAX); an empty target resolves nowhere.
        guard link.size > 0, link.size < UInt64(blockSize) else { throw .badSymlink(link.number) }
        let length = Int(link.size)
        var target: [UInt8]
        if link.isFastSymlink(blockSize: blockSize) {
            guard length <= Ext2Inode.fastSymlinkMaxLength else { throw .badSymlink(link.number) }
            target = Array(link.inlineBytes[0..<length])
        } else {
            target = Array(repeating: 0, count: length)
            var outcome: Result<Int, Ext2Error> = .success(0)
            target.withUnsafeMutableBytes { buffer in
                do throws(Ext2Error) { outcome = .success(try readData(link, at: 0, into: buffer)) } catch {
                    outcome = .failure(error)
                }
            }
            let copied = try outcome.get()
            // The target is shorter than a block, so the read copies all of it or throws.
            guard copied == length else { throw .badSymlink(link.number) }
        }
        guard !target.contains(0) else { throw .badSymlink(link.number) }
        return target
    }

    /// Counts the failures of a public operation (not `.wouldBlock`, which is not a failure).
    func counted<T>(_ body: () throws(Ext2Error) -> T) throws(Ext2Error) -> T {
        do throws(Ext2Error) {
            return try body()
        } catch {
            switch error {
            case .wouldBlock: break
            case .notFound: counters.notFound += 1
            case .unsupportedFeature: counters.unsupportedInodes += 1
            case .readError: counters.readErrors += 1
            default: if error.isCorruption { counters.corruptionErrors += 1 }
            }
            throw error
        }
    }

    /// Block `n` of the filesystem, checked against its size.
    func block(_ n: UInt64) throws(Ext2Error) -> ByteView {
        guard n < superblock.blocksCount else { throw .blockOutOfRange(n) }
        switch cache.block(n) {
        case .ready(let view): return view
        case .wouldBlock: throw .wouldBlock
        case .failed: throw .readError(block: n)
        case .outOfRange: throw .blockOutOfRange(n)
        }
    }

    /// The physical block holding logical block `logical` of `node`, or 0 for a hole.
    func physicalBlock(of node: Ext2Inode, logical: UInt64) throws(Ext2Error) -> UInt64 {
        try mapRun(of: node, from: logical, count: 1).physical(logical)
    }

    /// Physical blocks (0 for holes) of consecutive logical blocks, all read from one map block (or the
    /// inode's direct pointers): a sequential read looks each map block up once per run, not once per
    /// data block (the lookup was a tenth of a 1 MiB file's serving time).
    struct MapRun {
        var first: UInt64 = 0
        var count = 0
        /// Physical block numbers, checked, from `blocks[offset]` on; empty for a hole. For direct blocks
        /// the inode's own pointers (shared, not copied): a small file's read then allocates nothing.
        var blocks: [UInt32] = []
        var offset = 0
        func covers(_ logical: UInt64) -> Bool { logical >= first && logical - first < UInt64(count) }
        func physical(_ logical: UInt64) -> UInt64 { blocks.isEmpty ? 0 : UInt64(blocks[offset + Int(logical - first)]) }
    }

    /// Longest run read at once.
    static let maximumMapRun = 256

    /// The run starting at `logical`, up to `count` blocks (at least one), cut where its map block ends.
    /// At most three map blocks are read, so a corrupt (even self-referencing) map cannot loop.
    func mapRun(of node: Ext2Inode, from logical: UInt64, count: Int) throws(Ext2Error) -> MapRun {
        let perBlock = UInt64(blockSize / 4)
        let wanted = UInt64(max(1, min(count, Ext2Volume.maximumMapRun)))
        var run = MapRun(first: logical)
        var l = logical
        if l < UInt64(Ext2Inode.directBlocks) {
            let end = Int(min(UInt64(Ext2Inode.directBlocks), l + wanted))
            for i in Int(l)..<end { _ = try checked(node.pointers[i], node) }
            run.blocks = node.pointers
            run.offset = Int(l)
            run.count = end - Int(l)
            return run
        }
        l -= UInt64(Ext2Inode.directBlocks)
        let leaf: UInt64
        if l < perBlock {
            leaf = try checked(node.pointers[12], node)
        } else if l - perBlock < perBlock * perBlock {
            l -= perBlock
            leaf = try walk(from: node.pointers[13], node, indices: l / perBlock)
        } else if l - perBlock - perBlock * perBlock < perBlock * perBlock * perBlock {
            l -= perBlock + perBlock * perBlock
            leaf = try walk(from: node.pointers[14], node, indices: l / (perBlock * perBlock), (l / perBlock) % perBlock)
        } else {
            throw .badInode(node.number, .blockBeyondBlockMap)
        }
        let index = l % perBlock
        let n = min(wanted, perBlock - index)
        if leaf == 0 {  // a hole covers everything below it
            run.count = Int(n)
            return run
        }
        let map = try block(leaf)
        run.blocks.reserveCapacity(Int(n))
        for i in index..<(index + n) { run.blocks.append(UInt32(try checked(map.u32le(at: Int(i) * 4), node))) }
        run.count = Int(n)
        return run
    }

    private func walk(from root: UInt32, _ node: Ext2Inode, indices: UInt64...) throws(Ext2Error) -> UInt64 {
        var pointer = try checked(root, node)
        for index in indices {
            if pointer == 0 { return 0 }  // a hole covers everything below it
            pointer = try checked(block(pointer).u32le(at: Int(index) * 4), node)
        }
        return pointer
    }

    /// A block pointer from the map: 0 (hole) or a block inside the filesystem's data area.
    private func checked(_ pointer: UInt32, _ node: Ext2Inode) throws(Ext2Error) -> UInt64 {
        let p = UInt64(pointer)
        guard p == 0 || (p > superblock.firstDataBlock && p < superblock.blocksCount) else {
            throw .blockOutOfRange(p)
        }
        return p
    }

    /// The data of any inode with a block map, clipped to its size.
    func readData(_ node: Ext2Inode, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(Ext2Error) -> Int {
        guard offset < node.size, buffer.count > 0 else { return 0 }
        let want = Int(min(UInt64(buffer.count), node.size - offset))
        let size = UInt64(blockSize)
        var done = 0
        var run = MapRun()
        let lastLogical = (offset + UInt64(want) - 1) / size
        while done < want {  // at most want / blockSize + 1 rounds
            let position = offset + UInt64(done)
            let within = Int(position % size)
            let n = min(blockSize - within, want - done)
            let destination = UnsafeMutableRawBufferPointer(rebasing: buffer[done..<(done + n)])
            do throws(Ext2Error) {
                let logical = position / size
                if !run.covers(logical) {
                    run = try mapRun(of: node, from: logical, count: Int(min(lastLogical - logical + 1, UInt64(Ext2Volume.maximumMapRun))))
                }
                let physical = run.physical(logical)
                if physical == 0 {
                    _ = destination.initializeMemory(as: UInt8.self, repeating: 0)
                } else if let bytes = try block(physical).slice(within, n) {  // in range: within + n <= blockSize
                    bytes.copyBytes(to: destination)
                }
            } catch {
                if error == .wouldBlock && done > 0 { return done }
                throw error
            }
            done += n
        }
        return done
    }
}
