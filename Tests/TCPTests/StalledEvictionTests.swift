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
