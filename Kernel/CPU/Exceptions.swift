import KernelSupport

/// CPU exceptions (vectors 0-31). Any exception in the kernel is a bug: print a full report and stop.
/// The one exception to that rule is the self-test, which arms `expectedInvalidOpcode` and raises a
/// deliberate #UD to prove this path works; then the report is printed and execution resumes.
enum Exceptions {
    static let invalidOpcode: UInt64 = 6
    static let pageFault: UInt64 = 14

    /// Set by the exception self-test: the next #UD is expected; skip the 2-byte ud2 and resume.
    nonisolated(unsafe) static var expectedInvalidOpcode = false
    nonisolated(unsafe) static var expectedFaultsTaken: UInt64 = 0

    static func name(_ vector: UInt64) -> StaticString {
        switch vector {
        case 0: return "divide error"
        case 1: return "debug"
        case 2: return "NMI"
        case 3: return "breakpoint"
        case 4: return "overflow"
        case 5: return "bound range"
        case 6: return "invalid opcode"
        case 7: return "device not available (FPU use in a soft-float kernel)"
        case 8: return "double fault"
        case 10: return "invalid TSS"
        case 11: return "segment not present"
        case 12: return "stack fault"
        case 13: return "general protection"
        case 14: return "page fault"
        case 16: return "x87 floating point"
        case 17: return "alignment check"
        case 18: return "machine check"
        case 19: return "SIMD floating point"
        default: return "reserved"
        }
    }

    static func handle(_ frame: InterruptFrame) {
        let vector = frame.vector
        if vector == invalidOpcode && expectedInvalidOpcode {
            expectedInvalidOpcode = false
            expectedFaultsTaken &+= 1
            report(frame, title: "expected exception (self-test)")
            frame.rip = frame.rip &+ 2      // skip ud2
            return
        }
        report(frame, title: "PANIC: CPU exception")
        Panic.stop()
    }

    /// vector, error code, RIP, CR2 (page faults), and every general register — allocation-free.
    static func report(_ frame: InterruptFrame, title: StaticString) {
        Log.Raw.write("\n"); Log.Raw.write(title); Log.Raw.write(": vector ")
        Log.Raw.decimal(frame.vector); Log.Raw.write(" ("); Log.Raw.write(name(frame.vector))
        Log.Raw.write(") error "); Log.Raw.hex(frame.errorCode)
        Log.Raw.write("\n  rip "); Log.Raw.hex(frame.rip)
        Log.Raw.write(" cs "); Log.Raw.hex(frame.cs)
        Log.Raw.write(" rflags "); Log.Raw.hex(frame.rflags)
        Log.Raw.write(" rsp "); Log.Raw.hex(frame.rsp)
        Log.Raw.write(" cr2 "); Log.Raw.hex(cpu_read_cr2())
        for i in 0..<InterruptFrame.registerNames.count {
            Log.Raw.write(i % 4 == 0 ? "\n  " : " ")
            Log.Raw.write(InterruptFrame.registerNames[i]); Log.Raw.write(" ")
            Log.Raw.hex(frame.words[InterruptFrame.registerSlots[i]])
        }
        Log.Raw.write("\n")
    }
}
