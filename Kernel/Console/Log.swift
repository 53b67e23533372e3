import Bytes
import HTTP

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
/// A line goes into the console ring as a record (time, level, message) and is formatted only when read
/// (Console): writing one allocates nothing beyond the message itself and touches no port. An access-log
/// entry goes in encoded, its Common Log Format line made the same way. The `Raw` helpers write
/// straight to the UART, after whatever the ring holds (for exception handlers and panics).
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
        text.withUTF8 { bytes in
            if let ring = Console.ring {
                if lvl <= .warn { Console.urgentLineComing() }
                ring.append(kind: Console.textRecord, level: UInt8(lvl.rawValue), time: TSCClock.sinceBootMicroseconds(),
                            bytes: UnsafeRawBufferPointer(bytes))
                if Console.synchronous { Console.flush() }
            } else {
                var direct = DirectConsole()
                Console.putPrefix(time: TSCClock.sinceBootMicroseconds(), level: lvl, into: &direct)
                direct.put(bytes: bytes)
                direct.put(UInt8(ascii: "\n"))
            }
        }
        if let forward { forward(lvl, false, Array(message.utf8)) }
    }

    /// One access-log entry at level info, encoded into the ring (the ring exists by the time anything
    /// is served).
    static func access(_ entry: AccessLogEntry) {
        guard LogLevel.info <= level, let ring = Console.ring else { return }
        ring.append(kind: Console.accessRecord, level: UInt8(LogLevel.info.rawValue),
                    time: TSCClock.sinceBootMicroseconds(), count: entry.encodedCount) { entry.encode(into: $0) }
        if Console.synchronous { Console.flush() }
        if let forward { forward(.info, true, entry.line) }
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
