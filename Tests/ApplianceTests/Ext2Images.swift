import Foundation
import Testing

/// A 1 MiB ext2 image made by mke2fs -d (e2fsprogs) from a temporary folder: each file holds its own
/// path as content unless `contents` names other bytes; modes as given (mke2fs copies them).
func mke2fsImage(files: [(path: String, mode: Int)], directories: [(path: String, mode: Int)] = [],
                 contents: [String: String] = [:]) throws -> [UInt8] {
    let fm = FileManager.default
    let dir = fm.temporaryDirectory.appendingPathComponent("ext2image-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
    try? fm.removeItem(atPath: dir)
    defer { try? fm.removeItem(atPath: dir) }
    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for d in directories { try fm.createDirectory(atPath: "\(dir)/\(d.path)", withIntermediateDirectories: true) }
    for f in files {
        let path = "\(dir)/\(f.path)"
        try Data((contents[f.path] ?? f.path).utf8).write(to: URL(fileURLWithPath: path))
        try fm.setAttributes([.posixPermissions: f.mode], ofItemAtPath: path)
    }
    // Directory modes last: a directory closed to its owner's writes would refuse the files above.
    for d in directories { try fm.setAttributes([.posixPermissions: d.mode], ofItemAtPath: "\(dir)/\(d.path)") }
    let image = dir + ".img"
    defer { try? fm.removeItem(atPath: image) }
    let mke2fs = ["/usr/sbin/mke2fs", "/sbin/mke2fs"].first { fm.isExecutableFile(atPath: $0) } ?? "mke2fs"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mke2fs)
    process.standardOutput = FileHandle.nullDevice
    process.arguments = ["-q", "-F", "-t", "ext2", "-d", dir, image, "1M"]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "mke2fs (e2fsprogs) is needed")
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: image)))
}
