import Bytes
import DHCP
import TestSupport

/// The client and a scripted server on either end of a simulated link, run on a virtual clock.
/// The harness plays the wiring: it drains the client's actions, puts messages on the link, answers
/// ARP probes after `probeDelay`, and records everything the client asked for.
final class Harness {
    static let clientMAC = MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56)

    let clock = VirtualClock()
    let link: SimulatedLink
    let client: DHCPClient
    let server = ScriptedServer()

    var configured: [(at: Instant, lease: DHCPLease)] = []
    var deconfigured: [(at: Instant, reason: DHCPDeconfigureReason)] = []
    var probes: [(at: Instant, address: IPv4Address)] = []
    var logs: [String] = []
    /// The ARP probe's verdict for an address; nil leaves the probe unanswered.
    var probeConflict: (IPv4Address) -> Bool? = { _ in false }
    var probeDelay: Interval = .seconds(1)
    private var probeAnswers: [(due: Instant, conflict: Bool)] = []

    init(seed: UInt64 = 1, remembered: IPv4Address? = nil, hostName: String = "appliance",
         impairment: SimulatedLink.Impairment = .init(delay: .milliseconds(1))) {
        link = SimulatedLink(seed: seed ^ 0xD1CE, impairment: impairment)
        client = DHCPClient(mac: Harness.clientMAC, hostName: hostName, seed: seed, rememberedAddress: remembered)
    }

    var now: Instant { clock.now() }
    /// Every message the client sent, in order (including ones the link lost).
    var sent: [ClientPacket] = []

    func start() {
        client.start(now: now)
        drain()
    }

    func drain() {
        while let action = client.nextAction() {
            switch action {
            case let .send(bytes, to):
                sent.append(ClientPacket(bytes, to: to, at: now))
                link.send(from: 0, bytes, now: now)
            case let .probe(address):
                probes.append((now, address))
                if let conflict = probeConflict(address) { probeAnswers.append((now + probeDelay, conflict)) }
            case let .configure(lease):
                configured.append((now, lease))
            case let .deconfigure(reason):
                deconfigured.append((now, reason))
            case let .log(line):
                logs.append(line)
            }
        }
    }

    /// Hands the client a reply directly (not through the link or the server).
    func inject(_ bytes: [UInt8]) {
        bytes.withByteView { client.receive($0, now: now) }
        drain()
    }

    /// Runs every event up to and including `end`, then leaves the clock at `end`.
    func run(until end: Instant) {
        precondition(end != .never, "a run needs an end: the client retransmits for ever")
        while true {
            var next = client.nextDeadline()
            if let arrival = link.nextArrival { next = min(next, arrival) }
            for p in probeAnswers { next = min(next, p.due) }
            guard next <= end, next != .never else { break }
            clock.advance(to: next)
            for (to, packet) in link.arrivals(upTo: now) {
                if to == 1 {
                    let p = ClientPacket(packet, to: sent.last { $0.bytes == packet }?.destination ?? .broadcast, at: now)
                    if let reply = server.handle(p) { link.send(from: 1, reply, now: now) }
                } else {
                    inject(packet)
                }
            }
            let due = probeAnswers.filter { $0.due <= now }
            probeAnswers.removeAll { $0.due <= now }
            for answer in due {
                client.probeResult(conflict: answer.conflict, now: now)
                drain()
            }
            client.poll(now: now)
            drain()
        }
        clock.advance(to: end)
    }

    func run(for interval: Interval) { run(until: now + interval) }

    /// Runs until the client is bound (or `limit` passes); returns whether it bound.
    @discardableResult
    func runUntilBound(limit: Interval = .seconds(600)) -> Bool {
        let end = now + limit
        while client.state != .bound && now < end {
            var next = client.nextDeadline()
            if let arrival = link.nextArrival { next = min(next, arrival) }
            for p in probeAnswers { next = min(next, p.due) }
            run(until: min(next, end))
        }
        return client.state == .bound
    }

    func sentOf(type: UInt8) -> [ClientPacket] { sent.filter { $0.type == type } }
}

extension Instant {
    static func seconds(_ s: UInt64) -> Instant { Instant.zero + .seconds(s) }
    static func milliseconds(_ ms: UInt64) -> Instant { Instant.zero + .milliseconds(ms) }
}
