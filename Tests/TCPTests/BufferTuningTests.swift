import Testing
import Bytes
import TestSupport
@testable import TCP

/// Buffers start small and grow with what a connection moves (issue 16): idle and slow connections
/// cost a few KiB each, a bulk transfer still gets its full window, grown buffers go back when idle,
/// and the advertised window never promises room the receive ring does not have.
@Suite struct BufferTuningTests {
    /// The appliance's initial sizes (TCPSizing); TCP's defaults start buffers at their largest.
    static func tune(_ config: inout TCPConfiguration) {
        config.initialSendBufferSize = 8 * 1024
        config.initialReceiveBufferSize = 8 * 1024
    }

    /// `count` connections from A to B's port 80, each established and accepted; (clients, servers).
    func connections(_ net: TwoHosts, count: Int) throws -> ([TCPHandle], [TCPHandle]) {
        let listener = try net.b.listen(port: 80, backlog: 128)
        var clients: [TCPHandle] = [], servers: [TCPHandle] = []
        for _ in 0..<count {
            clients.append(try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now))
            net.run(for: .milliseconds(5)) {
                while let h = try? net.b.accept(listener) { servers.append(h) }
                return servers.count == clients.count
            }
        }
        net.run(for: .seconds(1)) {
            while let h = try? net.b.accept(listener) { servers.append(h) }
            return servers.count == count
        }
        return (clients, servers)
    }

    /// 256 connections that each carry a small request and answer (an idle keep-alive client, or a
    /// hoarder) hold their initial buffers only: 16 KiB each, where fixed rings held 128 KiB.
    @Test func idleConnectionsHoldOnlyTheirInitialBuffers() throws {
        // From one address: the per-source caps and rate (SourceLimitTests, SourceRateTests) are lifted for it.
        let net = TwoHosts { config, _ in
            BufferTuningTests.tune(&config)
            config.maximumConnections = 300
            config.maximumConnectionsPerSource = 300
            config.newConnectionBurstPerSource = 300
        }
        let (clients, servers) = try connections(net, count: 256)
        #expect(servers.count == 256)
        for client in clients { _ = try net.a.send(client, pattern(300, seed: 1)) }
        net.run(for: .milliseconds(200))
        for server in servers {
            #expect(try net.b.readAll(server).count == 300)
            _ = try net.b.send(server, pattern(2000, seed: 2))
        }
        net.run(for: .seconds(2))
        for client in clients { #expect(try net.a.readAll(client).count == 2000) }
        #expect(net.b.memoryInUse <= 256 * 16 * 1024)
        #expect(net.b.counters.buffersGrown == 0)
    }

    /// An application that writes only what fits (the echo service) never asks for more than the free
    /// space; its ring grows when an ACK finds it full, so the transfer is not held to 8 KiB in flight.
    @Test func aRingThatAnACKFindsFullGrows() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10))) { config, _ in BufferTuningTests.tune(&config) }
        let (client, server) = try net.establish()
        let data = pattern(256 * 1024, seed: 3)
        var sent = 0, received = 0
        net.run(for: .seconds(30)) {
            if let space = net.b.readiness(server)?.sendSpace, space > 0, sent < data.count {
                let n = min(space, data.count - sent)
                sent += data.withByteView { (try? net.b.send(server, $0.slice(sent, n)!)) ?? 0 }
            }
            received += (try? net.a.readAll(client).count) ?? 0
            return received == data.count
        }
        #expect(received == data.count)
        #expect(net.b.counters.buffersGrown >= 1)
        #expect(net.b.connection(server)!.sendBuffer.capacity > net.b.configuration.initialSendBufferSize)
    }

    /// A 1 MiB transfer each way grows both rings to their largest and keeps the advertised right edge
    /// moving only rightwards.
    @Test func bulkTransferGrowsBuffersToTheirLargest() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10))) { config, _ in BufferTuningTests.tune(&config) }
        var peak = 0
        let bulk = try BulkExchange(net: net, size: 1 << 20)
        net.outputs[1].record = true
        #expect(net.run(for: .seconds(60)) {
            peak = max(peak, net.b.memoryInUse)
            return bulk.complete
        })
        let config = net.b.configuration
        #expect(peak >= config.sendBufferSize + config.receiveBufferSize)
        #expect(net.b.counters.buffersGrown >= 4)
        // Under 10 ms each way, 1 MiB at the largest window (64 KiB per 20 ms RTT) takes about 0.33 s.
        #expect(net.now.since(.zero) < .seconds(3))

        // B's advertised right edge (ACK + scaled window) never moved left while its ring grew.
        let segments = net.sent(by: 1)
        let scale = Int(segments.first { $0.flags.contains(.syn) }?.windowScale ?? 0)
        var edge: SequenceNumber? = nil
        var shrank = 0
        for s in segments where s.flags.contains(.ack) && !s.flags.contains(.rst) {
            let right = s.ack + (Int(s.window) << (s.flags.contains(.syn) ? 0 : scale))
            // RFC 7323 2.4: scaling rounds the window down, which may pull the edge back by less
            // than one unit of the scale; more would be a shrunk window.
            if let e = edge, right.distance(to: e) >= 1 << scale { shrank += 1 }
            edge = edge.map { SequenceNumber.latest($0, right) } ?? right
        }
        #expect(shrank == 0)
    }

    /// A connection that sent 256 KiB and then idles gives its grown send ring back after
    /// `bufferTrimAge`, and grows it again for the next transfer.
    @Test func idleConnectionTrimsItsGrownSendBuffer() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10))) { config, _ in BufferTuningTests.tune(&config) }
        let (client, server) = try net.establish()
        let start = net.b.memoryInUse
        func transfer() throws {
            let response = pattern(256 * 1024, seed: 4)
            var sent = 0, received = 0
            net.run(for: .seconds(10)) {
                sent += (try? response.withByteView { view in try net.b.send(server, view.suffix(from: sent)!) }) ?? 0
                received += (try? net.a.readAll(client).count) ?? 0
                return received == response.count
            }
            #expect(received == response.count)
        }
        try transfer()
        #expect(net.b.memoryInUse > start)
        net.run(for: net.b.configuration.bufferTrimAge + .milliseconds(100))
        #expect(net.b.memoryInUse == start)
        #expect(net.b.counters.buffersTrimmed == 1)
        try transfer()
        #expect(net.b.counters.buffersGrown >= 2)
    }

    /// A reader that offers 2 KiB and never reads is sent 1 MiB: the sender's ring stays as it began.
    @Test func slowReaderDoesNotGrowTheSendBuffer() throws {
        let net = TwoHosts { config, side in
            BufferTuningTests.tune(&config)
            if side == 0 { config.receiveBufferSize = 2048 }
        }
        let (_, server) = try net.establish()
        let start = net.b.memoryInUse
        let response = pattern(1 << 20, seed: 3)
        var sent = 0
        for _ in 0..<40 {
            sent += try response.withByteView { view in try net.b.send(server, view.suffix(from: sent)!) }
            net.run(for: .milliseconds(500))
        }
        #expect(sent < 16 * 1024)
        #expect(net.b.memoryInUse == start)
        #expect(net.b.counters.buffersGrown == 0)
    }

    /// A request trickled 64 bytes every 100 ms for 20 s (12.8 KB, more than a ring's worth, but far less
    /// than a ring per `receiveBufferGrowthInterval`), read as it comes, never grows the receive ring.
    @Test func trickleDoesNotGrowTheReceiveBuffer() throws {
        let net = TwoHosts { config, _ in BufferTuningTests.tune(&config) }
        let (client, server) = try net.establish()
        let start = net.b.memoryInUse
        var received = 0
        for i in 0..<200 {
            _ = try net.a.send(client, pattern(64, seed: UInt64(i)))
            net.run(for: .milliseconds(100))
            received += try net.b.readAll(server).count
        }
        #expect(received == 200 * 64)
        #expect(net.b.memoryInUse == start)
        #expect(net.b.counters.buffersGrown == 0)
    }

    /// With the buffer budget at the initial sizes, growth is refused and counted, the budget holds
    /// throughout, and the transfer still completes (more slowly, in small windows).
    @Test func growthPastTheBudgetIsRefusedAndTheTransferCompletes() throws {
        let net = TwoHosts { config, _ in
            BufferTuningTests.tune(&config)
            config.maximumMemory = Connection.memoryCost(config)
        }
        let bulk = try BulkExchange(net: net, size: 256 * 1024)
        var peak = 0
        #expect(net.run(for: .seconds(120)) {
            peak = max(peak, net.a.memoryInUse, net.b.memoryInUse)
            return bulk.complete
        })
        #expect(bulk.received[0] == bulk.payloads[1] && bulk.received[1] == bulk.payloads[0])
        #expect(peak <= Connection.memoryCost(net.b.configuration))
        #expect(net.b.counters.bufferGrowthRefused > 0 && net.b.counters.buffersGrown == 0)
    }
}
