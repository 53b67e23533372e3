import ACPI

/// The power button of hardware-reduced ACPI (QEMU's `-M microvm` with ACPI): a generic event device
/// (`_HID "ACPI0013"`) whose event selector and interrupt only the DSDT gives (`DSDTDevice`). QEMU pulses
/// the line and sets a bit in the selector, which a read returns and clears (hw/acpi/
/// generic_event_device.c); the power-down bit counts as a press, like PWRBTN_STS on pc and q35.
extension ACPIPower {
    /// ACPI_GED_PWR_DOWN_EVT: the event QMP `system_powerdown` raises.
    static let powerDownEvent: UInt32 = 1 << 1

    static func armGenericEventDevice(dsdt: [UInt8], wiring: MADT) {
        guard let ged = DSDTDevice.find(hid: "ACPI0013", in: dsdt).first,
              ged.base >= DeviceMemory.uncachedStart, ged.base + 4 <= DeviceMemory.bootMappedEnd,
              let vector = Interrupts.allocate({ ACPIPower.takeEvents(at: UInt(ged.base)) }),
              (try? IOAPIC.connect(ged.interrupt, in: wiring, vector: UInt8(truncatingIfNeeded: vector), apicID: LocalAPIC.id)) != nil else {
            Log.warn("acpi: hardware-reduced, and no generic event device (ACPI0013) that can be routed; no power button")
            return
        }
        Log.info("acpi: power button armed (generic event device)")
    }

    /// In the interrupt: reading the selector takes (and clears) the events. Allocation-free.
    private static func takeEvents(at selector: UInt) {
        if MMIO.read32(selector) & powerDownEvent != 0 { presses.note() } else { otherSCIs &+= 1 }
    }
}
