import Testing
import Bytes
import TestSupport
@testable import TCP

@Suite struct LimitsTests {
    @Test func fullAcceptQueueDropsSynsAndRecoversAfterAccept() throws {
        let net = TwoHosts()
        let listener = try net.b.listen(port: 80, backlog: 2)
        var clients: [TCPHandle] = []
        for _ in 0..<2 {
            clients.append(try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now))
        }
        net.run(for: .milliseconds(500))
        #expect(net.a.state(clients[0]) == .established && net.a.state(clients[1]) == .established)
        // Both wait in the accept queue: nothing half-open to replace, and no room to queue a connection
        // made from a SYN cookie, so the third SYN is dropped.
        clients.append(try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now))
        net.run(for: .milliseconds(500))
        #expect(net.a.state(clients[2]) == .synSent)               // its SYN was dropped, silently
        #expect(net.b.counters.backlogFull == 1 && net.b.counters.resetsSent == 0)
        #expect(net.b.counters.halfOpenEvicted == 0 && net.b.counters.synCookiesSent == 0)
        #expect(net.events[1].filter { $0 == .acceptable(listener) }.count == 1)   // edge-triggered
        // Taking one connection frees a place; the client's SYN retransmission (after 1 s) gets in.
        #expect(try net.b.accept(listener) != nil)
        net.run(for: .seconds(3)) { net.b.listener(listener)!.acceptQueue.count == 2 }
        #expect(net.a.state(clients[2]) == .established)
        #expect(try net.b.accept(listener) != nil)
        #expect(try net.b.accept(listener) != nil)
        #expect(try net.b.accept(listener) == nil)
    }

    /// A SYN from a spoofed address, straight into B; B's SYN-ACK to it is lost (nobody answers).
    func spoofedSyn(_ net: TwoHosts, _ i: Int, port: UInt16 = 80) {
        let source = IPAddress(IPv4Address(192, 0, 2, UInt8(1 + i % 250)))
        let syn = OutgoingSegment(sourcePort: UInt16(10_000 + i), destinationPort: port,
                                  seq: SequenceNumber(UInt32(i) &* 7919), ack: SequenceNumber(0), flags: [.syn], window: 1000)
        Wire.craft(syn, source: source, destination: net.addresses[1]).withByteView {
            net.b.receive(source: source, destination: net.addresses[1], segment: $0, now: net.now)
        }
        net.b.emit(now: net.now)                                 // the main loop's emit pass
        _ = net.link.arrivals(upTo: .never)
    }

    /// A second passes: B's first SYN-ACKs go unanswered and are retransmitted, the sign of a flood.
    func letSynAcksGoUnanswered(_ net: TwoHosts) {
        net.clock.advance(by: .milliseconds(1100))
        net.b.poll(now: net.now)
        _ = net.link.arrivals(upTo: .never)
    }

    @Test func synFloodReplacesOldestHalfOpenSoRealClientsGetIn() throws {
        let net = TwoHosts()
        let listener = try net.b.listen(port: 80, backlog: 4)
        for i in 0..<6 {
            spoofedSyn(net, i)
            net.clock.advance(by: .milliseconds(50))
        }
        // No sign of a flood yet: a full backlog answers new SYNs with SYN cookies and keeps nothing (a
        // burst of real clients is not churned).
        #expect(net.b.counters.backlogFull == 2 && net.b.counters.halfOpenEvicted == 0)
        #expect(net.b.counters.synCookiesSent == 2 && net.b.connectionCount == 4)
        letSynAcksGoUnanswered(net)
        for i in 6..<22 {
            spoofedSyn(net, i)
            net.clock.advance(by: .milliseconds(5))      // 200 SYN/s: each entry is 20 ms old when replaced
        }
        #expect(net.b.listener(listener)!.halfOpen == 4)
        #expect(net.b.counters.halfOpenEvicted == 16 && net.b.counters.backlogFull == 2)
        #expect(net.b.connectionCount == 4 && net.b.counters.resetsSent == 0)
        // The four left are the newest.
        let remotes = net.b.connections.keys.map { $0.remote.port }.sorted()
        #expect(remotes == [10_018, 10_019, 10_020, 10_021])
        // A real client arriving in the middle of the flood completes its handshake.
        let client = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .milliseconds(100)) { net.b.listener(listener)!.acceptQueue.count == 1 }
        #expect(net.a.state(client) == .established)
        #expect(try net.b.accept(listener) != nil)
        // Long after the last unanswered SYN-ACK, replacement is off again.
        net.clock.advance(by: net.b.configuration.halfOpenReplacementWindow)
        let evicted = net.b.counters.halfOpenEvicted
        for i in 22..<26 { spoofedSyn(net, i) }
        #expect(net.b.counters.halfOpenEvicted == evicted)
    }

    @Test func youngHalfOpenConnectionsAreNotReplaced() throws {
        let net = TwoHosts()
        let listener = try net.b.listen(port: 80, backlog: 4)
        for i in 0..<4 { spoofedSyn(net, i) }
        letSynAcksGoUnanswered(net)
        for i in 4..<10 { spoofedSyn(net, i) }                 // a burst: all at the same instant
        #expect(net.b.listener(listener)!.halfOpen == 4)
        #expect(net.b.counters.halfOpenEvicted == 4 && net.b.counters.backlogFull == 2)
        let remotes = net.b.connections.keys.map { $0.remote.port }.sorted()
        #expect(remotes == [10_004, 10_005, 10_006, 10_007])
        net.clock.advance(by: net.b.configuration.halfOpenReplacementAge)
        spoofedSyn(net, 10)
        #expect(net.b.counters.halfOpenEvicted == 5)
    }

    @Test func synFloodAtTheConnectionLimitReplacesHalfOpenNotEstablished() throws {
        let net = TwoHosts { config, side in config.maximumConnections = side == 1 ? 3 : 8 }
        let (client, server) = try net.establish()
        _ = try net.b.listen(port: 81, backlog: 16)
        for i in 0..<2 { spoofedSyn(net, i, port: 81) }
        letSynAcksGoUnanswered(net)
        for i in 2..<10 {
            spoofedSyn(net, i, port: 81)
            net.clock.advance(by: .milliseconds(10))
        }
        #expect(net.b.connectionCount == 3)                        // the established one and two half-open
        #expect(net.b.peakConnectionCount == 3)
        #expect(net.b.counters.halfOpenEvicted == 8 && net.b.counters.synDroppedConnectionLimit == 0)
        #expect(net.b.state(server) == .established)
        _ = try net.a.send(client, Array("alive".utf8))
        net.run(for: .milliseconds(100)) { net.b.available(server) == 5 }
        #expect(try net.b.readAll(server) == Array("alive".utf8))
    }

    @Test func memoryLimitRefusesNewConnections() throws {
        let net = TwoHosts { config, side in
            config.sendBufferSize = 8192
            config.receiveBufferSize = 8192
            // B: exactly one connection's buffers; A: two, so its second attempt reaches B.
            config.maximumMemory = side == 1 ? 16384 : 2 * 16384
        }
        let (client, server) = try net.establish()
        #expect(net.a.memoryInUse == 16384 && net.b.memoryInUse == 16384)
        // Incoming: B drops the SYN, counts it, and spends nothing.
        let second = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .milliseconds(500))
        #expect(net.b.counters.synDroppedMemoryLimit >= 1)
        #expect(net.b.memoryInUse == 16384 && net.a.state(second) == .synSent)
        // Outgoing: A, now at its own limit, refuses at once.
        #expect(throws: TCPError.memoryLimit) {
            _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        }
        // The existing connection is untouched.
        _ = try net.a.send(client, [1, 2, 3])
        net.run(for: .seconds(1)) { net.b.available(server) == 3 }
        #expect(try net.b.readAll(server) == [1, 2, 3])
    }

    @Test func memoryPressureRefusesNewConnectionsAndSparesExistingOnes() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        var pressure = true
        net.b.memoryPressure = { pressure }
        net.a.memoryPressure = { pressure }
        #expect(throws: TCPError.memoryLimit) {
            _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 81), now: net.now)
        }
        // A SYN from a peer that sees no pressure is dropped silently, counted, and costs no buffers.
        net.a.memoryPressure = { false }
        let second = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .milliseconds(500))
        #expect(net.a.state(second) == .synSent)
        #expect(net.b.counters.synDroppedMemoryPressure >= 1 && net.b.counters.resetsSent == 0)
        #expect(net.b.connectionCount == 1)
        // The existing connection still carries data both ways.
        _ = try net.a.send(client, Array("ping".utf8))
        _ = try net.b.send(server, Array("pong".utf8))
        net.run(for: .seconds(1)) { net.b.available(server) == 4 && net.a.available(client) == 4 }
        #expect(try net.b.readAll(server) == Array("ping".utf8))
        #expect(try net.a.readAll(client) == Array("pong".utf8))
        // Pressure gone: the client's SYN retransmission gets in.
        pressure = false
        net.run(for: .seconds(3)) { net.a.state(second) == .established }
        #expect(net.a.state(second) == .established)
    }

    @Test func sendAndReceiveBuffersBoundWhatIsTaken() throws {
        let net = TwoHosts { config, _ in config.sendBufferSize = 4000; config.receiveBufferSize = 3000 }
        let (client, server) = try net.establish()
        let data = pattern(10_000, seed: 5)
        #expect(try net.a.send(client, data) == 4000)            // takes what fits
        #expect(net.a.sendSpace(client) == 0)
        #expect(try net.a.send(client, data) == 0)
        net.named[0].removeAll()
        net.run(for: .seconds(2))
        // Two full segments fill B's 3000-byte window but for 104 bytes, which sender SWS avoidance
        // will not fill with a runt at once; the persist timer does, then probes the closed window.
        #expect(net.b.available(server) == 3000)
        #expect(net.a.sendSpace(client) == 3000)                // A freed what B acknowledged
        #expect(net.a.counters.zeroWindowProbes >= 2)
        #expect(net.named[0].contains(client))                  // named when acknowledgements opened space
        var got = try net.b.readAll(server)
        net.run(for: .seconds(2))                                // the window update lets the rest go
        got += try net.b.readAll(server)
        #expect(got == Array(data[0..<4000]))
    }

    @Test func fillingTheSendBufferInPlaceCarriesTheBytes() throws {
        let net = TwoHosts { config, _ in config.sendBufferSize = 4000 }
        let (client, server) = try net.establish()
        let data = pattern(10_000, seed: 9)
        var queued = 0
        var got: [UInt8] = []
        for _ in 0..<100 where queued < data.count {
            // Runs end where the ring's storage wraps, so several calls fill what one plain send would.
            while true {
                let n = try net.a.send(client, upTo: data.count - queued) { view in
                    data.withByteView { view.copy($0.slice(queued, view.count)!, to: 0) }
                    return view.count
                }
                if n == 0 { break }
                queued += n
            }
            #expect(net.a.sendSpace(client) == 0 || queued == data.count)
            net.run(for: .seconds(1)) { net.b.available(server) > 0 }
            got += try net.b.readAll(server)
        }
        net.run(for: .seconds(2)) { net.b.available(server) > 0 }
        got += try net.b.readAll(server)
        #expect(queued == data.count)
        #expect(got == data)
    }

    @Test func outOfOrderRangesAreBounded() throws {
        let net = TwoHosts { config, _ in config.maximumOutOfOrderRanges = 1 }
        let (client, server) = try net.establish()
        try net.a.setNoDelay(client, true)
        // Lose data segments 1 and 3 once: segments 2 and 4 would need two ranges, only one fits.
        var index = 0
        net.outputs[0].filter = { seg in
            guard !seg.payload.isEmpty else { return true }
            index += 1
            return index != 1 && index != 3
        }
        let data = pattern(5 * 1000, seed: 6)
        for i in 0..<5 { _ = try net.a.send(client, Array(data[(i * 1000)..<((i + 1) * 1000)])); net.a.poll(now: net.now) }
        var got: [UInt8] = []
        net.run(for: .seconds(10)) { got += (try? net.b.readAll(server)) ?? []; return got.count == data.count }
        #expect(got == data)
        #expect(net.b.counters.outOfOrderDropped >= 1)
        #expect(net.b.counters.outOfOrderQueued >= 1)
    }

    /// Readiness cannot overflow the way an event queue did: with nobody looking while two connects fail,
    /// both are still named, once each, and their readiness says how they ended.
    @Test func changesAreNeverLostAndNamedOnce() throws {
        let net = TwoHosts()
        let first = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 81), now: net.now)
        let second = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 82), now: net.now)
        // Nobody looks at A while both connects fail (both ends' main loops run: frames in, emit out).
        for _ in 0..<10 {
            if let next = [net.link.nextArrival ?? .never, net.a.nextDeadline(), net.b.nextDeadline()].min(), next != .never {
                net.clock.advance(to: next)
                for (to, packet) in net.link.arrivals(upTo: net.now) { net.deliver(packet, to: to) }
                for layer in net.layers { layer.poll(now: net.now) }
            }
        }
        var named: [TCPHandle] = []
        while let h = net.a.nextChanged() { named.append(h) }
        #expect(named == [first, second])
        #expect(net.a.readiness(first)?.ended == .reset && net.a.readiness(first)?.connected == false)
        #expect(net.a.readiness(second)?.ended == .reset)
    }
}
