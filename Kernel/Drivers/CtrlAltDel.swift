import KernelSupport
import ACPI

/// Ctrl-Alt-Del on the i8042 keyboard controller of `-M pc` and `-M q35`, taken as a clean stop request
/// like the ACPI power button: Firecracker stops its guests this way (SendCtrlAltDel), QEMU with QMP
/// `send-key ctrl-alt-delete`. Keyboard interrupts (ISA IRQ 1) go through the I/O APIC; the handler
/// reads what the controller holds and follows scan code set 1 (the controller translates; SeaBIOS
/// leaves translation on, and `arm` makes sure), where a break code is the make code | 0x80 and the
/// Delete key is prefixed by 0xE0. Every other key is read and ignored.
enum CtrlAltDel {
    private static let dataPort: UInt16 = 0x60
    private static let statusPort: UInt16 = 0x64
    private static let outputFull: UInt8 = 0x01
    private static let inputFull: UInt8 = 0x02
    private static let mouseData: UInt8 = 0x20
    private static let readConfiguration: UInt8 = 0x20
    private static let writeConfiguration: UInt8 = 0x60
    private static let keyboardInterrupt: UInt8 = 0x01
    private static let translate: UInt8 = 0x40
    private static let extendedPrefix: UInt8 = 0xE0
    private static let released: UInt8 = 0x80
    private static let ctrl: UInt8 = 0x1D
    private static let alt: UInt8 = 0x38
    private static let delete: UInt8 = 0x53
    private static let keyboardIRQ: UInt16 = 1
    /// Bytes read per interrupt at most, and polls of the status port per controller command: the
    /// controller answers at once under QEMU; a wedged one must not hang boot or an interrupt.
    private static let maxBytesPerInterrupt = 16
    private static let maxPolls = 100_000

    nonisolated(unsafe) private static var requests = StopRequests()
    nonisolated(unsafe) private static var ctrlDown = false
    nonisolated(unsafe) private static var altDown = false
    nonisolated(unsafe) private static var afterPrefix = false

    /// Enables keyboard interrupts with translation and routes IRQ 1; one console line either way.
    static func arm(_ madt: MADT) {
        guard inb(statusPort) != 0xFF else { Log.info("keyboard: no i8042 controller; no Ctrl-Alt-Del"); return }
        for _ in 0..<maxBytesPerInterrupt where inb(statusPort) & outputFull != 0 { _ = inb(dataPort) }
        guard command(readConfiguration), let configuration = readData(),
              command(writeConfiguration), writeData(configuration | keyboardInterrupt | translate) else {
            Log.warn("keyboard: the i8042 controller does not answer; no Ctrl-Alt-Del")
            return
        }
        guard let vector = Interrupts.allocate({ CtrlAltDel.receive() }) else {
            Log.warn("keyboard: no free interrupt vector; no Ctrl-Alt-Del")
            return
        }
        do {
            let pin = try IOAPIC.connect(madt.isaRoute(irq: keyboardIRQ), in: madt, vector: UInt8(truncatingIfNeeded: vector),
                                         apicID: LocalAPIC.id)
            Log.info("keyboard: Ctrl-Alt-Del armed (i8042, IRQ 1 -> I/O APIC pin \(pin))")
        } catch {
            Log.warn("keyboard: IRQ 1 not routed: \(error.text); no Ctrl-Alt-Del")
        }
    }

    /// True once per Ctrl-Alt-Del the main loop has not yet taken.
    static func takePress() -> Bool { requests.take() }

    /// In the interrupt: every byte the keyboard queued. Allocation-free.
    private static func receive() {
        for _ in 0..<maxBytesPerInterrupt {
            let status = inb(statusPort)
            guard status & outputFull != 0 else { return }
            let byte = inb(dataPort)
            if status & mouseData == 0 { scan(byte) }
        }
    }

    private static func scan(_ byte: UInt8) {
        if byte == extendedPrefix { afterPrefix = true; return }
        let extended = afterPrefix
        afterPrefix = false
        let down = byte & released == 0
        switch byte & ~released {
        case ctrl: ctrlDown = down                   // left Ctrl, or right Ctrl after the prefix
        case alt: altDown = down                     // left Alt, or AltGr after the prefix
        case delete where extended && down && ctrlDown && altDown: requests.note()
        default: break
        }
    }

    private static func command(_ byte: UInt8) -> Bool {
        guard waitUntilReady() else { return false }
        outb(statusPort, byte)
        return true
    }

    private static func writeData(_ byte: UInt8) -> Bool {
        guard waitUntilReady() else { return false }
        outb(dataPort, byte)
        return true
    }

    private static func waitUntilReady() -> Bool {
        for _ in 0..<maxPolls where inb(statusPort) & inputFull == 0 { return true }
        return false
    }

    private static func readData() -> UInt8? {
        for _ in 0..<maxPolls where inb(statusPort) & outputFull != 0 { return inb(dataPort) }
        return nil
    }
}
