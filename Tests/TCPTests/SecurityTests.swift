import Testing
import Bytes
import TestSupport
@testable import TCP

/// Segments an attacker or a broken network may produce (RFC 9293 3.10.7.4, RFC 5961, checksums).
@Suite struct SecurityTests {
    /// A segment from B's side of the connection to A, with B's current numbers.
    func fromB(_ net: TwoHosts, _ server: TCPHandle, seqOffset: Int = 0, flags: TCPFlags) -> OutgoingSegment {
        let b = net.b.connection(server)!
        return OutgoingSegment(sourcePort: b.key.local.port, destinationPort: b.key.remote.port,
                               seq: b.snd.max + seqOffset, ack: b.rcv.nxt, flags: flags, window: 1000)
    }

    func acksSent(_ net: TwoHosts, since count: Int) -> [Wire.Summary] {
        Array(net.sent(by: 0)[count...]).filter { $0.flags == [.ack] && $0.payload.isEmpty }
    }

    @Test func outOfWindowDataIsAcknowledgedAndDropped() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        let before = net.outputs[0].sent.count
        net.inject(fromB(net, server, seqOffset: 1_000_000, flags: [.ack]), payload: [1, 2, 3], from: 1)
        #expect(net.a.counters.outOfWindow == 1)
        #expect(net.a.available(client) == 0)
        net.run(for: .milliseconds(1))
        #expect(acksSent(net, since: before).count == 1)     // RFC 9293: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
        #expect(net.a.state(client) == .established)
    }

    @Test func blindResetInWindowDrawsChallengeAck() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        let before = net.outputs[0].sent.count
        net.inject(fromB(net, server, seqOffset: 100, flags: [.rst]), from: 1)
        net.run(for: .milliseconds(1))
        #expect(net.a.state(client) == .established)
        #expect(net.a.counters.resetsChallenged == 1 && net.a.counters.challengeAcksSent == 1)
        let challenge = acksSent(net, since: before)
        #expect(challenge.count == 1 && challenge[0].ack == net.b.connection(server)!.snd.max)
        // Out of the window altogether: silently dropped.
        net.inject(fromB(net, server, seqOffset: 5_000_000, flags: [.rst]), from: 1)
        #expect(net.a.state(client) == .established && net.a.counters.outOfWindow == 1)
        // Exactly at RCV.NXT: accepted.
        net.inject(fromB(net, server, flags: [.rst]), from: 1)
        #expect(net.a.state(client) == .closed)
        net.run(for: .milliseconds(1))
        #expect(net.events[0].contains(.closed(client, .reset)))
        #expect(net.a.counters.resetsAccepted == 1)
    }

    @Test func synOnEstablishedConnectionDrawsChallengeAck() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        let before = net.outputs[0].sent.count
        for offset in [0, 10, 9_000_000] {                     // in window and out of it alike
            net.inject(fromB(net, server, seqOffset: offset, flags: [.syn]), from: 1)
            net.clock.advance(by: net.a.configuration.invalidAckInterval)
        }
        net.run(for: .milliseconds(1))
        #expect(net.a.state(client) == .established)
        #expect(net.a.counters.challengeAcksSent == 3)
        #expect(acksSent(net, since: before).count >= 1)
        // The connection still works.
        _ = try net.b.send(server, [7])
        net.run(for: .seconds(1)) { net.a.available(client) == 1 }
        #expect(try net.a.readAll(client) == [7])
    }

    /// One connection answers at most one challenge per `invalidAckInterval`.
    @Test func challengeAcksAreRateLimitedPerConnection() throws {
        let net = TwoHosts()
        let (_, server) = try net.establish()
        for i in 0..<25 { net.inject(fromB(net, server, seqOffset: 1 + i, flags: [.rst]), from: 1) }
        #expect(net.a.counters.challengeAcksSent == 1)
        #expect(net.a.counters.challengeAcksSuppressedConnection == 24)
        net.clock.advance(by: net.a.configuration.invalidAckInterval)
        net.inject(fromB(net, server, seqOffset: 1, flags: [.rst]), from: 1)
        #expect(net.a.counters.challengeAcksSent == 2)
    }

    /// The layer-wide budget holds across connections, and it is not the same every second
    /// (CVE-2016-5696: a fixed budget lets an off-path attacker count other connections' challenges).
    @Test func layerWideChallengeBudgetIsRandomised() throws {
        let limit = 10
        let net = TwoHosts { config, _ in config.challengeAckLimitPerSecond = limit }
        let listener = try net.b.listen(port: 80, backlog: 64)
        for _ in 0..<40 { _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now) }
        var servers: [TCPHandle] = []
        net.run(for: .seconds(1)) {
            while let s = try? net.b.accept(listener) { servers.append(s) }
            return servers.count == 40
        }
        #expect(servers.count == 40)
        var budgets: Set<UInt64> = []
        for _ in 0..<12 {
            net.clock.advance(by: .seconds(1))
            let before = net.a.counters.challengeAcksSent
            for server in servers { net.inject(fromB(net, server, seqOffset: 1, flags: [.rst]), from: 1) }
            let sent = net.a.counters.challengeAcksSent - before
            #expect(sent >= UInt64(limit / 2) && sent < UInt64(limit / 2 + limit))
            budgets.insert(sent)
        }
        #expect(budgets.count > 1)
        #expect(net.a.counters.challengeAcksSent + net.a.counters.challengeAcksSuppressed == 12 * 40)
    }

    @Test func badChecksumIsDroppedAndCounted() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        net.inject(fromB(net, server, flags: [.ack, .psh]), payload: [1, 2, 3], from: 1, corruptChecksum: true)
        #expect(net.a.counters.badChecksum == 1)
        #expect(net.a.available(client) == 0)
        net.inject(fromB(net, server, flags: [.rst]), from: 1, corruptChecksum: true)
        #expect(net.a.state(client) == .established)
        #expect(net.a.counters.badChecksum == 2)
    }

    @Test func ackForUnsentDataIsRefused() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        var segment = fromB(net, server, flags: [.ack])
        segment.ack = segment.ack + 50_000
        net.inject(segment, payload: [9], from: 1)
        #expect(net.a.counters.badAck == 1)
        #expect(net.a.available(client) == 0)                 // RFC 9293: ACK and drop the segment
    }

    @Test func noListenerAnswersWithReset() throws {
        let net = TwoHosts()
        let client = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 81), now: net.now)
        net.run(for: .seconds(1)) { net.a.state(client) == .closed }
        #expect(net.b.counters.noListener == 1 && net.b.counters.resetsSent == 1)
        #expect(net.events[0].contains(.connectFailed(client, .reset)))
        // A stray RST is never answered.
        let stray = OutgoingSegment(sourcePort: 9, destinationPort: 99, seq: SequenceNumber(1),
                                    ack: SequenceNumber(0), flags: [.rst], window: 0)
        net.inject(stray, from: 0)
        #expect(net.b.counters.resetsSent == 1)
    }

    @Test func oldDuplicateIsRejectedByPAWS() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        let b = net.b.connection(server)!
        var segment = fromB(net, server, flags: [.ack, .psh])
        segment.timestamp = TCPTimestamp(value: net.a.connection(client)!.options.tsRecent &- 1000, echo: 0)
        _ = b
        net.inject(segment, payload: [1], from: 1)
        #expect(net.a.counters.pawsRejected == 1)
        #expect(net.a.available(client) == 0)
    }

    @Test func nonUnicastSourcesAreIgnored() {
        let net = TwoHosts()
        let syn = OutgoingSegment(sourcePort: 5, destinationPort: 80, seq: SequenceNumber(1),
                                  ack: SequenceNumber(0), flags: [.syn], window: 100)
        let bytes = Wire.craft(syn, source: IPAddress(IPv4Address.broadcast), destination: net.addresses[1])
        bytes.withByteView { net.b.receive(source: IPAddress(IPv4Address.broadcast), destination: net.addresses[1], segment: $0, now: net.now) }
        net.b.emit(now: net.now)
        #expect(net.b.counters.malformed == 1 && net.b.counters.resetsSent == 0)
    }
}

@Suite struct AckLoopTests {
    @Test func desynchronisedEndsDoNotTradeAcksForever() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(1)))
        let (client, server) = try net.establish()
        // A spoofed in-window FIN makes A believe B finished: A's RCV.NXT is now past B's SND.MAX,
        // so every bare ACK each end sends is unacceptable to the other.
        let b = net.b.connection(server)!
        net.inject(OutgoingSegment(sourcePort: b.key.local.port, destinationPort: b.key.remote.port,
                                   seq: b.snd.max, ack: b.rcv.nxt, flags: [.ack, .fin], window: 1000), from: 1)
        #expect(net.a.state(client) == .closeWait)
        // A's ACK of that FIN acknowledges more than B ever sent: B answers, A finds that unacceptable...
        let before = net.outputs[0].sent.count + net.outputs[1].sent.count
        net.run(for: .seconds(10))
        let segments = net.outputs[0].sent.count + net.outputs[1].sent.count - before
        #expect(segments < 100)                                  // without the limit: ~10,000
        #expect(net.a.counters.invalidAcksSuppressed + net.b.counters.invalidAcksSuppressed > 0)
    }
}
