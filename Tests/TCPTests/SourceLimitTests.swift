import Testing
import Bytes
import TestSupport
@testable import TCP

/// Per-source caps (issue 16): once the table is half used, an address holds at most its share of
/// connections and of half-open ones; others still get in. Below that, one address may use more.
@Suite struct SourceLimitTests {
    @Test func halfOpenConnectionsPerAddressAreCappedOnceTheTableIsContended() throws {
        let net = TwoHosts { config, side in
            config.maximumConnections = 8
            config.maximumHalfOpenPerSource = 2
        }
        _ = try net.b.listen(port: 80, backlog: 16)
        let flooder = IPAddress(IPv4Address(192, 0, 2, 1))
        for i in 0..<6 { net.synToB(from: flooder, port: UInt16(10_000 + i)) }
        // Four got in while the table was less than half used; then the address was at its share.
        #expect(net.b.connectionCount == 4 && net.b.halfOpenBySource[flooder] == 4)
        #expect(net.b.counters.synDroppedSourceHalfOpenLimit == 2 && net.b.counters.synCookiesSent == 0)
        net.synToB(from: IPAddress(IPv4Address(192, 0, 2, 2)), port: 20_000)
        #expect(net.b.connectionCount == 5 && net.b.counters.synDroppedSourceHalfOpenLimit == 2)
    }

    @Test func connectionsPerAddressAreCappedOnceTheTableIsContended() throws {
        let net = TwoHosts { config, side in
            config.maximumConnections = side == 1 ? 4 : 16
            config.maximumConnectionsPerSource = 2
        }
        _ = try net.b.listen(port: 80, backlog: 8)
        var clients: [TCPHandle] = []
        for _ in 0..<3 {
            clients.append(try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now))
            net.run(for: .milliseconds(100))
        }
        #expect(clients.map { net.a.state($0) } == [.established, .established, .synSent])
        #expect(net.b.counters.synDroppedSourceLimit >= 1 && net.b.connectionsBySource[net.addresses[0]] == 2)
        #expect(net.b.halfOpenBySource.isEmpty)   // the established ones left the half-open count
        let other = try net.a.connect(from: IPAddress(IPv4Address(10, 0, 0, 77)), to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .milliseconds(100))
        #expect(net.a.state(other) == .established)
    }
}

extension TwoHosts {
    /// A SYN from `source` to B's port 80 whose SYN-ACK goes nowhere: a half-open connection on B.
    func synToB(from source: IPAddress, port: UInt16) {
        let segment = OutgoingSegment(sourcePort: port, destinationPort: 80, seq: SequenceNumber(UInt32(port) &* 7919),
                                      ack: SequenceNumber(0), flags: [.syn], window: 1000)
        Wire.craft(segment, source: source, destination: addresses[1]).withByteView {
            b.receive(source: source, destination: addresses[1], segment: $0, now: now)
        }
        b.emit(now: now)                                 // the main loop's emit pass
        _ = link.arrivals(upTo: .never)
    }
}
