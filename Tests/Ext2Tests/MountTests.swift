import Ext2
import Testing

/// Mount-time checks: what is refused (by name) and what is accepted.
@Suite struct MountTests {
    func mountError(_ image: DiskImage) -> Ext2Error? {
        do {
            _ = try mount(image)
            return nil
        } catch let error as Ext2Error {
            return error
        } catch {
            Issue.record("mount did not finish: \(error)")
            return nil
        }
    }

    @Test func ext4IsRefusedNamingExtents() throws {
        let error = mountError(try SmallImage.make("ext4", ["-t", "ext4"]))
        #expect(error == .unsupportedFeature(.incompat(0x40)))
        #expect(error?.message == "ext2: unsupported feature: extents")
    }

    @Test func metaBgIsRefused() throws {
        let image = try SmallImage.make("metabg", ["-t", "ext2", "-O", "meta_bg,^resize_inode"])
        #expect(mountError(image) == .unsupportedFeature(.incompat(0x10)))
    }

    @Test func cleanJournalIsAcceptedButOneNeedingRecoveryIsNot() throws {
        let image = try SmallImage.make("ext3", ["-t", "ext3"])
        let volume = try mount(image)
        let file = try lookup(volume, "small.txt")
        #expect(try readRange(volume, file, offset: 0, length: 100) == Array("hello, ext2\n".utf8))
        image.bytes[DiskImage.superblock + 96] |= 0x04  // needs_recovery
        let error = mountError(image)
        #expect(error == .unsupportedFeature(.incompat(0x04)))
        #expect(error?.message == "ext2: unsupported feature: journal needs recovery")
    }

    @Test func unknownIncompatIsRefusedButUnknownRoCompatIsNot() throws {
        let image = try SmallImage.ext2Copy()
        image.bytes[DiskImage.superblock + 99] |= 0x40
        let error = mountError(image)
        #expect(error == .unsupportedFeature(.incompat(0x4000_0000)))
        #expect(error?.message == "ext2: unsupported feature: unknown incompat 0x40000000")
        image.bytes[DiskImage.superblock + 99] &= ~0x40
        image.bytes[DiskImage.superblock + 103] |= 0x40  // an ro_compat bit nobody has defined
        #expect(mountError(image) == nil)
        image.bytes[DiskImage.superblock + 101] |= 0x02  // bigalloc
        #expect(mountError(image) == .unsupportedFeature(.roCompat(0x200)))
    }

    @Test func superblockSanity() throws {
        let pristine = try SmallImage.ext2.get()
        func damaged(_ change: (DiskImage) -> Void) -> Ext2Error? {
            let image = DiskImage(pristine)
            change(image)
            return mountError(image)
        }
        let sb = DiskImage.superblock
        #expect(damaged { _ in } == nil)
        #expect(damaged { $0.setU16(sb + 56, 0x1234) } == .badMagic(0x1234))
        #expect(damaged { $0.setU32(sb + 76, 2) } == .unsupportedRevision(2))
        #expect(damaged { $0.setU32(sb + 24, 3) } == .unsupportedBlockSize(log: 3))
        #expect(damaged { $0.setU16(sb + 88, 100) } == .unsupportedInodeSize(100))
        #expect(damaged { $0.setU16(sb + 88, 2048) } == .unsupportedInodeSize(2048))
        #expect(damaged { $0.setU32(sb + 20, 0) } == .badSuperblock(.firstDataBlock))
        #expect(damaged { $0.setU32(sb + 32, 0) } == .badSuperblock(.blocksPerGroup))
        #expect(damaged { $0.setU32(sb + 40, 0) } == .badSuperblock(.inodesPerGroup))
        #expect(damaged { $0.setU32(sb + 0, 1) } == .badSuperblock(.inodesCount))
        #expect(damaged { $0.setU32(sb + 0, 0xFFFF_FFFF) } == .badSuperblock(.inodesCount))
        #expect(damaged { $0.setU32(sb + 4, 2) } == .badSuperblock(.blocksCount))
        #expect(damaged { $0.bytes.removeLast(4096) } == .deviceTooSmall(deviceBlocks: 8188, filesystemBlocks: 8192))
        #expect(damaged { $0.bytes.removeLast($0.bytes.count - 1536) } != nil)  // not even the superblock
    }

    @Test func deviceReadErrorFailsTheMount() throws {
        let image = try SmallImage.ext2Copy()
        let device = TestBlockDevice(image)
        device.failingSectors = [2]
        let cache = BlockCache(device: device, memoryBytes: 0)
        #expect(throws: Ext2Error.readError(block: 1)) {
            try drive(cache) { () throws(Ext2Error) -> Ext2Volume in try Ext2Volume.mount(cache) }
        }
    }
}
