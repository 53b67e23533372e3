/// How a virtio device tells the driver that it has finished work.
enum InterruptMode {
    /// MSI-X table entry 0 delivers `vector` to the local APIC; the halted main loop wakes on it.
    case msix(vector: UInt64)
    /// A wired line (virtio-mmio) through an I/O APIC pin to `vector`.
    case line(vector: UInt64)
    /// No usable interrupt: the main loop must poll the device (see `Devices.pollInterval`).
    case polling(reason: String)

    var text: String {
        switch self {
        case .msix: return "MSI-X"
        case .line: return "wired IRQ"
        case .polling: return "polled"
        }
    }

    var isPolling: Bool {
        if case .polling = self { return true }
        return false
    }
}

extension VirtioPCITransport {
    /// Routes MSI-X table entry 0 to a fresh CPU vector that runs `handler` (which must only note
    /// work). INTx is never used: without MSI-X the device is polled.
    func setUpInterrupt(_ handler: @escaping () -> Void) -> InterruptMode {
        let msix: MSIX
        do { msix = try MSIX(function) } catch { return .polling(reason: error.reason) }
        guard let vector = Interrupts.allocate(handler) else { return .polling(reason: "no free interrupt vector") }
        msix.route(entry: 0, vector: UInt8(truncatingIfNeeded: vector), apicID: LocalAPIC.id)
        msix.enable()
        return .msix(vector: vector)
    }
}
