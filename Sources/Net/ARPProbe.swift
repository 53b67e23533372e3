import Bytes

/// RFC 5227 address conflict detection, for a DHCP client about to use an offered address: after a
/// random wait of up to `probeWait`, send `probeCount` ARP probes (sender IP 0.0.0.0, target the
/// candidate) spaced randomly by `probeMinimum`...`probeMaximum`, then wait `announceWait`. Any ARP from
/// another MAC that claims the address as its sender, or that probes for it at the same time, is a
/// conflict. The randomness (so hosts powered on together do not probe in lockstep) comes from a seed
/// the caller passes, which keeps tests deterministic.
public struct ARPProbe {
    public static let probeWait = Interval.seconds(1)
    public static let probeCount = 3
    public static let probeMinimum = Interval.seconds(1)
    public static let probeMaximum = Interval.seconds(2)
    public static let announceWait = Interval.seconds(2)
    /// The longest a probe can take: the DHCP client's own patience must exceed it.
    public static var longest: Interval {
        probeWait + probeMaximum * UInt64(probeCount - 1) + announceWait
    }

    public enum Status: Equatable {
        case probing
        /// Another host (this MAC) uses or wants the address.
        case conflict(MACAddress)
        /// The window closed with no conflict: the address may be configured.
        case clear
    }

    public let address: IPv4Address
    public private(set) var status: Status = .probing
    private var probesSent = 0
    private var random: SplitMix64
    private(set) var nextAction: Instant

    init(address: IPv4Address, now: Instant, seed: UInt64) {
        self.address = address
        random = SplitMix64(seed: seed)
        nextAction = now + ARPProbe.randomWait(.zero, ARPProbe.probeWait, &random)
    }

    /// A uniform wait in `low`...`high`, to the millisecond.
    private static func randomWait(_ low: Interval, _ high: Interval, _ random: inout SplitMix64) -> Interval {
        let spanMs = (high.nanoseconds - low.nanoseconds) / 1_000_000
        return low + .milliseconds(random.next(below: spanMs + 1))
    }

    /// Advances the schedule; true when a probe should be sent now.
    mutating func due(now: Instant) -> Bool {
        guard status == .probing, nextAction <= now else { return false }
        if probesSent < ARPProbe.probeCount {
            probesSent += 1
            nextAction = now + (probesSent < ARPProbe.probeCount
                ? ARPProbe.randomWait(ARPProbe.probeMinimum, ARPProbe.probeMaximum, &random) : ARPProbe.announceWait)
            return true
        }
        status = .clear
        nextAction = .never
        return false
    }

    /// Checks a received ARP packet against the candidate address.
    mutating func observe(_ packet: ARPPacket, ourMAC: MACAddress) {
        guard status == .probing, packet.senderMAC != ourMAC else { return }
        let claims = packet.senderIP == address
        let probesToo = packet.operation == .request && packet.senderIP == .any && packet.targetIP == address
        if claims || probesToo {
            status = .conflict(packet.senderMAC)
            nextAction = .never
        }
    }
}

/// Gratuitous ARP announcements after an address is configured (RFC 5227 section 2.3): `count` of them,
/// `interval` apart, so neighbours refresh stale entries for the address.
struct ARPAnnouncer {
    static let count = 2
    static let interval = Interval.seconds(2)

    private var remaining = 0
    private(set) var nextAction = Instant.never

    mutating func start(now: Instant) {
        remaining = ARPAnnouncer.count
        nextAction = now
    }

    /// True when an announcement should be sent now.
    mutating func due(now: Instant) -> Bool {
        guard remaining > 0, nextAction <= now else { return false }
        remaining -= 1
        nextAction = remaining > 0 ? now + ARPAnnouncer.interval : .never
        return true
    }
}
