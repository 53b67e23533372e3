import Bytes

/// What an inode is, from the top four bits of i_mode (or a directory entry's type byte).
public enum FileType: Equatable {
    case regular, directory, symlink, characterDevice, blockDevice, fifo, socket, unknown

    init(mode: UInt16) {
        switch mode & 0xF000 {
        case 0x8000: self = .regular
        case 0x4000: self = .directory
        case 0xA000: self = .symlink
        case 0x2000: self = .characterDevice
        case 0x6000: self = .blockDevice
        case 0x1000: self = .fifo
        case 0xC000: self = .socket
        default: self = .unknown
        }
    }

    /// From the file-type byte of a directory entry (filetype feature).
    init(directoryEntryType t: UInt8) {
        switch t {
        case 1: self = .regular
        case 2: self = .directory
        case 3: self = .characterDevice
        case 4: self = .blockDevice
        case 5: self = .fifo
        case 6: self = .socket
        case 7: self = .symlink
        default: self = .unknown
        }
    }
}

/// One inode's metadata, copied out of the inode table so it stays valid across cache calls (a lookup's
/// result is kept by the caller; reading a file later needs only this and the data blocks).
public struct Ext2Inode {
    /// Direct pointers, then single, double and triple indirect.
    static let directBlocks = 12
    static let pointerCount = 15
    /// A symlink target this short lives in the block-pointer area itself (a "fast" symlink).
    static let fastSymlinkMaxLength = 60

    public let number: UInt32
    public let mode: UInt16
    public let fileType: FileType
    /// Bytes; includes i_size_high for regular files (files beyond 4 GiB).
    public let size: UInt64
    /// Seconds since 1970 (unsigned, as ext2 stores them until 2106).
    public let accessTime: UInt32
    public let changeTime: UInt32
    public let modificationTime: UInt32
    public let linksCount: UInt16
    /// i_blocks: 512-byte sectors allocated (data, indirect and extended-attribute blocks).
    public let allocatedSectors: UInt32
    public let flags: UInt32
    let extendedAttributeBlock: UInt32
    let pointers: [UInt32]

    /// Parses the inode at the start of `view` (at least 128 bytes); `blockSize` bounds the size check.
    init(number: UInt32, parsing view: ByteView, blockSize: Int) throws(Ext2Error) {
        guard view.count >= 128 else { throw .badInode(number, .truncated) }
        self.number = number
        mode = view.u16le(at: 0)
        fileType = FileType(mode: mode)
        accessTime = view.u32le(at: 8)
        changeTime = view.u32le(at: 12)
        modificationTime = view.u32le(at: 16)
        linksCount = view.u16le(at: 26)
        allocatedSectors = view.u32le(at: 28)
        flags = view.u32le(at: 32)
        extendedAttributeBlock = view.u32le(at: 104)
        var p: [UInt32] = []
        p.reserveCapacity(Ext2Inode.pointerCount)
        for i in 0..<Ext2Inode.pointerCount { p.append(view.u32le(at: 40 + 4 * i)) }
        pointers = p
        // i_size_high holds the upper 32 bits of a regular file's size (large_file); for other types
        // the field meant something else in ext2 (i_dir_acl) and is ignored.
        let high = fileType == .regular ? UInt64(view.u32le(at: 108)) : 0
        size = high << 32 | UInt64(view.u32le(at: 4))

        if let feature = Ext2Features.refused(inodeFlags: flags) { throw .unsupportedFeature(feature) }
        guard size <= Ext2Inode.maximumMappedBytes(blockSize: blockSize) else {
            throw .badInode(number, .sizeBeyondBlockMap)
        }
    }

    /// Bytes addressable through 12 direct pointers and three levels of indirection.
    static func maximumMappedBytes(blockSize: Int) -> UInt64 {
        let p = UInt64(blockSize / 4)
        return (UInt64(directBlocks) + p + p * p + p * p * p) * UInt64(blockSize)
    }

    /// A symlink whose target is stored in the pointer area: no blocks allocated apart from a possible
    /// extended-attribute block (the rule Linux uses; the size alone does not decide).
    func isFastSymlink(blockSize: Int) -> Bool {
        let attributeSectors: UInt32 = extendedAttributeBlock != 0 ? UInt32(blockSize / 512) : 0
        return fileType == .symlink && allocatedSectors == attributeSectors
    }

    /// The bytes of the pointer area, where a fast symlink keeps its target.
    var inlineBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Ext2Inode.fastSymlinkMaxLength)
        for word in pointers {
            for shift in 0..<4 { out.append(UInt8(truncatingIfNeeded: word >> (8 * UInt32(shift)))) }
        }
        return out
    }
}
