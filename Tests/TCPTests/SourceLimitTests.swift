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
        #expect(net.b.connectionCount == 4 && net.b.halfOpen(from: flooder) == 4)
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
        #expect(net.b.counters.synDroppedSourceLimit >= 1 && net.b.connections(from: net.addresses[0]) == 2)
        #expect(net.b.sources.values.allSatisfy { $0.halfOpen == 0 })   // the established ones left the half-open count
        let other = try net.a.connect(from: IPAddress(IPv4Address(10, 0, 0, 77)), to: Endpoint(net.addresses[1], 80), now: net.now)
        net.run(for: .milliseconds(100))
        #expect(net.a.state(other) == .established)
    }

    /// IPv6 hosts with B listening on port 80 and `configure` applied to both.
    static func ipv6Listening(_ configure: @escaping (inout TCPConfiguration) -> Void) throws -> TwoHosts {
        let net = TwoHosts(ipv6: true) { config, _ in configure(&config) }
        _ = try net.b.listen(port: 80, backlog: 16)
        return net
    }

    /// SYNs to B from the addresses `range` + 1 (times `spread`) of the /64 `prefix`, from port `port` on.
    static func synsFromOneSlash64(_ net: TwoHosts, _ prefix: IPv6Address, _ range: Range<Int>, spread: UInt64 = 1, port: UInt16) {
        for i in range {
            net.synToB(from: IPAddress(IPv6Address(high: prefix.high, low: UInt64(i + 1) &* spread)), port: port + UInt16(i))
        }
    }

    /// An IPv6 host holds a whole /64 and may send from any address in it: the caps count the /64 as
    /// one source (issue 19). Many addresses of one /64 reach the half-open cap together; an address
    /// of another /64 still gets in.
    @Test func addressesOfOneIPv6Slash64ShareOneSourcesCaps() throws {
        let net = try Self.ipv6Listening { $0.maximumConnections = 8; $0.maximumHalfOpenPerSource = 2 }
        let flooder = IPv6Address(parsing: "2001:db8:1:2::")!
        Self.synsFromOneSlash64(net, flooder, 0..<6, spread: 0x1234_5678_9ABC, port: 10_000)     // six addresses
        #expect(net.b.connectionCount == 4 && net.b.halfOpen(from: IPAddress(flooder)) == 4)
        #expect(net.b.counters.synDroppedSourceHalfOpenLimit == 2)
        net.synToB(from: IPAddress(IPv6Address(parsing: "2001:db8:1:3::1")!), port: 20_000)     // the next /64
        #expect(net.b.connectionCount == 5 && net.b.counters.synDroppedSourceHalfOpenLimit == 2)
        #expect(net.b.sources.values.filter { $0.halfOpen > 0 }.count == 2)
    }

    /// The new-connection rate and the connection cap key an IPv6 peer by its /64 too; IPv4 peers
    /// stay one address each.
    @Test func theRateAndConnectionCapsCountASlash64AsOneSource() throws {
        let net = try Self.ipv6Listening { $0.maximumConnections = 4; $0.newConnectionBurstPerSource = 3 }
        let prefix = IPv6Address(parsing: "2001:db8:5:6::")!
        // From the second SYN on the table is contended (2 of 4): the /64's third token goes, the
        // fourth SYN is over the rate.
        Self.synsFromOneSlash64(net, prefix, 0..<4, port: 30_000)
        #expect(net.b.counters.synDroppedSourceRate == 1 && net.b.connections(from: IPAddress(prefix)) == 3)
        #expect(TCPLayer.sourceKey(IPAddress(IPv4Address(10, 0, 0, 9))) == IPAddress(IPv4Address(10, 0, 0, 9)))
        #expect(TCPLayer.sourceKey(IPAddress(IPv6Address(parsing: "2001:db8:5:6:a:b:c:d")!)) == IPAddress(prefix))
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
