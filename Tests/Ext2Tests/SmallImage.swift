import Ext2
import Foundation

/// A small tree and images of it, for mount checks, targeted corruption and fuzzing (cheap to
/// copy and to walk, yet with every structure: indirect blocks, a multi-block directory, symlinks).
enum SmallImage {
    static let indirectFileSize = 300_000  // double indirect at 1 KiB blocks

    static let tree: Result<String, Error> = Result {
        let root = try scratchDirectory("small") + "/tree"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/dir/sub", withIntermediateDirectories: true)
        try Data("hello, ext2\n".utf8).write(to: URL(fileURLWithPath: root + "/small.txt"))
        try Data("other file\n".utf8).write(to: URL(fileURLWithPath: root + "/other.txt"))
        try SourceTree.pattern(indirectFileSize, seed: 3).write(to: URL(fileURLWithPath: root + "/indirect.bin"))
        try SourceTree.writeSparse(root + "/sparse.bin", size: 70 << 20, regions: [(0, 10), (68 << 20, 10)])
        for i in 0..<60 { try Data("\(i)".utf8).write(to: URL(fileURLWithPath: root + "/dir/file-\(i)-with-a-longer-name")) }
        try Data("deep\n".utf8).write(to: URL(fileURLWithPath: root + "/dir/sub/leaf.txt"))
        try fm.createSymbolicLink(atPath: root + "/fast", withDestinationPath: "small.txt")
        try fm.createSymbolicLink(atPath: root + "/slow", withDestinationPath: "dir/sub/../sub/../sub/../sub/../sub/../sub/leaf.txt")
        return root
    }

    /// A fresh image of the small tree made by mke2fs with `arguments` (e.g. "-t", "ext4").
    static func make(_ name: String, _ arguments: [String]) throws -> DiskImage {
        let mke2fs = try tool("mke2fs", package: "e2fsprogs")
        let root = try tree.get()
        let path = try scratchDirectory("small-" + name) + "/image"
        try run(mke2fs, ["-q", "-F"] + arguments + ["-d", root, path, "8M"])
        return try DiskImage(contentsOf: path)
    }

    static let ext2: Result<[UInt8], Error> = Result { try make("ext2", ["-t", "ext2", "-b", "1024", "-I", "128"]).bytes }

    /// A private copy of the ext2 image, for a test to damage.
    static func ext2Copy() throws -> DiskImage { DiskImage(try ext2.get()) }
}

/// Little-endian field access on an image, for tests that damage specific structures.
extension DiskImage {
    func u16(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
    func u32(_ offset: Int) -> Int { u16(offset) | u16(offset + 2) << 16 }
    func setU16(_ offset: Int, _ value: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }
    func setU32(_ offset: Int, _ value: Int) { setU16(offset, value & 0xFFFF); setU16(offset + 2, value >> 16) }

    static let superblock = 1024
    var blockSize: Int { 1024 << u32(DiskImage.superblock + 24) }

    /// Byte offset of inode `number`, found the way the format defines (independently of the reader).
    func inodeOffset(_ number: Int) -> Int {
        let perGroup = u32(DiskImage.superblock + 40)
        let inodeSize = u32(DiskImage.superblock + 76) == 0 ? 128 : u16(DiskImage.superblock + 88)
        let firstDataBlock = u32(DiskImage.superblock + 20)
        let group = (number - 1) / perGroup
        let descriptor = (firstDataBlock + 1) * blockSize + group * 32
        return u32(descriptor + 8) * blockSize + ((number - 1) % perGroup) * inodeSize
    }
}
