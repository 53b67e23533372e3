import Testing
import Bytes
import TestSupport
@testable import TCP

@Suite struct SynCookieTests {
    let key = ConnectionKey(local: Endpoint(IPAddress(IPv4Address(10, 0, 0, 2)), 80), remote: Endpoint(IPAddress(IPv4Address(10, 0, 0, 1)), 40_000))
    let cookies = SynCookies(hash: SipHash24(key0: 1, key1: 2))
    let isn = SequenceNumber(0x1234_5678)
    let start = Instant.zero + .seconds(1_000)

    @Test func aCookieNamesTheMSSRoundedDownAndIsGoodForTwoTicks() {
        for (offered, named) in [(1460, 1460), (1459, 1452), (1400, 1400), (9000, 1460), (536, 536), (100, 536)] {
            let cookie = cookies.make(for: key, clientISN: isn, peerMSS: offered, now: start)
            #expect(cookies.check(cookie, for: key, clientISN: isn, now: start) == named)
        }
        let cookie = cookies.make(for: key, clientISN: isn, peerMSS: 1460, now: start)
        #expect(cookies.check(cookie, for: key, clientISN: isn, now: start + SynCookies.tick) == 1460)
        #expect(cookies.check(cookie, for: key, clientISN: isn, now: start + SynCookies.tick * 2) == nil)
    }

    @Test func aCookieIsBoundToItsTupleAndClientISN() {
        let cookie = cookies.make(for: key, clientISN: isn, peerMSS: 1460, now: start)
        var other = key
        other.remote.port += 1
        #expect(cookies.check(cookie, for: other, clientISN: isn, now: start) == nil)
        #expect(cookies.check(cookie, for: key, clientISN: isn + 1, now: start) == nil)
        #expect(cookies.check(cookie + 1, for: key, clientISN: isn, now: start) == nil)
        let otherSecret = SynCookies(hash: SipHash24(key0: 1, key1: 3))
        #expect(otherSecret.check(cookie, for: key, clientISN: isn, now: start) == nil)
    }

    /// Fills B's listener with half-open connections from spoofed addresses whose SYN-ACKs go nowhere.
    func fillBacklog(_ net: TwoHosts, _ count: Int) {
        for i in 0..<count {
            let source = IPAddress(IPv4Address(192, 0, 2, UInt8(1 + i)))
            let syn = OutgoingSegment(sourcePort: UInt16(10_000 + i), destinationPort: 80, seq: SequenceNumber(UInt32(i) &* 7919),
                                      ack: SequenceNumber(0), flags: [.syn], window: 1000)
            Wire.craft(syn, source: source, destination: net.addresses[1]).withByteView {
                net.b.receive(source: source, destination: net.addresses[1], segment: $0, now: net.now)
            }
        }
        net.b.emit(now: net.now)                                 // the main loop's emit pass
        _ = net.link.arrivals(upTo: .never)
    }

    @Test func aClientGetsInThroughACookieWhileTheBacklogIsFullOfHalfOpenConnections() throws {
        let net = TwoHosts()
        let listener = try net.b.listen(port: 80, backlog: 4)
        fillBacklog(net, 4)
        let client = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        var server: TCPHandle?
        net.run(for: .milliseconds(200)) {
            if server == nil { server = try? net.b.accept(listener) ?? nil }
            return server != nil
        }
        let handle = try #require(server)
        #expect(net.a.state(client) == .established && net.b.state(handle) == .established)
        #expect(net.b.counters.backlogFull == 1 && net.b.counters.synCookiesSent == 1)
        #expect(net.b.counters.synCookiesAccepted == 1 && net.b.counters.resetsSent == 0)
        #expect(net.b.listener(listener)!.halfOpen == 4)            // the spoofed ones are still there
        // Only the MSS survived the round trip.
        let connection = try #require(net.b.connection(handle))
        #expect(connection.options.peerMSS == 1460 && !connection.options.windowScaling)
        #expect(!connection.options.timestamps && !connection.options.sack)
        // The SYN-ACK offered no options but the MSS, so the client scales nothing either.
        #expect(net.a.connection(client)?.options.windowScaling == false)
        // Data flows both ways, more than one unscaled window's worth.
        let request = pattern(100_000, seed: 3)
        var sent = 0, got: [UInt8] = []
        net.run(for: .seconds(10)) {
            if sent < request.count { sent += (try? net.a.send(client, Array(request[sent...]))) ?? 0 }
            got += (try? net.b.readAll(handle)) ?? []
            return got.count == request.count
        }
        #expect(got == request)
        _ = try net.b.send(handle, Array("reply".utf8))
        net.run(for: .milliseconds(200)) { net.a.available(client) == 5 }
        #expect(try net.a.readAll(client) == Array("reply".utf8))
    }

    @Test func anACKWithAForgedCookieIsResetAndMakesNothing() throws {
        let net = TwoHosts()
        _ = try net.b.listen(port: 80, backlog: 2)
        fillBacklog(net, 2)
        let syn = OutgoingSegment(sourcePort: 40_000, destinationPort: 80, seq: SequenceNumber(5000), ack: SequenceNumber(0),
                                  flags: [.syn], window: 1000)
        net.inject(syn, from: 0)
        #expect(net.b.counters.synCookiesSent == 1)
        let synAck = try #require(net.sent(by: 1).last)
        #expect(synAck.flags == [.syn, .ack] && synAck.mss == 1460 && synAck.windowScale == nil)
        #expect(synAck.timestamp == nil && !synAck.sackPermitted)
        var ack = OutgoingSegment(sourcePort: 40_000, destinationPort: 80, seq: SequenceNumber(5001),
                                  ack: synAck.seq + 2, flags: [.ack], window: 1000)
        net.inject(ack, from: 0)                                             // one off: not the cookie
        #expect(net.b.counters.listenerBadSegment == 1 && net.b.counters.resetsSent == 1)
        ack.ack = synAck.seq + 1
        ack.seq = SequenceNumber(5002)                                       // a different client ISN
        net.inject(ack, from: 0)
        #expect(net.b.counters.listenerBadSegment == 2 && net.b.connectionCount == 2)
        ack.seq = SequenceNumber(5001)                                       // the real answer
        net.inject(ack, from: 0)
        #expect(net.b.counters.synCookiesAccepted == 1 && net.b.connectionCount == 3)
    }

    @Test func cookiesAreCheckedOnlyWhileSomeAreOut() throws {
        let net = TwoHosts()
        _ = try net.b.listen(port: 80, backlog: 2)
        fillBacklog(net, 2)
        net.inject(OutgoingSegment(sourcePort: 40_000, destinationPort: 80, seq: SequenceNumber(5000),
                                   ack: SequenceNumber(0), flags: [.syn], window: 1000), from: 0)
        let synAck = try #require(net.sent(by: 1).last)
        net.clock.advance(by: SynCookies.lifetime)
        net.inject(OutgoingSegment(sourcePort: 40_000, destinationPort: 80, seq: SequenceNumber(5001),
                                   ack: synAck.seq + 1, flags: [.ack], window: 1000), from: 0)
        #expect(net.b.counters.synCookiesAccepted == 0 && net.b.counters.listenerBadSegment == 1)
    }

    @Test func aCookieAnswerThatFindsNoRoomIsDroppedAndItsRetransmissionGetsIn() throws {
        var limit = true
        let net = TwoHosts { config, side in if side == 1 { config.maximumConnections = 3 } }
        net.b.memoryPressure = { limit }
        _ = try net.b.listen(port: 80, backlog: 2)
        limit = false
        fillBacklog(net, 2)
        let syn = OutgoingSegment(sourcePort: 40_000, destinationPort: 80, seq: SequenceNumber(7000),
                                  ack: SequenceNumber(0), flags: [.syn], window: 1000)
        net.inject(syn, from: 0)
        let synAck = try #require(net.sent(by: 1).last)
        limit = true
        let request = OutgoingSegment(sourcePort: 40_000, destinationPort: 80, seq: SequenceNumber(7001),
                                      ack: synAck.seq + 1, flags: [.ack, .psh], window: 1000)
        net.inject(request, payload: Array("GET /".utf8), from: 0)
        #expect(net.b.counters.synCookiesDropped == 1 && net.b.connectionCount == 2)
        #expect(net.b.counters.resetsSent == 0)                               // silent: the client retries
        limit = false
        net.clock.advance(by: .seconds(1))
        net.inject(request, payload: Array("GET /".utf8), from: 0)           // its retransmission
        #expect(net.b.counters.synCookiesAccepted == 1 && net.b.connectionCount == 3)
        let made = try #require(net.b.connections[ConnectionKey(local: Endpoint(net.addresses[1], 80),
                                                                remote: Endpoint(net.addresses[0], 40_000))])
        guard case .connection(let connection) = net.b.slots[made].entry else { Issue.record("no connection"); return }
        #expect(connection.state == .established && connection.available == 5)
    }

    @Test func withCookiesOffAFullBacklogDropsTheSyn() throws {
        let net = TwoHosts { config, _ in config.synCookies = false }
        _ = try net.b.listen(port: 80, backlog: 2)
        fillBacklog(net, 2)
        let before = net.sent(by: 1).count
        net.inject(OutgoingSegment(sourcePort: 40_000, destinationPort: 80, seq: SequenceNumber(5000),
                                   ack: SequenceNumber(0), flags: [.syn], window: 1000), from: 0)
        #expect(net.sent(by: 1).count == before)
        #expect(net.b.counters.backlogFull == 1 && net.b.counters.synCookiesSent == 0)
    }
}
