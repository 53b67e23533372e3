import Testing
import Bytes
import TestSupport
@testable import TCP

@Suite struct CloseTests {
    /// Runs until both handles have their `closed` event; returns the reasons (A, B).
    func closedReasons(_ net: TwoHosts, _ client: TCPHandle, _ server: TCPHandle) -> (TCPCloseReason?, TCPCloseReason?) {
        func reason(_ side: Int, _ h: TCPHandle) -> TCPCloseReason? {
            for case .closed(let x, let r) in net.events[side] where x == h { return r }
            return nil
        }
        net.run(for: .seconds(30)) { reason(0, client) != nil && reason(1, server) != nil }
        return (reason(0, client), reason(1, server))
    }

    @Test func weCloseFirstAfterQueuedData() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10)))
        let (client, server) = try net.establish()
        let body = pattern(200_000, seed: 9)
        // More than the send buffer: close right after what fits, then the rest cannot be queued.
        let queued = try net.a.send(client, body)
        try net.a.close(client)
        #expect(net.a.state(client) == .finWait1)
        #expect(throws: TCPError.invalidState) { _ = try net.a.send(client, [1]) }
        var got: [UInt8] = []
        net.run(for: .seconds(30)) {
            got += (try? net.b.readAll(server)) ?? []
            return net.b.isPeerFinished(server)
        }
        #expect(got == Array(body[0..<queued]))           // everything queued arrived, then FIN
        #expect(net.b.state(server) == .closeWait)
        net.run(for: .seconds(1)) { net.a.state(client) == .finWait2 }
        #expect(net.a.state(client) == .finWait2)
        try net.b.close(server)
        let (ra, rb) = closedReasons(net, client, server)
        #expect(ra == .normal && rb == .normal)
        #expect(net.a.timeWaitCount == 1 && net.b.timeWaitCount == 0)   // the active closer waits
        net.run(for: .seconds(61))
        #expect(net.a.timeWaitCount == 0)
        net.a.release(client); net.b.release(server)
        #expect(net.a.connectionCount == 0 && net.b.connectionCount == 0)
        #expect(net.a.memoryInUse == 0 && net.b.memoryInUse == 0)
    }

    @Test func theyCloseFirst() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10)))
        let (client, server) = try net.establish()
        _ = try net.b.send(server, Array("bye".utf8))
        try net.b.shutdown(server)                      // B still reads A's answer
        net.run(for: .seconds(5)) { net.a.isPeerFinished(client) || net.a.available(client) == 3 && net.a.state(client) == .closeWait }
        #expect(net.events[0].contains(.peerFinished(client)))
        #expect(net.a.state(client) == .closeWait)
        #expect(!net.a.isPeerFinished(client))          // FIN came, but "bye" is still unread
        #expect(try net.a.readAll(client) == Array("bye".utf8))
        #expect(net.a.isPeerFinished(client))
        // We may still send after their FIN (half-close from their side).
        _ = try net.a.send(client, Array("ok".utf8))
        try net.a.close(client)
        let (ra, rb) = closedReasons(net, client, server)
        #expect(ra == .normal && rb == .normal)
        #expect(net.b.timeWaitCount == 1 && net.a.timeWaitCount == 0)
        #expect(try net.b.readAll(server) == Array("ok".utf8))   // readable after close, until release
    }

    @Test func simultaneousClose() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(20)))
        let (client, server) = try net.establish()
        try net.a.close(client)
        try net.b.close(server)
        net.run(for: .milliseconds(25)) { false }                 // both FINs cross in flight
        #expect(net.a.state(client) == .closing || net.a.state(client) == .closed)
        let (ra, rb) = closedReasons(net, client, server)
        #expect(ra == .normal && rb == .normal)
        #expect(net.a.timeWaitCount == 1 && net.b.timeWaitCount == 1)  // both were active closers
    }

    @Test func halfCloseKeepsTheOtherDirectionOpen() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(5)))
        let (client, server) = try net.establish()
        _ = try net.a.send(client, Array("request".utf8))
        try net.a.shutdown(client)                       // "I am done sending"
        net.run(for: .seconds(2)) { net.b.state(server) == .closeWait }
        #expect(try net.b.readAll(server) == Array("request".utf8))
        let reply = pattern(100_000, seed: 3)
        var sent = 0, got: [UInt8] = []
        net.run(for: .seconds(30)) {
            sent += reply[sent...].withContiguousStorageIfAvailable { buf in
                (try? net.b.send(server, ByteView(UnsafeRawBufferPointer(buf)))) ?? 0
            } ?? 0
            if sent == reply.count { try? net.b.close(server) }
            got += (try? net.a.readAll(client)) ?? []
            return net.a.isPeerFinished(client)
        }
        #expect(got == reply)
        #expect(net.a.counters.dataAfterClose == 0)
    }

    @Test func dataAfterCloseIsRefusedWithReset() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10)))
        let (client, server) = try net.establish()
        _ = try net.a.send(client, Array("response".utf8))
        try net.a.close(client)                          // full close: A will not read again
        net.run(for: .seconds(2)) { net.a.state(client) == .finWait2 }
        #expect(try net.b.readAll(server) == Array("response".utf8))   // our data arrived intact first
        _ = try net.b.send(server, Array("more".utf8))   // the peer keeps talking
        let (ra, rb) = closedReasons(net, client, server)
        #expect(rb == .reset)                           // RFC 1122 4.2.2.13: the loss is signalled
        #expect(ra == .aborted)
        #expect(net.a.counters.dataAfterClose == 1 && net.a.counters.resetsSent == 1)
        #expect(net.b.counters.resetsAccepted == 1)
    }

    @Test func dataAfterCloseWaitsForOurDataToBeAcknowledged() throws {
        // The peer's data crosses our unacknowledged response: no RST may overtake the response.
        let net = TwoHosts(impairment: .init(delay: .milliseconds(50)))
        let (client, server) = try net.establish()
        let response = pattern(20_000, seed: 4)
        _ = try net.a.send(client, response)
        try net.a.close(client)
        _ = try net.b.send(server, Array("pipelined".utf8))
        var got: [UInt8] = []
        net.run(for: .seconds(10)) {
            got += (try? net.b.readAll(server)) ?? []
            return net.b.state(server) == .closed
        }
        #expect(got == response)
        #expect(net.a.counters.dataAfterClose >= 1)
        #expect(net.events[1].contains(.closed(server, .reset)))
    }

    @Test func timeWaitTableIsBounded() throws {
        let net = TwoHosts { config, side in config.maximumTimeWait = 2 }
        let listener = try net.b.listen(port: 80, backlog: 8)
        for _ in 0..<3 {
            let client = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
            var server: TCPHandle? = nil
            net.run(for: .seconds(5)) {
                if server == nil { server = try? net.b.accept(listener) ?? nil }
                return server != nil && net.a.state(client) == .established
            }
            try net.a.close(client)
            net.run(for: .seconds(1)) { net.b.state(server!) == .closeWait }
            try net.b.close(server!)
            net.run(for: .seconds(1)) { net.a.state(client) == .closed }
            net.a.release(client); net.b.release(server!)
        }
        net.run(for: .seconds(1))                      // B's released LAST-ACK ends in the background
        #expect(net.a.timeWaitCount == 2)
        #expect(net.a.counters.timeWaitEvicted == 1)
        #expect(net.a.connectionCount == 0 && net.b.connectionCount == 0)
    }

    @Test func timeWaitReacknowledgesARetransmittedFin() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        try net.a.close(client)
        net.run(for: .seconds(1)) { net.b.state(server) == .closeWait }
        // B's FIN reaches A, but A's final ACK is lost: B retransmits its FIN, A re-ACKs from TIME-WAIT.
        try net.b.close(server)
        var dropped = false
        net.outputs[0].filter = { seg in
            if !dropped && seg.flags == [.ack] && seg.payload.isEmpty { dropped = true; return false }
            return true
        }
        net.run(for: .seconds(10)) { net.b.state(server) == .closed }
        #expect(dropped)
        #expect(net.a.timeWaitCount == 1)
        #expect(net.b.state(server) == .closed)
        #expect(net.events[1].contains(.closed(server, .normal)))
    }
}
