import Testing
import Bytes
import TestSupport
@testable import TCP

/// Handles, events and the less common paths through the state machine.
@Suite struct LifecycleTests {
    @Test func simultaneousOpen() throws {
        let net = TwoHosts()
        // A connects to B:5000 while B, unaware, sends its own SYN to A's port: the SYNs cross.
        net.outputs[0].filter = { _ in false }                   // A's SYN is lost on the way
        let client = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 5000), now: net.now)
        let local = net.a.localEndpoint(client)!
        let iss = net.a.connection(client)!.snd.iss
        net.outputs[0].filter = nil
        let peerISS = SequenceNumber(777)
        net.inject(OutgoingSegment(sourcePort: 5000, destinationPort: local.port, seq: peerISS,
                                   ack: SequenceNumber(0), flags: [.syn], window: 4000), from: 1)
        #expect(net.a.state(client) == .synReceived)
        let synAck = net.sent(by: 0).last!
        #expect(synAck.flags == [.syn, .ack] && synAck.seq == iss && synAck.ack == peerISS + 1)
        net.inject(OutgoingSegment(sourcePort: 5000, destinationPort: local.port, seq: peerISS + 1,
                                   ack: iss + 1, flags: [.ack], window: 4000), from: 1)
        #expect(net.a.state(client) == .established)
        net.drainEvents()                                        // (no real peer behind port 5000)
        #expect(net.events[0] == [.connected(client)])
    }

    @Test func acceptCatchesUpOnDataAndFinThatArrivedBefore() throws {
        let net = TwoHosts()
        let listener = try net.b.listen(port: 80, backlog: 4)
        let client = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .seconds(1)) { net.a.state(client) == .established }
        _ = try net.a.send(client, Array("early".utf8))
        try net.a.shutdown(client)
        net.run(for: .seconds(1))
        #expect(net.events[1] == [.acceptable(listener)])
        let server = try #require(try net.b.accept(listener))
        net.drainEvents()
        #expect(net.events[1].suffix(2) == [.readable(server), .peerFinished(server)])
        #expect(try net.b.readAll(server) == Array("early".utf8))
        #expect(net.b.isPeerFinished(server))
    }

    /// Each arrival names the connection once, and a look finds it readable; with nothing new, nothing
    /// is named, however long the bytes sit unread.
    @Test func arrivalsNameTheConnectionAndNothingElseDoes() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        try net.a.setNoDelay(client, true)
        for _ in 0..<3 { _ = try net.a.send(client, [1]); net.run(for: .milliseconds(100)) }
        #expect(net.events[1].filter { $0 == .readable(server) }.count == 3)
        net.run(for: .seconds(5))
        #expect(net.events[1].filter { $0 == .readable(server) }.count == 3)
        #expect(net.b.readiness(server)?.available == 3)
        _ = try net.b.readAll(server)
        _ = try net.a.send(client, [2]); net.run(for: .milliseconds(100))
        #expect(net.events[1].filter { $0 == .readable(server) }.count == 4)
    }

    @Test func releaseAfterCloseFinishesInTheBackground() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10)))
        let (client, server) = try net.establish()
        let body = pattern(30_000, seed: 13)
        _ = try net.a.send(client, body)
        try net.a.close(client)
        net.a.release(client)                                    // the service forgets it at once
        #expect(net.a.state(client) == nil)
        #expect(throws: TCPError.invalidHandle) { _ = try net.a.send(client, [1]) }
        var got: [UInt8] = []
        net.run(for: .seconds(10)) { got += (try? net.b.readAll(server)) ?? []; return net.b.isPeerFinished(server) }
        #expect(got == body)                                     // the orderly release completed
        try net.b.close(server)
        net.run(for: .seconds(2))
        #expect(net.a.connectionCount == 0 && net.a.memoryInUse == 0)
        #expect(!net.events[0].contains(.closed(client, .normal)))  // no events for a released handle
    }

    @Test func releaseWithoutCloseAborts() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        net.a.release(client)
        net.run(for: .seconds(1))
        #expect(net.a.connectionCount == 0)
        #expect(net.events[1].contains(.closed(server, .reset)))
    }

    @Test func abortSendsResetAndDiscardsQueuedData() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10)))
        let (client, server) = try net.establish()
        _ = try net.a.send(client, pattern(50_000, seed: 14))
        net.a.poll(now: net.now)
        try net.a.abort(client)
        net.run(for: .seconds(1))
        #expect(net.events[0].contains(.closed(client, .aborted)))
        #expect(net.events[1].contains(.closed(server, .reset)))
        // One RST for the abort; segments still in flight towards A afterwards draw "no connection" RSTs.
        #expect(net.a.counters.resetsSent >= 1)
        #expect(net.b.state(server) == .closed)
    }

    @Test func addressChangeEndsConnectionsSilently() throws {
        let net = TwoHosts()
        let (client, _) = try net.establish()
        let sentBefore = net.outputs[0].sent.count
        net.a.resetConnections(boundTo: net.addresses[0])
        net.drainEvents()
        #expect(net.events[0].contains(.closed(client, .addressLost)))
        #expect(net.outputs[0].sent.count == sentBefore)        // nothing sent from the old address
        #expect(net.a.nextDeadline() == .never)
    }

    @Test func closingAListenerResetsItsPendingConnections() throws {
        let net = TwoHosts()
        let listener = try net.b.listen(port: 80, backlog: 4)
        let client = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .seconds(1)) { net.a.state(client) == .established }
        try net.b.close(listener)
        #expect(throws: TCPError.invalidHandle) { _ = try net.b.accept(listener) }
        net.run(for: .seconds(1))
        #expect(net.events[0].contains(.closed(client, .reset)))
        #expect(net.b.connectionCount == 0 && net.b.listenerCount == 0)
        #expect(try net.b.listen(port: 80, backlog: 1) != listener)   // the port is free again, new handle
    }

    @Test func newSynMayReuseATupleInTimeWait() throws {
        let net = TwoHosts()
        // B closes first, so B holds the TIME-WAIT for the tuple; a new SYN beyond the old numbers reopens.
        let listener = try net.a.listen(port: 8080, backlog: 4)
        let client = try net.b.connect(from: net.addresses[1], to: Endpoint(net.addresses[0], 8080), now: net.now)
        var server: TCPHandle? = nil
        net.run(for: .seconds(1)) { server = server ?? (try? net.a.accept(listener)) ?? nil; return server != nil }
        try net.a.close(server!)
        net.run(for: .seconds(1)) { net.b.state(client) == .closeWait }
        try net.b.close(client)
        net.run(for: .seconds(1))
        #expect(net.a.timeWaitCount == 1)
        let tuple = net.a.timeWait.entries.keys.first!
        let old = net.a.timeWait.entries[tuple]!
        net.inject(OutgoingSegment(sourcePort: tuple.remote.port, destinationPort: tuple.local.port,
                                   seq: old.rcvNxt + 100_000, ack: SequenceNumber(0), flags: [.syn], window: 1000), from: 1)
        #expect(net.a.timeWaitCount == 0)
        #expect(net.a.connections[tuple] != nil)                  // a new half-open connection
    }

    @Test func ephemeralPortsAvoidTuplesInUse() throws {
        let net = TwoHosts()
        _ = try net.b.listen(port: 80, backlog: 16)
        var ports = Set<UInt16>()
        for _ in 0..<10 {
            let h = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
            ports.insert(net.a.localEndpoint(h)!.port)
        }
        #expect(ports.count == 10)
        #expect(ports.allSatisfy { $0 >= 49152 })
    }
}
