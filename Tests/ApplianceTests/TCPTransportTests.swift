import Testing
import Bytes
import Net
import TCP
import Services
import TestSupport
@testable import Appliance

/// `TCPTransport`, the registry's view of TCP, between two hosts on an in-memory wire: errors mapped to
/// the transport's, listeners reported only with something to accept, streams through connect, peek,
/// partial sends, orderly close and abort, and readiness after the end.
@Suite struct TCPTransportTests {
    final class Pair {
        let clock = VirtualClock()
        let a = OffloadHost(index: 1, offloads: .none), b = OffloadHost(index: 2, offloads: .none)
        let ta: TCPTransport, tb: TCPTransport
        init() {
            a.nic.peer = b.nic
            b.nic.peer = a.nic
            let (ha, hb) = (a, b)
            ta = TCPTransport(tcp: a.tcp, localAddress: { ha.address })
            tb = TCPTransport(tcp: b.tcp, localAddress: { hb.address })
        }
        func run(steps: Int = 2_000, until done: () -> Bool) {
            for _ in 0..<steps where !done() {
                clock.advance(by: .milliseconds(1))
                a.turn(now: clock.now())
                b.turn(now: clock.now())
            }
        }
    }

    @Test func listenErrorsAreTheTransportsOwn() throws {
        let pair = Pair()
        _ = try pair.tb.listen(port: 80, backlog: 4)
        #expect(throws: TransportError.portInUse) { try pair.tb.listen(port: 80, backlog: 4) }
        // As the in-memory transport says it: port 0 is a bad argument, not a port in use.
        #expect(throws: TransportError.invalidArgument) { try pair.tb.listen(port: 0, backlog: 4) }
        #expect(throws: TransportError.listenerTableFull) {
            for port in UInt16(81)...UInt16(81 + pair.b.tcp.configuration.maximumListeners) { _ = try pair.tb.listen(port: port, backlog: 1) }
        }
    }

    @Test func aStreamFromConnectToAbort() throws {
        let pair = Pair()
        let listener = try pair.tb.listen(port: 7, backlog: 4)
        #expect(pair.tb.nextChange() == nil)
        let client = try pair.ta.connect(to: Endpoint(pair.b.address, 7), now: pair.clock.now())
        #expect(pair.ta.readiness(of: client).phase == .connecting)
        var changes: [TransportChange] = []
        pair.run {
            while let c = pair.tb.nextChange() { changes.append(c) }
            return changes.contains(.listener(listener))
        }
        let server = try #require(pair.tb.accept(listener))
        #expect(pair.tb.peerEndpoint(of: server) == pair.ta.localEndpoint(of: client))
        pair.run { pair.ta.readiness(of: client).phase == .open }

        // A fill that takes less than it is offered sends only that much.
        let sent = pair.ta.send(client, upTo: 100) { view in
            for i in 0..<10 { view[i] = UInt8(i) }
            return 10
        }
        #expect(sent == 10)
        pair.run { pair.tb.available(server) == 10 }
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(buffer.withMutableByteView { pair.tb.peek(server, into: $0) } == 10)
        #expect(pair.tb.available(server) == 10, "peek leaves the bytes")
        #expect(buffer.withMutableByteView { pair.tb.receive(server, into: $0) } == 10)
        #expect(Array(buffer[0..<10]) == Array(0..<10))

        pair.ta.abort(client)
        pair.run { pair.tb.readiness(of: server).phase == .ended(.reset) }
        #expect(pair.tb.readiness(of: server).phase == .ended(.reset))
        pair.tb.release(server)
        #expect(pair.tb.readiness(of: server).phase == .ended(.reset), "a released ID answers as gone")
        #expect(pair.tb.send(server, upTo: 10) { _ in 10 } == 0)
    }

    @Test func aConnectionNobodyAnswersFails() throws {
        let pair = Pair()
        let client = try pair.ta.connect(to: Endpoint(pair.b.address, 9), now: pair.clock.now())   // no listener: RST
        pair.run { pair.ta.readiness(of: client).phase == .failed }
        #expect(pair.ta.readiness(of: client).phase == .failed)
    }
}
