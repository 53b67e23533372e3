import KernelSupport
import Bytes
import Appliance
import HTTP
import ACPI

/// Where the boot stub lands (Boot/pvh.S calls `kmain`, which Boot/app.swift defines for the one app the
/// image links): long mode, identity-mapped low 4 GiB, interrupts off, on the boot stack. Brings the
/// machine up in dependency order, then runs the appliance with `app`. `selfTests`: the in-kernel
/// self-tests, handed in only by the self-test image's kmain (Scripts/build --selftest), so the
/// standard image does not carry them.
public func boot(_ startInfoAddress: UInt, app: Application, selfTests: ((BootConfig.SelfTests) -> Never)? = nil) -> Never {
    TSCClock.start()
    runtime_seed_stack_guard(cpu_rdtsc())
    Serial.initialize()
    guard let startInfo = StartInfo(address: startInfoAddress) else {
        Panic.halt("no PVH start info: boot with qemu-system-x86_64 -kernel (PVH entry)")
    }
    Memory.initialize(startInfo)
    Console.start()
    Interrupts.install()
    TSCClock.calibrate()
    RTCWallClock.read()

    let (config, problems) = BootConfig.parse(startInfo.commandLine(maxLength: BootConfig.maxLength + 1))
    Log.level = LogLevel(config.logLevel)
    Log.info("Swift unikernel appliance (app \(app.name)), \(Memory.ramMiB) MiB RAM, heap \(Heap.stats.capacityBytes / 1024) KiB")
    Log.info("command line: \"\(String(decoding: startInfo.commandLine(), as: UTF8.self))\"")
    for p in problems { Log.warn("command line: ignoring '\(p.word)': \(p.reason)") }
    Log.info("clock: TSC \(TSCClock.ticksPerSecond / 1_000_000) MHz (\(TSCClock.source)), wall clock \(RTCWallClock.unixAtBoot) s since 1970")

    LocalAPIC.enable()
    LocalAPIC.calibrate(tscTicks: TSCClock.ticksPerSecond / 100)
    let acpi = ACPIPower.start(rsdpAddress: startInfo.rsdpAddress)
    CtrlAltDel.arm(acpi.wiring)
    // QEMU names its virtio-mmio windows on the command line without ACPI, in the DSDT with it.
    var windows = config.virtioMMIODevices
    if windows.isEmpty {
        for d in acpi.virtio {
            if case .success(let w) = VirtioMMIODevice.checked(base: d.base, size: d.length, interrupt: UInt64(d.interrupt.globalInterrupt)) { windows.append(w) }
        }
    }
    Devices.probe(mmio: windows, wiring: acpi.wiring)

    if config.selfTests.any {
        if let selfTests { selfTests(config.selfTests) }
        Log.warn("selftest: this image has no self-tests (build/selftest.elf has them: Scripts/build --selftest); booting")
    }
    MainLoop.run(config: config, app: app)
}

extension BootConfig.LogLevel {
    init(_ level: LogLevel) {
        switch level {
        case .error: self = .error
        case .warn: self = .warn
        case .info: self = .info
        case .debug: self = .debug
        }
    }
}

extension LogLevel {
    init(_ level: BootConfig.LogLevel) {
        switch level {
        case .error: self = .error
        case .warn: self = .warn
        case .info: self = .info
        case .debug: self = .debug
        }
    }
}
