import Testing
import Bytes
import TestSupport
@testable import TCP

@Suite struct HandshakeTests {
    @Test func activeAndPassiveOpen() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        #expect(net.a.state(client) == .established)
        #expect(net.b.state(server) == .established)
        #expect(net.events[0].contains(.connected(client)))
        #expect(net.b.remoteEndpoint(server) == net.a.localEndpoint(client))
        // The SYN offered every option; the SYN-ACK answered them.
        let syn = net.sent(by: 0)[0]
        #expect(syn.flags == [.syn] && syn.mss == 1460 && syn.windowScale == 1 && syn.sackPermitted && syn.timestamp != nil)
        let synAck = net.sent(by: 1)[0]
        #expect(synAck.flags == [.syn, .ack] && synAck.ack == syn.seq + 1 && synAck.sackPermitted)
    }

    @Test func bothDirectionsCarryData() throws {
        let net = TwoHosts()
        let (client, server) = try net.establish()
        #expect(try net.a.send(client, Array("GET / HTTP/1.1\r\n\r\n".utf8)) == 18)
        #expect(try net.b.send(server, Array("HTTP/1.1 200 OK\r\n\r\n".utf8)) == 19)
        var atServer: [UInt8] = [], atClient: [UInt8] = []
        net.run(for: .seconds(5)) {
            atServer += (try? net.b.readAll(server)) ?? []
            atClient += (try? net.a.readAll(client)) ?? []
            return atServer.count == 18 && atClient.count == 19
        }
        #expect(String(decoding: atServer, as: UTF8.self) == "GET / HTTP/1.1\r\n\r\n")
        #expect(String(decoding: atClient, as: UTF8.self) == "HTTP/1.1 200 OK\r\n\r\n")
        #expect(net.events[1].contains(.readable(server)))
        #expect(net.events[0].contains(.readable(client)))
    }

    @Test func initialSequenceNumbersAreKeyedAndMove() throws {
        let secrets = ConnectionSecrets(seed: 42)
        let k1 = ConnectionKey(local: Endpoint(IPAddress(IPv4Address(10, 0, 0, 1)), 1000), remote: Endpoint(IPAddress(IPv4Address(10, 0, 0, 2)), 80))
        let k2 = ConnectionKey(local: Endpoint(IPAddress(IPv4Address(10, 0, 0, 1)), 1001), remote: Endpoint(IPAddress(IPv4Address(10, 0, 0, 2)), 80))
        let t = Instant(nanoseconds: 1_000_000)
        let a = secrets.numbers(for: k1, now: t).iss
        #expect(a == secrets.numbers(for: k1, now: t).iss)          // a function of tuple and clock
        #expect(a != secrets.numbers(for: k2, now: t).iss)          // differs per 4-tuple
        let later = secrets.numbers(for: k1, now: t + .milliseconds(4)).iss
        #expect(a.distance(to: later) == 1000)                           // the 4 us clock moves it
        #expect(a != ConnectionSecrets(seed: 43).numbers(for: k1, now: t).iss)   // keyed by the seed
        // Two connections to the same server get different ISNs on the wire.
        let net = TwoHosts()
        _ = try net.b.listen(port: 80, backlog: 4)
        _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        _ = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 80), now: net.now)
        net.a.emit(now: net.now)
        let syns = net.sent(by: 0).filter { $0.flags.contains(.syn) }
        #expect(syns.count == 2 && syns[0].seq != syns[1].seq)
    }
}

@Suite struct SocketOperationTests {
    @Test func handshakeTheOtherWayRound() throws {
        let net = TwoHosts()
        let listener = try net.a.listen(port: 443, backlog: 1)
        let client = try net.b.connect(from: net.addresses[1], to: Endpoint(net.addresses[0], 443), now: net.now)
        var server: TCPHandle? = nil
        net.run(for: .seconds(1)) { server = server ?? (try? net.a.accept(listener)) ?? nil; return server != nil }
        #expect(net.a.state(server!) == .established && net.b.state(client) == .established)
        #expect(net.a.localEndpoint(server!) == Endpoint(net.addresses[0], 443))
        #expect(net.a.state(listener) == .listen)
        #expect(throws: TCPError.portInUse) { _ = try net.a.listen(port: 443, backlog: 1) }
        #expect(throws: TCPError.invalidPort) { _ = try net.a.listen(port: 0, backlog: 1) }
    }

    @Test func peekAvailableAndUnacknowledged() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(5)))
        let (client, server) = try net.establish()
        _ = try net.a.send(client, Array("abcdef".utf8))
        #expect(net.a.unacknowledged(client) == 6)
        net.run(for: .seconds(1)) { net.a.unacknowledged(client) == 0 }
        #expect(net.b.available(server) == 6)
        var buffer = [UInt8](repeating: 0, count: 4)
        var failure: TCPError? = nil
        let peeked = buffer.withMutableByteView { view -> Int in
            do throws(TCPError) { return try net.b.peek(server, into: view) } catch { failure = error; return 0 }
        }
        #expect(failure == nil && peeked == 4 && buffer == Array("abcd".utf8))
        #expect(net.b.available(server) == 6)                   // peeking consumes nothing
        #expect(try net.b.readAll(server) == Array("abcdef".utf8))
        #expect(net.b.available(server) == 0)
    }
}
