import Bytes
import Ext2
import HTTP

/// The ext2 disk as the HTTP server's document root. Every call may answer "would block" while the
/// block cache fetches from the disk; the server asks again later. Anything the volume reports as
/// corrupt becomes a 500 for that one file (and a console line), never a crash: the rest of the disk
/// keeps serving.
///
/// Only what the image lets everyone read is served, as a web server running as an unprivileged user
/// would: a regular file needs the "read by others" bit (mode o+r) and a directory the "search by
/// others" bit (o+x); anything else answers 404 (no hint that it exists) and is counted. Only the inode
/// the path resolves to is checked, not the directories on the way to it.
///
/// The disk is attached read-only, so what a path resolves to never changes: resolved paths and their
/// inodes are remembered, and a request for a page already served costs two dictionary look-ups
/// instead of a directory walk and two inode parses. Both tables are fixed arrays, direct-mapped (a
/// path by a hash of its bytes, an inode by its number): entries sharing a slot take turns.
final class Ext2DocumentRoot: FileSystem {
    let volume: Ext2Volume
    let cache: BlockCache
    private let log: (BootConfig.LogLevel, String) -> Void
    private(set) var corruptFiles: UInt64 = 0
    /// Look-ups answered 404 because the file's mode does not let others read it.
    private(set) var notWorldReadable: UInt64 = 0
    /// i_mode bits: read by others, search (execute) by others.
    static let otherRead: UInt16 = 0o004
    static let otherSearch: UInt16 = 0o001
    /// Slots in each table.
    static let rememberedFiles = 64
    private var resolved = [(path: [UInt8], info: FileInfo)?](repeating: nil, count: rememberedFiles)
    private var inodes = [Ext2Inode?](repeating: nil, count: rememberedFiles)

    init(volume: Ext2Volume, cache: BlockCache, log: @escaping (BootConfig.LogLevel, String) -> Void) {
        self.volume = volume
        self.cache = cache
        self.log = log
    }

    func lookup(_ path: [UInt8]) -> FileLookup {
        let slot = Ext2DocumentRoot.slot(of: path)
        if let known = resolved[slot], known.path == path { return .found(known.info) }
        do throws(Ext2Error) {
            let inode = try volume.lookup(path)
            let kind: FileKind
            let needed: UInt16
            switch inode.fileType {
            case .regular: kind = .regular; needed = Ext2DocumentRoot.otherRead
            case .directory: kind = .directory; needed = Ext2DocumentRoot.otherSearch
            default: return .notFound       // devices, FIFOs and sockets are never served
            }
            guard inode.mode & needed != 0 else {
                notWorldReadable += 1
                if notWorldReadable == 1 {   // once: a whole image made unreadable (genext2fs -q) shows here
                    log(.warn, "disk: \(String(decoding: path, as: UTF8.self)) is not readable by others (mode \(Ext2DocumentRoot.octal(inode.mode & 0o777))): answered 404, as is every such file (counted in disk.not_world_readable)")
                }
                return .notFound
            }
            let info = FileInfo(id: FileID(UInt64(inode.number)), kind: kind, size: inode.size,
                                modified: UInt64(inode.modificationTime))
            resolved[slot] = (path, info)
            remember(inode)
            return .found(info)
        } catch {
            return outcome(of: error, path: path)
        }
    }

    func read(_ file: FileID, offset: UInt64, into destination: MutableByteView) -> FileRead {
        do throws(Ext2Error) {
            let inode: Ext2Inode
            if let known = inodes[Ext2DocumentRoot.slot(of: file.value)], UInt64(known.number) == file.value {
                inode = known
            } else {
                inode = try volume.inode(UInt32(truncatingIfNeeded: file.value))
                remember(inode)
            }
            return .ok(try volume.read(inode, at: offset, into: destination.base))
        } catch {
            if error.isRetryable { return .wouldBlock }
            report(error, what: "inode \(file.value)")
            return .corrupt
        }
    }

    /// "0600": permission bits as chmod takes them.
    static func octal(_ mode: UInt16) -> String {
        var digits: [UInt8] = []
        var rest = mode
        for _ in 0..<4 { digits.insert(UInt8(ascii: "0") + UInt8(rest & 7), at: 0); rest >>= 3 }
        return String(decoding: digits, as: UTF8.self)
    }

    private func remember(_ inode: Ext2Inode) {
        inodes[Ext2DocumentRoot.slot(of: UInt64(inode.number))] = inode
    }

    private static func slot(of number: UInt64) -> Int { Int(truncatingIfNeeded: number % UInt64(rememberedFiles)) }

    /// FNV-1a of the path's bytes: a table slot, not a defence (an attacker choosing paths that collide
    /// only makes them take turns in one slot).
    private static func slot(of path: [UInt8]) -> Int {
        var hash: UInt32 = 0x811C_9DC5
        for b in path { hash = (hash ^ UInt32(b)) &* 0x0100_0193 }
        return slot(of: UInt64(hash))
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
