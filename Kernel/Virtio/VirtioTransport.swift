import KernelSupport

/// What the virtio drivers need from a transport (virtio spec 4): the PCI one (`-M pc`, `-M q35`) or
/// the MMIO one (`-M microvm`, Firecracker). Drivers see only this, so one virtio-net and one
/// virtio-blk driver serve both. The status handshake and feature negotiation are the same on every
/// transport (spec 3.1.1) and live in the extension below over the registers each transport reaches
/// its own way.
protocol VirtioTransport: AnyObject {
    /// Where the device is, for console lines: a PCI address or an MMIO base.
    var location: String { get }
    /// Bytes of device-specific configuration the transport exposes.
    var deviceConfigLength: UInt64 { get }
    /// The features `negotiate` accepted (queues need to know about VIRTIO_F_EVENT_IDX).
    var acceptedFeatures: UInt64 { get set }
    /// The device status register (spec 2.1).
    var status: UInt8 { get set }
    /// 32-bit word `word` of the features the device offers / of those the driver accepts.
    func deviceFeatures(word: UInt32) -> UInt32
    func setDriverFeatures(word: UInt32, _ value: UInt32)
    /// How the device will signal finished work; `handler` must only note it.
    func setUpInterrupt(_ handler: @escaping () -> Void) -> InterruptMode
    /// Creates queue `index` with at most `maxSize` entries (a power of two), interrupting or not;
    /// returns the queue and whether the device will interrupt for it.
    func makeQueue(index: UInt16, maxSize: Int, interrupting: Bool) throws(VirtioError) -> (queue: Virtqueue, interrupts: Bool)
    /// Where the device-specific configuration starts, and its generation counter (spec 2.5.1).
    var deviceConfig: UInt { get }
    var configGeneration: UInt32 { get }
}

/// Device status bits (spec 2.1).
enum VirtioStatus {
    static let acknowledge: UInt8 = 1
    static let driver: UInt8 = 2
    static let driverOK: UInt8 = 4
    static let featuresOK: UInt8 = 8
    static let failed: UInt8 = 128
}

/// Constants of the transport-independent part.
enum VirtioHandshake {
    static let featureVersion1: UInt64 = 1 << 32
    /// Bounded wait for a reset (QEMU answers at once; a wedged device must not hang boot).
    static let resetPolls = 1_000_000
    /// Bounded retries of a configuration read the device keeps changing.
    static let generationRetries = 16
}

extension VirtioTransport {
    /// Reset, ACKNOWLEDGE, DRIVER, then accept `supported & offered` (VERSION_1 is required) and check
    /// the device keeps FEATURES_OK. Returns the accepted features. On failure the device is marked FAILED.
    func negotiate(supported: UInt64) throws(VirtioError) -> UInt64 {
        status = 0
        var polls = 0
        while status != 0 {
            polls += 1
            if polls >= VirtioHandshake.resetPolls { throw .resetTimeout }
            cpu_pause()
        }
        status = VirtioStatus.acknowledge
        status = VirtioStatus.acknowledge | VirtioStatus.driver
        let offered = UInt64(deviceFeatures(word: 1)) << 32 | UInt64(deviceFeatures(word: 0))
        guard offered & VirtioHandshake.featureVersion1 != 0 else { fail(); throw .noVersion1 }
        let accepted = offered & (supported | VirtioHandshake.featureVersion1)
        setDriverFeatures(word: 0, UInt32(truncatingIfNeeded: accepted))
        setDriverFeatures(word: 1, UInt32(truncatingIfNeeded: accepted >> 32))
        status = status | VirtioStatus.featuresOK
        guard status & VirtioStatus.featuresOK != 0 else { fail(); throw .featuresRejected }
        acceptedFeatures = accepted
        return accepted
    }

    /// Runs `read` on the device configuration's address until the configuration generation is the same
    /// before and after, so a multi-byte field (a MAC, a 64-bit capacity) is never torn by a concurrent
    /// device update (bounded: a device that never settles gets the last value).
    func readConfig(_ read: (UInt) -> UInt64) -> UInt64 {
        for _ in 1..<VirtioHandshake.generationRetries {
            let before = configGeneration
            let value = read(deviceConfig)
            if configGeneration == before { return value }
        }
        return read(deviceConfig)
    }

    /// Marks the device FAILED: it stops using our memory, and the host sees that the guest gave up.
    func fail() { status = status | VirtioStatus.failed }

    /// The last handshake step: the device may now use the queues.
    func start() { status = status | VirtioStatus.driverOK }
}

enum VirtioDriverStart {
    /// The start every virtio driver shares (spec 3.1.1): check the device configuration is large
    /// enough, negotiate features, then the driver's own `bringUp`. If that fails the device is marked
    /// FAILED, so it stops expecting a driver.
    static func attach<Driver>(_ transport: VirtioTransport, configBytesNeeded: UInt64, supportedFeatures: UInt64,
                               _ bringUp: (UInt64) throws(VirtioError) -> Driver) throws(VirtioError) -> Driver {
        guard transport.deviceConfigLength >= configBytesNeeded else { throw .badCapability("device configuration") }
        let features = try transport.negotiate(supported: supportedFeatures)
        do {
            return try bringUp(features)
        } catch {
            transport.fail()
            throw error
        }
    }
}
