import Bytes
import Appliance
import ACPI

/// The devices found at boot, for the main loop: PCI enumeration and the virtio-mmio windows the
/// command line names (`-M microvm`, Firecracker), then a driver for the first virtio network card and
/// the first virtio disk, whichever transport they sit on. A device whose driver cannot start gets one console line and
/// is left alone; boot always continues.
enum Devices {
    nonisolated(unsafe) static private(set) var pci: [PCIFunction] = []
    nonisolated(unsafe) static private(set) var network: VirtioNet?
    nonisolated(unsafe) static private(set) var disk: VirtioBlock?

    /// How often the main loop must look at a device that has no working interrupt.
    static let pollInterval = Interval.milliseconds(1)

    // Virtio PCI device IDs (spec 4.1.2): transitional devices are 0x1000-0x103F and name their type in
    // the subsystem ID; modern-only devices are 0x1040 + type.
    private static let transitionalFirst: UInt16 = 0x1000
    private static let transitionalLast: UInt16 = 0x103F
    private static let modernBase: UInt16 = 0x1040
    private static let modernLast: UInt16 = 0x107F
    private static let typeNetwork: UInt16 = 1
    private static let typeBlock: UInt16 = 2

    static func probe(mmio windows: [VirtioMMIODevice], wiring: MADT) {
        pci = PCIBus.enumerate()
        Log.info("pci: \(pci.count) functions")
        for f in pci {
            Log.debug("pci: \(f.summary)")
            for (i, bar) in f.bars.enumerated() {
                if let bar { Log.debug("pci:   BAR\(i) \(bar.text)") }
            }
        }
        defer {
            if DeviceMemory.pagesMapped > 0 {
                Log.info("pci: mapped \(DeviceMemory.pagesMapped) uncached 2 MiB pages for device registers outside the top GiB")
            }
        }
        for f in pci where f.vendorID == VirtioPCITransport.vendorID {
            guard let type = virtioType(f), type == typeNetwork || type == typeBlock else { continue }
            do {
                attach(try VirtioPCITransport(f), type: UInt32(type))
            } catch {
                Log.warn("\(name(UInt32(type))) \(f.address.text): \(error.reason); continuing without it")
            }
        }
        for w in windows {
            let place = "virtio-mmio 0x\(Hex.text(w.base, minDigits: 8)) (irq \(w.interrupt))"
            do {
                let transport = try VirtioMMIOTransport(w, wiring: wiring)
                Log.debug("\(place): device type \(transport.deviceID)")
                guard transport.deviceID == UInt32(typeNetwork) || transport.deviceID == UInt32(typeBlock) else {
                    Log.info("\(place): virtio device type \(transport.deviceID) is not driven here")
                    continue
                }
                attach(transport, type: transport.deviceID)
            } catch {
                Log.warn("\(place): \(error.reason)")
            }
        }
    }

    private static func virtioType(_ f: PCIFunction) -> UInt16? {
        if f.deviceID >= modernBase && f.deviceID <= modernLast { return f.deviceID - modernBase }
        if f.deviceID >= transitionalFirst && f.deviceID <= transitionalLast { return f.subsystemID }
        return nil
    }

    private static func name(_ type: UInt32) -> String { type == UInt32(typeNetwork) ? "virtio-net" : "virtio-blk" }

    private static func attach(_ transport: VirtioTransport, type: UInt32) {
        if type == UInt32(typeNetwork) { attachNetwork(transport) } else { attachDisk(transport) }
    }

    private static func attachNetwork(_ t: VirtioTransport) {
        guard network == nil else { Log.info("virtio-net \(t.location): a second card is not used"); return }
        do {
            let net = try VirtioNet.attach(t)
            network = net
            Log.info("virtio-net \(net.macAddress.text), MTU \(net.mtu), \(net.interruptMode.text), link \(net.linkUp ? "up" : "down"), offload \(net.offloadText), at \(t.location)")
            warnIfPolled(net.interruptMode, "virtio-net")
        } catch {
            Log.warn("virtio-net \(t.location): \(error.reason); continuing without it")
        }
    }

    private static func attachDisk(_ t: VirtioTransport) {
        guard disk == nil else { Log.info("virtio-blk \(t.location): a second disk is not used"); return }
        do {
            let blk = try VirtioBlock.attach(t)
            disk = blk
            Log.info("virtio-blk \(blk.sizeText) \(blk.readOnly ? "read-only" : "writable device, used read-only"), \(blk.slotCount) requests in flight, \(blk.interruptMode.text), at \(t.location)")
            warnIfPolled(blk.interruptMode, "virtio-blk")
        } catch {
            Log.warn("virtio-blk \(t.location): \(error.reason); continuing without it")
        }
    }

    private static func warnIfPolled(_ mode: InterruptMode, _ name: String) {
        if case .polling(let reason) = mode {
            Log.warn("\(name): \(reason); polling every \(pollInterval.nanoseconds / 1000) us instead of waiting for interrupts")
        }
    }

    /// True when a device has finished work nobody has collected yet. The main loop checks this before
    /// halting: frames or completions left in a ring (say, beyond a `receive` limit) raise no new interrupt.
    static var hasPendingWork: Bool {
        (network?.hasReceived ?? false) || (disk?.hasCompletions ?? false)
    }

    /// Interrupts are wanted only while the CPU halts (see Virtqueue): before halting, ask every device
    /// for one. False when a device already has work, which raises no interrupt: go round instead.
    static func prepareToHalt() -> Bool {
        let netReady = network?.prepareToHalt() ?? true
        let diskReady = disk?.prepareToHalt() ?? true
        return netReady && diskReady
    }

    /// After a halt (or instead of one): no interrupts while the main loop is busy with the rings.
    static func quietInterrupts() {
        network?.quietInterrupts()
        disk?.quietInterrupts()
    }

    /// True when work that is due can only make progress once the NIC returns transmit buffers; the
    /// main loop then halts until it does (or `pollInterval`, should it never interrupt) instead of
    /// spinning on a full ring.
    static var waitingForTransmitBuffers: Bool { network?.waitingForTransmitBuffers ?? false }

    /// The main loop must wake at least this often (nil: every device interrupts).
    static var requiredPollInterval: Interval? {
        (network?.interruptMode.isPolling ?? false) || (disk?.interruptMode.isPolling ?? false) ? pollInterval : nil
    }
}
