import Bytes
import Services
import Testing
import TestSupport

/// Every limit reached gives its defined behaviour and a counter.
@Suite struct LimitTests {
    @Test func connectionToAPortNobodyListensOnIsRefused() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        #expect(throws: MemoryOpenError.refused) { _ = try bench.transport.open(port: 9001) }
        #expect(bench.transport.counters.refusedNoListener == 1)
        bench.settle()
        #expect(rec.count(.accept) == 0)
    }

    @Test func backlogFullRefusesUntilTheServiceAccepts() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, backlog: 2, recorder: rec))
        _ = bench.open(9000)
        _ = bench.open(9000)
        #expect(throws: MemoryOpenError.backlogFull) { _ = try bench.transport.open(port: 9000) }
        #expect(bench.transport.counters.refusedBacklogFull == 1)
        bench.poll()
        #expect(rec.count(.accept) == 2)
        _ = bench.open(9000)
        bench.poll()
        #expect(rec.count(.accept) == 3)
    }

    @Test func aConnectionResetWhileWaitingFreesItsBacklogPlace() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, backlog: 1, recorder: rec))
        bench.open(9000).reset()
        let second = bench.open(9000)
        bench.settle()
        #expect(rec.count(.accept) == 1)
        #expect(rec.connections.first?.peer == second.endpoint)
    }

    @Test func listenFailuresAreReportedToTheService() {
        let bench = Bench()
        let results = Box<[Bool]>([])
        func service(_ port: UInt16, backlog: Int) -> NetworkService {
            NetworkService(name: "l", doInit: { ctx in results.value.append(ctx.listen(port: port, backlog: backlog)) },
                           doReceive: { _ in .waitForData })
        }
        bench.register(service(80, backlog: 4))
        bench.register(service(80, backlog: 4))     // port taken
        bench.register(service(81, backlog: 0))     // invalid backlog
        bench.register(service(0, backlog: 4))      // invalid port
        #expect(results.value == [true, false, false, false])
        #expect(bench.registry.counters.listenFailures == 3)
    }

    @Test func connectionTableFullResetsTheNewcomerAndTellsTheService() {
        let bench = Bench(limits: RegistryLimits(maxConnections: 2))
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        let peers = (0..<3).map { _ in bench.open(9000) }
        bench.settle()
        #expect(rec.count(.accept) == 2)
        #expect(!peers[0].wasReset && !peers[1].wasReset)
        #expect(peers[2].wasReset)
        #expect(rec.errors == [.connectionTableFull(port: 9000)])
        #expect(bench.registry.counters.refused == 1)

        // Room again once a connection is gone.
        peers[0].reset()
        bench.settle()
        _ = bench.open(9000)
        bench.settle()
        #expect(rec.count(.accept) == 3)
    }

    @Test func serviceTableFull() {
        let bench = Bench(limits: RegistryLimits(maxServices: 1))
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 1, recorder: rec))
        #expect(throws: RegistryError.serviceTableFull) {
            try bench.registry.register(recordedService(port: 2, recorder: rec), now: bench.clock.now())
        }
    }

    @Test func streamTableFullInTheTransport() {
        let bench = Bench(transportLimits: MemoryTransportLimits(maxStreams: 1))
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        _ = bench.open(9000)
        #expect(throws: MemoryOpenError.streamTableFull) { _ = try bench.transport.open(port: 9000) }
        #expect(bench.transport.counters.refusedStreamTableFull == 1)
    }

    @Test func peerBytesBeyondTheWindowAreNotTaken() {
        let bench = Bench(transportLimits: MemoryTransportLimits(bufferCapacity: 10))
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.receive = { _ in .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        #expect(peer.write([UInt8](repeating: 7, count: 25)) == 10)
        #expect(peer.write([1]) == 0)
    }
}

/// A context that only listens (as older test doubles do) still satisfies the contract.
@Suite struct ContextDefaultTests {
    final class ListenOnly: ServiceContext {
        var now: Instant { .zero }
        func listen(port: UInt16, backlog: Int) -> Bool { true }
    }

    @Test func listenOnlyContextRefusesConnectsAndIgnoresBeats() {
        let context = ListenOnly()
        context.beat(every: .seconds(1))
        #expect(context.connect(to: Endpoint(IPv4Address(10, 0, 0, 9), 7)) == nil)
    }
}

@Suite struct CounterLineTests {
    @Test func countersRenderOneLinePerCounter() {
        let bench = Bench()
        bench.register(EchoService.make())
        let peer = bench.open(EchoService.defaultPort)
        bench.poll()
        peer.reset()
        bench.settle()
        let lines = bench.registry.counters.metrics.lines
        #expect(lines.contains("services.accepted 1"))
        #expect(lines.contains("services.resets 1"))
        #expect(lines.contains("services.callbacks.close 1"))
        let names = lines.map { $0.split(separator: " ")[0] }
        #expect(Set(names).count == names.count)
        #expect(names.count == 29)
    }
}
