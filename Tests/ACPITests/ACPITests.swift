import Testing
@testable import ACPI

/// Physical memory as a few byte regions: a read must lie wholly inside one.
struct FakeMemory: PhysicalMemory {
    var regions: [UInt64: [UInt8]] = [:]

    func read(_ address: UInt64, count: Int) -> [UInt8]? {
        for (start, bytes) in regions where address >= start && address + UInt64(count) <= start + UInt64(bytes.count) {
            let from = Int(address - start)
            return Array(bytes[from..<from + count])
        }
        return nil
    }
}

func le(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

/// A table with a correct header (length, checksum) around `body`.
func table(_ signature: String, _ body: [UInt8]) -> [UInt8] {
    var t = Array(signature.utf8) + le(UInt64(36 + body.count), 4) + [1, 0] + [UInt8](repeating: 0x41, count: 26) + body
    t[9] = 0 &- t.reduce(0, &+)
    return t
}

func rsdp(xsdt: UInt64) -> [UInt8] {
    var r = Array("RSD PTR ".utf8) + [0] + Array("QEMUXX".utf8) + [2] + le(0, 4) + le(36, 4) + le(xsdt, 8) + [0, 0, 0, 0]
    r[8] = 0 &- r[0..<20].reduce(0, &+)
    r[32] = 0 &- r.reduce(0, &+)
    return r
}

/// The FADT body (from offset 36) with QEMU pc's values: SCI 9, SMI_CMD 0xB2, ACPI_ENABLE 0xF1,
/// PM1a events 0x600, control 0x604, event length 4, DSDT at `dsdt`.
func fadtBody(dsdt: UInt64) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: 244 - 36)
    func put(_ offset: Int, _ v: UInt64, _ n: Int) { for (i, x) in le(v, n).enumerated() { b[offset - 36 + i] = x } }
    put(40, dsdt, 4); put(46, 9, 2); put(48, 0xB2, 4); put(52, 0xF1, 1)
    put(56, 0x600, 4); put(64, 0x604, 4); put(88, 4, 1)
    return b
}

/// `Name(\_S5_, Package(4) {0x05, 0, 0, 0})` amid other AML.
let s5AML: [UInt8] = [0x10, 0x05, 0x5C, 0x5F, 0x53, 0x42] + [0x08, 0x5C] + Array("_S5_".utf8) + [0x12, 0x08, 0x04, 0x0A, 0x05, 0x00, 0x00, 0x00]

func machine(facp: [UInt8]? = nil, dsdt: [UInt8] = table("DSDT", s5AML), madt: [UInt8]? = nil) -> FakeMemory {
    var m = FakeMemory()
    m.regions[0x7000] = facp ?? table("FACP", fadtBody(dsdt: 0x8000))
    m.regions[0x8000] = dsdt
    var entries = le(0x7000, 8)
    if let madt { m.regions[0x9000] = madt; entries += le(0x9000, 8) }
    m.regions[0x6000] = table("XSDT", entries)
    m.regions[0x5000] = rsdp(xsdt: 0x6000)
    return m
}

@Suite struct ACPITests {
    @Test func theTablesOfAQEMUMachineParse() throws {
        let m = machine()
        let tables = try ACPITables(memory: m, rsdpAddress: 0x5000)
        let f = try FADT(tables.table("FACP"))
        #expect(f.sciInterrupt == 9 && f.smiCommand == 0xB2 && f.acpiEnable == 0xF1)
        #expect(f.pm1aEventBlock == 0x600 && f.pm1aEnableRegister == 0x602 && f.pm1aControlBlock == 0x604)
        let dsdt = try ACPITables<FakeMemory>.readTable(memory: m, at: f.dsdtAddress, signature: "DSDT")
        #expect(SleepType.s5(in: dsdt) == 5)
    }

    @Test func theRSDPIsFoundInTheBIOSAreaWithoutAHint() throws {
        var m = machine()
        var area = [UInt8](repeating: 0, count: 0x20000)
        let r = rsdp(xsdt: 0x6000)
        area.replaceSubrange(0x1230..<0x1230 + r.count, with: r)
        m.regions[0xE0000] = area
        m.regions[0x5000] = nil
        let tables = try ACPITables(memory: m, rsdpAddress: nil)
        #expect(tables.entries == [0x7000])
        #expect(throws: ACPIError.noRSDP) { try ACPITables(memory: machine(), rsdpAddress: 0x5008) }
    }

    @Test func aTableWithABadChecksumIsReportedNotUsed() {
        var facp = table("FACP", fadtBody(dsdt: 0x8000))
        facp[60] &+= 1
        let tables = try! ACPITables(memory: machine(facp: facp), rsdpAddress: 0x5000)
        #expect(throws: ACPIError.badChecksum(signature: "FACP")) { try tables.table("FACP") }
    }

    @Test func implausibleLengthsAreRefused() {
        var huge = table("FACP", fadtBody(dsdt: 0x8000))
        huge.replaceSubrange(4..<8, with: le(0xFFFF_FFFF, 4))
        let tables = try! ACPITables(memory: machine(facp: huge), rsdpAddress: 0x5000)
        #expect(throws: ACPIError.badLength(signature: "FACP", length: 0xFFFF_FFFF)) { try tables.table("FACP") }
        // A table claiming more bytes than the memory holds.
        var long = table("FACP", fadtBody(dsdt: 0x8000))
        long.replaceSubrange(4..<8, with: le(4096, 4))
        let t2 = try! ACPITables(memory: machine(facp: long), rsdpAddress: 0x5000)
        #expect(throws: ACPIError.unreadable(signature: "FACP", address: 0x7000)) { try t2.table("FACP") }
        // A FADT too short for the PM1 fields, with a valid checksum.
        #expect(throws: ACPIError.badLength(signature: "FACP", length: 60)) { try FADT(table("FACP", [UInt8](repeating: 0, count: 24))) }
    }

    @Test func aFADTWithoutPM1BlocksIsRefused() {
        var body = fadtBody(dsdt: 0x8000)
        body[56 - 36] = 0; body[57 - 36] = 0
        #expect(throws: ACPIError.self) { try FADT(table("FACP", body)) }
    }

    @Test func aHardwareReducedFADTNamesItsSleepControlRegister() throws {
        // QEMU microvm with ACPI: no PM1 blocks, HW_REDUCED_ACPI, sleep control in the GED's registers.
        var b = [UInt8](repeating: 0, count: 268 - 36)
        func put(_ offset: Int, _ v: UInt64, _ n: Int) { for (i, x) in le(v, n).enumerated() { b[offset - 36 + i] = x } }
        put(40, 0x8000, 4); put(112, 1 << 20, 4)
        put(244, 0, 1); put(245, 8, 1); put(248, 0xFEA0_0200, 8)
        let f = try FADT(table("FACP", b))
        #expect(f.hardwareReduced && f.sleepControl == 0xFEA0_0200)
        // In I/O space (not what QEMU gives): no sleep control register this kernel writes.
        put(244, 1, 1)
        #expect(try FADT(table("FACP", b)).sleepControl == nil)
        // Too short for the register, and a full-hardware FADT has none.
        #expect(try FADT(table("FACP", Array(b[0..<(250 - 36)]))).sleepControl == nil)
        #expect(try FADT(table("FACP", fadtBody(dsdt: 0x8000))).sleepControl == nil)
    }

    /// AML as QEMU's microvm DSDT has it: `Device(NAME) { Name(_HID, "hid") ... Name(_CRS, ResourceTemplate) }`.
    func amlDevice(_ hid: String, _ resources: [UInt8], region: [UInt8] = []) -> [UInt8] {
        let body = Array("VR00".utf8) + [0x08] + Array("_HID".utf8) + [0x0D] + Array(hid.utf8) + [0, 0x08] + Array("_UID".utf8) + [0x00]
            + [0x08] + Array("_CRS".utf8) + [0x11, UInt8(resources.count + 5), 0x0A, UInt8(resources.count + 2)] + resources + [0x79, 0x00]
            + region
        return [0x5B, 0x82, UInt8(body.count + 1)] + body
    }

    @Test func theDSDTScanFindsVirtioWindowsAndTheGenericEventDevice() {
        let memory32: [UInt8] = [0x86, 0x09, 0x00, 0x01] + le(0xFEB0_0E00, 4) + le(0x200, 4)
        let level: [UInt8] = [0x89, 0x06, 0x00, 0x01, 0x01] + le(31, 4)     // consumer, level, active high
        let edge: [UInt8] = [0x89, 0x06, 0x00, 0x03, 0x01] + le(9, 4)       // consumer, edge, active high
        let eventRegion: [UInt8] = [0x5B, 0x80] + Array("EREG".utf8) + [0x00, 0x0C] + le(0xFEA0_0000, 4) + [0x0A, 0x04]
        let dsdt = table("DSDT", amlDevice("LNRO0005", memory32 + level) + amlDevice("ACPI0013", edge, region: eventRegion)
                                 + amlDevice("LNRO0005", level))     // no window: left out
        #expect(DSDTDevice.find(hid: "LNRO0005", in: dsdt)
                == [DSDTDevice(base: 0xFEB0_0E00, length: 0x200, interrupt: MADT.Route(globalInterrupt: 31, activeLow: false, levelTriggered: true))])
        #expect(DSDTDevice.find(hid: "ACPI0013", in: dsdt)
                == [DSDTDevice(base: 0xFEA0_0000, length: 4, interrupt: MADT.Route(globalInterrupt: 9, activeLow: false, levelTriggered: false))])
        #expect(DSDTDevice.find(hid: "PNP0C0C", in: dsdt).isEmpty)
        // Truncated in the middle of a descriptor: nothing, no trap.
        for cut in stride(from: 40, to: dsdt.count, by: 3) { _ = DSDTDevice.find(hid: "LNRO0005", in: Array(dsdt[0..<cut])) }
    }

    @Test func theS5ScanFallsBackOnMalformedAML() {
        #expect(SleepType.s5(in: table("DSDT", [0x08] + Array("_S5_".utf8) + [0x12, 0x06, 0x04, 0x01])) == 1)
        #expect(SleepType.s5(in: table("DSDT", [0x08] + Array("_S5_".utf8) + [0x12, 0x06, 0x04, 0x00])) == 0)
        // The name without NameOp (a reference, not the declaration), a truncated package, nothing.
        #expect(SleepType.s5(in: table("DSDT", [0x70] + Array("_S5_".utf8) + [0x12, 0x06, 0x04, 0x01])) == nil)
        #expect(SleepType.s5(in: table("DSDT", [0x08] + Array("_S5_".utf8) + [0x12, 0x46])) == nil)
        #expect(SleepType.s5(in: table("DSDT", [])) == nil)
        #expect(SleepType.s5(in: [0x08, 0x5F]) == nil)
    }

    @Test func theMADTRoutesTheSCIAsItsOverrideSays() throws {
        let ioapic: [UInt8] = [1, 12, 0, 0] + le(0xFEC0_0000, 4) + le(0, 4)
        let sciOverride: [UInt8] = [2, 10, 0, 9] + le(9, 4) + le(0x000D, 2)     // level, active high (QEMU)
        let madt = try MADT(table("APIC", le(0xFEE0_0000, 4) + le(1, 4) + ioapic + sciOverride))
        #expect(madt.sciRoute(irq: 9) == MADT.Route(globalInterrupt: 9, activeLow: false, levelTriggered: true))
        #expect(madt.sciRoute(irq: 10) == MADT.Route(globalInterrupt: 10, activeLow: true, levelTriggered: true))
        #expect(madt.ioAPIC(for: 9)?.pin == 9)
        #expect(madt.ioAPIC(for: 300) == nil)
    }

    @Test func aSecondIOAPICServesTheInterruptsFromItsBase() throws {
        // microvm with ACPI: pins 0-23 on the first, 24-47 (the virtio-mmio lines) on the second.
        let second: [UInt8] = [1, 12, 1, 0] + le(0xFEC1_0000, 4) + le(24, 4)
        let first: [UInt8] = [1, 12, 0, 0] + le(0xFEC0_0000, 4) + le(0, 4)
        let madt = try MADT(table("APIC", le(0xFEE0_0000, 4) + le(1, 4) + first + second))   // QEMU's order
        #expect(madt.ioAPIC(for: 9)?.0.address == 0xFEC0_0000)
        #expect(madt.ioAPIC(for: 9)?.pin == 9)
        #expect(madt.ioAPIC(for: 31)?.0.address == 0xFEC1_0000)
        #expect(madt.ioAPIC(for: 31)?.pin == 7)
        #expect(MADT.architectural.ioAPIC(for: 12)?.0.address == 0xFEC0_0000)
        #expect(MADT.architectural.ioAPIC(for: 12)?.pin == 12)
    }

    @Test func anISAInterruptDefaultsToEdgeActiveHighUnlessOverridden() throws {
        let ioapic: [UInt8] = [1, 12, 0, 0] + le(0xFEC0_0000, 4) + le(0, 4)
        let timerOverride: [UInt8] = [2, 10, 0, 0] + le(2, 4) + le(0, 2)          // IRQ 0 -> GSI 2, conforming
        let keyboardOverride: [UInt8] = [2, 10, 0, 1] + le(17, 4) + le(0x000F, 2) // level, active low
        let plain = try MADT(table("APIC", le(0xFEE0_0000, 4) + le(1, 4) + ioapic + timerOverride))
        #expect(plain.isaRoute(irq: 1) == MADT.Route(globalInterrupt: 1, activeLow: false, levelTriggered: false))
        #expect(plain.isaRoute(irq: 0) == MADT.Route(globalInterrupt: 2, activeLow: false, levelTriggered: false))
        let moved = try MADT(table("APIC", le(0xFEE0_0000, 4) + le(1, 4) + ioapic + keyboardOverride))
        #expect(moved.isaRoute(irq: 1) == MADT.Route(globalInterrupt: 17, activeLow: true, levelTriggered: true))
    }

    @Test func aMalformedMADTEntryStopsTheWalk() throws {
        let zeroLength: [UInt8] = [1, 0, 0, 0]
        let madt = try MADT(table("APIC", le(0xFEE0_0000, 4) + le(1, 4) + zeroLength + [UInt8](repeating: 1, count: 20)))
        #expect(madt.truncated && madt.ioAPICs.isEmpty)
        let overlong: [UInt8] = [2, 200, 0, 9]
        #expect(try MADT(table("APIC", le(0, 4) + le(1, 4) + overlong)).truncated)
    }
}
