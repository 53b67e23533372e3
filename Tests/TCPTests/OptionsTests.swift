import Testing
import Bytes
import TestSupport
@testable import TCP

@Suite struct OptionsTests {
    @Test func windowScalingLetsMoreThan64KiBFly() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(50))) { config, _ in
            config.receiveBufferSize = 256 * 1024
            config.sendBufferSize = 256 * 1024
            config.maximumMemory = 4 * 1024 * 1024
        }
        let (client, server) = try net.establish()
        #expect(net.sent(by: 0)[0].windowScale == 3)            // 256 KiB >> 3 fits 16 bits
        let a = net.a.connection(client)!
        #expect(a.snd.scale == 3 && a.rcv.scale == 3)
        let data = pattern(1 << 20, seed: 11)
        var sent = 0, got: [UInt8] = []
        var mostInFlight = 0
        net.run(for: .seconds(60)) {
            if sent < data.count { sent += data[sent...].withContiguousStorageIfAvailable { (try? net.a.send(client, ByteView(UnsafeRawBufferPointer($0)))) ?? 0 } ?? 0 }
            mostInFlight = max(mostInFlight, a.snd.max - a.snd.una)
            got += (try? net.b.readAll(server)) ?? []
            return got.count == data.count
        }
        #expect(got == data)
        #expect(a.snd.maxWnd > 65535)
        #expect(mostInFlight > 65535)
        // The window field on the wire is the scaled-down value.
        let windows = net.sent(by: 1).filter { !$0.flags.contains(.syn) }.map { Int($0.window) }
        #expect(windows.max()! <= (256 * 1024) >> 3)
    }

    @Test func noScalingWhenThePeerDoesNotOfferIt() throws {
        let net = TwoHosts { config, side in
            config.receiveBufferSize = 256 * 1024
            if side == 1 { config.windowScaling = false }
        }
        let (client, _) = try net.establish()
        let a = net.a.connection(client)!
        #expect(a.snd.scale == 0 && a.rcv.scale == 0)
        #expect(net.sent(by: 1)[0].windowScale == nil)
        #expect(net.sent(by: 0).allSatisfy { $0.window <= 65535 })
    }

    @Test func peerMSSIsHonoured() throws {
        let net = TwoHosts { config, side in if side == 1 { config.mss = 536 } }
        let (client, server) = try net.establish()
        #expect(net.sent(by: 1)[0].mss == 536)
        let data = pattern(10_000, seed: 12)
        _ = try net.a.send(client, data)
        var got: [UInt8] = []
        net.run(for: .seconds(5)) { got += (try? net.b.readAll(server)) ?? []; return got.count == data.count }
        #expect(got == data)
        let sizes = net.sent(by: 0).map { $0.payload.count }
        #expect(sizes.max()! == 536 - 12)                       // MSS less the timestamp option
        // B's own limit applies to what it sends too (its MSS comes from its MTU).
        _ = try net.b.send(server, data)
        net.run(for: .seconds(5)) { net.a.available(client) == data.count }
        #expect(net.sent(by: 1).map { $0.payload.count }.max()! == 536 - 12)
    }

    @Test func defaultMSSWhenNoneIsAnnounced() throws {
        let net = TwoHosts()
        _ = try net.b.listen(port: 80, backlog: 1)
        var syn = OutgoingSegment(sourcePort: 4000, destinationPort: 80, seq: SequenceNumber(100),
                                  ack: SequenceNumber(0), flags: [.syn], window: 8000)
        syn.mss = nil
        net.inject(syn, from: 0)
        let connection = net.b.connection(TCPHandle(index: UInt32(net.b.connections.values.first!), generation: 0))!
        #expect(connection.options.peerMSS == 536)
        #expect(!connection.options.timestamps && !connection.options.sack && connection.snd.scale == 0)
        // The SYN-ACK answers only what was offered: MSS, nothing else.
        let synAck = net.sent(by: 1)[0]
        #expect(synAck.mss == 1460 && synAck.windowScale == nil && synAck.timestamp == nil && !synAck.sackPermitted)
    }

    @Test func sackBlocksReportOutOfOrderData() throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(10)))
        let (client, server) = try net.establish()
        try net.a.setNoDelay(client, true)
        // Lose the first and third of five segments.
        var index = 0
        net.outputs[0].filter = { seg in
            guard !seg.payload.isEmpty else { return true }
            index += 1
            return index != 1 && index != 3
        }
        let b = net.b.connection(server)!
        let base = b.rcv.nxt
        for i in 0..<5 { _ = try net.a.send(client, pattern(100, seed: UInt64(i))); net.a.poll(now: net.now) }
        let before = net.outputs[1].sent.count
        net.run(for: .milliseconds(15))
        let acks = Array(net.outputs[1].sent[before...]).compactMap { Wire.summary($0) }
        #expect(acks.count == 3)                                 // an immediate duplicate ACK per hole
        #expect(acks.allSatisfy { $0.ack == base })
        // The last ACK names the block holding segment 5 (with 4) first, as the most recent, then 2's.
        let last = acks[2].sackBlocks
        #expect(last.count == 2)
        #expect(last[0].0 == base + 300 && last[0].1 == base + 500)
        #expect(last[1].0 == base + 100 && last[1].1 == base + 200)
        #expect(net.b.counters.outOfOrderQueued == 3)
        var got: [UInt8] = []
        net.run(for: .seconds(5)) { got += (try? net.b.readAll(server)) ?? []; return got.count == 500 }
        #expect(got.count == 500)
        #expect(b.reassembly.isEmpty)
    }
}
