import Bytes

/// One live entry of a directory. `name` is lent for the duration of the visit.
public struct DirectoryEntry {
    public let inode: UInt32
    public let name: ByteView
    /// From the entry's type byte; `.unknown` on filesystems without the filetype feature (read the
    /// inode to learn it).
    public let fileType: FileType
}

/// How far a directory has been read: a byte offset at an entry boundary. Keep it across `.wouldBlock`
/// so a retry resumes where it stopped instead of rescanning.
public struct DirectoryCursor {
    public internal(set) var offset: UInt64 = 0
    public internal(set) var isFinished = false

    public init() {}
}

extension Ext2Volume {
    /// Largest directory read (bytes); beyond it the directory counts as corrupt. 64 MiB holds about a
    /// million entries, far past anything a document root needs, and bounds the scan of a damaged size.
    public static let maximumDirectoryBytes: UInt64 = 64 << 20
    /// Longest name in a directory entry.
    public static let maximumNameLength = 255
    static let entryHeaderSize = 8

    /// Visits entries from `cursor` on, in disk order, until the end or until `visit` returns false
    /// (the cursor then points after that entry). Entries with inode 0 (unused space) are skipped.
    /// On `.wouldBlock` the cursor holds the progress made; call again with it.
    /// `visit` must not call the volume or its cache: the entry's name (and the rest of the block) is
    /// lent from a cache slot that any such call could recycle. Collect what you need, act afterwards.
    public func readDirectory(_ directory: Ext2Inode, cursor: inout DirectoryCursor,
                              _ visit: (DirectoryEntry) -> Bool) throws(Ext2Error) {
        try counted { () throws(Ext2Error) -> Void in try scanDirectory(directory, cursor: &cursor, visit) }
    }

    func scanDirectory(_ directory: Ext2Inode, cursor: inout DirectoryCursor,
                       _ visit: (DirectoryEntry) -> Bool) throws(Ext2Error) {
        guard directory.fileType == .directory else { throw .notADirectory }
        let size = UInt64(blockSize)
        // Directories are whole blocks; anything else means a damaged size.
        guard directory.size % size == 0, directory.size <= Ext2Volume.maximumDirectoryBytes else {
            throw .badInode(directory.number, .directorySize)
        }
        while !cursor.isFinished {  // at most maximumDirectoryBytes / blockSize blocks
            guard cursor.offset < directory.size else { cursor.isFinished = true; break }
            let physical = try physicalBlock(of: directory, logical: cursor.offset / size)
            guard physical != 0 else { throw .badInode(directory.number, .holeInDirectory) }
            let view = try block(physical)
            let blockStart = cursor.offset - cursor.offset % size
            var within = Int(cursor.offset % size)
            while within < blockSize {  // each entry advances by at least 8 bytes
                let entry = try parseEntry(view, at: within, directory: directory, blockStart: blockStart)
                within += entry.length
                cursor.offset = blockStart + UInt64(within)
                if let e = entry.entry, !visit(e) { return }
            }
        }
    }

    /// Finds `name` in `directory`, resuming from `cursor`. Nil when it is not there.
    func find(_ name: ArraySlice<UInt8>, in directory: Ext2Inode, cursor: inout DirectoryCursor) throws(Ext2Error) -> UInt32? {
        var found: UInt32? = nil
        try scanDirectory(directory, cursor: &cursor) { entry in
            guard entry.name.count == name.count else { return true }
            var i = 0
            for byte in name {
                if entry.name[i] != byte { return true }
                i += 1
            }
            found = entry.inode
            return false
        }
        return found
    }

    /// The entry at `offset` of a directory block: its record length and, unless unused, the entry.
    private func parseEntry(_ view: ByteView, at offset: Int, directory: Ext2Inode, blockStart: UInt64)
        throws(Ext2Error) -> (length: Int, entry: DirectoryEntry?) {
        let bad = Ext2Error.badDirectoryEntry(directory: directory.number, offset: blockStart + UInt64(offset))
        guard offset + Ext2Volume.entryHeaderSize <= view.count else { throw bad }
        let inode = view.u32le(at: offset)
        let recordLength = Int(view.u16le(at: offset + 4))
        // With the filetype feature the high byte of the old 16-bit name length is the type.
        let nameLength = superblock.hasFileType ? Int(view[offset + 6]) : Int(view.u16le(at: offset + 6))
        // Records are 4-byte aligned, hold their name, and never cross the block.
        guard recordLength >= Ext2Volume.entryHeaderSize, recordLength % 4 == 0,
              recordLength <= view.count - offset,
              nameLength <= Ext2Volume.maximumNameLength,
              Ext2Volume.entryHeaderSize + nameLength <= recordLength else { throw bad }
        if inode == 0 { return (recordLength, nil) }
        guard inode <= superblock.inodesCount, nameLength > 0,
              let name = view.slice(offset + Ext2Volume.entryHeaderSize, nameLength) else { throw bad }
        let type = superblock.hasFileType ? FileType(directoryEntryType: view[offset + 7]) : .unknown
        return (recordLength, DirectoryEntry(inode: inode, name: name, fileType: type))
    }
}
