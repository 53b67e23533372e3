import Bytes

/// The console: log lines go into a ring in memory and reach the UART only when the machine has
/// nothing better to do. Every byte to the 16550 is a port write, a VM exit into the hypervisor (under
/// QEMU a write() per byte), so a log line written synchronously inside a request cost a keep-alive
/// request several times its own work. Now a line costs a copy into the ring; the main loop drains the
/// ring in bounded batches just before it halts; lines the UART could not keep up with are dropped,
/// oldest first, and counted (`log.lines_dropped`), and stay readable at /factory/log while they last.
///
/// Until the main loop serves (boot, self-tests) every line is drained at once, as a boot console must
/// be: a hang then shows its last line. A panic or CPU exception drains everything before its report
/// (`Serial.putDirect` does, for any direct write).
enum Console {
    /// The ring's size: a few hundred access-log lines.
    static let ringCapacity = 64 * 1024
    /// Longer lines keep their first this many bytes (a request line can be 8 KiB).
    static let maximumLineLength = 1024
    /// Bytes the main loop drains per pass before it halts: about one access-log line, so work that
    /// arrives meanwhile waits at most a few hundred port writes.
    static let drainBatchBytes = 160

    /// nil until the heap exists; lines before that go straight to the UART.
    nonisolated(unsafe) private(set) static var ring: LineRing?
    /// True until the main loop starts serving: each line is drained as soon as it is written.
    nonisolated(unsafe) static var synchronous = true

    static func start() {
        ring = LineRing(capacity: ringCapacity, maximumLineLength: maximumLineLength)
    }

    /// One batch to the UART; true if more is waiting.
    static func drainBatch() -> Bool {
        guard let ring else { return false }
        ring.drain(maxBytes: drainBatchBytes) { Serial.putConsoleByte($0) }
        return ring.undrainedBytes > 0
    }

    /// Everything to the UART now (boot, panics). Not re-entered: a fault inside a flush reports
    /// without a second one.
    static func flush() {
        guard let ring, ring.undrainedBytes > 0, !flushing else { return }
        flushing = true
        ring.drain(maxBytes: .max) { Serial.putConsoleByte($0) }
        flushing = false
    }
    nonisolated(unsafe) private static var flushing = false

    static var lines: [String] {
        guard let ring else { return [] }
        return ["log.lines_written \(ring.linesWritten)", "log.lines_dropped \(ring.linesDropped)",
                "log.lines_truncated \(ring.linesTruncated)"]
    }
}
