import Testing
import Bytes
import TestSupport
@testable import TCP

@Suite struct LimitsTests {
    @Test func fullBacklogDropsSynsAndRecoversAfterAccept() throws {
        let net = TwoHosts()
        let listener = try net.b.listen(port: 80, backlog: 2)
        var clients: [TCPHandle] = []
        for _ in 0..<3 {
            clients.append(try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now))
        }
        net.run(for: .milliseconds(500))
        #expect(net.a.state(clients[0]) == .established && net.a.state(clients[1]) == .established)
        #expect(net.a.state(clients[2]) == .synSent)               // its SYN was dropped, silently
        #expect(net.b.counters.backlogFull == 1 && net.b.counters.resetsSent == 0)
        #expect(net.events[1].filter { $0 == .acceptable(listener) }.count == 1)   // edge-triggered
        // Taking one connection frees a place; the client's SYN retransmission (after 1 s) gets in.
        #expect(try net.b.accept(listener) != nil)
        net.run(for: .seconds(3)) { net.b.listener(listener)!.acceptQueue.count == 2 }
        #expect(net.a.state(clients[2]) == .established)
        #expect(try net.b.accept(listener) != nil)
        #expect(try net.b.accept(listener) != nil)
        #expect(try net.b.accept(listener) == nil)
    }

    @Test func connectionLimitRefusesNewOnesOnly() throws {
        let net = TwoHosts { config, side in config.maximumConnections = side == 1 ? 1 : 2 }
        let (client, server) = try net.establish()
        let second = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        #expect(throws: TCPError.connectionLimit) {
            _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        }
        net.run(for: .milliseconds(100))
        #expect(net.b.counters.synDroppedConnectionLimit >= 1)
        #expect(net.a.state(second) == .synSent)
        // The existing connection is untouched.
        _ = try net.a.send(client, Array("still fine".utf8))
        net.run(for: .seconds(1)) { net.b.available(server) == 10 }
        #expect(try net.b.readAll(server) == Array("still fine".utf8))
    }

    @Test func memoryLimitRefusesNewConnections() throws {
        let net = TwoHosts { config, _ in
            config.sendBufferSize = 8192
            config.receiveBufferSize = 8192
            config.maximumMemory = 16384                  // exactly one connection's buffers
        }
        let (client, server) = try net.establish()
        #expect(net.a.memoryInUse == 16384)
        #expect(throws: TCPError.memoryLimit) {
            _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        }
        _ = client; _ = server
    }

    @Test func sendAndReceiveBuffersBoundWhatIsTaken() throws {
        let net = TwoHosts { config, _ in config.sendBufferSize = 4000; config.receiveBufferSize = 3000 }
        let (client, server) = try net.establish()
        let data = pattern(10_000, seed: 5)
        #expect(try net.a.send(client, data) == 4000)            // takes what fits
        #expect(net.a.sendSpace(client) == 0)
        #expect(try net.a.send(client, data) == 0)
        net.run(for: .seconds(2))
        // Two full segments fill B's 3000-byte window but for 104 bytes, which sender SWS avoidance
        // will not fill with a runt at once; the persist timer does, then probes the closed window.
        #expect(net.b.available(server) == 3000)
        #expect(net.a.sendSpace(client) == 3000)                // A freed what B acknowledged
        #expect(net.a.counters.zeroWindowProbes >= 2)
        #expect(net.events[0].contains(.writable(client)))
        var got = try net.b.readAll(server)
        net.run(for: .seconds(2))                                // the window update lets the rest go
        got += try net.b.readAll(server)
        #expect(got == Array(data[0..<4000]))
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

    @Test func eventQueueIsBounded() throws {
        let net = TwoHosts { config, _ in config.maximumPendingEvents = 1 }
        _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 81), now: net.now)
        _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 82), now: net.now)
        // Nobody drains A's events while both connects fail.
        for _ in 0..<10 {
            if let next = [net.link.nextArrival ?? .never, net.a.nextDeadline(), net.b.nextDeadline()].min(), next != .never {
                net.clock.advance(to: next)
                for (to, packet) in net.link.arrivals(upTo: net.now) { net.deliver(packet, to: to) }
            }
        }
        #expect(net.a.counters.eventsDropped == 1)
        #expect(net.a.nextEvent() != nil && net.a.nextEvent() == nil)
    }
}
