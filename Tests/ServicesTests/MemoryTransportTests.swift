import Bytes
import Services
import TestSupport
import Testing

/// The memory transport on its own: the readiness contract the registry relies on.
@Suite struct MemoryTransportTests {
    func changes(_ t: MemoryTransport) -> [TransportChange] {
        var out: [TransportChange] = []
        while let c = t.nextChange() { out.append(c) }
        return out
    }

    @Test func changesBeginAtAcceptAndTheStreamStaysKnownUntilReleased() throws {
        let t = MemoryTransport()
        let l = try t.listen(port: 80, backlog: 4)
        let peer = try t.open(port: 80)
        peer.write("before accept")
        #expect(changes(t) == [.listener(l)])
        guard let s = t.accept(l) else { Issue.record("nothing to accept"); return }
        #expect(t.accept(l) == nil)
        #expect(t.available(s) == 13)
        #expect(t.peerEndpoint(of: s) == peer.endpoint)

        peer.write("x")
        _ = [UInt8]("reply".utf8).withByteView { t.send(s, $0) }
        _ = peer.read()
        peer.finish()
        #expect(changes(t) == [.stream(s)])       // named once, however much changed
        #expect(t.readiness(of: s) == StreamReadiness(phase: .open, available: 14, peerFinished: false,
                                                      sendSpace: 4096))      // the peer read the reply
        #expect(!t.peerFinished(s))     // bytes before the FIN are still unread
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(buffer.withMutableByteView { t.peek(s, into: $0) } == 14)
        #expect(buffer.withMutableByteView { t.receive(s, into: $0) } == 14)
        #expect(t.peerFinished(s))

        t.close(s)
        t.close(s)
        #expect(changes(t) == [.stream(s)])
        #expect(t.readiness(of: s).phase == .ended(.normal))
        #expect(t.streamCount == 1)
        t.release(s)
        #expect(t.streamCount == 0)
        // Calls on a finished stream are harmless.
        #expect(t.available(s) == 0)
        #expect([UInt8]([1]).withByteView { t.send(s, $0) } == 0)
    }

    @Test func abortReportsNothingMoreAndResetsThePeer() throws {
        let t = MemoryTransport()
        let l = try t.listen(port: 80, backlog: 4)
        let peer = try t.open(port: 80)
        _ = changes(t)
        guard let s = t.accept(l) else { Issue.record("nothing to accept"); return }
        t.abort(s)
        peer.write("late")
        peer.reset()
        #expect(changes(t).isEmpty)
        #expect(peer.wasReset)
    }

    @Test func writesAfterTheServiceClosedAreDroppedAndCounted() throws {
        let t = MemoryTransport()
        let l = try t.listen(port: 80, backlog: 4)
        let peer = try t.open(port: 80)
        guard let s = t.accept(l) else { Issue.record("nothing to accept"); return }
        t.close(s)
        #expect(peer.write("ignored") == 7)
        #expect(t.available(s) == 0)
        #expect(t.counters.bytesDroppedAfterClose == 7)
    }

    @Test func connectReachesAServerOrFails() throws {
        let t = MemoryTransport()
        let there = Endpoint(IPv4Address(10, 0, 0, 9), 7)
        let server = t.serve(at: there, backlog: 1)
        let a = try t.connect(to: there, now: .zero)
        let b = try t.connect(to: there, now: .zero)             // the server's queue is full
        let c = try t.connect(to: Endpoint(IPv4Address(10, 0, 0, 9), 8), now: .zero)
        #expect(changes(t) == [.stream(a), .stream(b), .stream(c)])
        #expect(t.readiness(of: a).phase == .open)
        #expect(t.readiness(of: b).phase == .failed && t.readiness(of: c).phase == .failed)
        #expect(t.counters.connectsFailed == 2)
        #expect(server.accept()?.serviceEndpoint == t.localEndpoint(of: a))
        t.stopServing(at: there)
        let d = try t.connect(to: there, now: .zero)
        #expect(changes(t) == [.stream(d)] && t.readiness(of: d).phase == .failed)
    }

    @Test func listenRejectsBadArgumentsAndFullTables() {
        let t = MemoryTransport(limits: MemoryTransportLimits(maxListeners: 1, maxBacklog: 8))
        #expect(throws: TransportError.invalidArgument) { _ = try t.listen(port: 0, backlog: 1) }
        #expect(throws: TransportError.invalidArgument) { _ = try t.listen(port: 1, backlog: 9) }
        #expect(throws: Never.self) { _ = try t.listen(port: 1, backlog: 8) }
        #expect(throws: TransportError.portInUse) { _ = try t.listen(port: 1, backlog: 8) }
        #expect(throws: TransportError.listenerTableFull) { _ = try t.listen(port: 2, backlog: 8) }
    }
}
