import Bytes
import Testing
@testable import Net

/// Hostile input never traps: random bytes and randomly damaged valid frames go through the whole
/// receive path, every frame is counted, and the stack still answers afterwards.
@Suite struct RandomFrameTests {
    typealias F = StackFixture

    static func validFrames() -> [[UInt8]] {
        let udp = Frames.udp(source: Endpoint(F.peerIP, 1), destination: Endpoint(F.ourIP, 7), payload: [1, 2, 3, 4, 5])
        return [
            ICMPTests.echoFrame(data: Array(0..<40)),
            Frames.ipFrame(Frames.ipv4(source: F.peerIP, destination: F.ourIP, protocolNumber: IPProtocolNumber.udp, payload: udp)),
            ARPTests.request(from: F.peerIP, for: F.ourIP),
            ARPTests.reply(from: F.peerIP),
        ]
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func damagedAndRandomFramesAreSurvived(seed: UInt64) throws {
        let f = StackFixture()
        let socket = try f.stack.bindUDP(port: 7)
        var random = SplitMix64(seed: seed)
        let valid = Self.validFrames()
        let rounds = 1500
        for round in 0..<rounds {
            var frame: [UInt8]
            if round % 3 == 0 {
                frame = (0..<Int(random.next(below: 80))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if frame.count >= 14, random.next(below: 2) == 0 {   // aim some at our parsers
                    frame[0...5] = [0x02, 0, 0, 0, 0, 0x01]
                    frame[12] = 0x08; frame[13] = random.next(below: 2) == 0 ? 0x00 : 0x06
                }
            } else {
                frame = valid[Int(random.next(below: UInt64(valid.count)))]
                for _ in 0..<(1 + random.next(below: 3)) {
                    let i = Int(random.next(below: UInt64(frame.count)))
                    frame[i] = UInt8(truncatingIfNeeded: random.next())
                }
                if random.next(below: 4) == 0 { frame.removeLast(Int(random.next(below: UInt64(frame.count)))) }
            }
            f.nic.inbox.append(frame)
            if round % 16 == 0 {
                f.advance(.milliseconds(10))
                f.stack.poll(now: f.now)
                while f.stack.receiveUDP(socket) != nil {}
                _ = f.nic.takeSent()
            }
        }
        f.advance(.seconds(5))
        while !f.nic.inbox.isEmpty { f.stack.poll(now: f.now) }
        _ = f.nic.takeSent()
        #expect(f.stack.counters.ethernet.rxFrames == UInt64(rounds))
        // Damage was noticed, not waved through: the reason counters together account for many frames.
        let drops = f.stack.counters.metrics.lines.filter {
            let name = $0.split(separator: " ")[0]
            return !name.hasSuffix("received") && !name.hasSuffix("sent") && !name.hasSuffix("_frames")
                && !name.hasSuffix("evictions")
        }.compactMap { UInt64($0.split(separator: " ")[1]) }.reduce(0, +)
        #expect(drops >= UInt64(rounds / 3), "only \(drops) frames of \(rounds) counted as dropped")
        f.learnPeer()
        #expect(f.deliver(ICMPTests.echoFrame(data: [1])).count == 1)
    }
}
