import KernelSupport
import ACPI
import Bytes

/// The ACPI power button and soft-off (S5) on pc (PIIX4) and q35 (ICH9): the FADT names the PM1
/// registers and the SCI; the SCI is routed through the I/O APIC as the MADT says; a press sets
/// PWRBTN_STS, which the SCI handler acknowledges (writing 1 clears it, which also lowers the
/// level-triggered SCI) and counts for the main loop. Everything from the tables is checked first;
/// a table that fails is reported and the feature it feeds is skipped. Hardware-reduced ACPI (microvm)
/// has a generic event device instead (GenericEventDevice.swift) and a sleep control register.
enum ACPIPower {
    nonisolated(unsafe) private static var fadt: FADT?
    /// SLP_TYPa for S5, from the DSDT or QEMU's known value.
    nonisolated(unsafe) private static var s5Type = SleepType.qemuS5
    /// Presses seen by the SCI handler, and how many the main loop has taken.
    nonisolated(unsafe) static var presses = StopRequests()
    /// SCIs (or generic events) that carried no power-button status (another source, or spurious).
    nonisolated(unsafe) static var otherSCIs: UInt64 = 0
    /// How long to wait for the firmware to switch to ACPI mode after ACPI_ENABLE.
    static let modeSwitchTimeout = Interval.milliseconds(300)

    /// Reads the tables and arms the power button; returns the interrupt wiring (the MADT, else the
    /// architectural default) and the virtio-mmio windows the DSDT declares. Call after the local APIC
    /// is on, before the devices: a press from then on is kept until the main loop takes it.
    static func start(rsdpAddress: UInt64) -> (wiring: MADT, virtio: [DSDTDevice]) {
        let memory = KernelPhysicalMemory()
        let tables: ACPITables<KernelPhysicalMemory>
        let f: FADT
        do {
            tables = try ACPITables(memory: memory, rsdpAddress: rsdpAddress)
            f = try FADT(tables.table("FACP"))
        } catch {
            Log.warn("acpi: \(error.text); no power button and no soft-off")
            return (.architectural, [])
        }
        fadt = f
        var dsdt: [UInt8] = []
        do { dsdt = try ACPITables<KernelPhysicalMemory>.readTable(memory: memory, at: f.dsdtAddress, signature: "DSDT") } catch {
            Log.warn("acpi: \(error.text)")
        }
        readSleepType(dsdt)
        let virtio = DSDTDevice.find(hid: "LNRO0005", in: dsdt)
        let madt: MADT
        do { madt = try MADT(tables.table("APIC")) } catch {
            Log.warn("acpi: \(error.text); the power button's interrupt cannot be routed")
            return (.architectural, virtio)
        }
        if madt.truncated { Log.warn("acpi: APIC table has a malformed entry; the entries after it are ignored") }
        if f.hardwareReduced {
            armGenericEventDevice(dsdt: dsdt, wiring: madt)
        } else if enableACPIMode(f) {
            armPowerButton(f, madt)
        }
        return (madt, virtio)
    }

    /// Routes the SCI and enables the power button's event.
    private static func armPowerButton(_ f: FADT, _ madt: MADT) {
        let route = madt.sciRoute(irq: f.sciInterrupt)
        guard let vector = Interrupts.allocate({ ACPIPower.acknowledge() }) else {
            Log.warn("acpi: no free interrupt vector for the SCI; no power button")
            return
        }
        let pin: UInt32
        do { pin = try IOAPIC.connect(route, in: madt, vector: UInt8(truncatingIfNeeded: vector), apicID: LocalAPIC.id) } catch {
            Log.warn("acpi: SCI not routed: \(error.text); no power button")
            return
        }
        // Stale status from before boot is cleared (writing 1 clears), then the button is enabled.
        for (status, enable) in eventRegisters(f) {
            outw(status, PM1.powerButton)
            outw(enable, inw(enable) | PM1.powerButton)
        }
        Log.info("acpi: power button armed (PM1a events at port \(f.pm1aEventBlock), SCI IRQ \(f.sciInterrupt) -> I/O APIC pin \(pin), "
                 + "\(route.levelTriggered ? "level" : "edge"), active \(route.activeLow ? "low" : "high"))")
    }

    /// The S5 sleep type from the DSDT's `_S5_` package, else QEMU's (`SleepType.qemuS5`).
    private static func readSleepType(_ dsdt: [UInt8]) {
        if let type = SleepType.s5(in: dsdt) {
            s5Type = type
            Log.info("acpi: soft-off: S5 sleep type \(type) (from the DSDT)")
            return
        }
        Log.warn("acpi: no _S5_ package in the DSDT; soft-off uses QEMU's S5 sleep type \(SleepType.qemuS5)")
    }

    /// SCI_EN set, by asking the firmware through SMI_CMD if it is not (SeaBIOS leaves it off).
    private static func enableACPIMode(_ f: FADT) -> Bool {
        let control = UInt16(f.pm1aControlBlock)
        if inw(control) & PM1.sciEnable != 0 { return true }
        guard f.smiCommand != 0, f.smiCommand <= 0xFFFF, f.acpiEnable != 0 else {
            Log.warn("acpi: ACPI mode is off and the FADT gives no way to turn it on; no power button")
            return false
        }
        outb(UInt16(f.smiCommand), f.acpiEnable)
        let clock = TSCClock.shared
        let deadline = clock.now() + modeSwitchTimeout
        while inw(control) & PM1.sciEnable == 0 {
            guard clock.now() < deadline else {
                Log.warn("acpi: ACPI mode still off \(modeSwitchTimeout.milliseconds) ms after ACPI_ENABLE; no power button")
                return false
            }
            cpu_pause()
        }
        Log.info("acpi: ACPI mode enabled (ACPI_ENABLE \(f.acpiEnable) to SMI_CMD port \(f.smiCommand))")
        return true
    }

    /// (status, enable) port pairs of PM1a and, when present, PM1b.
    private static func eventRegisters(_ f: FADT) -> [(UInt16, UInt16)] {
        var pairs = [(UInt16(f.pm1aEventBlock), f.pm1aEnableRegister)]
        if let b = f.pm1bEnableRegister { pairs.append((UInt16(f.pm1bEventBlock), b)) }
        return pairs
    }

    /// In the interrupt: clears PWRBTN_STS (lowering the SCI) and counts the press. Allocation-free.
    private static func acknowledge() {
        guard let f = fadt else { return }
        // Both blocks are always read: the status latches in each, and an uncleared one keeps the SCI up.
        let a = clearPowerButton(UInt16(f.pm1aEventBlock))
        let b = f.pm1bEventBlock != 0 && clearPowerButton(UInt16(f.pm1bEventBlock))
        if a || b { presses.note() } else { otherSCIs &+= 1 }
    }

    /// Clears PWRBTN_STS in the status register at `port` if set (writing 1 clears); whether it was.
    private static func clearPowerButton(_ port: UInt16) -> Bool {
        guard inw(port) & PM1.powerButton != 0 else { return false }
        outw(port, PM1.powerButton)
        return true
    }

    /// True once per press the main loop has not yet taken.
    static func takePress() -> Bool { presses.take() }

    /// Enters S5: SLP_TYP and SLP_EN into PM1a (and PM1b) control, or on hardware-reduced ACPI into the
    /// sleep control register (SLP_TYPx in bits 2-4, SLP_EN bit 5; ACPI 6.5, 4.8.3.7). QEMU exits;
    /// should the machine still run a moment later, the kernel says so and halts.
    static func powerOff() -> Never {
        if let f = fadt {
            Log.info("shutdown: powering off (ACPI S5)")
            Console.flush()      // the log ring first: its lines must reach the UART before the machine goes
            Serial.drain()
            let sleepBits = PM1.sleep(type: 7)
            for port in [UInt16(f.pm1aControlBlock), UInt16(f.pm1bControlBlock)] where port != 0 {
                outw(port, inw(port) & ~sleepBits | PM1.sleep(type: s5Type))
            }
            if let c = f.sleepControl, c >= DeviceMemory.uncachedStart, c < DeviceMemory.bootMappedEnd {
                MMIO.write8(UInt(c), (s5Type & 7) << 2 | 1 << 5)
            }
            let clock = TSCClock.shared
            let deadline = clock.now() + .milliseconds(100)
            while clock.now() < deadline { cpu_pause() }
            Log.error("shutdown: still running after the S5 request; halting")
        } else {
            Log.error("shutdown: no usable ACPI tables, so no soft-off; halting")
        }
        Console.flush()      // the log ring first: its lines must reach the UART before the machine goes
        Serial.drain()
        while true { cpu_halt_forever() }
    }
}
