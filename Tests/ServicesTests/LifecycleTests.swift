import Bytes
import Services
import Testing
import TestSupport

/// Accept, receive, close in both orders, resets, aborts: the life of one connection.
@Suite struct LifecycleTests {
    @Test func acceptsAndReceivesInFragments() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let got = Box<[UInt8]>([])
        var b = Behaviour()
        b.receive = { conn in got.value += drain(conn); return .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))

        let peer = bench.open(9000)
        bench.poll()
        #expect(rec.count(.accept) == 1)
        #expect(rec.count(.receive) == 0)
        #expect(rec.connections.first?.peer == peer.endpoint)
        #expect(rec.connections.first?.local == Endpoint(bench.transport.address, 9000))

        for fragment in ["GET ", "/ HT", "TP/1", ".0\r\n"] {
            peer.write(fragment)
            bench.poll()
        }
        #expect(got.value == bytes("GET / HTTP/1.0\r\n"))
        #expect(rec.count(.receive) == 4)
        #expect(bench.registry.counters.accepted == 1)
    }

    @Test func manyEdgesBeforeAPollCostOneCallback() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        let peer = bench.open(9000)
        bench.poll()
        for _ in 0..<50 { peer.write("x") }
        bench.poll()
        #expect(rec.count(.receive) == 1)
    }

    @Test func bytesAndFinishBeforeAcceptAreDelivered() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let got = Box<[UInt8]>([])
        let sawFinish = Box(false)
        var b = Behaviour()
        b.receive = { conn in
            got.value += drain(conn)
            sawFinish.value = conn.peerFinished
            conn.close()
            return .done
        }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        peer.write("early")
        peer.finish()
        bench.settle()
        #expect(got.value == bytes("early"))
        #expect(sawFinish.value)
        #expect(peer.sawFinish)
        #expect(rec.count(.close) == 1)
    }

    @Test func serviceClosesFirstThenPeer() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.receive = { conn in
            _ = drain(conn)
            send(conn, bytes("bye"))
            conn.close()
            return .done
        }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        peer.write("hi")
        bench.settle()
        #expect(peer.read() == bytes("bye"))
        #expect(peer.sawFinish)
        // Half-closed: the transport has not finished the stream, so no doClose yet.
        #expect(rec.count(.close) == 0)
        #expect(bench.registry.connectionCount == 1)

        peer.finish()
        bench.settle()
        #expect(rec.count(.close) == 1)
        #expect(bench.registry.counters.normalCloses == 1)
        #expect(bench.registry.connectionCount == 0)
        #expect(bench.transport.streamCount == 0)
    }

    @Test func peerClosesFirstThenService() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        let finishedSeen = Box(0)
        var b = Behaviour()
        b.receive = { conn in
            let data = drain(conn)
            if conn.peerFinished {
                finishedSeen.value += 1
                send(conn, data.reversed())     // a service may still answer after the peer's FIN
                conn.close()
                return .done
            }
            return .waitForData
        }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        peer.write("abc")
        peer.finish()
        bench.settle()
        #expect(finishedSeen.value == 1)
        #expect(peer.read() == bytes("cba"))
        #expect(peer.sawFinish)
        #expect(rec.count(.close) == 1)
        #expect(bench.registry.counters.normalCloses == 1)
        #expect(bench.registry.connectionCount == 0)
    }

    @Test func peerResetEndsTheConnection() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.receive = { _ in .waitForData }   // leaves the bytes unread
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.poll()
        peer.write("data that will be discarded")
        peer.reset()
        bench.settle()
        #expect(rec.count(.close) == 1)
        #expect(rec.count(.receive) == 0)
        #expect(bench.registry.counters.resets == 1)
        #expect(bench.registry.connectionCount == 0)
        // The connection object the service still holds is inert.
        let conn = rec.connections[0]
        #expect(conn.available == 0)
        #expect(send(conn, [1, 2, 3]) == 0)
        #expect(conn.peerFinished)
    }

    @Test func resetBeforeAcceptIsNeverSeen() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        let peer = bench.open(9000)
        peer.reset()
        bench.settle()
        #expect(rec.count(.accept) == 0)
        #expect(bench.registry.connectionCount == 0)
    }

    @Test func serviceAbortResetsThePeer() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.receive = { conn in
            send(conn, bytes("never delivered"))
            conn.abort()
            return .done
        }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        peer.write("x")
        bench.settle()
        #expect(peer.wasReset)
        #expect(peer.read().isEmpty)
        #expect(rec.count(.close) == 1)
        #expect(bench.registry.counters.aborts == 1)
        #expect(bench.registry.connectionCount == 0)
        #expect(bench.transport.streamCount == 0)
    }

    @Test func transportTimeoutIsAClose() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        let peer = bench.open(9000)
        bench.poll()
        peer.vanish()
        bench.settle()
        #expect(rec.count(.close) == 1)
        #expect(bench.registry.counters.transportTimeouts == 1)
    }

    @Test func doneWithoutCloseIsClosedInOrder() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in send(conn, bytes("greeting\n")); return .done }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.settle()
        #expect(peer.read() == bytes("greeting\n"))
        #expect(peer.sawFinish)
        #expect(!peer.wasReset)
    }

    @Test func shortSendGetsSendSpaceWhenThePeerReads() {
        let bench = Bench(transportLimits: MemoryTransportLimits(bufferCapacity: 8))
        let rec = Recorder(clock: bench.clock)
        let message = bytes("0123456789abcdefghij")
        let sent = Box(0)
        func push(_ conn: any Connection) {
            sent.value += message.withByteView { v in v.suffix(from: sent.value).map { conn.send($0) } ?? 0 }
            if sent.value == message.count { conn.close() }
        }
        var b = Behaviour()
        b.accept = { conn in push(conn); return .waitForData }
        b.sendSpace = { conn in push(conn) }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.settle()
        #expect(sent.value == 8)
        var got: [UInt8] = []
        while !peer.sawFinish && got.count <= message.count {
            got += peer.read(max: 5)
            bench.settle()
        }
        #expect(got == message)
        #expect(rec.count(.sendSpace) >= 2)
    }

    @Test func writableWithoutAShortSendIsNotDelivered() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in send(conn, bytes("fits")); return .waitForData }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        bench.settle()
        #expect(peer.read() == bytes("fits"))
        bench.settle()
        #expect(rec.count(.sendSpace) == 0)
    }

    @Test func perConnectionUserStateIsKeptAndDroppedAfterClose() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.accept = { conn in conn.userState = Box(0); return .waitForData }
        b.receive = { conn in
            if let box = conn.userState as? Box<Int> { box.value += drain(conn).count }
            return .waitForData
        }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let a = bench.open(9000), c = bench.open(9000)
        bench.poll()
        a.write("12345"); c.write("1")
        bench.settle()
        a.write("67")
        bench.settle()
        let counts = rec.connections.map { ($0.userState as? Box<Int>)?.value ?? -1 }
        #expect(counts == [7, 1])
        a.reset()
        bench.settle()
        #expect(rec.connections[0].userState == nil)
        #expect(rec.connections[1].userState != nil)
    }

    @Test func abortAfterCloseInOneCallbackIsOneAbort() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        var b = Behaviour()
        b.receive = { conn in conn.close(); conn.abort(); conn.close(); return .done }
        bench.register(recordedService(port: 9000, recorder: rec, b))
        let peer = bench.open(9000)
        peer.write("x")
        bench.settle()
        #expect(peer.wasReset)
        #expect(rec.count(.close) == 1)
        #expect(bench.registry.counters.aborts == 1)
    }

    @Test func closeFromOutsideACallbackTakesEffectAtOnce() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        let peer = bench.open(9000)
        bench.poll()
        rec.connections[0].close()
        #expect(peer.sawFinish)
        peer.finish()
        bench.settle()
        #expect(rec.count(.close) == 1)
    }
}
