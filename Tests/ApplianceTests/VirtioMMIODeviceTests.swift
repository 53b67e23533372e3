import Testing
@testable import Appliance

/// The `virtio_mmio.device=` entries QEMU microvm and Firecracker put on the command line: the forms
/// they write are accepted, anything malformed, overlapping or beyond the table's limit is reported and
/// skipped, and the boot goes on.
@Suite struct VirtioMMIODeviceTests {
    func parse(_ s: String) -> (config: BootConfig, problems: [BootConfig.Problem]) { BootConfig.parse(Array(s.utf8)) }

    @Test func qemuMicrovmEntries() {
        let (c, p) = parse("loglevel=debug virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.device=512@0xfeb00c00:11")
        #expect(p.isEmpty)
        #expect(c.virtioMMIODevices == [VirtioMMIODevice(base: 0xFEB0_0E00, size: 512, interrupt: 12),
                                        VirtioMMIODevice(base: 0xFEB0_0C00, size: 512, interrupt: 11)])
    }

    @Test func firecrackerEntriesWithSuffixAndID() {
        let (c, p) = parse("virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4k@0xD0001000:6:1")
        #expect(p.isEmpty)
        #expect(c.virtioMMIODevices == [VirtioMMIODevice(base: 0xD000_0000, size: 4096, interrupt: 5),
                                        VirtioMMIODevice(base: 0xD000_1000, size: 4096, interrupt: 6)])
        #expect(parse("virtio_mmio.device=1M@4096:0").config.virtioMMIODevices == [VirtioMMIODevice(base: 4096, size: 1 << 20, interrupt: 0)])
    }

    @Test(arguments: ["virtio_mmio.device", "virtio_mmio.device=", "virtio_mmio.device=512", "virtio_mmio.device=512@",
                      "virtio_mmio.device=@0x1000:5", "virtio_mmio.device=512@0x1000", "virtio_mmio.device=512@0x1000:",
                      "virtio_mmio.device=512@0xfeb0zz00:12", "virtio_mmio.device=512@0x:12", "virtio_mmio.device=512@0x1000:5:x",
                      "virtio_mmio.device=512@0x1000:5:6:7", "virtio_mmio.device=-512@0x1000:5", "virtio_mmio.device=512@0x1000:-1",
                      "virtio_mmio.device=99999999999999999999@0x1000:5", "virtio_mmio.device=0x12345678901234567@0x1000:5",
                      "virtio_mmio.device=17179869184G@0x1000:5"])
    func malformedEntriesAreReportedAndSkipped(_ word: String) {
        let (c, p) = parse("\(word) loglevel=warn")
        #expect(c.virtioMMIODevices.isEmpty)
        #expect(c.logLevel == .warn)          // the words after it still count
        #expect(p.count == 1 && p.first?.word == word)
    }

    @Test func implausibleWindowsAreRefusedWithTheirReason() {
        #expect(parse("virtio_mmio.device=128@0x1000:5").problems.first?.reason == VirtioMMIODevice.Malformed.size.reason)
        #expect(parse("virtio_mmio.device=2M@0x1000:5").problems.first?.reason == VirtioMMIODevice.Malformed.size.reason)
        #expect(parse("virtio_mmio.device=512@0x1001:5").problems.first?.reason == VirtioMMIODevice.Malformed.base.reason)
        #expect(parse("virtio_mmio.device=4K@0xfffffffffffff000:5").problems.first?.reason == VirtioMMIODevice.Malformed.base.reason)
        #expect(parse("virtio_mmio.device=512@0x1000:256").problems.first?.reason == VirtioMMIODevice.Malformed.interrupt.reason)
        #expect(parse("virtio_mmio.device=4K@0xfffffffffffff000:5").config.virtioMMIODevices.isEmpty)
    }

    @Test func overlappingEntriesKeepTheFirst() {
        let (c, p) = parse("virtio_mmio.device=512@0xfeb00e00:12 virtio_mmio.device=4K@0xfeb00000:11 virtio_mmio.device=512@0xfeb01000:10")
        #expect(c.virtioMMIODevices == [VirtioMMIODevice(base: 0xFEB0_0E00, size: 512, interrupt: 12),
                                        VirtioMMIODevice(base: 0xFEB0_1000, size: 512, interrupt: 10)])
        #expect(p == [BootConfig.Problem(word: "virtio_mmio.device=4K@0xfeb00000:11", reason: "overlaps virtio_mmio.device entry 1")])
        // Touching windows do not overlap; the same window twice does.
        #expect(parse("virtio_mmio.device=512@0x1000:1 virtio_mmio.device=512@0x1200:2").problems.isEmpty)
        #expect(parse("virtio_mmio.device=512@0x1000:1 virtio_mmio.device=512@0x1000:2").problems.count == 1)
    }

    @Test func theTableIsBounded() {
        let words = (0...VirtioMMIODevice.maxDevices).map { "virtio_mmio.device=512@\(0x10000 + $0 * 512):5" }
        let (c, p) = parse(words.joined(separator: " "))
        #expect(c.virtioMMIODevices.count == VirtioMMIODevice.maxDevices)
        #expect(p.count == 1 && p.first?.word == words.last)
    }
}
