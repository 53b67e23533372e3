import Bytes

/// Console verbosity, set by `loglevel=` on the kernel command line.
enum LogLevel: Int, Comparable {
    case error = 0, warn, info, debug

    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    var label: StaticString {
        switch self {
        case .error: return "error"
        case .warn: return "warn "
        case .info: return "info "
        case .debug: return "debug"
        }
    }
}

/// The console log: every line carries the monotonic time since boot (seconds.microseconds) and a level,
/// like Linux's dmesg, so a slow boot or a stall is visible in the log itself:
///   [    0.012345] info  net: link up
/// Writing allocates nothing beyond the message itself, and the `Raw` helpers allocate nothing at all
/// (for exception handlers and panics).
enum Log {
    nonisolated(unsafe) static var level: LogLevel = .info

    static func error(_ message: String) { line(.error, message) }
    static func warn(_ message: String) { line(.warn, message) }
    static func info(_ message: String) { line(.info, message) }
    static func debug(_ message: String) { line(.debug, message) }

    static func line(_ lvl: LogLevel, _ message: String) {
        guard lvl <= level else { return }
        prefix(lvl)
        for b in message.utf8 { consolePutByte(b) }
        consolePutByte(10)
    }

    /// `[    s.uuuuuu] level ` from the TSC clock (zero until it is calibrated).
    static func prefix(_ lvl: LogLevel) {
        let us = TSCClock.sinceBootMicroseconds()
        Raw.write("[")
        Raw.decimal(us / 1_000_000, width: 5)
        Raw.write(".")
        Raw.decimal(us % 1_000_000, width: 6, pad: 48)
        Raw.write("] ")
        Raw.write(lvl.label)
        Raw.write(" ")
    }

    /// Allocation-free output.
    enum Raw {
        static func write(_ s: StaticString) {
            s.withUTF8Buffer { for b in $0 { consolePutByte(b) } }
        }

        static func decimal(_ value: UInt64, width: Int = 0, pad: UInt8 = 32) {
            var digits = 1
            var rest = value / 10
            while rest != 0 { digits += 1; rest /= 10 }
            var padding = width - digits
            while padding > 0 { consolePutByte(pad); padding -= 1 }
            emitDigits(value)
        }

        private static func emitDigits(_ value: UInt64) {
            if value >= 10 { emitDigits(value / 10) }
            consolePutByte(48 + UInt8(truncatingIfNeeded: value % 10))
        }

        static func hex(_ value: UInt64) {
            write("0x")
            var shift: UInt64 = 60
            while true {
                consolePutByte(Hex.digit(UInt8((value >> shift) & 0xF)))
                if shift == 0 { break }
                shift -= 4
            }
        }
    }
}
