import Bytes
import Services
import Testing
import TestSupport

/// The echo and hello services, over the registry and the memory transport.
@Suite struct BuiltInServiceTests {
    /// 200 clients at once, each sending its own bytes in random fragments, interleaved with the others
    /// and with reads of random sizes through small windows: each gets back exactly what it sent.
    @Test func manyConcurrentEchoClientsEachGetTheirOwnBytes() {
        let bench = Bench(transportLimits: MemoryTransportLimits(bufferCapacity: 97))
        bench.register(EchoService.make(backlog: 256))
        var rng = SplitMix64(seed: 862)
        let clientCount = 200
        let peers = (0..<clientCount).map { _ in bench.open(EchoService.defaultPort) }
        let messages: [[UInt8]] = (0..<clientCount).map { i in
            (0..<(300 + Int(rng.next(below: 400)))).map { _ in UInt8(truncatingIfNeeded: rng.next()) ^ UInt8(i & 0xFF) }
        }
        var sent = [Int](repeating: 0, count: clientCount)
        var received = [[UInt8]](repeating: [], count: clientCount)
        var finished = [Bool](repeating: false, count: clientCount)
        var rounds = 0
        while !(0..<clientCount).allSatisfy({ peers[$0].sawFinish }) && rounds < 10_000 {
            rounds += 1
            for _ in 0..<50 {
                let i = Int(rng.next(below: UInt64(clientCount)))
                if sent[i] < messages[i].count {
                    let n = min(messages[i].count - sent[i], 1 + Int(rng.next(below: 64)))
                    sent[i] += peers[i].write(Array(messages[i][sent[i]..<(sent[i] + n)]))
                } else if !finished[i] {
                    peers[i].finish(); finished[i] = true
                }
                received[i] += peers[i].read(max: 1 + Int(rng.next(below: 128)))
            }
            bench.poll()
        }
        for i in 0..<clientCount { received[i] += peers[i].read() }
        #expect(rounds < 10_000)
        #expect((0..<clientCount).filter { received[$0] != messages[$0] }.isEmpty)
        bench.settle()
        #expect(bench.registry.counters.accepted == UInt64(clientCount))
        #expect(bench.registry.counters.normalCloses == UInt64(clientCount))
        #expect(bench.registry.connectionCount == 0)
    }

    @Test func echoClientThatSendsNothingIsClosedByTheTimeout() {
        let bench = Bench()
        bench.register(EchoService.make(receiveTimeout: .seconds(3)))
        let idle = bench.open(EchoService.defaultPort)
        bench.settle()
        bench.advance(to: Instant(nanoseconds: 2_999_999_999))
        #expect(!idle.sawFinish)
        bench.advance(to: Instant(nanoseconds: 3_000_000_000))
        #expect(idle.sawFinish)
        #expect(bench.registry.counters.timeouts == 1)
    }

    @Test func echoClientThatDoesNotReadIsNotReadEither() {
        let bench = Bench(transportLimits: MemoryTransportLimits(bufferCapacity: 32))
        bench.register(EchoService.make())
        let peer = bench.open(EchoService.defaultPort)
        bench.settle()
        // Fill both directions: the echo stops reading when it cannot send.
        var accepted = 0
        for _ in 0..<10 {
            accepted += peer.write([UInt8](repeating: 0x41, count: 32))
            bench.settle()
        }
        #expect(accepted == 64)
        #expect(peer.unread == 32)
        #expect(peer.read() == [UInt8](repeating: 0x41, count: 32))
        bench.settle()
        #expect(peer.read() == [UInt8](repeating: 0x41, count: 32))
    }
}
