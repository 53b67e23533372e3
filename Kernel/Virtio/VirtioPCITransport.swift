import KernelSupport

/// The virtio 1.x PCI transport (virtio spec 4.1): locates the common, notify, ISR and device-specific
/// configuration structures through vendor capabilities, and runs the status handshake, feature
/// negotiation and queue setup. Works for modern-only (0x1040+) and transitional (0x1000+) devices
/// alike: both carry the modern capabilities, and we never touch the legacy I/O BAR.
final class VirtioPCITransport: VirtioTransport {
    static let vendorID: UInt16 = 0x1AF4
    static let noVector: UInt16 = 0xFFFF

    // struct virtio_pci_common_cfg offsets (spec 4.1.4.3).
    private static let deviceFeatureSelect: UInt = 0x00
    private static let deviceFeature: UInt = 0x04
    private static let driverFeatureSelect: UInt = 0x08
    private static let driverFeature: UInt = 0x0C
    private static let msixConfig: UInt = 0x10
    private static let numQueues: UInt = 0x12
    private static let deviceStatus: UInt = 0x14
    private static let configGeneration: UInt = 0x15
    private static let queueSelect: UInt = 0x16
    private static let queueSize: UInt = 0x18
    private static let queueMSIXVector: UInt = 0x1A
    private static let queueEnable: UInt = 0x1C
    private static let queueNotifyOff: UInt = 0x1E
    private static let queueDesc: UInt = 0x20
    private static let queueDriver: UInt = 0x28
    private static let queueDevice: UInt = 0x30

    // virtio_pci_cap (spec 4.1.4).
    private static let capabilityVendorSpecific: UInt8 = 0x09
    private static let typeCommon: UInt8 = 1
    private static let typeNotify: UInt8 = 2
    private static let typeISR: UInt8 = 3
    private static let typeDevice: UInt8 = 4
    private static let commonConfigBytes: UInt64 = 0x38


    let function: PCIFunction
    private let common: UInt
    private let notifyBase: UInt
    private let notifyLength: UInt64
    private let notifyMultiplier: UInt32
    /// The ISR status byte; read (and so cleared) only for INTx, which these drivers do not use.
    let isr: UInt
    let deviceConfig: UInt
    let deviceConfigLength: UInt64
    var acceptedFeatures: UInt64 = 0
    var location: String { function.address.text }

    init(_ function: PCIFunction) throws(VirtioError) {
        self.function = function
        // Indexed by capability type (1 ... 4).
        var found = [(address: UInt, length: UInt64, cap: UInt8)?](repeating: nil, count: 5)
        for cap in function.capabilities(id: VirtioPCITransport.capabilityVendorSpecific) {
            let a = function.address
            let type = PCIConfigSpace.read8(a, cap + 3)
            // The first capability of each type is the preferred one (spec 4.1.4.1).
            guard type >= 1, type <= 4, found[Int(type)] == nil else { continue }
            let barIndex = Int(PCIConfigSpace.read8(a, cap + 4))
            let offset = UInt64(PCIConfigSpace.read32(a, cap + 8))
            let length = UInt64(PCIConfigSpace.read32(a, cap + 12))
            guard let bar = function.bar(barIndex), bar.isMemory else { continue }
            guard offset + length <= bar.size else { throw .badCapability(VirtioPCITransport.name(type)) }
            let base: UInt
            do { base = try DeviceMemory.map(bar) } catch { throw .unmappable(error) }
            found[Int(type)] = (base + UInt(offset), length, cap)
        }
        guard let c = found[Int(VirtioPCITransport.typeCommon)] else { throw .missingCapability("common configuration") }
        guard c.length >= VirtioPCITransport.commonConfigBytes else { throw .badCapability("common configuration") }
        guard let n = found[Int(VirtioPCITransport.typeNotify)] else { throw .missingCapability("notification") }
        guard let i = found[Int(VirtioPCITransport.typeISR)] else { throw .missingCapability("ISR") }
        guard let d = found[Int(VirtioPCITransport.typeDevice)] else { throw .missingCapability("device configuration") }
        common = c.address
        notifyBase = n.address
        notifyLength = n.length
        notifyMultiplier = PCIConfigSpace.read32(function.address, n.cap + 16)
        isr = i.address
        deviceConfig = d.address
        deviceConfigLength = d.length
        function.enable(disableINTx: true)
        // Interrupts for configuration changes are not used: link status is read when asked for.
        MMIO.write16(common + VirtioPCITransport.msixConfig, VirtioPCITransport.noVector)
    }

    private static func name(_ type: UInt8) -> StaticString {
        switch type {
        case typeCommon: return "common configuration"
        case typeNotify: return "notification"
        case typeISR: return "ISR"
        default: return "device configuration"
        }
    }

    var status: UInt8 {
        get { MMIO.read8(common + VirtioPCITransport.deviceStatus) }
        set { MMIO.write8(common + VirtioPCITransport.deviceStatus, newValue) }
    }

    func deviceFeatures(word: UInt32) -> UInt32 {
        MMIO.write32(common + VirtioPCITransport.deviceFeatureSelect, word)
        return MMIO.read32(common + VirtioPCITransport.deviceFeature)
    }

    func setDriverFeatures(word: UInt32, _ value: UInt32) {
        MMIO.write32(common + VirtioPCITransport.driverFeatureSelect, word)
        MMIO.write32(common + VirtioPCITransport.driverFeature, value)
    }

    var queueCount: Int { Int(MMIO.read16(common + VirtioPCITransport.numQueues)) }

    /// Interrupting queues use MSI-X table entry 0 (see `setUpInterrupt`); the device may refuse it.
    func makeQueue(index: UInt16, maxSize: Int, interrupting: Bool) throws(VirtioError) -> (queue: Virtqueue, interrupts: Bool) {
        let msixEntry: UInt16 = interrupting ? 0 : VirtioPCITransport.noVector
        guard Int(index) < queueCount else { throw .queueMissing(index) }
        MMIO.write16(common + VirtioPCITransport.queueSelect, index)
        let deviceMax = Int(MMIO.read16(common + VirtioPCITransport.queueSize))
        guard deviceMax > 0 else { throw .queueMissing(index) }
        let size = Virtqueue.size(offered: deviceMax, limit: maxSize)
        let notifyOffset = UInt64(MMIO.read16(common + VirtioPCITransport.queueNotifyOff)) * UInt64(notifyMultiplier)
        guard notifyOffset + 2 <= notifyLength else { throw .badCapability("notification") }
        guard let queue = Virtqueue(index: index, size: size, doorbell: .register16(notifyBase + UInt(notifyOffset)),
                                    eventIndex: acceptedFeatures & Virtqueue.featureEventIndex != 0) else {
            throw .noMemory
        }
        MMIO.write16(common + VirtioPCITransport.queueSize, UInt16(size))
        MMIO.write64(common + VirtioPCITransport.queueDesc, Virtqueue.physical(queue.descriptorTable))
        MMIO.write64(common + VirtioPCITransport.queueDriver, Virtqueue.physical(queue.availRing))
        MMIO.write64(common + VirtioPCITransport.queueDevice, Virtqueue.physical(queue.usedRing))
        MMIO.write16(common + VirtioPCITransport.queueMSIXVector, msixEntry)
        let accepted = msixEntry != VirtioPCITransport.noVector
            && MMIO.read16(common + VirtioPCITransport.queueMSIXVector) == msixEntry
        MMIO.write16(common + VirtioPCITransport.queueEnable, 1)
        return (queue, accepted)
    }

    var configGeneration: UInt32 { UInt32(MMIO.read8(common + VirtioPCITransport.configGeneration)) }
}
