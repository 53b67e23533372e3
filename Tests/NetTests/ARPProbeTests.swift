import Bytes
import Testing
@testable import Net

@Suite struct ARPProbeTests {
    static let candidate = IPv4Address(192, 168, 1, 50)

    @Test func probesThreeTimesThenReportsClear() {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: Self.candidate, now: f.now)
        let first = f.nic.takeSent().map { Decoded(bytes: $0) }
        #expect(first.first?.arp == ARPPacket(operation: .request, senderMAC: Frames.ourMAC, senderIP: .any,
                                              targetMAC: .zero, targetIP: Self.candidate))
        #expect(first.first?.destinationMAC == .broadcast)
        for _ in 1..<ARPProbe.probeCount {
            #expect(f.stack.nextDeadline() == f.now + ARPProbe.probeInterval)
            f.advance(ARPProbe.probeInterval)
            #expect(f.poll().count == 1)
        }
        #expect(f.stack.probe?.status == .probing)
        f.advance(Interval(nanoseconds: ARPProbe.announceWait.nanoseconds - 1_000_000))
        #expect(f.poll().isEmpty)
        #expect(f.stack.probe?.status == .probing)
        f.advance(.milliseconds(1))
        _ = f.poll()
        #expect(f.stack.probe?.status == .clear)
        #expect(f.stack.counters.arp.probesSent == UInt64(ARPProbe.probeCount))
        #expect(f.stack.nextDeadline() == .never)
    }

    @Test func anyARPClaimingTheAddressIsAConflict() {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: Self.candidate, now: f.now)
        f.advance(.milliseconds(300))
        f.deliver(Frames.arp(ARPPacket(operation: .reply, senderMAC: Frames.peerMAC, senderIP: Self.candidate,
                                       targetMAC: Frames.ourMAC, targetIP: .any), to: Frames.ourMAC))
        #expect(f.stack.probe?.status == .conflict(Frames.peerMAC))
        f.advance(.seconds(10))
        #expect(f.poll().isEmpty)   // no more probes after a conflict
    }

    @Test func anotherHostProbingTheSameAddressIsAConflict() {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: Self.candidate, now: f.now)
        f.deliver(Frames.arp(ARPPacket(operation: .request, senderMAC: Frames.peerMAC, senderIP: .any,
                                       targetMAC: .zero, targetIP: Self.candidate)))
        #expect(f.stack.probe?.status == .conflict(Frames.peerMAC))
    }

    @Test func unrelatedARPIsNoConflict() {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: Self.candidate, now: f.now)
        f.deliver(Frames.arp(ARPPacket(operation: .request, senderMAC: Frames.peerMAC, senderIP: IPv4Address(192, 168, 1, 2),
                                       targetMAC: .zero, targetIP: IPv4Address(192, 168, 1, 3))))
        #expect(f.stack.probe?.status == .probing)
    }
}
