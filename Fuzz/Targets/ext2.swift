import Bytes
import Ext2
#if canImport(Glibc)
import Glibc
#endif

// Fuzz target `ext2`: a damaged disk image is mounted, its whole tree walked, every file read, every
// symlink read and every name looked up again by path, within a bound on work. Never a trap, never a
// livelock (an operation answering `.wouldBlock` for ever); reads never return more than asked, never
// go past a file's size and never stop short of it without an error; a lookup that follows symlinks
// never ends on one.
//
// Input: a mode byte, then
//   bit 0 set:   the rest is the image itself (rounded down to whole 512-byte sectors);
//   bit 0 clear: patches to the base image (Fuzz/ext2-base.ext2, or $FUZZ_EXT2_BASE), each a 3-byte
//                offset (modulo the image size), a byte (bits 0-5: length - 1; bit 7: XOR, else
//                overwrite) and that many bytes.
//   bit 1: the device queue is one request deep (the cache must cope with a busy device);
//   bit 2: the cache gets its minimum memory (constant eviction).

/// Work allowed per input, so a damaged image cannot make one run take seconds.
let maxInodesVisited = 256
let maxBytesRead = 1 << 20
let maxLookups = 8
let maxDepth = 128
/// Consecutive `.wouldBlock` answers before an operation counts as livelocked.
let maxRetries = 10_000

/// An image in memory; reads complete at the next poll, in order.
final class ImageDevice: BlockDevice {
    let image: [UInt8]
    let queueDepth: Int
    private var completions: [(tag: UInt64, ok: Bool)] = []
    /// Merged reads of any length: the cache's runs are fuzzed too.
    let maxReadBytes = Int.max

    init(image: [UInt8], queueDepth: Int) {
        self.image = image
        self.queueDepth = queueDepth
    }

    var sectorCount: UInt64 { UInt64(image.count / blockDeviceSectorSize) }

    func submitRead(sector: UInt64, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) -> Bool {
        guard completions.count < queueDepth else { return false }
        guard buffer.count > 0, buffer.count % blockDeviceSectorSize == 0 else { fuzzFailure("read of \(buffer.count) bytes") }
        let start = sector.multipliedReportingOverflow(by: UInt64(blockDeviceSectorSize))
        let ok = !start.overflow && start.partialValue + UInt64(buffer.count) <= UInt64(image.count)
        if ok {
            let from = Int(start.partialValue)
            image.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[from..<(from + buffer.count)])) }
        }
        completions.append((tag, ok))
        return true
    }

    func pollCompletions(_ handler: (UInt64, Bool) -> Void) {
        let done = completions
        completions.removeAll()
        for c in done { handler(c.tag, c.ok) }
    }
}

/// The base image for patch mode, read once.
let baseImage: [UInt8] = {
    let path = getenv("FUZZ_EXT2_BASE").map { String(cString: $0) } ?? "Fuzz/ext2-base.ext2"
    guard let file = fopen(path, "rb") else { fuzzFailure("cannot open the base image \(path) (set FUZZ_EXT2_BASE)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if n == 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}()

func image(from input: inout FuzzInput, whole: Bool) -> [UInt8] {
    if whole {
        let bytes = input.rest()
        return Array(bytes[0..<(bytes.count / blockDeviceSectorSize * blockDeviceSectorSize)])
    }
    var image = baseImage
    while !input.isAtEnd {
        let offset = (Int(input.byte()) << 16 | Int(input.byte()) << 8 | Int(input.byte())) % image.count
        let op = input.byte()
        let patch = input.take(Int(op & 0x3F) + 1)
        for (i, b) in patch.enumerated() where offset + i < image.count {
            image[offset + i] = op & 0x80 != 0 ? image[offset + i] ^ b : b
        }
    }
    return image
}

final class Walk {
    let volume: Ext2Volume
    var inodesVisited = 0
    var bytesRead = 0
    var lookups = 0
    var buffer = [UInt8](repeating: 0, count: 4096)

    init(volume: Ext2Volume) { self.volume = volume }

    /// Retries `operation` across `.wouldBlock`, polling the cache as the kernel's loop would.
    func drive<T>(_ operation: () throws(Ext2Error) -> T) -> T? {
        for _ in 0..<maxRetries {
            do throws(Ext2Error) {
                return try operation()
            } catch {
                guard error == .wouldBlock else { return nil }
                volume.cache.poll()
            }
        }
        fuzzFailure("livelock: \(maxRetries) answers of wouldBlock in a row")
    }

    func visit(_ number: UInt32, path: [UInt8], depth: Int) {
        guard inodesVisited < maxInodesVisited, depth <= maxDepth else { return }
        inodesVisited += 1
        guard let node = drive({ () throws(Ext2Error) -> Ext2Inode in try volume.inode(number) }) else { return }
        switch node.fileType {
        case .regular: readFile(node)
        case .symlink: _ = drive { () throws(Ext2Error) -> [UInt8] in try volume.readLink(node) }
        case .directory: list(node, path: path, depth: depth)
        default: break
        }
        if lookups < maxLookups {
            lookups += 1
            // Both ways in: `lookup(_:)` as the HTTP document root calls it (the caller keeps nothing
            // between retries), and a resumable `PathLookup` that returns symlinks themselves.
            if let found = drive({ () throws(Ext2Error) -> Ext2Inode in try volume.lookup(path) }),
               found.fileType == .symlink {
                fuzzFailure("path resolved to a symlink although links were followed")
            }
            var lookup = PathLookup(path: path, followFinalSymlink: false)
            _ = drive { () throws(Ext2Error) -> Ext2Inode in try volume.resolve(&lookup) }
        }
    }

    func list(_ directory: Ext2Inode, path: [UInt8], depth: Int) {
        var cursor = DirectoryCursor()
        var children: [(UInt32, [UInt8])] = []
        _ = drive { () throws(Ext2Error) -> Void in
            try volume.readDirectory(directory, cursor: &cursor) { entry in
                let name = entry.name.toArray()
                guard !name.isEmpty, name.count <= Ext2Volume.maximumNameLength else { fuzzFailure("entry name of \(name.count) bytes") }
                if name != [0x2E] && name != [0x2E, 0x2E] { children.append((entry.inode, name)) }
                return children.count < maxInodesVisited
            }
        }
        for (number, name) in children { visit(number, path: path + [0x2F] + name, depth: depth + 1) }
    }

    func readFile(_ file: Ext2Inode) {
        var offset: UInt64 = 0
        while bytesRead < maxBytesRead {
            let asked = min(buffer.count, maxBytesRead - bytesRead)
            let got = buffer.withUnsafeMutableBytes { raw in
                drive { () throws(Ext2Error) -> Int in
                    try volume.read(file, at: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<asked]))
                }
            }
            guard let got else { return }
            guard got <= asked else { fuzzFailure("read returned \(got) for \(asked)") }
            guard offset + UInt64(got) <= file.size else { fuzzFailure("read past the end: \(offset) + \(got) > \(file.size)") }
            if got == 0 {
                guard offset >= file.size else { fuzzFailure("read stopped at \(offset) of \(file.size)") }
                return
            }
            offset += UInt64(got)
            bytesRead += got
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExt2(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    let device = ImageDevice(image: image(from: &input, whole: mode & 1 != 0), queueDepth: mode & 2 != 0 ? 1 : 16)
    let cache = BlockCache(device: device, memoryBytes: mode & 4 != 0 ? 0 : 256 << 10)
    var mounted: Ext2Volume?
    for _ in 0..<maxRetries where mounted == nil {
        do throws(Ext2Error) {
            mounted = try Ext2Volume.mount(cache)
        } catch {
            guard error == .wouldBlock else { return 0 }
            cache.poll()
        }
    }
    guard let volume = mounted else { fuzzFailure("livelock mounting") }
    Walk(volume: volume).visit(2, path: [0x2F], depth: 0)
    return 0
}
