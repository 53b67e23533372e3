import Bytes
import Net

/// A lossy wire in front of a real NIC, for testing the stack against Linux's own TCP on a kernel
/// without `netem`: frames in both directions are dropped, duplicated, delayed and reordered by a
/// seeded generator, so a failing run replays from its seed. With no impairment it is a plain
/// pass-through (no copies, no queueing).
///
/// Delayed frames wait in per-direction FIFOs. The delay is the same for every frame, so each FIFO is
/// already in due order; a reordered frame goes to a second FIFO held `reorderExtraDelay` longer, which
/// lets frames sent after it overtake it. The owner must call `poll` (via `receive`, which the
/// interface calls on every poll) no later than `nextDue`.
final class ImpairedLink<NIC: NetworkInterface>: NetworkInterface {
    struct Impairment {
        /// Chances in parts per million (1 % = 10_000), so the draw is integer arithmetic.
        var lossPPM: UInt64 = 0
        var duplicatePPM: UInt64 = 0
        var reorderPPM: UInt64 = 0
        /// One-way delay, applied in each direction.
        var delay: Interval = .zero
        var seed: UInt64 = 1

        var text: String {
            func percent(_ ppm: UInt64) -> String {
                let hundredths = ppm / 100
                return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)%"
            }
            return "loss \(percent(lossPPM)), duplication \(percent(duplicatePPM)), reordering \(percent(reorderPPM)), "
                + "delay \(delay.nanoseconds / 1_000_000) ms each way, seed \(seed)"
        }

        var isNone: Bool { lossPPM == 0 && duplicatePPM == 0 && reorderPPM == 0 && delay == .zero }

        enum ParseError: Error { case malformed(String) }

        /// `loss=PCT,dup=PCT,reorder=PCT,delay=MS,seed=N`, every key optional; percentages may have
        /// decimals ("0.5").
        static func parse(_ text: String) throws(ParseError) -> Impairment {
            var result = Impairment()
            for item in text.split(separator: ",") {
                let pair = item.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { throw .malformed(String(item)) }
                let key = String(pair[0]), value = String(pair[1])
                func percent() throws(ParseError) -> UInt64 {
                    guard let p = Double(value), p >= 0, p <= 100 else { throw .malformed(String(item)) }
                    return UInt64((p * 10_000).rounded())
                }
                switch key {
                case "loss": result.lossPPM = try percent()
                case "dup": result.duplicatePPM = try percent()
                case "reorder": result.reorderPPM = try percent()
                case "delay":
                    guard let ms = UInt64(value), ms <= maximumDelayMilliseconds else { throw .malformed(String(item)) }
                    result.delay = .milliseconds(ms)
                case "seed":
                    guard let seed = UInt64(value) else { throw .malformed(String(item)) }
                    result.seed = seed
                default: throw .malformed(String(item))
                }
            }
            return result
        }
    }

    struct Counters {
        var dropped: UInt64 = 0, duplicated: UInt64 = 0, reordered: UInt64 = 0
        /// Frames dropped because `maximumQueuedFrames` were already on the wire.
        var overflowed: UInt64 = 0
    }

    /// A reordered frame is held this much longer than the rest (the same as SimulatedLink's default).
    static var reorderExtraDelay: Interval { .milliseconds(5) }
    /// Frames on the simulated wire, both directions together; beyond it frames are dropped and
    /// counted (a bounded queue, like a real router's).
    static var maximumQueuedFrames: Int { 16_384 }
    static var maximumDelayMilliseconds: UInt64 { 10_000 }

    let nic: NIC
    let impairment: Impairment
    private(set) var counters = Counters()
    var macAddress: MACAddress { nic.macAddress }
    var mtu: Int { nic.mtu }

    private let clock: Clock
    private var random: SplitMix64
    private var inbound = Direction()
    private var outbound = Direction()
    private var queued = 0
    private var transmitBuffer = [UInt8](repeating: 0, count: 65536)

    init(nic: NIC, impairment: Impairment, clock: Clock) {
        self.nic = nic
        self.impairment = impairment
        self.clock = clock
        random = SplitMix64(seed: impairment.seed)
    }

    /// When the next delayed frame is due (`.never` when the wire is empty).
    var nextDue: Instant { min(inbound.nextDue, outbound.nextDue) }

    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int {
        if impairment.isNone { return nic.receive(limit: limit, handler) }
        let now = clock.now()
        _ = nic.receive(limit: Int.max) { frame in
            schedule(frame.toArray(), into: &inbound, now: now)
        }
        releaseOutbound(now: now)
        var count = 0
        while count < limit, let frame = inbound.popDue(now: now) {
            queued -= 1
            frame.withByteView { handler($0) }
            count += 1
        }
        return count
    }

    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool {
        if impairment.isNone { return nic.transmit(length: length, fill) }
        guard length <= transmitBuffer.count else { return false }
        transmitBuffer.withMutableByteView { fill($0.slice(0, length)!) }
        schedule(Array(transmitBuffer[0..<length]), into: &outbound, now: clock.now())
        return true
    }

    func flush() {
        if !impairment.isNone { releaseOutbound(now: clock.now()) }
        nic.flush()
    }

    private func releaseOutbound(now: Instant) {
        while let frame = outbound.popDue(now: now) {
            queued -= 1
            _ = nic.transmit(length: frame.count) { $0.copy(frame, to: 0) }
        }
    }

    private func chance(_ ppm: UInt64) -> Bool { ppm > 0 && random.next(below: 1_000_000) < ppm }

    private func schedule(_ frame: [UInt8], into direction: inout Direction, now: Instant) {
        if chance(impairment.lossPPM) { counters.dropped += 1; return }
        let copies = chance(impairment.duplicatePPM) ? 2 : 1
        if copies == 2 { counters.duplicated += 1 }
        for _ in 0..<copies {
            guard queued < ImpairedLink.maximumQueuedFrames else { counters.overflowed += 1; return }
            queued += 1
            if chance(impairment.reorderPPM) {
                counters.reordered += 1
                direction.held.push(frame, due: now + impairment.delay + ImpairedLink.reorderExtraDelay)
            } else {
                direction.onTime.push(frame, due: now + impairment.delay)
            }
        }
    }

    var statusLines: [String] {
        ["impair.dropped \(counters.dropped)", "impair.duplicated \(counters.duplicated)",
         "impair.reordered \(counters.reordered)", "impair.overflowed \(counters.overflowed)"]
    }

    /// One direction of the wire: frames on time, and frames held back to be overtaken.
    private struct Direction {
        var onTime = FrameFIFO()
        var held = FrameFIFO()
        var nextDue: Instant { min(onTime.headDue, held.headDue) }

        mutating func popDue(now: Instant) -> [UInt8]? {
            let next = onTime.headDue <= held.headDue ? 0 : 1
            return next == 0 ? onTime.pop(ifDueBy: now) : held.pop(ifDueBy: now)
        }
    }

    /// Frames in due order (pushes come with non-decreasing due times: a monotonic clock plus a
    /// constant delay).
    private struct FrameFIFO {
        private var items: [(due: Instant, frame: [UInt8])] = []
        private var head = 0

        var headDue: Instant { head < items.count ? items[head].due : .never }

        mutating func push(_ frame: [UInt8], due: Instant) { items.append((due, frame)) }

        mutating func pop(ifDueBy now: Instant) -> [UInt8]? {
            guard head < items.count, items[head].due <= now else { return nil }
            let frame = items[head].frame
            items[head].frame = []
            head += 1
            if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
            else if head >= 1024 && head * 2 >= items.count { items.removeFirst(head); head = 0 }
            return frame
        }
    }
}
