import Ext2
import Foundation
import Testing

/// Found by the `ext2` fuzz target (Fuzz/Targets/ext2.swift, seed image-deep-tree-tiny-cache):
/// `lookup(_:)`, which the HTTP document root calls again after each `.wouldBlock`, used to start every
/// retry from the root. A path needing more blocks than the cache holds then never resolved, because
/// each attempt evicted the blocks the previous one had fetched.
@Suite struct DeepPathTests {
    /// Deeper than the smallest cache has 1 KiB slots (64): the path needs a directory block per level.
    static let depth = 90

    /// Two branches, a/d/d/.../leaf.txt and b/d/d/.../leaf.txt, `depth` directories each.
    static let image: Result<[UInt8], Error> = Result {
        let root = try scratchDirectory("deep") + "/tree"
        for branch in ["a", "b"] {
            let leafDirectory = root + "/" + branch + String(repeating: "/d", count: depth)
            try FileManager.default.createDirectory(atPath: leafDirectory, withIntermediateDirectories: true)
            try Data("leaf \(branch)\n".utf8).write(to: URL(fileURLWithPath: leafDirectory + "/leaf.txt"))
        }
        let path = try scratchDirectory("deep-image") + "/image"
        try run(try tool("mke2fs", package: "e2fsprogs"),
                ["-q", "-F", "-t", "ext2", "-b", "1024", "-N", "256", "-d", root, path, "1M"])
        return try DiskImage(contentsOf: path).bytes
    }

    static func path(_ branch: String) -> [UInt8] {
        Array(("/" + branch + String(repeating: "/d", count: depth) + "/leaf.txt").utf8)
    }

    /// Calls `lookup(_:)` for each path in turn, polling in between, as the document root is driven;
    /// every retry fetches at least one more block, so a few hundred attempts are plenty.
    func resolveAll(_ volume: Ext2Volume, _ paths: [[UInt8]]) throws -> [Ext2Inode] {
        var found: [Ext2Inode?] = Array(repeating: nil, count: paths.count)
        for _ in 0..<1000 where found.contains(where: { $0 == nil }) {
            for (i, path) in paths.enumerated() where found[i] == nil {
                do throws(Ext2Error) {
                    found[i] = try volume.lookup(path)
                } catch {
                    guard error == .wouldBlock else { throw error }
                }
            }
            volume.cache.poll()
        }
        return found.compactMap { $0 }
    }

    @Test func deepPathResolvesThroughTheSmallestCache() throws {
        let volume = try mount(DiskImage(try DeepPathTests.image.get()), cacheBytes: 0)
        #expect(volume.cache.slotCount < DeepPathTests.depth)
        let found = try resolveAll(volume, [DeepPathTests.path("a")])
        try #require(found.count == 1)
        #expect(try readRange(volume, found[0], offset: 0, length: 100) == Array("leaf a\n".utf8))
    }

    @Test func interleavedDeepLookupsEachResume() throws {
        let volume = try mount(DiskImage(try DeepPathTests.image.get()), cacheBytes: 0)
        let found = try resolveAll(volume, [DeepPathTests.path("a"), DeepPathTests.path("b")])
        try #require(found.count == 2)
        #expect(try readRange(volume, found[1], offset: 0, length: 100) == Array("leaf b\n".utf8))
        #expect(volume.counters.lookupsAbandoned == 0)
    }

    @Test func pastThePendingLimitTheOldestIsForgotten() throws {
        let volume = try mount(DiskImage(try DeepPathTests.image.get()), cacheBytes: 0)
        // Before any poll every lookup waits on the root's inode block, so each one stays pending.
        for i in 0...Ext2Volume.maximumPendingLookups {
            #expect(throws: Ext2Error.wouldBlock) { try volume.lookup(Array("/a/missing-\(i)".utf8)) }
        }
        #expect(volume.counters.lookupsAbandoned == 1)
        // The forgotten one starts again and still gets its answer.
        let found = try resolveAll(volume, [DeepPathTests.path("b")])
        #expect(found.count == 1)
        #expect(throws: Ext2Error.notFound) {
            try drive(volume.cache) { () throws(Ext2Error) -> Ext2Inode in try volume.lookup(Array("/a/missing-0".utf8)) }
        }
    }
}
