import Foundation

/// One way of turning the source tree into an image.
struct ImageKind: CustomStringConvertible, Sendable {
    let name: String
    /// Whether the image holds the >4 GiB file (genext2fs cannot make one).
    let hasHugeFile: Bool
    var description: String { name }

    static let all: [ImageKind] = [
        ImageKind(name: "mkdisk-1k-128", hasHugeFile: true),
        ImageKind(name: "mkdisk-1k-256", hasHugeFile: true),
        ImageKind(name: "mkdisk-2k-256", hasHugeFile: true),
        ImageKind(name: "mkdisk-4k-128", hasHugeFile: true),
        ImageKind(name: "mkdisk-4k-256", hasHugeFile: true),
        ImageKind(name: "mke2fs-1k-nofiletype", hasHugeFile: true),
        ImageKind(name: "genext2fs-1k", hasHugeFile: false),
        ImageKind(name: "genext2fs-4k", hasHugeFile: false),
        ImageKind(name: "genext2fs-1k-rev0", hasHugeFile: false),
    ]
}

/// The source tree and every image made from it, built once per test process (mke2fs and genext2fs
/// run here; a missing tool makes every test that needs the fixtures fail with its name).
final class Fixtures: @unchecked Sendable {
    let tree: SourceTree
    let directory: String
    private let images: [String: String]

    static let shared: Result<Fixtures, Error> = Result { try Fixtures() }

    static func get() throws -> Fixtures { try shared.get() }

    func imagePath(_ kind: ImageKind) -> String { images[kind.name]! }

    private init() throws {
        let mke2fs = try tool("mke2fs", package: "e2fsprogs")
        let genext2fs = try tool("genext2fs", package: "genext2fs")
        directory = try scratchDirectory("fixtures")
        let root = directory + "/tree"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var tree = try SourceTree(root: root)
        var images: [String: String] = [:]

        // genext2fs first: it cannot hold the >4 GiB file, which is added afterwards. It makes revision
        // 1 images with no features at all (so no filetype byte in directory entries).
        let entries = try FileManager.default.subpathsOfDirectory(atPath: root).count
        for blockSize in [1024, 4096] {
            let path = directory + "/genext2fs-\(blockSize / 1024)k.img"
            let blocks = (24 << 20) / blockSize + entries * 3
            try run(genext2fs, ["-z", "-q", "-B", "\(blockSize)", "-b", "\(blocks)", "-N", "\(entries + 64)",
                                "-d", root, path])
            images["genext2fs-\(blockSize / 1024)k"] = path
        }
        // Revision 0 differs from a featureless revision 1 only in the revision field (inodes are 128
        // bytes and the first free inode is 11 in both), so patching it gives a genuine rev 0 image.
        let rev0 = directory + "/genext2fs-1k-rev0.img"
        try FileManager.default.copyItem(atPath: images["genext2fs-1k"]!, toPath: rev0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: rev0))
        try handle.seek(toOffset: 1024 + 76)
        try handle.write(contentsOf: Data([0]))
        try handle.close()
        images["genext2fs-1k-rev0"] = rev0

        try tree.addHugeFile()
        let mkdisk = packageRoot + "/Scripts/mkdisk"
        for (blockSize, inodeSize) in [(1024, 128), (1024, 256), (2048, 256), (4096, 128), (4096, 256)] {
            let name = "mkdisk-\(blockSize / 1024)k-\(inodeSize)"
            let path = directory + "/" + name + ".img"
            try run(mkdisk, [root, path, "--block-size", "\(blockSize)", "--inode-size", "\(inodeSize)"])
            images[name] = path
        }
        let noFiletype = directory + "/mke2fs-1k-nofiletype.img"
        try run(mke2fs, ["-q", "-F", "-t", "ext2", "-O", "^filetype,^dir_index", "-b", "1024", "-N", "\(entries + 64)",
                         "-d", root, noFiletype, "40M"])
        images["mke2fs-1k-nofiletype"] = noFiletype

        self.tree = tree
        self.images = images
    }
}
