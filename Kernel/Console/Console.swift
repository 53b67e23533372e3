import Bytes
import HTTP

/// The console: log lines go into a ring of records in memory and reach the UART only when the machine
/// has nothing better to do. Every byte to the 16550 is a port write, a VM exit into the hypervisor
/// (under QEMU a write() per byte), so a log line written synchronously inside a request cost a
/// keep-alive request several times its own work. Now a line costs a copy into the ring, unformatted;
/// the main loop formats and drains records in bounded batches just before it halts; records the UART
/// could not keep up with are dropped, oldest first, and counted (`log.lines_dropped`), and stay readable
/// at /factory/log while they last. Formatting on the way out, not on the way in: under load the UART
/// takes a small share of the lines, and formatting every one inside its request cost the default
/// configuration a tenth of its keep-alive rate.
///
/// The drain waits for the network to be quiet (`quietSpell` without a TCP segment received), and
/// while it is busy the console asks to be woken only every `busyRecheck`. What the console costs the
/// host lands mostly outside the guest's view: held to its 1/64 share of the guest's clock, a drain
/// under load still cost the default configuration a fifth of its keep-alive rate, and so did a halt
/// armed for the end of a 20 ms quiet spell with no byte written (every halt re-arms the APIC timer; the
/// likely cost, not measured directly, is QEMU waking its main loop, which also moves the packets, to
/// re-plan for a nearer timer). Measured with `Scripts/bench
/// --baseline`, round-by-round medians of default/quiet keep-alive, 2026-12-04: drain under load
/// 0.69x and 0.82x, a kernel that never drains while serving 0.96x and 0.92x, the 20 ms wake 0.81x,
/// this 0.96x. So under sustained load the console prints nothing; its lines stay in the ring
/// (/factory/log, syslog=), and once the load pauses it goes on from the oldest line the ring still
/// holds, after a notice counting those it lost. A warning or an error does not wait: under load the
/// console skips to it (the lines before it counted as dropped and announced) and prints it at once.
///
/// The drain gets a fixed share of the clock (`cpuShare`), measured, not guessed: an emulated 16550
/// takes bytes as fast as they are written, each at the price of a VM exit (under TCG with a file
/// backend, ~5 us a byte: 100 bytes a request halved keep-alive throughput), so an unpaced drain spends
/// every idle moment on the console and the next request waits for it; paced at the 115200-baud line
/// rate it still took ~6 % of the CPU under load. With a share, the console costs at most that share
/// whatever a byte costs on this hypervisor; lines beyond it are dropped from the console (counted) and
/// stay in the ring for /factory/log; the next line the console prints says how many it dropped.
///
/// Until the main loop serves (boot, self-tests) every line is drained at once, as a boot console must
/// be: a hang then shows its last line. A panic or CPU exception drains everything before its report
/// (`Serial.putDirect` does, for any direct write); formatting allocates nothing there.
enum Console {
    /// The ring's size: a few hundred access-log entries.
    static let ringCapacity = 64 * 1024
    /// Longer messages keep their first this many bytes (a request line can be 8 KiB; an access entry
    /// keeps the start of its target and always fits).
    static let maximumLineLength = 1024
    /// Bytes the main loop drains per pass before it halts, so work that arrives meanwhile waits at
    /// most this many port writes: one FIFO's worth. A byte cost 15 us here (TCG, file backend: 8,128
    /// bytes took 126 ms under load), so 64 bytes held every packet that arrived during the drain for a
    /// millisecond (keep-alive in the default configuration: 0.68x quiet with 64, 0.96x with 16).
    static let drainBatchBytes = 16
    /// How long no TCP segment may have arrived before the console drains: longer than the gaps between
    /// a busy client's requests, short enough that a person at the console sees no delay.
    static let quietSpell = Interval.milliseconds(20)
    /// While the network is busy, how soon the console looks again: far enough that the timer it arms
    /// is rarely the nearest one (TCP's and the registry's timers are), near enough that lines follow
    /// within a quarter of a second once the load stops. Not the quiet spell's end (see above).
    static let busyRecheck = Interval.milliseconds(250)
    /// The console may use at most 1/64 (1.6 %) of the time.
    static let cpuShare: UInt64 = 64
    /// Time it may use at once after a quiet spell (a burst of DHCP or error lines appears at once).
    static let burstTime = Interval.milliseconds(50)
    /// Record kinds: a text message, an encoded access-log entry (`AccessLogEntry`).
    static let textRecord: UInt8 = 0
    static let accessRecord: UInt8 = 1

    /// nil until the heap exists; lines before that go straight to the UART.
    nonisolated(unsafe) private(set) static var ring: LogRing?
    /// True until the main loop starts serving: each line is drained as soon as it is written.
    nonisolated(unsafe) static var synchronous = true
    /// The line being drained (after a gap notice, if lines were dropped before it), formatted, and how
    /// much of it the UART has. Its room is kept from the start, so formatting in a panic allocates
    /// nothing.
    nonisolated(unsafe) private static var line: [UInt8] = []
    nonisolated(unsafe) private static var lineSent = 0

    static func start() {
        ring = LogRing(capacity: ringCapacity, maximumPayload: maximumLineLength)
        line.reserveCapacity(maximumLineLength + 384)
    }

    nonisolated(unsafe) private static var share = TimeShare(divisor: cpuShare, cap: burstTime)
    nonisolated(unsafe) private static var networkQuiet = QuietSpell(quietSpell)

    /// The main loop saw segments arrive (at `now`): the drain waits for `quietSpell` after the last.
    static func networkActive(at now: Instant) { networkQuiet.noteActivity(at: now) }

    /// Where the latest warning or error went into the ring; while it is undrained the console prints
    /// it even under load (see `drainBatch`).
    nonisolated(unsafe) private static var urgentAt: UInt64?

    /// A warning or an error is about to be appended (called just before, so the mark is at or before
    /// its start: a wrap pads first).
    static func urgentLineComing() { urgentAt = ring?.endPosition }
    /// Bytes the main loop handed to the UART, and the time that took (what a console byte costs here).
    nonisolated(unsafe) private static var drainedBytes: UInt64 = 0
    nonisolated(unsafe) private static var drainNanoseconds: UInt64 = 0

    private static var hasUndrained: Bool { lineSent < line.count || ring?.hasUndrained == true }

    /// One batch to the UART, if the network is quiet (or a warning waits) and the console's share
    /// allows. Returns when to come back: `.never` when the ring is drained, `now` for another batch at
    /// once, `busyRecheck` from now while the network is busy, or when the share allows the next batch
    /// (a frame arriving first wakes the loop anyway).
    static func drainBatch(now: Instant) -> Instant {
        guard hasUndrained, let ring else { return .never }
        var newLines = Int.max
        if !networkQuiet.isQuiet(at: now) {
            // Busy: only the rest of a line begun, or else a waiting warning or error, the lines before
            // it skipped (counted as dropped; the notice before it says so).
            if lineSent < line.count {
                newLines = 0
            } else if let urgentAt, ring.drainPosition <= urgentAt {
                ring.skipUndrained(before: urgentAt)
                newLines = 1
            } else {
                return now + busyRecheck
            }
        }
        guard share.mayRun(now: now) else { return share.nextRun }
        let n = send(maxBytes: drainBatchBytes, newLines: newLines)
        let took = TSCClock.shared.now().since(now)
        share.spent(took)
        drainedBytes &+= UInt64(n)
        drainNanoseconds &+= took.nanoseconds
        return hasUndrained ? now : .never
    }

    /// Everything to the UART now (boot, panics). Not re-entered: a fault inside a flush reports
    /// without a second one. Out of line: its callers are every panic and report path.
    @inline(never)
    static func flush() {
        guard !flushing else { return }
        flushing = true
        send(maxBytes: .max)
        flushing = false
    }
    nonisolated(unsafe) private static var flushing = false

    /// Up to `maxBytes` to the UART, formatting the next undrained record whenever a line is out, at
    /// most `newLines` of them.
    @discardableResult
    private static func send(maxBytes: Int, newLines: Int = .max) -> Int {
        var n = 0
        var started = 0
        while n < maxBytes {
            if lineSent == line.count {
                guard started < newLines, let ring, let record = ring.takeUndrained() else { break }
                started += 1
                line.removeAll(keepingCapacity: true)
                lineSent = 0
                if ring.linesDropped != dropsShown, flushing || gapNoticeDue(at: record.time) {
                    putGapNotice(dropped: ring.linesDropped &- dropsShown, time: record.time, into: &line)
                    dropsShown = ring.linesDropped
                    lastGapNotice = record.time
                }
                format(record, into: &line)
            }
            Serial.putConsoleByte(line[lineSent])
            lineSent += 1
            n += 1
        }
        return n
    }

    /// Lines the console has said it dropped: a gap in its lines is announced before the first line
    /// after it (as Linux's printk reports messages it suppressed), so a reader of the console knows it
    /// is not seeing everything (/factory/log and syslog= have what the ring and their queue held).
    nonisolated(unsafe) private static var dropsShown: UInt64 = 0
    /// When the last notice was stamped (microseconds since boot). Under sustained load nearly every line
    /// the console prints follows a gap, and a notice before each spent the lines' bytes on notices (a
    /// 10 s keep-alive run of Scripts/profile: 71 notices and 101 access lines); so a notice comes at
    /// most once per `gapNoticeInterval`, counting every line dropped since the last one (the same run:
    /// 12 notices and 169 access lines). A flush (boot, panic) announces a gap at once.
    nonisolated(unsafe) private static var lastGapNotice: UInt64? = nil
    static let gapNoticeInterval = Interval.seconds(1)

    private static func gapNoticeDue(at time: UInt64) -> Bool {
        guard let last = lastGapNotice else { return true }
        return time &- last >= gapNoticeInterval.nanoseconds / 1_000
    }

    /// `console: N lines dropped (UART behind)`, stamped with the time of the line after the gap. Info,
    /// not a warning: under load the console drops lines by design.
    private static func putGapNotice(dropped: UInt64, time: UInt64, into out: inout [UInt8]) {
        putPrefix(time: time, level: .info, into: &out)
        out.put("console: ")
        out.putDecimal(dropped)
        out.put(" lines dropped (UART behind)\n")      // short: each byte is a port write
    }

    /// A record as its console line: the prefix, the message, a newline.
    private static func format(_ record: LogRing.Record, into out: inout [UInt8]) {
        putPrefix(time: record.time, level: level(of: record), into: &out)
        putMessage(record, into: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// The text of a record, without prefix: the message, or the access entry's line.
    private static func putMessage(_ record: LogRing.Record, into out: inout [UInt8]) {
        if record.kind == accessRecord {
            AccessLogEntry.render(encoded: record.payload, into: &out)
        } else {
            out += record.payload
        }
    }

    private static func level(of record: LogRing.Record) -> LogLevel { LogLevel(rawValue: Int(record.level)) ?? .info }

    /// Every record the ring holds, oldest first, as (level, access?, message, microseconds since boot):
    /// what was logged before a log consumer existed (the boot's lines, for syslog=).
    static func forEachMessage(_ body: (LogLevel, Bool, [UInt8], UInt64) -> Void) {
        ring?.forEach { record in
            var message: [UInt8] = []
            putMessage(record, into: &message)
            body(level(of: record), record.kind == accessRecord, message, record.time)
        }
    }

    /// `[    s.uuuuuu] level ` for a time in microseconds since boot.
    static func putPrefix<Sink: ByteSink>(time us: UInt64, level: LogLevel, into sink: inout Sink) {
        sink.put("[")
        sink.putDecimal(us / 1_000_000, width: 5)
        sink.put(".")
        sink.putDecimal(us % 1_000_000, width: 6, pad: UInt8(ascii: "0"))
        sink.put("] ")
        sink.put(level.label)
        sink.put(" ")
    }

    /// Every line the ring still holds, formatted, for /factory/log.
    static var recentLines: [UInt8] {
        var out: [UInt8] = []
        ring?.forEach { format($0, into: &out) }
        return out
    }

    static var metrics: Metrics {
        var m = Metrics()
        guard let ring else { return m }
        m.counter("log.lines_written", ring.linesWritten, help: "Console lines written")
        m.counter("log.lines_dropped", ring.linesDropped, help: "Console lines dropped from the full ring before the UART took them")
        m.counter("log.lines_truncated", ring.linesTruncated, help: "Console lines cut at the maximum line length")
        m.counter("log.uart_bytes", drainedBytes, help: "Bytes the main loop drained to the UART")
        m.counter("log.uart_ns", drainNanoseconds, help: "Nanoseconds the main loop spent draining to the UART")
        return m
    }
}
