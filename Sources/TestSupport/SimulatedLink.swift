import Bytes

/// A deterministic, lossy, point-to-point link between two ends (0 and 1), driven by a virtual clock.
/// Loss, duplication, reordering and delay come from a seeded generator, so a failing case replays
/// exactly from its seed. Packets are plain byte arrays (Ethernet frames, or bare TCP segments).
public final class SimulatedLink {
    public struct Impairment {
        public var lossPercent: Double = 0
        public var duplicatePercent: Double = 0
        /// Chance that a packet is held back by an extra `reorderDelay`, letting later ones overtake it.
        public var reorderPercent: Double = 0
        public var delay: Interval = .zero
        /// Extra random delay in 0..<jitter added to each packet.
        public var jitter: Interval = .zero
        public var reorderDelay: Interval = .milliseconds(5)
        public init(lossPercent: Double = 0, duplicatePercent: Double = 0, reorderPercent: Double = 0,
                    delay: Interval = .zero, jitter: Interval = .zero) {
            self.lossPercent = lossPercent; self.duplicatePercent = duplicatePercent
            self.reorderPercent = reorderPercent; self.delay = delay; self.jitter = jitter
        }
    }

    public struct Stats {
        public var sent = 0, dropped = 0, duplicated = 0, reordered = 0, delivered = 0
    }

    private struct InFlight {
        var due: Instant
        var sequence: Int   // ties on `due` keep send order
        var to: Int
        var packet: [UInt8]
    }

    public var impairment: Impairment
    public private(set) var stats = Stats()
    private var random: SplitMix64
    private var inFlight: [InFlight] = []
    private var sequence = 0

    public init(seed: UInt64, impairment: Impairment = Impairment()) {
        random = SplitMix64(seed: seed)
        self.impairment = impairment
    }

    private func chance(_ percent: Double) -> Bool {
        percent > 0 && Double(random.next(below: 1_000_000)) < percent * 10_000
    }

    /// Puts `packet` on the wire from end `from` (0 or 1) at time `now`.
    public func send(from: Int, _ packet: [UInt8], now: Instant) {
        stats.sent += 1
        if chance(impairment.lossPercent) { stats.dropped += 1; return }
        let copies = chance(impairment.duplicatePercent) ? 2 : 1
        if copies == 2 { stats.duplicated += 1 }
        for _ in 0..<copies {
            var due = now + impairment.delay
            if impairment.jitter.nanoseconds > 0 {
                due = due + Interval(nanoseconds: random.next(below: impairment.jitter.nanoseconds))
            }
            if chance(impairment.reorderPercent) { stats.reordered += 1; due = due + impairment.reorderDelay }
            sequence += 1
            inFlight.append(InFlight(due: due, sequence: sequence, to: 1 - from, packet: packet))
        }
    }

    /// The earliest instant at which a packet arrives, or nil when the wire is empty.
    public var nextArrival: Instant? { inFlight.map(\.due).min() }

    /// Removes and returns, in arrival order, every packet due at or before `now`.
    public func arrivals(upTo now: Instant) -> [(to: Int, packet: [UInt8])] {
        let due = inFlight.filter { $0.due <= now }.sorted { ($0.due, $0.sequence) < ($1.due, $1.sequence) }
        inFlight.removeAll { $0.due <= now }
        stats.delivered += due.count
        return due.map { ($0.to, $0.packet) }
    }
}
