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
    /// An incompatible feature (or an unsafe state such as a journal needing recovery); its `name`
    /// is for the console.
    case unsupportedFeature(Ext2Feature)
    /// A superblock field out of its sane range.
    case badSuperblock(SuperblockField)
    /// The device is smaller than the filesystem claims to be.
    case deviceTooSmall(deviceBlocks: UInt64, filesystemBlocks: UInt64)

    // Corruption found while reading: each fails only the operation that met it.
    case inodeOutOfRange(UInt32)
    case blockOutOfRange(UInt64)
    case badGroupDescriptor(group: UInt32)
    /// An inode whose fields contradict each other.
    case badInode(UInt32, InodeProblem)
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
             .badSymlink:
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
        case .unsupportedFeature(let f): return "ext2: unsupported feature: \(f.name)"
        case .badSuperblock(let f): return "ext2: bad superblock field \(f.name)"
        case .deviceTooSmall(let d, let f):
            return "ext2: device holds \(d) blocks but filesystem claims \(f)"
        case .inodeOutOfRange(let i): return "ext2: inode \(i) out of range"
        case .blockOutOfRange(let b): return "ext2: block \(b) out of range"
        case .badGroupDescriptor(let g): return "ext2: bad group descriptor \(g)"
        case .badInode(let i, let why): return "ext2: inode \(i): \(why.text)"
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

// The payloads are enums, not Strings, so comparing errors never pulls in Unicode string comparison
// (and its tables) in the kernel; the text exists only when a message is printed.

/// A superblock field that failed its range check.
public enum SuperblockField: Equatable {
    case length, firstDataBlock, blocksCount, blocksPerGroup, inodesPerGroup, inodesCount, descriptorTable

    public var name: String {
        switch self {
        case .length: return "length"
        case .firstDataBlock: return "s_first_data_block"
        case .blocksCount: return "s_blocks_count"
        case .blocksPerGroup: return "s_blocks_per_group"
        case .inodesPerGroup: return "s_inodes_per_group"
        case .inodesCount: return "s_inodes_count"
        case .descriptorTable: return "group descriptor table"
        }
    }
}

/// What is wrong with an inode.
public enum InodeProblem: Equatable {
    case truncated, sizeBeyondBlockMap, blockBeyondBlockMap, directorySize, holeInDirectory

    public var text: String {
        switch self {
        case .truncated: return "inode record truncated"
        case .sizeBeyondBlockMap: return "size beyond the block map"
        case .blockBeyondBlockMap: return "block beyond the block map"
        case .directorySize: return "directory size not whole blocks or too large"
        case .holeInDirectory: return "hole in directory"
        }
    }
}
