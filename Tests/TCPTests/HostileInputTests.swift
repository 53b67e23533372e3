import Testing
import Bytes
import TestSupport
@testable import TCP

/// Bad input must never trap: mutated copies of real segments (with checksums made valid again, so
/// they get past the first check) are thrown at both ends of a live connection.
@Suite struct HostileInputTests {
    @Test(arguments: Array(UInt64(1)...UInt64(8))) func mutatedSegmentsNeverTrapAndTheConnectionSurvivesOrEndsCleanly(seed: UInt64) throws {
        let net = TwoHosts(impairment: .init(delay: .milliseconds(2)))
        let (client, server) = try net.establish()
        _ = try net.a.send(client, pattern(20_000, seed: 21))
        _ = try net.b.send(server, pattern(20_000, seed: 22))
        net.run(for: .seconds(2))
        let samples = net.outputs[0].sent + net.outputs[1].sent
        var random = SplitMix64(seed: seed)
        for round in 0..<4000 {
            var packet = samples[Int(random.next(below: UInt64(samples.count)))]
            let length = packet.count - Wire.prefixLength
            // Flip a few bytes anywhere in the segment (header and options most often).
            for _ in 0..<(1 + Int(random.next(below: 4))) {
                let span = random.next(below: 4) == 0 ? length : min(length, 60)
                packet[Wire.prefixLength + Int(random.next(below: UInt64(span)))] = UInt8(truncatingIfNeeded: random.next())
            }
            if random.next(below: 8) == 0 { packet.removeLast(Int(random.next(below: UInt64(min(length, 30))))) }
            packet.withMutableByteView { view in
                guard view.count >= Wire.prefixLength + 18 else { return }
                let segment = view.slice(Wire.prefixLength, view.count - Wire.prefixLength)!
                segment.setU16(0, at: 16)
                let (src, dst) = Wire.addresses(view.readOnly)
                var sum = TCPSegment.pseudoHeaderSum(source: src, destination: dst, length: segment.count)
                sum.add(segment.readOnly)
                segment.setU16(sum.value, at: 16)
            }
            let to = packet.withByteView { Wire.addresses($0).destination == net.addresses[0] ? 0 : 1 }
            net.deliver(packet, to: to)
            if round % 50 == 0 { net.run(for: .milliseconds(20)) }
        }
        net.run(for: .seconds(5))
        for (side, handle) in [client, server].enumerated() {
            let c = net.layers[side].counters
            #expect(c.segmentsReceived > 2000)
            #expect(net.layers[side].connectionCount <= 1)
            // Survived: still synchronized and reporting a state. Ended cleanly: the user was told,
            // with exactly one terminal event for it.
            let ended = net.events[side].filter { event in
                if case .closed(handle, _) = event { return true }
                return false
            }.count
            let state = net.layers[side].state(handle)
            if ended == 0 {
                #expect(state?.isSynchronized == true, "side \(side): no closed event, yet in \(state?.name ?? "no state")")
            } else {
                #expect(ended == 1, "side \(side) ended with \(ended) closed events")
            }
        }
        // Whatever happened, the layers still work: a fresh connection carries data.
        let listener = try net.b.listen(port: 8080, backlog: 2)
        let c2 = try net.a.connect(from: net.addresses[0], to: Endpoint(net.addresses[1], 8080), now: net.now)
        var s2: TCPHandle? = nil
        net.run(for: .seconds(5)) { s2 = s2 ?? (try? net.b.accept(listener)) ?? nil; return s2 != nil }
        _ = try net.a.send(c2, Array("alive".utf8))
        net.run(for: .seconds(2)) { net.b.available(s2!) == 5 }
        #expect(try net.b.readAll(s2!) == Array("alive".utf8))
    }
}
