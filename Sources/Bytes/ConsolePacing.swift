/// When a slow console (a UART: every byte a port write, a VM exit) may take the machine. It waits for a
/// quiet spell, `settle` with nothing arriving, and then drains; under sustained load it gets one line
/// every `trickleInterval` instead, so a watcher still sees the machine is alive and what it logs, while
/// the rest stays in the ring for /factory/log and syslog.
///
/// Why not a share of the time alone (`TimeShare`, still the upper bound): a share is spent in the gaps
/// between frames, where each port write holds up the next frame and competes with the hypervisor's own
/// device work (under QEMU both take its global lock), and under load a console that shows one line in
/// fifty serves nobody. In Scripts/bench's phases the UART took its whole 1/64 (1.56 %) with the share
/// alone and 0.35-1.1 % with this pacing; the throughput difference was within that machine's noise.
public struct ConsolePacing {
    public let settle: Interval
    public let trickleInterval: Interval
    private var lastActivity: Instant
    private var lastLine: Instant

    /// Starts as if something arrived and a line went out at `now`: the first turn comes after a spell.
    public init(settle: Interval, trickleInterval: Interval, now: Instant = .zero) {
        self.settle = settle
        self.trickleInterval = trickleInterval
        lastActivity = now
        lastLine = now
    }

    /// Work arrived (a frame, a completion) by `now`.
    public mutating func noteActivity(now: Instant) { lastActivity = Swift.max(lastActivity, now) }

    /// A whole line reached the console at `now`.
    public mutating func noteLineOut(now: Instant) { lastLine = Swift.max(lastLine, now) }

    /// When the console may drain next: at or before `now` means now; otherwise the caller halts until
    /// then (or until work arrives, which moves it on).
    public func nextTurn() -> Instant {
        Swift.min(lastActivity + settle, lastLine + trickleInterval)
    }

    public func mayDrain(now: Instant) -> Bool { nextTurn() <= now }
}
