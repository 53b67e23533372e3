import Ext2
import Testing

/// Targeted damage: each kind of corruption gives its typed error for the operation that meets it,
/// and the rest of the volume keeps working.
@Suite struct CorruptionTests {
    /// A private copy of the small image, the inode number and byte offset of `path` in it.
    func locate(_ path: String) throws -> (image: DiskImage, number: Int, offset: Int) {
        let image = try SmallImage.ext2Copy()
        let number = Int(try lookup(try mount(image), path, followFinal: false).number)
        return (image, number, image.inodeOffset(number))
    }

    /// Fresh volume over the (damaged) image, checking that an undamaged file still reads.
    func remount(_ image: DiskImage) throws -> Ext2Volume {
        let volume = try mount(image)
        let other = try lookup(volume, "other.txt")
        #expect(try readRange(volume, other, offset: 0, length: 64) == Array("other file\n".utf8))
        return volume
    }

    func readError(_ volume: Ext2Volume, _ path: String) -> Ext2Error? {
        do {
            let file = try lookup(volume, path)
            _ = try readRange(volume, file, offset: 0, length: SmallImage.indirectFileSize)
            return nil
        } catch let error as Ext2Error {
            return error
        } catch {
            Issue.record("\(path): \(error)")
            return nil
        }
    }

    @Test func badRecordLengthsAreRefused() throws {
        for (field, value) in [(4, 0), (4, 6), (4, 1028), (4, 1030), (6, 200)] {
            let (image, _, offset) = try locate("dir")
            let block = image.u32(offset + 40)
            if field == 4 { image.setU16(block * 1024 + 4, value) } else { image.bytes[block * 1024 + 6] = UInt8(value) }
            let volume = try remount(image)
            let dir = try lookup(volume, "dir")
            #expect(throws: Ext2Error.badDirectoryEntry(directory: dir.number, offset: 0), "field \(field) = \(value)") {
                try listDirectory(volume, dir)
            }
            #expect(throws: Ext2Error.badDirectoryEntry(directory: dir.number, offset: 0)) { try lookup(volume, "dir/sub/leaf.txt") }
            #expect(volume.counters.corruptionErrors == 2)
        }
    }

    @Test func entryInodeOutOfRangeIsRefused() throws {
        let (image, _, offset) = try locate("dir")
        let block = image.u32(offset + 40)
        image.setU32(block * 1024, 0x7FFF_FFFF)
        let volume = try remount(image)
        #expect(throws: Ext2Error.badDirectoryEntry(directory: UInt32(try lookup(volume, "dir").number), offset: 0)) {
            try listDirectory(volume, try lookup(volume, "dir"))
        }
        #expect(throws: Ext2Error.inodeOutOfRange(0)) { try drive(volume.cache) { () throws(Ext2Error) -> Ext2Inode in try volume.inode(0) } }
        let beyond = volume.superblock.inodesCount + 1
        #expect(throws: Ext2Error.inodeOutOfRange(beyond)) { try drive(volume.cache) { () throws(Ext2Error) -> Ext2Inode in try volume.inode(beyond) } }
    }

    @Test func blockPointerOutOfRangeIsRefused() throws {
        let (image, _, offset) = try locate("small.txt")
        image.setU32(offset + 40, 0x00FF_FFFF)
        let volume = try remount(image)
        #expect(readError(volume, "small.txt") == .blockOutOfRange(0x00FF_FFFF))
        let (image2, _, offset2) = try locate("indirect.bin")
        let indirect = image2.u32(offset2 + 40 + 13 * 4)  // double indirect block
        image2.setU32(indirect * 1024, 1)  // points at the superblock's own block: not data
        #expect(readError(try remount(image2), "indirect.bin") == .blockOutOfRange(1))
    }

    @Test func selfReferencingIndirectBlocksTerminate() throws {
        let (image, _, offset) = try locate("indirect.bin")
        for level in 12...13 {
            let block = image.u32(offset + 40 + level * 4)
            for i in 0..<256 { image.setU32(block * 1024 + i * 4, block) }
        }
        let volume = try remount(image)
        let file = try lookup(volume, "indirect.bin")
        // The map now sends every block to an indirect block: garbage data, but finite and bounded.
        #expect(try readRange(volume, file, offset: 0, length: SmallImage.indirectFileSize).count == SmallImage.indirectFileSize)
    }

    @Test func absurdSizesAreRefused() throws {
        let (image, number, offset) = try locate("indirect.bin")
        image.setU32(offset + 108, 0x7FFF_FFFF)  // i_size_high
        #expect(readError(try remount(image), "indirect.bin") == .badInode(UInt32(number), .sizeBeyondBlockMap))

        let (image2, dirNumber, dirOffset) = try locate("dir")
        image2.setU32(dirOffset + 4, 1000)  // not whole blocks
        let volume = try remount(image2)
        #expect(throws: Ext2Error.badInode(UInt32(dirNumber), .directorySize)) { try lookup(volume, "dir/sub") }
        image2.setU32(dirOffset + 4, 512 << 20)
        #expect(throws: Ext2Error.badInode(UInt32(dirNumber), .directorySize)) { try lookup(try remount(image2), "dir/sub") }
    }

    @Test func holeInDirectoryIsRefused() throws {
        let (image, number, offset) = try locate("dir")
        image.setU32(offset + 40, 0)
        #expect(throws: Ext2Error.badInode(UInt32(number), .holeInDirectory)) { try lookup(try remount(image), "dir/sub") }
    }

    @Test func badGroupDescriptorIsRefused() throws {
        let image = try SmallImage.ext2Copy()
        image.setU32(2 * 1024 + 8, 0xFFFF_FFF0)  // group 0's inode table
        let volume = try mount(image)
        #expect(throws: Ext2Error.badGroupDescriptor(group: 0)) { try lookup(volume, "small.txt") }
    }

    @Test func inodeWithExtentsIsRefusedAlone() throws {
        let (image, _, offset) = try locate("small.txt")
        image.bytes[offset + 34] |= 0x08  // EXT4_EXTENTS_FL
        let volume = try remount(image)
        #expect(throws: Ext2Error.unsupportedFeature(.inodeFlag(0x8_0000))) { try lookup(volume, "small.txt") }
        #expect(volume.counters.unsupportedInodes == 1)
    }

    @Test func badSymlinksAreRefused() throws {
        for size in [0, 1024, 100_000] {
            let (image, number, offset) = try locate("slow")
            image.setU32(offset + 4, size)
            #expect(throws: Ext2Error.badSymlink(UInt32(number)), "size \(size)") { try lookup(try remount(image), "slow") }
        }
        let (image, number, offset) = try locate("fast")
        image.bytes[offset + 42] = 0  // a NUL inside the target
        #expect(throws: Ext2Error.badSymlink(UInt32(number))) { try lookup(try remount(image), "fast") }
    }

    @Test func readingWhatIsNotAFileIsRefused() throws {
        let volume = try mount(try SmallImage.ext2Copy())
        let dir = try lookup(volume, "dir")
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(throws: Ext2Error.notARegularFile) {
            try buffer.withUnsafeMutableBytes { b in try drive(volume.cache) { () throws(Ext2Error) -> Int in try volume.read(dir, at: 0, into: b) } }
        }
        #expect(throws: Ext2Error.notASymlink) { try drive(volume.cache) { () throws(Ext2Error) -> [UInt8] in try volume.readLink(dir) } }
        let file = try lookup(volume, "small.txt")
        var cursor = DirectoryCursor()
        #expect(throws: Ext2Error.notADirectory) {
            try drive(volume.cache) { () throws(Ext2Error) -> Void in try volume.readDirectory(file, cursor: &cursor) { _ in true } }
        }
    }

    /// A directory entry pointing back at its own directory makes a cycle; lookups through it stay
    /// bounded by the path, and a walk by the caller's depth.
    @Test func directoryCycleStaysBounded() throws {
        let (image, dirNumber, offset) = try locate("dir")
        let start = image.u32(offset + 40) * 1024
        var at = start
        while at < start + 1024 {  // find the entry named "sub" and point it at "dir" itself
            let nameLength = Int(image.bytes[at + 6])
            if Array(image.bytes[(at + 8)..<(at + 8 + nameLength)]) == Array("sub".utf8) { image.setU32(at, dirNumber); break }
            at += image.u16(at + 4)
        }
        #expect(at < start + 1024, "entry found")
        let volume = try remount(image)
        #expect(try lookup(volume, "dir/sub/sub/sub/sub").number == UInt32(dirNumber))
        #expect(throws: Ext2Error.notFound) { try lookup(volume, "dir/" + String(repeating: "sub/", count: 1000) + "leaf.txt") }
        #expect(throws: Ext2Error.pathTooLong) { try lookup(volume, "dir/" + String(repeating: "sub/", count: 1100)) }
    }

    @Test func deviceReadErrorFailsOnlyThatFile() throws {
        let (image, _, offset) = try locate("small.txt")
        let dataBlock = UInt64(image.u32(offset + 40))
        let device = TestBlockDevice(image)
        device.failingSectors = [dataBlock * 2]
        let cache = BlockCache(device: device, memoryBytes: 0)
        let volume = try drive(cache) { () throws(Ext2Error) -> Ext2Volume in try Ext2Volume.mount(cache) }
        let file = try lookup(volume, "small.txt")
        #expect(throws: Ext2Error.readError(block: dataBlock)) { try readRange(volume, file, offset: 0, length: 10) }
        #expect(volume.counters.readErrors == 1 && volume.counters.corruptionErrors == 0)
        #expect(try readRange(volume, try lookup(volume, "other.txt"), offset: 0, length: 64) == Array("other file\n".utf8))
    }
}
