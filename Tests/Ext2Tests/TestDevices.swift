import Bytes
import Ext2
import Foundation

/// Where a test device's bytes come from.
protocol ImageBacking: AnyObject {
    var byteCount: Int { get }
    func copy(from offset: Int, into buffer: UnsafeMutableRawBufferPointer)
}

/// A disk image held in memory, shared by the devices that read it (tests mutate it in place).
final class DiskImage: ImageBacking {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    convenience init(contentsOf path: String) throws {
        self.init([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }
    var byteCount: Int { bytes.count }
    func copy(from offset: Int, into buffer: UnsafeMutableRawBufferPointer) {
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + buffer.count)]))
        }
    }
}

/// A disk image read from its file on demand (the large differential images stay on disk, sparse).
final class FileImage: ImageBacking {
    let descriptor: Int32
    let byteCount: Int
    init(path: String) throws {
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CocoaError(.fileReadNoSuchFile) }
        byteCount = Int(lseek(descriptor, 0, SEEK_END))
    }
    deinit { close(descriptor) }
    func copy(from offset: Int, into buffer: UnsafeMutableRawBufferPointer) {
        let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
        precondition(n == buffer.count, "short read from image file")
    }
}

/// A BlockDevice over an image. In `.immediate` mode it behaves as the protocol describes a
/// synchronous device: data is copied at submit, completion reported at the next poll. In `.deferred`
/// mode data is copied only when the request completes, and each poll completes a seeded-random subset
/// in random order, so the cache must never look at a buffer before its completion.
final class TestBlockDevice: BlockDevice {
    enum Mode { case immediate, deferred(seed: UInt64) }
    struct Request { let sector: UInt64; let buffer: UnsafeMutableRawBufferPointer; let tag: UInt64; let ok: Bool }

    let image: ImageBacking
    let mode: Mode
    let queueDepth: Int
    var failingSectors: Set<UInt64> = []
    /// Extra tags to report at the next poll, as a confused device might.
    var bogusCompletions: [UInt64] = []
    private(set) var pending: [Request] = []
    private(set) var submitted = 0
    /// First sector of every accepted request, in order.
    private(set) var sectorsRead: [UInt64] = []
    /// The largest request accepted, in bytes; and the limit a test may set (the cache must keep to it).
    private(set) var largestRead = 0
    var maxReadBytes = Int.max
    private var rng: SplitMix64

    init(_ image: ImageBacking, mode: Mode = .immediate, queueDepth: Int = 64) {
        self.image = image
        self.mode = mode
        self.queueDepth = queueDepth
        if case .deferred(let seed) = mode { rng = SplitMix64(seed: seed) } else { rng = SplitMix64(seed: 0) }
    }

    var sectorCount: UInt64 { UInt64(image.byteCount / 512) }

    func submitRead(sector: UInt64, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) -> Bool {
        guard pending.count < queueDepth else { return false }
        precondition(buffer.count % 512 == 0 && buffer.count > 0, "cache submitted a partial sector")
        precondition(buffer.count <= maxReadBytes, "cache submitted a read beyond the device's limit")
        largestRead = max(largestRead, buffer.count)
        let sectors = UInt64(buffer.count / 512)
        var ok = sector + sectors <= sectorCount
        for s in sector..<(sector + sectors) where failingSectors.contains(s) { ok = false }
        let request = Request(sector: sector, buffer: buffer, tag: tag, ok: ok)
        submitted += 1
        sectorsRead.append(sector)
        if case .immediate = mode { copy(request) }
        pending.append(request)
        return true
    }

    func pollCompletions(_ handler: (UInt64, Bool) -> Void) {
        for tag in bogusCompletions { handler(tag, true) }
        bogusCompletions.removeAll()
        switch mode {
        case .immediate:
            let done = pending
            pending.removeAll()
            for r in done { handler(r.tag, r.ok) }
        case .deferred:
            guard !pending.isEmpty else { return }
            // Complete a random, non-empty subset, in random order.
            let n = 1 + Int(rng.next(below: UInt64(pending.count)))
            for _ in 0..<n {
                let r = pending.remove(at: Int(rng.next(below: UInt64(pending.count))))
                copy(r)
                handler(r.tag, r.ok)
            }
        }
    }

    private func copy(_ r: Request) {
        guard r.ok else { return }
        image.copy(from: Int(r.sector) * 512, into: r.buffer)
    }
}

/// Most consecutive `.wouldBlock` answers one operation may give before the test calls it a livelock.
let maximumRetries = 100_000

struct Livelock: Error {}

/// Runs `operation` until it stops answering `.wouldBlock`, polling the cache in between, as the
/// kernel's main loop would.
func drive<T>(_ cache: BlockCache, _ operation: () throws(Ext2Error) -> T) throws -> T {
    for _ in 0..<maximumRetries {
        do throws(Ext2Error) {
            return try operation()
        } catch {
            guard error == .wouldBlock else { throw error }
            cache.poll()
        }
    }
    throw Livelock()
}

/// Every byte of `file` in [offset, offset+length), read in `chunk`-sized calls with retries.
func readRange(_ volume: Ext2Volume, _ file: Ext2Inode, offset: UInt64, length: Int, chunk: Int = 1 << 20) throws -> [UInt8] {
    var out = [UInt8](repeating: 0xAA, count: length)
    var done = 0
    while done < length {
        let n = min(chunk, length - done)
        let got = try out.withUnsafeMutableBytes { raw in
            let window = UnsafeMutableRawBufferPointer(rebasing: raw[done..<(done + n)])
            return try drive(volume.cache) { () throws(Ext2Error) -> Int in
                try volume.read(file, at: offset + UInt64(done), into: window)
            }
        }
        if got == 0 { break }
        done += got
    }
    return Array(out[0..<done])
}

/// All live entries of a directory (excluding "." and ".."), as (name bytes, inode, type).
func listDirectory(_ volume: Ext2Volume, _ directory: Ext2Inode) throws -> [(name: [UInt8], inode: UInt32, type: FileType)] {
    var cursor = DirectoryCursor()
    var entries: [(name: [UInt8], inode: UInt32, type: FileType)] = []
    try drive(volume.cache) { () throws(Ext2Error) -> Void in
        try volume.readDirectory(directory, cursor: &cursor) { e in
            let name = e.name.toArray()
            if name != [46] && name != [46, 46] { entries.append((name, e.inode, e.fileType)) }
            return true
        }
    }
    return entries
}

func mount(_ image: ImageBacking, mode: TestBlockDevice.Mode = .immediate, queueDepth: Int = 64,
           cacheBytes: Int = 256 << 10) throws -> Ext2Volume {
    let cache = BlockCache(device: TestBlockDevice(image, mode: mode, queueDepth: queueDepth), memoryBytes: cacheBytes)
    return try drive(cache) { () throws(Ext2Error) -> Ext2Volume in try Ext2Volume.mount(cache) }
}

func lookup(_ volume: Ext2Volume, _ path: String, followFinal: Bool = true) throws -> Ext2Inode {
    var l = PathLookup(path: Array(path.utf8), followFinalSymlink: followFinal)
    return try drive(volume.cache) { () throws(Ext2Error) -> Ext2Inode in try volume.resolve(&l) }
}
