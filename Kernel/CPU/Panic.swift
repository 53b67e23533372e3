import KernelSupport

/// Stopping the machine. With QEMU's isa-debug-exit device present (tests add it), the VM exits with a
/// status that says what happened; otherwise the CPU halts with interrupts off.
enum Panic {
    /// Exit codes written to the isa-debug-exit port; QEMU exits with status (code << 1) | 1.
    enum ExitCode: UInt32 {
        case success = 0x10      // status 33
        case panic = 0x11        // status 35
        case testFailure = 0x12  // status 37
    }

    static let debugExitPort: UInt16 = 0xF4

    static func exit(_ code: ExitCode) -> Never {
        Console.flush()          // nothing logged is lost with the machine
        outl(debugExitPort, code.rawValue)
        cpu_halt_forever()
        while true {}
    }

    /// A report line, then stop. For unrecoverable states detected in Swift code.
    static func halt(_ reason: StaticString) -> Never {
        Log.Raw.write("\nPANIC: "); Log.Raw.write(reason); Log.Raw.write("\n")
        stop()
    }

    static func stop() -> Never {
        Log.Raw.write("system halted\n")
        exit(.panic)
    }
}

@_cdecl("kernel_stack_smashed")
func kernelStackSmashed() {
    Panic.halt("stack protector: stack smashing detected")
}
