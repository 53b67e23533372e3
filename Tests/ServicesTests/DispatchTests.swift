import Bytes
import Services
import Testing
import TestSupport

/// Fairness, revisits, re-entrancy, and the exactly-once final callback.
@Suite struct DispatchTests {
    @Test func aServiceThatNeverReadsDoesNotStarveAnother() {
        let bench = Bench(limits: RegistryLimits(callbacksPerServicePerPoll: 16))
        let stuck = Recorder(clock: bench.clock)
        var never = Behaviour()
        never.accept = { conn in conn.receiveTimeout = .seconds(5); return .waitForData }
        never.receive = { _ in .waitForData }
        bench.register(recordedService(name: "stuck", port: 1000, backlog: 1000, recorder: stuck, never))
        bench.register(EchoService.make())

        let flood = (0..<300).map { _ in bench.open(1000) }
        let client = bench.open(EchoService.defaultPort)
        for peer in flood { peer.write("junk") }
        client.write("ping")
        bench.poll()
        // Within the very first poll the echo client was served, while the stuck service was held to
        // its budget.
        #expect(stuck.entries.count == 16)
        #expect(bench.registry.nextDeadline() == .zero)   // held-back work: run again at once
        bench.poll()
        #expect(client.read() == bytes("ping"))

        // Polls later everyone has been accepted, and the stuck service's connections time out and close.
        bench.settle()
        #expect(stuck.count(.accept) == 300)
        #expect(bench.registry.counters.budgetExhausted > 0)
        bench.advance(by: .seconds(5))
        #expect(stuck.count(.timeout) == 300)
        #expect(flood.allSatisfy { $0.sawFinish })
        client.write("still served")
        bench.settle()
        #expect(client.read() == bytes("still served"))
    }

    @Test func unreadDataIsRevisitedOnTheNextPollNotInALoop() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let got = Box<[UInt8]>([])
        var b = Behaviour()
        b.receive = { conn in got.value += read(conn, upTo: 1); return .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        peer.write("abcde")
        for polls in 1...5 {
            bench.poll()
            #expect(rec.count(.receive) == polls)
            #expect(got.value.count == polls)
            // Bytes remain, so the registry wants to run again at once.
            if polls < 5 { #expect(bench.registry.nextDeadline() <= bench.clock.now()) }
        }
        #expect(got.value == bytes("abcde"))
        bench.poll()
        #expect(rec.count(.receive) == 5)
        #expect(bench.registry.nextDeadline() > bench.clock.now())
    }

    @Test func aServiceThatReadsTheLastByteGetsATurnToSeeTheEnd() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        // Checks for the end only before reading, never after: it needs one more turn.
        b.receive = { conn in
            if conn.available == 0 && conn.peerFinished { conn.close(); return .done }
            _ = read(conn, upTo: 1)
            return .waitForData
        }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        peer.write("abc")
        peer.finish()
        bench.settle()
        #expect(peer.sawFinish)
        #expect(rec.count(.receive) == 4)
        #expect(rec.count(.close) == 1)
    }

    @Test func aCallbackThatReadsNothingWaitsForTheNextEdge() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.receive = { _ in .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        peer.write("x")
        for _ in 0..<10 { bench.poll() }
        #expect(rec.count(.receive) == 1)
        #expect(bench.registry.nextDeadline() > bench.clock.now())
        peer.write("y")
        bench.poll()
        #expect(rec.count(.receive) == 2)
    }

    @Test func servicesTakeTurnsWithinAPoll() {
        let bench = Bench(limits: RegistryLimits(callbacksPerServicePerPoll: 1000))
        let order = Box<[String]>([])
        func service(_ name: String, port: UInt16) -> NetworkService {
            NetworkService(name: name, doInit: { _ = $0.listen(port: port, backlog: 100) },
                           doAccept: { _ in order.value.append(name); return .waitForData },
                           doReceive: { _ in .waitForData })
        }
        bench.register(service("a", port: 1))
        bench.register(service("b", port: 2))
        for _ in 0..<3 { _ = bench.open(1) }
        for _ in 0..<3 { _ = bench.open(2) }
        bench.poll()
        #expect(order.value == ["a", "b", "a", "b", "a", "b"])
    }

    @Test func callbacksAreNeverReentered() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let peers = Box<[MemoryPeer]>([])
        let observations = Box<[String]>([])
        var b = Behaviour()
        b.receive = { conn in
            _ = drain(conn)
            // Everything a callback might do to provoke re-entry.
            bench.registry.poll(now: bench.clock.now())
            let refused: Bool
            do throws(RegistryError) { try bench.registry.register(recordedService(port: 2, recorder: rec), now: .zero); refused = false }
            catch { refused = error == .insideCallback }
            conn.close()
            // The close takes effect only after this callback returns.
            let peer = peers.value.first { $0.endpoint == conn.peer }
            observations.value.append("refused=\(refused) finishedYet=\(peer?.sawFinish == true) send=\(send(conn, [1]))")
            for other in rec.connections where other !== conn { other.abort() }
            return .done
        }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        peers.value = [bench.open(9000), bench.open(9000)]
        bench.poll()
        peers.value[0].write("go")
        bench.settle()
        #expect(rec.maxDepth == 1)
        #expect(observations.value == ["refused=true finishedYet=false send=0"])
        #expect(peers.value[0].sawFinish)
        #expect(peers.value[1].wasReset)
        #expect(bench.registry.counters.reentryRefused == 2)
    }

    /// Random peers and a random service, many connections, a seeded schedule: every accepted connection
    /// gets exactly one doClose, nothing after it, and the registry ends empty.
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func everyAcceptedConnectionIsClosedExactlyOnce(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let bench = Bench(limits: RegistryLimits(maxConnections: 40, callbacksPerServicePerPoll: 8,
                                                 closeLinger: .seconds(3)),
                          transportLimits: MemoryTransportLimits(bufferCapacity: 64))
        let rec = Recorder(clock: bench.clock)
        let choices = Box(SplitMix64(seed: seed &+ 100))
        func roll(_ n: UInt64) -> UInt64 { choices.value.next(below: n) }
        var b = Behaviour()
        b.accept = { conn in conn.receiveTimeout = .seconds(1 + roll(3)); return .waitForData }
        b.receive = { conn in
            switch roll(6) {
            case 0: conn.close(); return .done
            case 1: conn.abort(); return .done
            case 2: return .waitForData
            default:
                _ = EchoRoundTrip.pump(conn)
                return .waitForData
            }
        }
        b.timeout = { conn in if roll(2) == 0 { conn.close() } }
        bench.register(recordedService(port: 9000, backlog: 64, recorder: rec, b))

        var peers: [MemoryPeer] = []
        func anyPeer() -> MemoryPeer? { peers.isEmpty ? nil : peers[Int(rng.next(below: UInt64(peers.count)))] }
        for _ in 0..<400 {
            switch rng.next(below: 8) {
            case 0, 1: if let p = try? bench.transport.open(port: 9000) { peers.append(p) }
            case 2, 3: anyPeer()?.write([UInt8](repeating: 1, count: Int(rng.next(below: 100))))
            case 4: _ = anyPeer()?.read(max: Int(rng.next(below: 100)))
            case 5: anyPeer()?.finish()
            case 6: if rng.next(below: 3) == 0 { anyPeer()?.reset() }
            default: bench.clock.advance(by: .milliseconds(rng.next(below: 700)))
            }
            bench.poll()
        }
        // Wind down: every peer finishes, time runs past every timeout and linger.
        for p in peers { p.finish(); _ = p.read() }
        for _ in 0..<20 { bench.advance(by: .seconds(1)) }

        #expect(rec.connections.count == rec.count(.accept))
        #expect(rec.connections.allSatisfy { rec.finalCount($0) == 1 })
        #expect(rec.count(.close) == rec.count(.accept))
        #expect(rec.callbacksAfterFinal == 0)
        #expect(rec.maxDepth == 1)
        #expect(bench.registry.connectionCount == 0)
        #expect(bench.transport.streamCount == 0)
        #expect(rec.count(.accept) > 20)
    }
}

/// The echo pump, reused by tests that need a service that moves bytes.
enum EchoRoundTrip {
    static func pump(_ conn: any Connection) -> Int {
        let n = min(conn.available, conn.sendSpace)
        guard n > 0 else { return 0 }
        let data = read(conn, upTo: n)
        return send(conn, data)
    }
}
