/// The fields of the Fixed ACPI Description Table ("FACP") the power button and power-off need
/// (ACPI 6.5, 5.2.9). The I/O port blocks are the 32-bit legacy fields, which every PC firmware and
/// QEMU's pc and q35 fill in. A hardware-reduced FADT (QEMU's microvm with ACPI) has none: it names a
/// sleep control register instead, and its power button is a generic event device in the DSDT.
public struct FADT: Equatable {
    /// The interrupt the SCI arrives on, as an 8259 IRQ number (the MADT may override its wiring).
    public var sciInterrupt: UInt16
    /// The SMI command port and the value that hands the power-management events to the OS; 0 when
    /// the machine is always in ACPI mode.
    public var smiCommand: UInt32
    public var acpiEnable: UInt8
    public var pm1aEventBlock: UInt32
    public var pm1bEventBlock: UInt32
    public var pm1aControlBlock: UInt32
    public var pm1bControlBlock: UInt32
    /// Bytes of a PM1 event block: status in the first half, enable in the second.
    public var pm1EventLength: UInt8
    /// The DSDT: the 64-bit X_DSDT when present, else the 32-bit field.
    public var dsdtAddress: UInt64
    /// HW_REDUCED_ACPI: no PM1 blocks, no SCI, no SMI_CMD (ACPI 6.5, 4.1).
    public var hardwareReduced: Bool
    /// The 8-bit sleep control register in memory (hardware-reduced only; ACPI 6.5, 4.8.3.7), or nil.
    public var sleepControl: UInt64?

    /// Through PM1_CNT_LEN: the fields above all lie in the first 90 bytes.
    static var minimumLength: Int { 90 }
    static var xDSDTOffset: Int { 140 }
    static var flagsOffset: Int { 112 }
    static var hardwareReducedFlag: UInt64 { 1 << 20 }
    static var sleepControlOffset: Int { 244 }

    public init(_ table: [UInt8]) throws(ACPIError) {
        guard table.count >= FADT.minimumLength else { throw .badLength(signature: "FACP", length: UInt64(table.count)) }
        func field(_ offset: Int, _ size: Int) -> UInt64 { table.le(offset, size) ?? 0 }   // in range: checked above
        sciInterrupt = UInt16(field(46, 2))
        smiCommand = UInt32(field(48, 4))
        acpiEnable = UInt8(field(52, 1))
        pm1aEventBlock = UInt32(field(56, 4))
        pm1bEventBlock = UInt32(field(60, 4))
        pm1aControlBlock = UInt32(field(64, 4))
        pm1bControlBlock = UInt32(field(68, 4))
        pm1EventLength = UInt8(field(88, 1))
        let xDSDT = table.le(FADT.xDSDTOffset, 8) ?? 0
        dsdtAddress = xDSDT != 0 ? xDSDT : field(40, 4)
        hardwareReduced = field(FADT.flagsOffset, 4) & FADT.hardwareReducedFlag != 0
        // A generic address structure: space 0 is system memory, the address is at +4.
        let o = FADT.sleepControlOffset
        if hardwareReduced, table.count >= o + 12, table[o] == 0, let a = table.le(o + 4, 8), a != 0 { sleepControl = a }
        if hardwareReduced { return }
        // A PM1 event block holds a 16-bit status and a 16-bit enable register at least; the ports are
        // 16-bit I/O addresses.
        guard pm1aEventBlock != 0, pm1aEventBlock <= 0xFFFF - 4, pm1aControlBlock != 0, pm1aControlBlock <= 0xFFFF - 2,
              pm1EventLength >= 4, pm1EventLength % 2 == 0 else {
            throw .badLength(signature: "FACP PM1 blocks", length: UInt64(pm1aEventBlock))
        }
        if pm1bEventBlock > 0xFFFF - 4 { pm1bEventBlock = 0 }
        if pm1bControlBlock > 0xFFFF - 2 { pm1bControlBlock = 0 }
    }

    /// The PM1 enable register: the second half of the event block.
    public var pm1aEnableRegister: UInt16 { UInt16(pm1aEventBlock) + UInt16(pm1EventLength / 2) }
    public var pm1bEnableRegister: UInt16? { pm1bEventBlock == 0 ? nil : UInt16(pm1bEventBlock) + UInt16(pm1EventLength / 2) }
}

/// Bits of the PM1 registers (ACPI 6.5, 4.8.3).
public enum PM1 {
    /// Status and enable: the power button.
    public static var powerButton: UInt16 { 1 << 8 }
    /// Control: events go to the OS as SCIs (set by the firmware once ACPI_ENABLE is written).
    public static var sciEnable: UInt16 { 1 << 0 }
    /// Control: the sleep type field and the bit that enters it.
    public static func sleep(type: UInt8) -> UInt16 { UInt16(type & 7) << 10 | 1 << 13 }
}
