import Bytes
import Net

/// The console: log lines go into a ring in memory and reach the UART only when the machine has
/// nothing better to do. Every byte to the 16550 is a port write, a VM exit into the hypervisor (under
/// QEMU a write() per byte), so a log line written synchronously inside a request cost a keep-alive
/// request several times its own work. Now a line costs a copy into the ring; the main loop drains the
/// ring in bounded batches just before it halts; lines the UART could not keep up with are dropped,
/// oldest first, and counted (`log.lines_dropped`), and stay readable at /factory/log while they last.
///
/// The drain is paced at the UART's own line rate (115200 baud, 10 bits a byte): what a real serial
/// line carries. An emulated 16550 takes bytes as fast as they are written, each at the price of a VM
/// exit, so an unpaced drain spends every idle moment on the console, and the next request waits for
/// it. Paced, the console costs a bounded sliver of CPU; lines beyond its rate are dropped from the
/// console (counted), and stay in the ring for /factory/log.
///
/// Until the main loop serves (boot, self-tests) every line is drained at once, as a boot console must
/// be: a hang then shows its last line. A panic or CPU exception drains everything before its report
/// (`Serial.putDirect` does, for any direct write).
enum Console {
    /// The ring's size: a few hundred access-log lines.
    static let ringCapacity = 64 * 1024
    /// Longer lines keep their first this many bytes (a request line can be 8 KiB).
    static let maximumLineLength = 1024
    /// Bytes the main loop drains per pass before it halts, so work that arrives meanwhile waits at
    /// most this many port writes.
    static let drainBatchBytes = 64
    /// The UART's rate: 115200 baud at 10 bits (start, 8 data, stop) per byte is 11,520 bytes/s.
    static let byteInterval = Interval(nanoseconds: 1_000_000_000 / 11_520)
    /// Bytes the console may take at once after a quiet spell (a burst of boot or error lines).
    static let burstBytes = 4096

    /// nil until the heap exists; lines before that go straight to the UART.
    nonisolated(unsafe) private(set) static var ring: LineRing?
    /// True until the main loop starts serving: each line is drained as soon as it is written.
    nonisolated(unsafe) static var synchronous = true

    static func start() {
        ring = LineRing(capacity: ringCapacity, maximumLineLength: maximumLineLength)
    }

    nonisolated(unsafe) private static var pace = TokenBucket(capacity: burstBytes, refillInterval: byteInterval)

    /// One batch to the UART, as the line rate allows. Returns when to come back: `.never` when the
    /// ring is drained, `now` or earlier for another batch at once, or the instant the rate allows one.
    static func drainBatch(now: Instant) -> Instant {
        guard let ring, ring.undrainedBytes > 0 else { return .never }
        let allowed = pace.take(upTo: Swift.min(drainBatchBytes, ring.undrainedBytes), now: now)
        ring.drain(maxBytes: allowed) { Serial.putConsoleByte($0) }
        if ring.undrainedBytes == 0 { return .never }
        return allowed > 0 ? now : pace.nextToken
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

    /// Everything the ring still holds, for /factory/log.
    static var recentLines: [UInt8] { ring?.recentLines(maxBytes: ringCapacity) ?? [] }

    static var lines: [String] {
        guard let ring else { return [] }
        return ["log.lines_written \(ring.linesWritten)", "log.lines_dropped \(ring.linesDropped)",
                "log.lines_truncated \(ring.linesTruncated)"]
    }
}
