import Bytes

/// The validated geometry of an ext2 filesystem, from its superblock (1024 bytes at byte offset 1024).
/// Every field the reader later multiplies or indexes with is range-checked here, once, so the rest of
/// the reader can do arithmetic on these values without overflow.
public struct Superblock {
    /// Byte offset of the superblock on the device, and its size, whatever the block size.
    public static let byteOffset = 1024
    public static let size = 1024
    public static let magic: UInt16 = 0xEF53
    /// The root directory's inode number (fixed by the format).
    public static let rootInode: UInt32 = 2
    /// Revision 0 has fixed 128-byte inodes; revision 1 ("dynamic") declares its inode size.
    static let goodOldInodeSize = 128
    /// Group descriptors are 32 bytes without the 64bit feature (which is refused).
    static let groupDescriptorSize = 32
    /// Largest supported s_log_block_size: 0, 1, 2 mean 1, 2, 4 KiB.
    static let maxLogBlockSize: UInt32 = 2

    public let inodesCount: UInt32
    public let blocksCount: UInt64
    public let firstDataBlock: UInt64
    public let blockSize: Int
    public let blocksPerGroup: UInt32
    public let inodesPerGroup: UInt32
    public let revision: UInt32
    public let inodeSize: Int
    public let featureCompat: UInt32
    public let featureIncompat: UInt32
    public let featureRoCompat: UInt32
    /// Last write time (seconds since 1970), e.g. as a default Last-Modified.
    public let writeTime: UInt32
    public let groupCount: UInt32

    /// Directory entries carry a file-type byte (and the name length is one byte).
    public var hasFileType: Bool { featureIncompat & Ext2Features.incompatFiletype != 0 }

    /// Parses and checks `view` (the superblock's 1024 bytes); `deviceBytes` is the device size.
    public init(parsing view: ByteView, deviceBytes: UInt64) throws(Ext2Error) {
        guard view.count >= Superblock.size else { throw .badSuperblock(.length) }
        let magic = view.u16le(at: 56)
        guard magic == Superblock.magic else { throw .badMagic(magic) }

        revision = view.u32le(at: 76)
        guard revision <= 1 else { throw .unsupportedRevision(revision) }

        let logBlockSize = view.u32le(at: 24)
        guard logBlockSize <= Superblock.maxLogBlockSize else { throw .unsupportedBlockSize(log: logBlockSize) }
        blockSize = 1024 << Int(logBlockSize)

        if revision == 0 {
            // Revision 0 has no feature words (their bytes may hold anything) and fixed inodes.
            inodeSize = Superblock.goodOldInodeSize
            featureCompat = 0
            featureIncompat = 0
            featureRoCompat = 0
        } else {
            let size = view.u16le(at: 88)
            guard size >= 128, Int(size) <= blockSize, size & (size - 1) == 0 else {
                throw .unsupportedInodeSize(size)
            }
            inodeSize = Int(size)
            featureCompat = view.u32le(at: 92)
            featureIncompat = view.u32le(at: 96)
            featureRoCompat = view.u32le(at: 100)
            if let feature = Ext2Features.refused(incompat: featureIncompat, roCompat: featureRoCompat) {
                throw .unsupportedFeature(feature)
            }
        }

        inodesCount = view.u32le(at: 0)
        blocksCount = UInt64(view.u32le(at: 4))
        firstDataBlock = UInt64(view.u32le(at: 20))
        blocksPerGroup = view.u32le(at: 32)
        inodesPerGroup = view.u32le(at: 40)
        writeTime = view.u32le(at: 48)

        // The superblock occupies block 1 of a 1 KiB filesystem and block 0 of larger ones; group 0
        // starts in that block.
        guard firstDataBlock == (blockSize == 1024 ? 1 : 0) else { throw .badSuperblock(.firstDataBlock) }
        guard blocksCount > firstDataBlock + 2 else { throw .badSuperblock(.blocksCount) }
        // Each group's block and inode bitmaps are one block, so a group covers at most 8 bits a byte.
        let bitsPerBlock = UInt32(blockSize * 8)
        guard blocksPerGroup >= 8, blocksPerGroup <= bitsPerBlock else { throw .badSuperblock(.blocksPerGroup) }
        guard inodesPerGroup >= 1, inodesPerGroup <= bitsPerBlock else { throw .badSuperblock(.inodesPerGroup) }

        let groups = (blocksCount - firstDataBlock + UInt64(blocksPerGroup) - 1) / UInt64(blocksPerGroup)
        groupCount = UInt32(groups)  // < 2^32 since blocksCount < 2^32
        guard inodesCount >= Superblock.rootInode,
              UInt64(inodesCount) <= groups * UInt64(inodesPerGroup) else { throw .badSuperblock(.inodesCount) }

        let descriptorBlocks = (groups * UInt64(Superblock.groupDescriptorSize) + UInt64(blockSize) - 1) / UInt64(blockSize)
        guard firstDataBlock + 1 + descriptorBlocks <= blocksCount else { throw .badSuperblock(.descriptorTable) }

        let deviceBlocks = deviceBytes / UInt64(blockSize)
        guard deviceBlocks >= blocksCount else {
            throw .deviceTooSmall(deviceBlocks: deviceBlocks, filesystemBlocks: blocksCount)
        }
    }

    /// Block holding group `group`'s 32-byte descriptor, and the descriptor's offset in it.
    func descriptorLocation(group: UInt32) -> (block: UInt64, offset: Int) {
        let byte = UInt64(group) * UInt64(Superblock.groupDescriptorSize)
        return (firstDataBlock + 1 + byte / UInt64(blockSize), Int(byte % UInt64(blockSize)))
    }

    /// Blocks one group's inode table spans.
    var inodeTableBlocks: UInt64 {
        (UInt64(inodesPerGroup) * UInt64(inodeSize) + UInt64(blockSize) - 1) / UInt64(blockSize)
    }
}
