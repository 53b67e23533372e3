import Bytes
import Ext2
import HTTP

/// The ext2 disk as the HTTP server's document root. Every call may answer "would block" while the
/// block cache fetches from the disk; the server asks again later. Anything the volume reports as
/// corrupt becomes a 500 for that one file (and a console line), never a crash: the rest of the disk
/// keeps serving.
final class Ext2DocumentRoot: FileSystem {
    let volume: Ext2Volume
    let cache: BlockCache
    private let log: (BootConfig.LogLevel, String) -> Void
    private(set) var corruptFiles: UInt64 = 0

    init(volume: Ext2Volume, cache: BlockCache, log: @escaping (BootConfig.LogLevel, String) -> Void) {
        self.volume = volume
        self.cache = cache
        self.log = log
    }

    func lookup(_ path: [UInt8]) -> FileLookup {
        do throws(Ext2Error) {
            let inode = try volume.lookup(path)
            switch inode.fileType {
            case .regular:
                return .found(FileInfo(id: FileID(UInt64(inode.number)), kind: .regular, size: inode.size,
                                       modified: UInt64(inode.modificationTime)))
            case .directory:
                return .found(FileInfo(id: FileID(UInt64(inode.number)), kind: .directory, size: inode.size,
                                       modified: UInt64(inode.modificationTime)))
            default:
                return .notFound       // devices, FIFOs and sockets are never served
            }
        } catch {
            return outcome(of: error, path: path)
        }
    }

    func read(_ file: FileID, offset: UInt64, into destination: MutableByteView) -> FileRead {
        do throws(Ext2Error) {
            let inode = try volume.inode(UInt32(truncatingIfNeeded: file.value))
            return .ok(try volume.read(inode, at: offset, into: destination.base))
        } catch {
            if error.isRetryable { return .wouldBlock }
            report(error, what: "inode \(file.value)")
            return .corrupt
        }
    }

    private func outcome(of error: Ext2Error, path: [UInt8]) -> FileLookup {
        switch error {
        case .wouldBlock: return .wouldBlock
        case .notFound, .nameTooLong, .pathTooLong, .tooManySymlinks, .notASymlink, .notARegularFile: return .notFound
        case .notADirectory: return .notADirectory
        default:
            report(error, what: String(decoding: path, as: UTF8.self))
            return .corrupt
        }
    }

    private func report(_ error: Ext2Error, what: String) {
        corruptFiles += 1
        log(.error, "\(error.message) (\(what))")
    }
}
