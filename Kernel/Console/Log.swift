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
/// Lines go into the console ring (Console), prefix and all, formatted in place: writing a line
/// allocates nothing beyond the message itself and touches no port. The `Raw` helpers write straight to
/// the UART, after whatever the ring holds (for exception handlers and panics).
enum Log {
    nonisolated(unsafe) static var level: LogLevel = .info
    /// Also handed every line kept (without the prefix), e.g. to the syslog sender; `access` marks
    /// access-log lines.
    nonisolated(unsafe) static var forward: ((LogLevel, _ access: Bool, [UInt8]) -> Void)?

    static func error(_ message: String) { line(.error, message) }
    static func warn(_ message: String) { line(.warn, message) }
    static func info(_ message: String) { line(.info, message) }
    static func debug(_ message: String) { line(.debug, message) }

    static func line(_ lvl: LogLevel, _ message: String) {
        guard lvl <= level else { return }
        var text = message
        text.withUTF8 { line(lvl, bytes: $0) }
        if let forward { forward(lvl, false, Array(message.utf8)) }
    }

    static func line(_ lvl: LogLevel, bytes message: [UInt8], access: Bool = false) {
        guard lvl <= level else { return }
        message.withUnsafeBufferPointer { line(lvl, bytes: $0) }
        if let forward { forward(lvl, access, message) }
    }

    /// One message type for every caller: each generic specialisation here costs kilobytes of image.
    private static func line(_ lvl: LogLevel, bytes message: UnsafeBufferPointer<UInt8>) {
        if var ring = Console.ring {
            write(lvl, message, to: &ring)
            if Console.synchronous { Console.flush() }
        } else {
            var direct = DirectConsole()
            write(lvl, message, to: &direct)
        }
    }

    /// `[    s.uuuuuu] level message` and a newline, the time from the TSC clock (zero until calibrated).
    private static func write<Sink: ByteSink>(_ lvl: LogLevel, _ message: UnsafeBufferPointer<UInt8>, to sink: inout Sink) {
        let us = TSCClock.sinceBootMicroseconds()
        sink.put("[")
        sink.putDecimal(us / 1_000_000, width: 5)
        sink.put(".")
        sink.putDecimal(us % 1_000_000, width: 6, pad: UInt8(ascii: "0"))
        sink.put("] ")
        sink.put(lvl.label)
        sink.put(" ")
        sink.put(bytes: message)
        sink.put(UInt8(ascii: "\n"))
    }

    /// Allocation-free output straight to the UART (after the ring is flushed).
    enum Raw {
        static func write(_ s: StaticString) { var d = DirectConsole(); d.put(s) }
        static func decimal(_ value: UInt64, width: Int = 0, pad: UInt8 = 32) {
            var d = DirectConsole(); d.putDecimal(value, width: width, pad: pad)
        }
        static func hex(_ value: UInt64) { var d = DirectConsole(); d.putHex(value) }
    }
}
