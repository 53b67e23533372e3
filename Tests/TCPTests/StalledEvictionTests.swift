import Testing
import Bytes
import TestSupport
@testable import TCP

/// With the table full, a newcomer replaces the established connection that moved no data for longest
/// (issue 16): hoarders cannot lock clients out, and connections moving data are never touched.
@Suite struct StalledEvictionTests {
    /// B holds one connection at most; the second client's SYN finds the table full.
    func fullTable() throws -> (TwoHosts, TCPHandle, TCPHandle) {
        let net = TwoHosts { config, side in config.maximumConnections = side == 1 ? 1 : 8 }
        let (client, server) = try net.establish()
        return (net, client, server)
    }

    @Test func newcomerReplacesTheStalledConnection() throws {
        let (net, client, server) = try fullTable()
        net.run(for: net.b.configuration.stalledReplacementAge)
        let second = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .seconds(1)) { net.a.state(second) == .established }
        #expect(net.a.state(second) == .established)
        #expect(net.b.counters.stalledEvicted == 1 && net.b.counters.synDroppedConnectionLimit == 0)
        #expect(net.a.state(client) == .closed)       // reset, so its client knows at once
        #expect(net.b.state(server) == .closed)
        #expect(net.b.memoryInUse <= Connection.memoryCost(net.b.configuration))
    }

    @Test func connectionsMovingDataAreNotReplaced() throws {
        let (net, client, server) = try fullTable()
        let second = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        for _ in 0..<8 {   // 4 s in all, a byte every half second: always progress within the age
            _ = try net.a.send(client, [1])
            net.run(for: .milliseconds(500))
            _ = try net.b.readAll(server)
        }
        #expect(net.a.state(second) == .synSent)
        #expect(net.b.counters.stalledEvicted == 0 && net.b.counters.synDroppedConnectionLimit > 0)
        #expect(net.b.state(server) == .established)
    }
}

/// A full table is shared between addresses: a newcomer from an address holding clearly fewer
/// connections replaces one of the address holding most, even when none is stalled.
@Suite struct FairShareTests {
    @Test func newcomerFromAnotherAddressReplacesOneOfTheGreediest() throws {
        let net = TwoHosts { config, side in config.maximumConnections = side == 1 ? 3 : 8 }
        _ = try net.b.listen(port: 80, backlog: 8)
        var clients: [TCPHandle] = []
        for _ in 0..<3 {
            clients.append(try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now))
        }
        net.run(for: .milliseconds(200))
        #expect(clients.allSatisfy { net.a.state($0) == .established })
        // The greedy address itself gets no more: it would only replace its own.
        let fourth = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .milliseconds(200))
        #expect(net.a.state(fourth) == .synSent)
        #expect(net.b.counters.fairShareEvicted == 0 && net.b.counters.synDroppedConnectionLimit > 0)
        // A client from elsewhere gets in, at once, in place of one of them.
        let other = IPAddress(IPv4Address(10, 0, 0, 77))
        let newcomer = try net.a.connect(from: other, to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .milliseconds(200)) { net.a.state(newcomer) == .established }
        #expect(net.a.state(newcomer) == .established)
        #expect(net.b.counters.fairShareEvicted == 1 && net.b.counters.stalledEvicted == 0)
        #expect(clients.filter { net.a.state($0) == .closed }.count == 1)
        #expect(net.b.connections(from: other) == 1 && net.b.connections(from: net.addresses[0]) <= 3)
    }
}
