import Bytes
import Testing
@testable import Net

@Suite struct ConfigurationTests {
    static let config = IPv4Configuration(address: IPv4Address(192, 168, 1, 10), prefixLength: 24,
                                          gateway: IPv4Address(192, 168, 1, 1))

    @Test func routesOnLinkViaGatewayAndBroadcast() {
        let c = Self.config
        #expect(c.nextHop(for: IPv4Address(192, 168, 1, 77)) == .neighbour(IPv4Address(192, 168, 1, 77)))
        #expect(c.nextHop(for: IPv4Address(1, 1, 1, 1)) == .neighbour(IPv4Address(192, 168, 1, 1)))
        #expect(c.nextHop(for: .broadcast) == .broadcast)
        #expect(c.nextHop(for: IPv4Address(192, 168, 1, 255)) == .broadcast)
        #expect(c.nextHop(for: IPv4Address(224, 0, 0, 1)) == nil)
        #expect(c.nextHop(for: IPv4Address(127, 0, 0, 1)) == nil)
        #expect(c.nextHop(for: c.address) == nil)   // no loopback device
        var isolated = c
        isolated.gateway = nil
        #expect(isolated.nextHop(for: IPv4Address(1, 1, 1, 1)) == nil)
    }

    @Test func acceptsOwnAndBroadcastAddresses() {
        let c = Self.config
        #expect(c.accepts(IPv4Address(192, 168, 1, 10)))
        #expect(c.accepts(.broadcast))
        #expect(c.accepts(IPv4Address(192, 168, 1, 255)))
        #expect(!c.accepts(IPv4Address(192, 168, 1, 11)))
        #expect(!IPv4Configuration.unconfigured.accepts(.any))
        #expect(IPv4Configuration.unconfigured.accepts(.broadcast))
    }

    @Test func pointToPointSubnetsHaveNoDirectedBroadcast() {
        #expect(IPv4Configuration(address: IPv4Address(10, 0, 0, 0), prefixLength: 31).subnetBroadcast == nil)
        #expect(IPv4Configuration(address: IPv4Address(10, 0, 0, 1), prefixLength: 32).subnetBroadcast == nil)
        #expect(IPv4Configuration(address: IPv4Address(10, 1, 2, 3), prefixLength: 8).subnetBroadcast == IPv4Address(10, 255, 255, 255))
    }

    @Test func invalidConfigurationsAreRefused() {
        let f = StackFixture(configured: false)
        let gatewayElsewhere = IPv4Configuration(address: IPv4Address(192, 168, 1, 10), prefixLength: 24,
                                                 gateway: IPv4Address(10, 0, 0, 1))
        #expect(throws: IPv4Configuration.ValidationError.gatewayNotOnLink) { try f.stack.configure(gatewayElsewhere, now: f.now) }
        #expect(throws: IPv4Configuration.ValidationError.prefixLengthOutOfRange) {
            try f.stack.configure(IPv4Configuration(address: IPv4Address(192, 168, 1, 10), prefixLength: 33), now: f.now)
        }
        #expect(throws: IPv4Configuration.ValidationError.unusableAddress) {
            try f.stack.configure(IPv4Configuration(address: IPv4Address(224, 0, 0, 5), prefixLength: 24), now: f.now)
        }
        #expect(f.stack.configuration == .unconfigured)
        #expect(f.nic.takeSent().isEmpty)
    }

    @Test func losingTheLeaseReturnsToUnconfigured() throws {
        let f = StackFixture()
        try f.stack.configure(.unconfigured, now: f.now)
        #expect(f.nic.takeSent().isEmpty)
        #expect(f.deliver(ICMPTests.echoFrame(data: [1])).isEmpty)
        #expect(f.stack.counters.ipv4.notForUs == 1)
    }
}

@Suite struct PollTests {
    @Test func pollTakesOneBatchAndSaysWhenMoreIsWaiting() {
        let f = StackFixture()
        f.learnPeer()
        for _ in 0..<(InterfaceLimits.receiveBatch + 3) { f.nic.inbox.append(ICMPTests.echoFrame(data: [1])) }
        #expect(f.poll().count == InterfaceLimits.receiveBatch)
        #expect(f.nic.flushCount > 0)
        #expect(f.stack.nextDeadline() == .zero)
        #expect(f.poll().count == 3)
        #expect(f.stack.nextDeadline() == .never)
    }

    @Test func onePollFlushesOnce() {
        let f = StackFixture()
        f.learnPeer()
        let flushes = f.nic.flushCount
        for _ in 0..<5 { f.nic.inbox.append(ICMPTests.echoFrame(data: [1])) }
        #expect(f.poll().count == 5)
        #expect(f.nic.flushCount == flushes + 1)
        f.stack.poll(now: f.now)
        #expect(f.nic.flushCount == flushes + 1)   // nothing sent, no doorbell
    }
}

@Suite struct CounterTextTests {
    @Test func rendersOneLinePerCounter() {
        let f = StackFixture()
        f.deliver([1, 2, 3])
        let lines = f.stack.counters.metrics.lines
        #expect(lines.contains("eth.truncated 1"))
        #expect(lines.contains("udp.no_socket 0"))
        #expect(lines.first?.hasPrefix("eth.rx_frames ") == true)
        // Every name is distinct.
        let names = lines.map { $0.split(separator: " ")[0] }
        #expect(Set(names).count == names.count)
    }
}
