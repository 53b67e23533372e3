import Bytes
import Ext2
import Foundation
import HTTP
import Testing
@testable import Appliance

/// A disk image in memory that completes every read on submit (reported at the next poll).
final class MemoryDisk: BlockDevice {
    let bytes: [UInt8]
    private var finished: [UInt64] = []
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var sectorCount: UInt64 { UInt64(bytes.count / blockDeviceSectorSize) }
    var maxReadBytes: Int { 64 << 10 }
    func submitRead(sector: UInt64, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) -> Bool {
        let start = Int(sector) * blockDeviceSectorSize
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<(start + buffer.count)])) }
        finished.append(tag)
        return true
    }
    func pollCompletions(_ handler: (UInt64, Bool) -> Void) {
        let tags = finished
        finished = []
        for tag in tags { handler(tag, true) }
    }
}

/// The document root serves only what the image lets everyone read (mode o+r for files, o+x for
/// directories), as mke2fs -d copies the modes of the folder it was given.
@Suite struct DocumentRootTests {
    /// An ext2 image made by mke2fs -d from a folder with files and directories of several modes.
    func documentRoot(log: @escaping (BootConfig.LogLevel, String) -> Void = { _, _ in }) throws -> Ext2DocumentRoot {
        let image = try mke2fsImage(files: [("index.html", 0o644), ("secret.txt", 0o600), ("group.txt", 0o640),
                                            ("open/index.html", 0o644), ("closed/index.html", 0o644)],
                                    directories: [("open", 0o755), ("closed", 0o700)])
        let cache = BlockCache(device: MemoryDisk(image), memoryBytes: 256 << 10)
        while true {
            cache.poll()
            switch mountAttempt(cache) {
            case .success(let volume): return Ext2DocumentRoot(volume: volume, cache: cache, log: log)
            case .failure(let error) where error.isRetryable: continue
            case .failure(let error): throw error
            }
        }
    }

    func mountAttempt(_ cache: BlockCache) -> Result<Ext2Volume, Ext2Error> {
        do throws(Ext2Error) { return .success(try Ext2Volume.mount(cache)) } catch { return .failure(error) }
    }

    func lookup(_ root: Ext2DocumentRoot, _ path: String) -> FileLookup {
        while true {
            let result = root.lookup(Array(path.utf8))
            guard case .wouldBlock = result else { return result }
            root.cache.poll()
        }
    }

    func found(_ result: FileLookup) -> Bool { if case .found = result { return true } else { return false } }
    func notFound(_ result: FileLookup) -> Bool { if case .notFound = result { return true } else { return false } }

    @Test func onlyWhatOthersMayReadIsServed() throws {
        final class Lines { var all: [String] = [] }
        let lines = Lines()
        let root = try documentRoot(log: { _, line in lines.all.append(line) })
        #expect(found(lookup(root, "/index.html")))
        #expect(found(lookup(root, "/open")))
        #expect(found(lookup(root, "/open/index.html")))
        #expect(notFound(lookup(root, "/secret.txt")))
        #expect(notFound(lookup(root, "/group.txt")))
        #expect(notFound(lookup(root, "/closed")))
        #expect(root.notWorldReadable == 3)
        #expect(notFound(lookup(root, "/secret.txt")), "a refused file is not remembered as found")
        #expect(root.notWorldReadable == 4)
        #expect(lines.all == ["disk: /secret.txt is not readable by others (mode 0600): answered 404, as is every such file (counted in disk.not_world_readable)"],
                "the first refusal is logged, once")
    }
}
