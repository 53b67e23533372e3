import Bytes
import Services
import Testing
import TestSupport

/// Outgoing connections: doConnect / doConnectFail, and the backend probe example.
@Suite struct OutgoingTests {
    let backend = Endpoint(IPv4Address(10, 0, 0, 9), 6379)

    @Test func connectSuccessThenExchangeThenClose() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let server = bench.transport.serve(at: backend)
        let context = Box<ServiceContext?>(nil)
        let got = Box<[UInt8]>([])
        var b = Behaviour()
        b.initialize = { ctx in context.value = ctx }
        b.connect = { conn in send(conn, bytes("PING\r\n")); return .waitForData }
        b.receive = { conn in
            got.value += drain(conn)
            if conn.peerFinished { conn.close(); return .done }
            return .waitForData
        }
        bench.register(recordedService(port: nil, recorder: rec, b))
        let conn = context.value?.connect(to: backend)
        #expect(conn != nil)
        #expect(conn?.peer == backend)
        #expect(conn?.sendSpace == 0)   // nothing may be sent before the handshake completes
        bench.settle()
        #expect(rec.count(.connect) == 1)
        guard let remote = server.accept() else { Issue.record("no connection reached the server"); return }
        #expect(remote.read() == bytes("PING\r\n"))
        remote.write("+PONG\r\n")
        remote.finish()
        bench.settle()
        #expect(got.value == bytes("+PONG\r\n"))
        #expect(remote.sawFinish)
        #expect(rec.count(.close) == 1)
        #expect(rec.count(.connectFail) == 0)
        #expect(bench.registry.counters.connectsStarted == 1)
        #expect(bench.registry.counters.connectsCompleted == 1)
    }

    @Test func connectFailureGivesConnectFailAndNoClose() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let context = Box<ServiceContext?>(nil)
        var b = Behaviour()
        b.initialize = { ctx in context.value = ctx }
        bench.register(recordedService(port: nil, recorder: rec, b))
        let conn = context.value?.connect(to: backend)
        conn?.userState = Box("mine")
        bench.settle()
        #expect(rec.count(.connectFail) == 1)
        #expect(rec.count(.connect) == 0)
        #expect(rec.count(.close) == 0)
        #expect(bench.registry.counters.connectsFailed == 1)
        #expect(bench.registry.connectionCount == 0)
    }

    @Test func closingBeforeTheHandshakeEndsInConnectFail() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let server = bench.transport.serve(at: backend)
        let context = Box<ServiceContext?>(nil)
        var b = Behaviour()
        b.initialize = { ctx in context.value = ctx }
        bench.register(recordedService(port: nil, recorder: rec, b))
        context.value?.connect(to: backend)?.close()
        bench.settle()
        #expect(rec.count(.connectFail) == 1)
        #expect(rec.count(.connect) == 0)
        #expect(server.accept()?.wasReset == true)
    }

    @Test func aConnectionLostBeforeDoConnectEndsInConnectFail() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let server = bench.transport.serve(at: backend)
        let context = Box<ServiceContext?>(nil)
        var b = Behaviour()
        b.initialize = { ctx in context.value = ctx }
        bench.register(recordedService(port: nil, recorder: rec, b))
        _ = context.value?.connect(to: backend)
        server.accept()?.reset()    // connected and reset, both before the registry polls
        bench.settle()
        #expect(rec.count(.connect) == 0)
        #expect(rec.count(.close) == 0)
        #expect(rec.count(.connectFail) == 1)
        #expect(bench.registry.connectionCount == 0)
    }

    @Test func connectBeyondTheTableIsRefusedAtOnce() {
        let bench = Bench(limits: RegistryLimits(maxConnections: 1))
        let rec = Recorder(clock: bench.clock)
        _ = bench.transport.serve(at: backend)
        let context = Box<ServiceContext?>(nil)
        var b = Behaviour()
        b.initialize = { ctx in context.value = ctx }
        bench.register(recordedService(port: nil, recorder: rec, b))
        #expect(context.value?.connect(to: backend) != nil)
        #expect(context.value?.connect(to: backend) == nil)
        #expect(bench.registry.counters.connectsRefused == 1)
    }

    @Test func connectTheTransportRefusesReturnsNilAndFreesTheSlot() {
        let bench = Bench(limits: RegistryLimits(maxConnections: 1),
                          transportLimits: MemoryTransportLimits(maxStreams: 0))
        let outcomes = Box<[BackendProbe.Outcome]>([])
        let probe = BackendProbe(.init(backend: backend, request: bytes("x\n"))) { outcomes.value.append($0) }
        bench.register(probe.service)
        #expect(outcomes.value == [.connectFailed])
        #expect(bench.registry.counters.connectsRefused == 1)
        #expect(bench.registry.connectionCount == 0)
    }

    @Test func backendProbeReportsTheReplyLine() {
        let bench = Bench()
        let server = bench.transport.serve(at: backend)
        let outcomes = Box<[BackendProbe.Outcome]>([])
        let probe = BackendProbe(.init(backend: backend, request: bytes("PING\r\n"))) { outcomes.value.append($0) }
        bench.register(probe.service)
        bench.settle()
        guard let remote = server.accept() else { Issue.record("probe did not connect"); return }
        #expect(remote.read() == bytes("PING\r\n"))
        remote.write("+PO")
        bench.settle()
        #expect(outcomes.value.isEmpty)
        remote.write("NG\r\nextra")
        bench.settle()
        #expect(outcomes.value == [.reply(bytes("+PONG\r\n"))])
        #expect(remote.sawFinish)
        remote.finish()
        bench.settle()
        #expect(outcomes.value.count == 1)
        #expect(bench.registry.connectionCount == 0)
    }

    @Test func backendProbeReportsFailureTimeoutAndEarlyClose() {
        let bench = Bench()
        let outcomes = Box<[BackendProbe.Outcome]>([])
        let config = BackendProbe.Config(backend: backend, request: bytes("hi\n"), replyTimeout: .seconds(2),
                                         every: .seconds(10))
        let probe = BackendProbe(config) { outcomes.value.append($0) }
        bench.register(probe.service)
        bench.settle()
        #expect(outcomes.value == [.connectFailed])

        // Second probe (t=10s): the server accepts but never answers -> timed out at exactly t=12s.
        let server = bench.transport.serve(at: backend)
        bench.advance(to: Instant(nanoseconds: 10_000_000_000))
        _ = server.accept()
        bench.advance(to: Instant(nanoseconds: 11_999_999_999))
        #expect(outcomes.value.count == 1)
        bench.advance(to: Instant(nanoseconds: 12_000_000_000))
        #expect(outcomes.value == [.connectFailed, .timedOut])

        // Third probe (t=20s): the server closes without a word.
        bench.advance(to: Instant(nanoseconds: 20_000_000_000))
        server.accept()?.finish()
        bench.settle()
        #expect(outcomes.value == [.connectFailed, .timedOut, .closedWithoutReply])
        #expect(probe.probes == 3)
    }

    @Test func backendProbeRefusesAnEndlessLine() {
        let bench = Bench()
        let server = bench.transport.serve(at: backend)
        let outcomes = Box<[BackendProbe.Outcome]>([])
        let probe = BackendProbe(.init(backend: backend, request: bytes("x\n"))) { outcomes.value.append($0) }
        bench.register(probe.service)
        bench.settle()
        guard let remote = server.accept() else { Issue.record("probe did not connect"); return }
        remote.write([UInt8](repeating: 65, count: BackendProbe.maxReply + 1))
        bench.settle()
        #expect(outcomes.value == [.replyTooLong])
        #expect(remote.wasReset)
    }

    @Test func backendProbeSkipsBeatsWhileAProbeIsUnanswered() {
        let bench = Bench()
        let server = bench.transport.serve(at: backend)
        let outcomes = Box<[BackendProbe.Outcome]>([])
        let config = BackendProbe.Config(backend: backend, request: bytes("hi\n"), replyTimeout: .seconds(25),
                                         every: .seconds(10))
        let probe = BackendProbe(config) { outcomes.value.append($0) }
        bench.register(probe.service)
        bench.advance(to: Instant(nanoseconds: 10_000_000_000))
        bench.advance(to: Instant(nanoseconds: 20_000_000_000))
        #expect(probe.probes == 1)
        #expect(probe.skippedBeats == 2)
        server.accept()?.write("hello\n")
        bench.settle()
        #expect(outcomes.value == [.reply(bytes("hello\n"))])
        bench.advance(to: Instant(nanoseconds: 30_000_000_000))
        #expect(probe.probes == 2)
        #expect(probe.replies == 1)
    }
}
