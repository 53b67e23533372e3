import Ext2
import Foundation
import Testing

/// Scripts/mkdisk: its refusals, and an image from it that the reader serves (the differential tests
/// use mkdisk for their mke2fs images, so its sizing is exercised on the large tree there).
@Suite struct MkdiskTests {
    let script = packageRoot + "/Scripts/mkdisk"

    @Test func usageAndBadArguments() throws {
        _ = try tool("mke2fs", package: "e2fsprogs")
        let tree = try SmallImage.tree.get()
        let out = try scratchDirectory("mkdisk-args") + "/x.img"
        let usage = try run(script, [], check: false)
        #expect(usage.status == 2 && usage.output.contains("usage: Scripts/mkdisk DIR IMAGE"))
        #expect(try run(script, [tree], check: false).status == 2)
        #expect(try run(script, [tree, out, "--frobnicate"], check: false).status == 2)
        let badBlock = try run(script, [tree, out, "--block-size", "3000"], check: false)
        #expect(badBlock.status == 1 && badBlock.output.contains("block size must be 1024, 2048 or 4096"))
        let badInode = try run(script, [tree, out, "--inode-size", "512"], check: false)
        #expect(badInode.status == 1 && badInode.output.contains("inode size must be 128 or 256"))
        let notDir = try run(script, [tree + "/small.txt", out], check: false)
        #expect(notDir.status == 1 && notDir.output.contains("is not a directory"))
        let noParent = try run(script, [tree, "/nonexistent-dir/x.img"], check: false)
        #expect(noParent.status == 1 && noParent.output.contains("does not exist"))
        #expect(!FileManager.default.fileExists(atPath: out), "failed runs leave no image")
    }

    @Test func imageServesTheFolder() throws {
        _ = try tool("mke2fs", package: "e2fsprogs")
        let tree = try SmallImage.tree.get()
        let out = try scratchDirectory("mkdisk-ok") + "/www.img"
        let result = try run(script, [tree, out])
        #expect(result.output.contains("block size 4096, inode size 256"))
        let image = try DiskImage(contentsOf: out)
        // Sized to fit with headroom, but not absurdly: the tree allocates well under 1 MiB.
        #expect(image.bytes.count < 8 << 20)
        let volume = try mount(image)
        #expect(volume.blockSize == 4096)
        let file = try lookup(volume, "dir/sub/leaf.txt")
        #expect(try readRange(volume, file, offset: 0, length: 100) == Array("deep\n".utf8))
        #expect(try lookup(volume, "sparse.bin").size == 70 << 20)
    }

    @Test func hiddenEntriesAreLeftOutUnlessAsked() throws {
        _ = try tool("mke2fs", package: "e2fsprogs")
        let dir = try scratchDirectory("mkdisk-hidden")
        let site = dir + "/site"
        let fm = FileManager.default
        for folder in ["/.git", "/.well-known/acme", "/docs"] {
            try fm.createDirectory(atPath: site + folder, withIntermediateDirectories: true)
        }
        let names: [String] = ["/index.html", "/.env", "/.git/config", "/.well-known/acme/x", "/.well-known/.h",
                               "/docs/.DS_Store", "/docs/private.txt"]
        for name in names {
            try Data(name.utf8).write(to: URL(fileURLWithPath: "\(site)\(name)"))
        }
        let privateMode: [FileAttributeKey: Any] = [.posixPermissions: 0o600]
        try fm.setAttributes(privateMode, ofItemAtPath: "\(site)/docs/private.txt")
        let result = try run(script, [site, dir + "/www.img"])
        #expect(result.output.contains("left out 4 hidden entries"))
        #expect(result.output.contains(".env .git .well-known/.h docs/.DS_Store"))
        #expect(result.output.contains("not served (not readable by others") && result.output.contains("docs/private.txt"))
        let volume = try mount(try DiskImage(contentsOf: dir + "/www.img"))
        #expect(try readRange(volume, try lookup(volume, ".well-known/acme/x"), offset: 0, length: 100) == Array("/.well-known/acme/x".utf8))
        #expect(try lookup(volume, "docs/private.txt").mode & 0o777 == 0o600)
        for hidden in [".env", ".git", ".git/config", ".well-known/.h", "docs/.DS_Store"] {
            #expect(throws: Ext2Error.self, "\(hidden)") { try lookup(volume, hidden) }
        }
        #expect(try fm.contentsOfDirectory(atPath: dir).sorted() == ["site", "www.img"], "no staging folder left behind")

        let all = try run(script, [site, dir + "/all.img", "--dotfiles"])
        #expect(!all.output.contains("left out"))
        let everything = try mount(try DiskImage(contentsOf: dir + "/all.img"))
        #expect(try readRange(everything, try lookup(everything, ".git/config"), offset: 0, length: 100) == Array("/.git/config".utf8))
    }
}
