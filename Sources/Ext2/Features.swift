import Bytes

/// ext2/3/4 feature flags and the reader's verdict on each.
///
/// The superblock has three feature words with different contracts:
/// - compat: an implementation that does not know the feature may read AND write the filesystem;
/// - ro_compat: it may still read it safely (only writing could corrupt it);
/// - incompat: it must refuse to mount, because the on-disk layout differs where it would look.
/// A read-only reader therefore ignores compat, accepts ro_compat by definition (with one exception,
/// below), and accepts only the incompat bits whose layout it actually understands.
enum Ext2Features {
    /// Incompat features this reader handles, with why they do not change what it reads.
    static let supportedIncompat: UInt32 =
        0x0002      // filetype: directory entries carry a type byte; the reader parses it.
        | 0x0200    // flex_bg: inode tables and bitmaps may live in other groups, but the group
                    // descriptor gives their absolute block number, which is all the reader uses.
        | 0x2000    // csum_seed: the checksum seed lives in the superblock; the reader checks no
                    // checksums, so the seed's location is irrelevant.

    /// Incompat features refused at mount, by name for the console message.
    static let incompatNames: [(mask: UInt32, name: String)] = [
        (0x0001, "compression"),
        (0x0004, "journal needs recovery"),  // needs_recovery: the latest data may be in the journal.
        (0x0008, "journal device"),
        (0x0010, "meta_bg"),                 // group descriptors are scattered; unsupported layout.
        (0x0040, "extents"),                 // files mapped by extent trees, not block pointers.
        (0x0080, "64bit"),                   // 64-byte group descriptors and 48-bit block numbers.
        (0x0100, "mmp"),                     // multi-mount protection: another host may be writing.
        (0x0400, "ea_inode"),
        (0x1000, "dirdata"),
        (0x4000, "large_dir"),               // directory sizes use i_size_high; 3-level htrees.
        (0x8000, "inline_data"),             // small files stored in the inode body.
        (0x10000, "encrypt"),
        (0x20000, "casefold"),               // name lookups would have to fold case.
    ]

    /// ro_compat bits, all safe for a reader by definition; named so the console can list them.
    /// sparse_super (backup superblocks in fewer groups), large_file (i_size_high used: the reader
    /// reads it), btree_dir and dir_nlink (a directory read linearly is unaffected), huge_file
    /// (i_blocks in other units: the reader only uses i_blocks to tell fast symlinks apart, where it is
    /// zero in every unit), gdt_csum/metadata_csum (checksums the reader does not verify),
    /// extra_isize, quota, project, readonly, verity (extra data elsewhere; files read the same).
    static let roCompatNames: [(mask: UInt32, name: String)] = [
        (0x0001, "sparse_super"), (0x0002, "large_file"), (0x0004, "btree_dir"),
        (0x0008, "huge_file"), (0x0010, "gdt_csum"), (0x0020, "dir_nlink"),
        (0x0040, "extra_isize"), (0x0080, "has_snapshot"), (0x0100, "quota"),
        (0x0200, "bigalloc"), (0x0400, "metadata_csum"), (0x0800, "replica"),
        (0x1000, "readonly"), (0x2000, "project"), (0x4000, "shared_blocks"), (0x8000, "verity"),
    ]

    /// The one ro_compat exception: bigalloc allocates in clusters and the kernel only supports it
    /// together with extents, so an indirect-mapped image claiming it is inconsistent.
    static let refusedRoCompat: UInt32 = 0x0200

    /// Incompat bit for directory entries with a file-type byte.
    static let incompatFiletype: UInt32 = 0x0002

    /// Inode flags that change how data is found; an inode carrying one is refused, not misread.
    static let refusedInodeFlags: [(mask: UInt32, name: String)] = [
        (0x0000_0004, "compressed"),
        (0x0000_0800, "encrypted"),
        (0x0008_0000, "extents"),
        (0x1000_0000, "inline data"),
    ]

    /// The first refused feature in `incompat` / `roCompat` (all unknown incompat bits together), or nil.
    static func refused(incompat: UInt32, roCompat: UInt32) -> Ext2Feature? {
        let bad = incompat & ~supportedIncompat
        if bad != 0 {
            for entry in incompatNames where bad & entry.mask != 0 { return .incompat(entry.mask) }
            return .incompat(bad)
        }
        if roCompat & refusedRoCompat != 0 { return .roCompat(refusedRoCompat) }
        return nil
    }

    /// The first refused flag of an inode, or nil.
    static func refused(inodeFlags: UInt32) -> Ext2Feature? {
        for entry in refusedInodeFlags where inodeFlags & entry.mask != 0 { return .inodeFlag(entry.mask) }
        return nil
    }

    static func name(_ mask: UInt32, in table: [(mask: UInt32, name: String)], word: String) -> String {
        for entry in table where entry.mask == mask { return entry.name }
        return "unknown \(word) 0x\(Hex.text(UInt64(mask)))"
    }
}

/// A feature the reader cannot follow: its feature word (or the inode flags) and bit(s).
public enum Ext2Feature: Equatable {
    case incompat(UInt32)
    case roCompat(UInt32)
    case inodeFlag(UInt32)

    /// The feature's name as e2fsprogs spells it, for the console.
    public var name: String {
        switch self {
        case .incompat(let m): return Ext2Features.name(m, in: Ext2Features.incompatNames, word: "incompat")
        case .roCompat(let m): return Ext2Features.name(m, in: Ext2Features.roCompatNames, word: "ro_compat")
        case .inodeFlag(let m): return Ext2Features.name(m, in: Ext2Features.refusedInodeFlags, word: "inode flag")
        }
    }
}
