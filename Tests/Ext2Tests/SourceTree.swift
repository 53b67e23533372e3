import Bytes
import Foundation

/// The folder the differential tests turn into images: every shape of file and directory the reader
/// must handle. Large sparse files are written with seeks so the tree and the images stay small.
struct SourceTree {
    let root: String
    /// Files too large to read whole: the ranges to compare (their data, holes around it, the end).
    var windows: [String: [(offset: UInt64, length: Int)]] = [:]

    static let manyCount = 3000
    static let deepLevels = 32
    static let fixedMtime: TimeInterval = 1_234_567_890

    /// Deterministic bytes for a region of a file.
    static func pattern(_ count: Int, seed: UInt64) -> Data {
        var rng = SplitMix64(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = rng.next()
            for _ in 0..<8 where i < count { bytes[i] = UInt8(truncatingIfNeeded: word); word >>= 8; i += 1 }
        }
        return Data(bytes)
    }

    /// Writes `regions` (offset, length) of patterned data into a file of `size` bytes; the rest is holes.
    static func writeSparse(_ path: String, size: UInt64, regions: [(UInt64, Int)]) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for (offset, length) in regions {
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: pattern(length, seed: offset ^ UInt64(length)))
        }
        try handle.truncate(atOffset: size)
    }

    init(root: String) throws {
        self.root = root
        let fm = FileManager.default
        func file(_ rel: String, _ data: Data) throws {
            try data.write(to: URL(fileURLWithPath: root + "/" + rel))
        }
        func dir(_ rel: String) throws {
            try fm.createDirectory(atPath: root + "/" + rel, withIntermediateDirectories: true)
        }
        func link(_ rel: String, _ target: String) throws {
            try fm.createSymbolicLink(atPath: root + "/" + rel, withDestinationPath: target)
        }

        try file("empty.txt", Data())
        try file("small.txt", Data("hello, ext2\n".utf8))
        try file("index.html", Data("<html><body>served from ext2</body></html>\n".utf8))
        // Exactly at block boundaries (1, 2, 4 KiB; the last direct block of a 1 KiB filesystem) and one past.
        for size in [1024, 2048, 4096, 12 * 1024, 12 * 1024 + 1, 48 * 1024, 48 * 1024 + 1] {
            try file("exact-\(size).bin", SourceTree.pattern(size, seed: UInt64(size)))
        }
        // Dense, past single indirect for every block size: 1 KiB blocks need double indirect after
        // 268 KiB, 4 KiB blocks after 4.05 MiB.
        try file("double.bin", SourceTree.pattern(4_400_000, seed: 7))
        // Sparse, past double indirect at 1 KiB blocks (64.26 MiB), data at both ends and in between.
        // Compared in windows: each data region with the holes around it, the boundary into triple
        // indirect, and a stretch of pure hole.
        try SourceTree.writeSparse(root + "/triple.bin", size: 70 << 20,
                                   regions: [(0, 5000), (1 << 20, 4096), (67_383_296 - 10, 20), (66 << 20, 9000), ((70 << 20) - 333, 333)])
        windows["triple.bin"] = [(0, 300_000), ((1 << 20) - 5000, 14_096), (67_383_296 - 70_000, 140_000),
                                 ((66 << 20) - 1000, 11_000), (30 << 20, 200_000), ((70 << 20) - 50_000, 50_000)]
        // Mostly hole: one region in the middle of 10 MiB.
        try SourceTree.writeSparse(root + "/sparse.bin", size: 10 << 20, regions: [(3 << 20 + 123, 5000)])

        var deep = "deep"
        for level in 1...SourceTree.deepLevels { deep += "/d\(level)" }
        try dir(deep)
        try file(deep + "/leaf.txt", Data("at the bottom\n".utf8))

        try dir("many")
        for i in 0..<SourceTree.manyCount {
            let name = "many/entry-\(String(i, radix: 10))"
            try file(name, i % 100 == 0 ? Data("entry \(i)\n".utf8) : Data())
        }

        try file(String(repeating: "n", count: 251) + ".txt", Data("longest name\n".utf8))
        try dir("répertoire/日本語")
        try file("répertoire/日本語/héllo wörld ☃ 🙂.txt", Data("utf-8 names\n".utf8))

        // Symlinks: fast (target in the inode), slow (target >= 60 bytes, in a block), absolute,
        // escaping the root, dangling, a loop, and one to a directory.
        try link("link-fast", "small.txt")
        try link("link-slow", deep + "/leaf.txt")
        try link("link-abs", "/index.html")
        try link("link-escape", "../../../../../small.txt")
        try link("link-dangling", "no-such-file")
        try link("loop-a", "loop-b")
        try link("loop-b", "loop-a")
        try link("link-dir", "deep/d1/d2")
        // A chain of exactly `PathLookup.maximumSymlinkFollows` (8) links to small.txt, and one link more.
        for i in 1...8 { try link("hop-\(i)", i == 8 ? "small.txt" : "hop-\(i + 1)") }
        try link("hop-0", "hop-1")
        try link("répertoire/up", "../small.txt")

        try fm.setAttributes([.modificationDate: Date(timeIntervalSince1970: SourceTree.fixedMtime)],
                             ofItemAtPath: root + "/small.txt")
    }

    /// Adds a sparse file larger than 4 GiB (needs i_size_high; triple indirect at 4 KiB blocks too).
    mutating func addHugeFile() throws {
        let size: UInt64 = 5 << 30
        let regions: [(UInt64, Int)] = [(0, 100), ((4 << 30) - 2000, 4000), (size - 1000, 1000)]
        try SourceTree.writeSparse(root + "/huge.bin", size: size, regions: regions)
        var w: [(offset: UInt64, length: Int)] = regions.map { ($0.0, $0.1) }
        w.append(((3 << 30) + 5, 70_000))  // a hole
        windows["huge.bin"] = w
    }
}
