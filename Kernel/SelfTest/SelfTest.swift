import KernelSupport
import Appliance

/// The self-tests as the self-test image's kmain hands them to `boot` (Boot/app.swift built with
/// SELFTEST): nothing in the standard image refers to them, so the linker leaves them out of it.
public func runSelfTests(_ tests: BootConfig.SelfTests) -> Never {
    SelfTest.runAll(core: tests.core, devices: DriverSelfTests(net: tests.net, disk: tests.disk))
}

/// In-kernel self-tests, run with `selftest` on the command line of build/selftest.elf (Scripts/test
/// does). Each test prints FAIL (or SKIP) lines; the VM then exits through isa-debug-exit with success
/// only if none failed. A check that could not run is a SKIP, named on its own line and in the
/// summary: never "all passed".
enum SelfTest {
    nonisolated(unsafe) static var failures = 0
    nonisolated(unsafe) static var checks = 0
    nonisolated(unsafe) static var skipped = 0

    static func skip(_ what: StaticString) {
        skipped += 1
        Log.Raw.write("selftest: SKIP: "); Log.Raw.write(what); Log.Raw.write("\n")
    }

    static func expect(_ condition: Bool, _ what: StaticString) {
        checks += 1
        if !condition {
            failures += 1
            Log.Raw.write("selftest: FAIL: "); Log.Raw.write(what); Log.Raw.write("\n")
        }
    }

    /// `core`: the machine tests (`selftest`); `devices`: the driver tests the command line named.
    static func runAll(core: Bool, devices: DriverSelfTests) -> Never {
        Log.info("selftest: start")
        if core {
            HeapSelfTest.run()
            RuntimeSelfTest.run()
            ClockSelfTest.run()
            ExceptionSelfTest.run()
            InterruptSelfTest.run()
        }
        devices.run()
        if failures == 0 {
            if skipped == 0 {
                Log.info("selftest: all \(checks) checks passed")
            } else {
                Log.info("selftest: \(checks) checks passed, \(skipped) skipped (SKIP lines above)")
            }
            Panic.exit(.success)
        }
        Log.error("selftest: \(failures) of \(checks) checks failed")
        Panic.exit(.testFailure)
    }
}
