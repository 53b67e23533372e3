import Bytes
import Ext2
import Testing

/// Seeded mutation fuzzing: damage the metadata of a small image at random and walk all of it. Every
/// case must end in data or typed errors: a trap would kill the test process, a loop would exceed the
/// per-case work bound.
@Suite struct FuzzTests {
    static let cases = 3000
    static let seed: UInt64 = 0x5EED_E272
    /// Device reads one case may cause; a clean walk of the small image needs a few hundred.
    static let maximumReadsPerCase = 20_000
    /// Entries visited per walk, so a damaged directory that lists garbage stays cheap.
    static let maximumEntriesPerWalk = 300
    static let maximumDepth = 8

    enum Outcome { case refusedMount, walkedWithErrors, walkedClean }

    /// Walks everything reachable: listings, inodes, the head and tail of each file, link targets and
    /// a few path lookups. Returns how many operations failed.
    static func walk(_ volume: Ext2Volume) throws -> Int {
        var failures = 0
        var visited = 0
        func attempt<T>(_ op: () throws(Ext2Error) -> T) throws -> T? {
            do {
                return try drive(volume.cache, op)
            } catch is Ext2Error {
                failures += 1
                return nil
            }
        }
        func visit(_ directory: Ext2Inode, depth: Int) throws {
            guard depth < maximumDepth else { return }
            var entries: [UInt32] = []
            var cursor = DirectoryCursor()
            _ = try attempt { () throws(Ext2Error) -> Void in
                try volume.readDirectory(directory, cursor: &cursor) { e in
                    if e.name.count > 2 || e.name[0] != 46 { entries.append(e.inode) }
                    return entries.count < maximumEntriesPerWalk
                }
            }
            for number in entries {
                visited += 1
                guard visited <= maximumEntriesPerWalk else { return }
                guard let node = try attempt({ () throws(Ext2Error) -> Ext2Inode in try volume.inode(number) }) else { continue }
                var buffer = [UInt8](repeating: 0, count: 4096)
                switch node.fileType {
                case .regular:
                    for offset in [0, node.size > 4096 ? node.size - 4096 : 0] {
                        _ = try buffer.withUnsafeMutableBytes { b in
                            try attempt { () throws(Ext2Error) -> Int in try volume.read(node, at: offset, into: b) }
                        }
                    }
                case .symlink:
                    _ = try attempt { () throws(Ext2Error) -> [UInt8] in try volume.readLink(node) }
                case .directory:
                    try visit(node, depth: depth + 1)
                default:
                    break
                }
            }
        }
        if let root = try attempt({ () throws(Ext2Error) -> Ext2Inode in try volume.root() }) { try visit(root, depth: 0) }
        for path in ["small.txt", "fast", "slow", "dir/sub/leaf.txt", "dir/file-59-with-a-longer-name", "/../dir/./sub/"] {
            var l = PathLookup(path: Array(path.utf8))
            _ = try attempt { () throws(Ext2Error) -> Ext2Inode in try volume.resolve(&l) }
        }
        return failures
    }

    /// Byte ranges worth damaging: the superblock's fields, group 0's descriptor, every inode in use,
    /// every directory block and every indirect block (found by walking the pristine image).
    static func targets(_ image: DiskImage) throws -> [(offset: Int, length: Int)] {
        let volume = try mount(image)
        #expect(try walk(volume) == 0, "the pristine image walks cleanly")
        var ranges: [(offset: Int, length: Int)] = [(DiskImage.superblock, 104), (2 * 1024, 32)]
        var pending: [UInt32] = [2]
        var seen: Set<UInt32> = []
        while let number = pending.popLast() {
            guard seen.insert(number).inserted else { continue }
            let offset = image.inodeOffset(Int(number))
            ranges.append((offset, 128))
            let node = try drive(volume.cache) { () throws(Ext2Error) -> Ext2Inode in try volume.inode(number) }
            let pointers = (0..<15).map { image.u32(offset + 40 + 4 * $0) }
            if node.fileType == .directory {
                for block in pointers[0..<12] where block != 0 { ranges.append((block * 1024, 1024)) }
                for entry in try listDirectory(volume, node) { pending.append(entry.inode) }
            }
            if node.fileType == .regular {
                for level in 12..<15 where pointers[level] != 0 {
                    ranges.append((pointers[level] * 1024, 1024))
                    let child = image.u32(pointers[level] * 1024)
                    if level > 12 && child != 0 { ranges.append((child * 1024, 1024)) }
                }
            }
        }
        return ranges
    }

    @Test func mutatedImagesNeverTrapOrHang() throws {
        let image = try SmallImage.ext2Copy()
        let pristine = image.bytes
        let targets = try FuzzTests.targets(image)
        #expect(image.bytes == pristine)
        #expect(targets.count > 20)
        let blocksCount = image.u32(DiskImage.superblock + 4)
        var rng = SplitMix64(seed: FuzzTests.seed)
        var outcomes: [Outcome: Int] = [:]

        for index in 0..<FuzzTests.cases {
            var saved: [(Int, UInt8)] = []
            func poke(_ offset: Int, _ byte: UInt8) {
                saved.append((offset, image.bytes[offset]))
                image.bytes[offset] = byte
            }
            let mutations = 1 + Int(rng.next(below: 4))
            for _ in 0..<mutations {
                // A quarter hit the superblock; the rest any structure the walk reads. Offsets are
                // 4-aligned within the range so whole fields get interesting values.
                let range = targets[rng.next(below: 4) == 0 ? 0 : Int(rng.next(below: UInt64(targets.count)))]
                let offset = range.offset + Int(rng.next(below: UInt64(range.length - 3))) & ~3
                let interesting = [0, 1, 2, 11, 0xFFFF_FFFF, 0x8000_0000, blocksCount - 1, blocksCount, offset / 1024,
                                   Int(rng.next(below: 300))]
                switch rng.next(below: 4) {
                case 0: poke(offset + Int(rng.next(below: 4)), UInt8(truncatingIfNeeded: rng.next()))
                case 1:
                    let bit = Int(rng.next(below: 32))
                    poke(offset + bit / 8, image.bytes[offset + bit / 8] ^ UInt8(1 << (bit % 8)))
                default:
                    let value = interesting[Int(rng.next(below: UInt64(interesting.count)))]
                    for i in 0..<4 { poke(offset + i, UInt8(truncatingIfNeeded: value >> (8 * i))) }
                }
            }

            // Every tenth case goes through a late, out-of-order device, so damaged structures are also
            // met halfway through `.wouldBlock` retries.
            let device = index % 10 == 0
                ? TestBlockDevice(image, mode: .deferred(seed: UInt64(index)), queueDepth: 2)
                : TestBlockDevice(image)
            let cache = BlockCache(device: device, memoryBytes: 0)
            do {
                let volume = try drive(cache) { () throws(Ext2Error) -> Ext2Volume in try Ext2Volume.mount(cache) }
                let failures = try FuzzTests.walk(volume)
                outcomes[failures > 0 ? .walkedWithErrors : .walkedClean, default: 0] += 1
            } catch is Ext2Error {
                outcomes[.refusedMount, default: 0] += 1
            } catch {
                Issue.record("case \(index): \(error) (livelock)")
            }
            #expect(device.submitted <= FuzzTests.maximumReadsPerCase, "case \(index) did too much work")
            for (offset, byte) in saved.reversed() { image.bytes[offset] = byte }
        }
        // The mutations must actually reach every path: refusals, damaged walks and clean ones.
        #expect(outcomes[.refusedMount, default: 0] > FuzzTests.cases / 20)
        #expect(outcomes[.walkedWithErrors, default: 0] > FuzzTests.cases / 10)
        #expect(outcomes[.walkedClean, default: 0] > FuzzTests.cases / 10)
    }
}
