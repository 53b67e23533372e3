import Testing
import Bytes
import TestSupport
@testable import TCP

@Suite struct TimerTests {
    @Test func zeroWindowIsProbedUntilItOpens() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10))) { config, side in
            if side == 1 { config.receiveBufferSize = 4096 }
        }
        let (client, server) = try net.establish()
        let data = pattern(20_000, seed: 7)
        #expect(try net.a.send(client, data) == 20_000)
        net.run(for: .seconds(30))                              // B never reads for 30 s
        let connection = net.a.connection(client)!
        #expect(connection.snd.wnd == 0)
        #expect(net.a.counters.zeroWindowProbes >= 3)
        #expect(net.a.state(client) == .established)            // probes answered: no give-up
        #expect(net.a.counters.retransmissionTimeouts == 0)
        var got: [UInt8] = []
        net.run(for: .seconds(60)) { got += (try? net.b.readAll(server)) ?? []; return got.count == data.count }
        #expect(got == data)
    }

    @Test func readingSendsAWindowUpdateAtOnce() throws {
        let net = TwoHosts { config, side in if side == 1 { config.receiveBufferSize = 4096 } }
        let (client, server) = try net.establish()
        _ = try net.a.send(client, pattern(10_000, seed: 15))
        net.run(for: .seconds(1))                                // filled, the last part by a persist probe
        #expect(net.a.connection(client)!.snd.wnd == 0)
        let before = net.outputs[1].sent.count
        _ = try net.b.readAll(server)
        net.b.poll(now: net.now)                                 // no timer involved: the read did it
        let update = net.sent(by: 1)[before...]
        #expect(update.count == 1 && update.first!.flags == [.ack] && update.first!.window > 0)
    }

    @Test func lostWindowUpdateIsRecoveredByProbing() throws {
        let net = TwoHosts { config, side in if side == 1 { config.receiveBufferSize = 4096 } }
        let (client, server) = try net.establish()
        let data = pattern(10_000, seed: 8)
        _ = try net.a.send(client, data)
        net.run(for: .seconds(1))
        // B reads, and its window update is lost.
        net.outputs[1].filter = { _ in false }
        var got = try net.b.readAll(server)
        net.run(for: .milliseconds(10))
        net.outputs[1].filter = nil
        let probesBefore = net.a.counters.zeroWindowProbes
        net.run(for: .seconds(30)) { got += (try? net.b.readAll(server)) ?? []; return got.count == data.count }
        #expect(got == data)
        // Recovered by A's probe (B had nothing to send that could have carried the update).
        #expect(net.a.counters.zeroWindowProbes > probesBefore)
    }

    @Test func retryCapResetsAndReportsTimeout() throws {
        let net = TwoHosts { config, _ in config.maximumRetransmissions = 4 }
        let (client, server) = try net.establish()
        net.link.impairment.lossPercent = 100                   // the peer vanishes
        _ = try net.a.send(client, Array("hello?".utf8))
        net.run(for: .seconds(120)) { net.a.state(client) == .closed }
        #expect(net.events[0].contains(.closed(client, .timeout)))
        #expect(net.a.counters.retransmissionTimeouts == 4)
        #expect(net.a.counters.connectionsTimedOut == 1)
        #expect(net.a.counters.resetsSent == 1)                 // the peer is told, if it can hear
        // Backoff: the four retransmissions came at growing intervals.
        let times = zip(net.outputs[0].sent, net.outputs[0].sentAt).filter { Wire.summary($0.0)!.payload.count == 6 }.map { $0.1 }
        #expect(times.count == 5)
        for i in 2..<times.count {
            let gap = times[i].since(times[i - 1]).milliseconds
            let previous = times[i - 1].since(times[i - 2]).milliseconds
            #expect(gap >= 2 * previous - 1)
        }
        _ = server
    }

    @Test func connectTimesOutAfterSynRetries() throws {
        let net = TwoHosts { config, _ in config.maximumSynRetransmissions = 3 }
        net.link.impairment.lossPercent = 100
        let client = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .seconds(60)) { net.a.state(client) == .closed }
        #expect(net.events[0] == [.connectFailed(client, .timeout)])
        let syns = net.sent(by: 0).filter { $0.flags == [.syn] }
        #expect(syns.count == 4)                                 // the first and three retries
        #expect(net.outputs[0].sentAt[1].since(net.outputs[0].sentAt[0]) == .seconds(1))   // initial RTO
        #expect(net.outputs[0].sentAt[2].since(net.outputs[0].sentAt[1]) == .seconds(2))   // backed off
        net.a.release(client)
        #expect(net.a.connectionCount == 0)
        #expect(net.a.state(client) == nil)                      // the handle is stale now
        #expect(throws: TCPError.invalidHandle) { _ = try net.a.send(client, [1]) }
    }

    /// Data segments A sent with a payload.
    func dataSegments(_ net: TwoHosts) -> [Wire.Summary] { net.sent(by: 0).filter { !$0.payload.isEmpty } }

    @Test func nagleHoldsSmallSegmentsWhileDataIsInFlight() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(50)))
        let (client, _) = try net.establish()
        for byte in [1, 2, 3] as [UInt8] { _ = try net.a.send(client, [byte]); net.a.poll(now: net.now) }
        #expect(dataSegments(net).map { $0.payload } == [[1]])   // 2 and 3 wait for the ACK of 1
        net.run(for: .seconds(1))
        #expect(dataSegments(net).map { $0.payload } == [[1], [2, 3]])
    }

    /// A response: full segments, then a small tail. The tail must not wait for the ACK of the full
    /// segments (the receiver may delay that ACK by 40 ms): only another small segment in flight holds it.
    @Test func smallTailBehindFullSegmentsIsSentAtOnce() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(50)))
        let (client, _) = try net.establish()
        _ = try net.a.send(client, pattern(3 * 1448 + 3, seed: 2))
        net.a.poll(now: net.now)
        #expect(dataSegments(net).map { $0.payload.count } == [1448, 1448, 1448, 3])
        // A second small write waits: the 3-byte tail is still unacknowledged.
        _ = try net.a.send(client, [9])
        net.a.poll(now: net.now)
        #expect(dataSegments(net).count == 4)
        net.run(for: .seconds(1))
        #expect(dataSegments(net).map { $0.payload.count } == [1448, 1448, 1448, 3, 1])
    }

    @Test func noDelaySendsSmallSegmentsAtOnce() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(50)))
        let (client, _) = try net.establish()
        try net.a.setNoDelay(client, true)
        for byte in [1, 2, 3] as [UInt8] { _ = try net.a.send(client, [byte]); net.a.poll(now: net.now) }
        #expect(dataSegments(net).map { $0.payload } == [[1], [2], [3]])
    }

    @Test func delayedAckWaitsForTheSecondFullSegmentOrTheTimer() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(5)))
        let (client, _) = try net.establish()
        let baseline = net.outputs[1].sent.count
        _ = try net.a.send(client, [1, 2, 3])
        net.run(for: .seconds(1))
        let ackTimes = Array(net.outputs[1].sentAt[baseline...])
        #expect(ackTimes.count == 1)
        let dataSent = net.outputs[0].sentAt.last!
        // Sent at t, arrived at t + 5 ms, ACKed 40 ms later.
        #expect(ackTimes[0].since(dataSent) == .milliseconds(45))
        #expect(net.b.counters.delayedAcksSent == 1)
        // Two full segments: the ACK goes at once.
        let before = net.outputs[1].sent.count
        _ = try net.a.send(client, pattern(2 * 1448, seed: 1))
        net.run(for: .milliseconds(6))
        #expect(net.outputs[1].sent.count == before + 1)
        #expect(net.b.counters.delayedAcksSent == 1)
    }

    /// A connection whose client (on A) probes after 10 s of silence, every 2 s, and gives up after 3.
    func keepaliveConnection() throws -> (TwoHosts, TCPHandle) {
        let net = TwoHosts { config, _ in
            config.keepaliveIdle = .seconds(10)
            config.keepaliveInterval = .seconds(2)
            config.keepaliveProbes = 3
        }
        let (client, _) = try net.establish()
        try net.a.setKeepalive(client, true)
        return (net, client)
    }

    @Test func keepaliveProbesAnIdleConnectionAndDetectsADeadPeer() throws {
        let (net, client) = try keepaliveConnection()
        net.run(for: .seconds(35))
        #expect(net.a.counters.keepalivesSent == 3)              // at 10 s, 20 s, 30 s: each answered
        #expect(net.a.state(client) == .established)
        net.link.impairment.lossPercent = 100
        net.run(for: .seconds(30)) { net.a.state(client) == .closed }
        #expect(net.events[0].contains(.closed(client, .timeout)))
        #expect(net.a.counters.keepalivesSent == 6)
    }

    @Test func keepaliveProbesAreSpacedFromTheLastOneSentAfterALatePoll() throws {
        let (net, client) = try keepaliveConnection()
        net.link.impairment.lossPercent = 100
        // The first poll comes long after the idle time and several intervals (a paused VM, say).
        net.clock.advance(by: .seconds(60))
        let late = net.now
        net.a.poll(now: late)
        #expect(net.a.counters.keepalivesSent == 1)               // one probe, not a burst
        #expect(net.a.nextDeadline() == late + .seconds(2))
        net.run(for: .seconds(10)) { net.a.state(client) == .closed }
        #expect(net.a.counters.keepalivesSent == 3)               // 2 s apart; 2 s after the third, the give-up
        #expect(net.now == late + .seconds(6))
        #expect(net.events[0].contains(.closed(client, .timeout)))
    }
}
