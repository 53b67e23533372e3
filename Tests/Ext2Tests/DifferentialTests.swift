import Ext2
import Foundation
import Testing

/// The reader against real tools: every image made from the source tree must list the same names,
/// types, sizes, mtimes and link targets, and hold the same bytes, as the folder it came from.
@Suite struct DifferentialTests {
    @Test("image matches its source tree", arguments: ImageKind.all)
    func imageMatchesSourceTree(kind: ImageKind) throws {
        let fixtures = try Fixtures.get()
        let image = try FileImage(path: fixtures.imagePath(kind))
        let volume = try mount(image)
        let root = try drive(volume.cache) { () throws(Ext2Error) -> Ext2Inode in try volume.root() }
        var checked = 0
        try compareDirectory(volume, fixtures.tree, root, relative: "", excluding: kind.hasHugeFile ? [] : ["huge.bin"], checked: &checked)
        #expect(checked > SourceTree.manyCount)
        try checkLookups(volume)
        #expect(volume.counters.corruptionErrors == 0)
    }

    /// The same comparison through a device that completes late and out of order, with a queue of 3
    /// and the smallest cache, so almost every block goes through `.wouldBlock`.
    @Test("image matches through an asynchronous device and a tiny cache")
    func asynchronousDevice() throws {
        let fixtures = try Fixtures.get()
        let kind = ImageKind.all[0]
        let image = try FileImage(path: fixtures.imagePath(kind))
        let volume = try mount(image, mode: .deferred(seed: 42), queueDepth: 3, cacheBytes: 0)
        let root = try drive(volume.cache) { () throws(Ext2Error) -> Ext2Inode in try volume.root() }
        var checked = 0
        try compareDirectory(volume, fixtures.tree, root, relative: "", excluding: [], checked: &checked)
        try checkLookups(volume)
        let c = volume.cache.counters
        #expect(c.misses + c.readAheads > 5000 && c.evictions > 5000)
        #expect(c.deviceBusy > 0)
        #expect(c.readAheads > 0 && c.readAheadHits > 0)
    }

    private func compareDirectory(_ volume: Ext2Volume, _ tree: SourceTree, _ directory: Ext2Inode, relative: String,
                                  excluding: Set<String>, checked: inout Int) throws {
        let fm = FileManager.default
        let sourcePath = tree.root + relative
        let sourceNames = try fm.contentsOfDirectory(atPath: sourcePath).filter { !excluding.contains($0) }
        var entries = try listDirectory(volume, directory)
        if relative.isEmpty { entries.removeAll { $0.name == Array("lost+found".utf8) } }
        let imageNames = entries.map { $0.name }
        #expect(Set(imageNames) == Set(sourceNames.map { Array($0.utf8) }), "listing of \(relative)/")
        #expect(Set(imageNames).count == imageNames.count, "duplicate names in \(relative)/")

        for entry in entries {
            let name = String(decoding: entry.name, as: UTF8.self)
            let rel = relative + "/" + name
            let path = tree.root + rel
            guard let attributes = try? fm.attributesOfItem(atPath: path) else {
                Issue.record("\(rel) is in the image but not in the source")
                continue
            }
            let node = try drive(volume.cache) { () throws(Ext2Error) -> Ext2Inode in try volume.inode(entry.inode) }
            if entry.type != .unknown { #expect(entry.type == node.fileType, "entry type of \(rel)") }
            let mtime = (attributes[.modificationDate] as! Date).timeIntervalSince1970
            #expect(UInt32(mtime.rounded(.down)) == node.modificationTime, "mtime of \(rel)")
            checked += 1

            switch attributes[.type] as! FileAttributeType {
            case .typeRegular:
                #expect(node.fileType == .regular, "type of \(rel)")
                let size = (attributes[.size] as! NSNumber).uint64Value
                #expect(node.size == size, "size of \(rel)")
                try compareContents(volume, node, path: path, windows: tree.windows[String(rel.dropFirst())], size: size, rel: rel)
            case .typeDirectory:
                #expect(node.fileType == .directory, "type of \(rel)")
                try compareDirectory(volume, tree, node, relative: rel, excluding: [], checked: &checked)
            case .typeSymbolicLink:
                #expect(node.fileType == .symlink, "type of \(rel)")
                let target = try drive(volume.cache) { () throws(Ext2Error) -> [UInt8] in try volume.readLink(node) }
                #expect(target == Array(try fm.destinationOfSymbolicLink(atPath: path).utf8), "target of \(rel)")
            default:
                Issue.record("unexpected source type at \(rel)")
            }
        }
    }

    private func compareContents(_ volume: Ext2Volume, _ node: Ext2Inode, path: String,
                                 windows: [(offset: UInt64, length: Int)]?, size: UInt64, rel: String) throws {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let ranges = windows ?? [(0, Int(size))]
        for (offset, length) in ranges {
            try handle.seek(toOffset: offset)
            let expected = [UInt8](try handle.read(upToCount: length) ?? Data())
            let actual = try readRange(volume, node, offset: offset, length: length)
            #expect(actual.count == expected.count, "length of \(rel) at \(offset)")
            let same = actual.count == expected.count && actual.withUnsafeBytes { a in
                expected.withUnsafeBytes { e in a.count == 0 || memcmp(a.baseAddress!, e.baseAddress!, a.count) == 0 }
            }
            #expect(same, "bytes of \(rel) at \(offset)")
        }
        // Reading at or past the end gives nothing.
        #expect(try readRange(volume, node, offset: size, length: 16).isEmpty)
    }

    /// Path lookups: symlinks of every kind, "." and "..", and the root's boundary.
    private func checkLookups(_ volume: Ext2Volume) throws {
        func number(_ path: String, followFinal: Bool = true) throws -> UInt32 {
            try lookup(volume, path, followFinal: followFinal).number
        }
        func fails(_ path: String, _ expected: Ext2Error) {
            #expect(throws: expected, "lookup of \(path)") { try lookup(volume, path) }
        }
        let small = try number("/small.txt")
        #expect(try number("small.txt") == small)
        #expect(try number("//./small.txt") == small)
        #expect(try number("/../../small.txt") == small, "'..' at the root stays at the root")
        #expect(try number("link-fast") == small)
        #expect(try number("link-escape") == small, "a link cannot climb out of the image")
        #expect(try number("répertoire/up") == small)
        #expect(try number("deep/d1/../../small.txt") == small)
        #expect(try number("link-abs") == number("index.html"))
        #expect(try number("link-slow") == number("deep/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20/d21/d22/d23/d24/d25/d26/d27/d28/d29/d30/d31/d32/leaf.txt"))
        #expect(try number("link-dir/d3") == number("deep/d1/d2/d3"))
        #expect(try lookup(volume, "link-dir/").fileType == .directory)
        #expect(try lookup(volume, "/").number == 2)
        #expect(try lookup(volume, "link-fast", followFinal: false).fileType == .symlink)
        #expect(try number("many/entry-2999") != number("many/entry-0"))
        fails("no-such-file", .notFound)
        fails("link-dangling", .notFound)
        fails("loop-a", .tooManySymlinks)
        #expect(try number("hop-1") == small, "eight symlinks in a row are followed")
        fails("hop-0", .tooManySymlinks)
        fails("small.txt/x", .notADirectory)
        fails("small.txt/", .notADirectory)
        fails("link-fast/", .notADirectory)
        #expect(try lookup(volume, "link-dir/", followFinal: false).fileType == .directory)
        fails(String(repeating: "x", count: 256), .nameTooLong)
        fails(String(repeating: "a/", count: 2100), .pathTooLong)
    }
}
