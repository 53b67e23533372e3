import Appliance
import Bytes
import ACPI

/// The virtio 1.x MMIO transport, version 2 ("modern", virtio spec 4.2.2): one register window per
/// device, where `-M microvm` and Firecracker put their devices. The windows come from the
/// `virtio_mmio.device=` entries of the command line (`VirtioMMIODevice`); every register outside the
/// device configuration is 32 bits wide and must be accessed so.
final class VirtioMMIOTransport: VirtioTransport {
    static let magic: UInt32 = 0x7472_6976         // "virt", little-endian
    static let modernVersion: UInt32 = 2
    // Register offsets (spec 4.2.2).
    private static let magicValue: UInt = 0x000
    private static let version: UInt = 0x004
    private static let deviceIDRegister: UInt = 0x008
    private static let deviceFeaturesRegister: UInt = 0x010
    private static let deviceFeaturesSelect: UInt = 0x014
    private static let driverFeaturesRegister: UInt = 0x020
    private static let driverFeaturesSelect: UInt = 0x024
    private static let queueSelect: UInt = 0x030
    private static let queueSizeMax: UInt = 0x034
    private static let queueSize: UInt = 0x038
    private static let queueReady: UInt = 0x044
    private static let queueNotify: UInt = 0x050
    private static let interruptStatus: UInt = 0x060
    private static let interruptACK: UInt = 0x064
    private static let statusRegister: UInt = 0x070
    private static let queueDesc: UInt = 0x080
    private static let queueDriver: UInt = 0x090
    private static let queueDevice: UInt = 0x0A0
    private static let configGeneration: UInt = 0x0FC
    private static let config: UInt = 0x100

    /// Why a window holds no device this kernel can drive; one console line, then the next window.
    enum ProbeError: Error {
        case outsideDeviceWindow
        case noDevice(magic: UInt32)
        case legacy(version: UInt32)
        case empty

        var reason: String {
            switch self {
            case .outsideDeviceWindow: return "lies outside the uncached device window (3-4 GiB); skipped"
            case .noDevice(let m): return "no virtio-mmio device there (magic 0x\(Hex.text(UInt64(m), minDigits: 8))); skipped"
            case .legacy(let v): return "virtio-mmio version \(v) (legacy) is not supported, only version 2 (QEMU: add -global virtio-mmio.force-legacy=false); skipped"
            case .empty: return "transport without a device (device ID 0)"
            }
        }
    }

    let window: VirtioMMIODevice
    /// Where the window's interrupt line reaches an I/O APIC pin.
    private let wiring: MADT
    private let base: UInt
    /// The virtio device type (spec 5): 1 network, 2 block.
    let deviceID: UInt32
    let deviceConfigLength: UInt64
    var acceptedFeatures: UInt64 = 0
    var location: String { "mmio 0x\(Hex.text(window.base, minDigits: 8))" }

    init(_ window: VirtioMMIODevice, wiring: MADT) throws(ProbeError) {
        // The boot page tables map 3-4 GiB uncached, where QEMU and Firecracker put these windows.
        guard window.base >= DeviceMemory.uncachedStart, window.end <= DeviceMemory.bootMappedEnd else {
            throw .outsideDeviceWindow
        }
        self.window = window
        self.wiring = wiring
        base = UInt(window.base)
        let magic = MMIO.read32(base + VirtioMMIOTransport.magicValue)
        guard magic == VirtioMMIOTransport.magic else { throw .noDevice(magic: magic) }
        let version = MMIO.read32(base + VirtioMMIOTransport.version)
        guard version == VirtioMMIOTransport.modernVersion else { throw .legacy(version: version) }
        deviceID = MMIO.read32(base + VirtioMMIOTransport.deviceIDRegister)
        guard deviceID != 0 else { throw .empty }
        deviceConfigLength = window.size - UInt64(VirtioMMIOTransport.config)
    }

    var status: UInt8 {
        get { UInt8(truncatingIfNeeded: MMIO.read32(base + VirtioMMIOTransport.statusRegister)) }
        set { MMIO.write32(base + VirtioMMIOTransport.statusRegister, UInt32(newValue)) }
    }

    func deviceFeatures(word: UInt32) -> UInt32 {
        MMIO.write32(base + VirtioMMIOTransport.deviceFeaturesSelect, word)
        return MMIO.read32(base + VirtioMMIOTransport.deviceFeaturesRegister)
    }

    func setDriverFeatures(word: UInt32, _ value: UInt32) {
        MMIO.write32(base + VirtioMMIOTransport.driverFeaturesSelect, word)
        MMIO.write32(base + VirtioMMIOTransport.driverFeaturesRegister, value)
    }

    /// Routes the window's interrupt line through the I/O APIC to a fresh vector. The handler clears
    /// InterruptStatus through InterruptACK first (spec 4.2.2): the line stays raised, and a
    /// level-triggered pin re-fires, until it does. A line that cannot be routed means polling.
    func setUpInterrupt(_ handler: @escaping () -> Void) -> InterruptMode {
        let status = base + VirtioMMIOTransport.interruptStatus
        let ack = base + VirtioMMIOTransport.interruptACK
        guard let vector = Interrupts.allocate({ MMIO.write32(ack, MMIO.read32(status)); handler() }) else {
            return .polling(reason: "no free interrupt vector")
        }
        do {
            _ = try IOAPIC.connect(MADT.deviceRoute(window.interrupt), in: wiring,
                                         vector: UInt8(truncatingIfNeeded: vector), apicID: LocalAPIC.id)
            return .line(vector: vector)
        } catch {
            return .polling(reason: error.text)
        }
    }

    /// Queue setup (spec 4.2.3.2): select, check it is unused and offered, size, ring addresses, ready.
    func makeQueue(index: UInt16, maxSize: Int, interrupting: Bool) throws(VirtioError) -> (queue: Virtqueue, interrupts: Bool) {
        MMIO.write32(base + VirtioMMIOTransport.queueSelect, UInt32(index))
        guard MMIO.read32(base + VirtioMMIOTransport.queueReady) == 0 else { throw .queueMissing(index) }
        let offered = Int(MMIO.read32(base + VirtioMMIOTransport.queueSizeMax))
        guard offered > 0 else { throw .queueMissing(index) }
        let size = Virtqueue.size(offered: offered, limit: maxSize)
        guard let queue = Virtqueue(index: index, size: size, doorbell: .register32(base + VirtioMMIOTransport.queueNotify),
                                    eventIndex: acceptedFeatures & Virtqueue.featureEventIndex != 0) else {
            throw .noMemory
        }
        MMIO.write32(base + VirtioMMIOTransport.queueSize, UInt32(size))
        MMIO.write64(base + VirtioMMIOTransport.queueDesc, Virtqueue.physical(queue.descriptorTable))
        MMIO.write64(base + VirtioMMIOTransport.queueDriver, Virtqueue.physical(queue.availRing))
        MMIO.write64(base + VirtioMMIOTransport.queueDevice, Virtqueue.physical(queue.usedRing))
        MMIO.write32(base + VirtioMMIOTransport.queueReady, 1)
        return (queue, interrupting)     // one line for the whole device: every queue may use it
    }

    var deviceConfig: UInt { base + VirtioMMIOTransport.config }
    var configGeneration: UInt32 { MMIO.read32(base + VirtioMMIOTransport.configGeneration) }
}
