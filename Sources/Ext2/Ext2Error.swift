import Bytes

/// Everything that can stop an ext2 operation. `.wouldBlock` is not a failure: a block is being read,
/// so the caller polls the cache and retries; every other case is final for that operation (the HTTP
/// layer answers 500 for corruption, 404 for `.notFound`, and the console shows `message`).
public enum Ext2Error: Error, Equatable {
    case wouldBlock
    /// The device failed to read this block.
    case readError(block: UInt64)

    // Mount: the image is not an ext2 filesystem this reader can serve.
    case badMagic(UInt16)
    case unsupportedRevision(UInt32)
    case unsupportedBlockSize(log: UInt32)
    case unsupportedInodeSize(UInt16)
    /// An incompatible feature (or an unsafe state such as a journal needing recovery), by name.
    case unsupportedFeature(String)
    /// A superblock field out of its sane range; the string names the field.
    case badSuperblock(String)
    /// The device is smaller than the filesystem claims to be.
    case deviceTooSmall(deviceBlocks: UInt64, filesystemBlocks: UInt64)

    // Corruption found while reading: each fails only the operation that met it.
    case inodeOutOfRange(UInt32)
    case blockOutOfRange(UInt64)
    case badGroupDescriptor(group: UInt32)
    /// An inode whose fields contradict each other (absurd size, flags this reader cannot follow...).
    case badInode(UInt32, String)
    case badDirectoryEntry(directory: UInt32, offset: UInt64)
    case badSymlink(UInt32)

    // Lookup.
    case notFound
    case notADirectory
    case notASymlink
    case notARegularFile
    case nameTooLong
    case pathTooLong
    case tooManySymlinks

    /// True for `.wouldBlock`: poll the cache and call again.
    public var isRetryable: Bool { self == .wouldBlock }

    /// True when the error means the image is damaged (as opposed to a path that is not there).
    public var isCorruption: Bool {
        switch self {
        case .inodeOutOfRange, .blockOutOfRange, .badGroupDescriptor, .badInode, .badDirectoryEntry,
             .badSymlink, .readError:
            return true
        default:
            return false
        }
    }

    /// One line for the console.
    public var message: String {
        switch self {
        case .wouldBlock: return "ext2: operation would block"
        case .readError(let b): return "ext2: device read error at block \(b)"
        case .badMagic(let m): return "ext2: not an ext2 filesystem (magic 0x\(Hex.text(UInt64(m))))"
        case .unsupportedRevision(let r): return "ext2: unsupported revision \(r)"
        case .unsupportedBlockSize(let l): return "ext2: unsupported block size (log \(l))"
        case .unsupportedInodeSize(let s): return "ext2: unsupported inode size \(s)"
        case .unsupportedFeature(let f): return "ext2: unsupported feature: \(f)"
        case .badSuperblock(let f): return "ext2: bad superblock field \(f)"
        case .deviceTooSmall(let d, let f):
            return "ext2: device holds \(d) blocks but filesystem claims \(f)"
        case .inodeOutOfRange(let i): return "ext2: inode \(i) out of range"
        case .blockOutOfRange(let b): return "ext2: block \(b) out of range"
        case .badGroupDescriptor(let g): return "ext2: bad group descriptor \(g)"
        case .badInode(let i, let why): return "ext2: inode \(i): \(why)"
        case .badDirectoryEntry(let d, let o): return "ext2: bad directory entry in inode \(d) at \(o)"
        case .badSymlink(let i): return "ext2: bad symlink inode \(i)"
        case .notFound: return "ext2: no such file or directory"
        case .notADirectory: return "ext2: not a directory"
        case .notASymlink: return "ext2: not a symlink"
        case .notARegularFile: return "ext2: not a regular file"
        case .nameTooLong: return "ext2: name too long"
        case .pathTooLong: return "ext2: path too long"
        case .tooManySymlinks: return "ext2: too many levels of symbolic links"
        }
    }
}
