import Bytes
import Testing
@testable import Net

@Suite struct ARPProbeTests {
    static let candidate = IPv4Address(192, 168, 1, 50)

    /// Runs a probe to its end on the virtual clock, jumping from deadline to deadline; returns when
    /// each probe went out and when the status turned clear.
    static func run(seed: UInt64) -> (probes: [Instant], clearAt: Instant?) {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: candidate, now: f.now, seed: seed)
        var probes: [Instant] = []
        for _ in 0..<20 {
            for frame in f.nic.takeSent().map({ Decoded(bytes: $0) }) {
                #expect(frame.arp == ARPPacket(operation: .request, senderMAC: Frames.ourMAC, senderIP: .any,
                                              targetMAC: .zero, targetIP: candidate))
                #expect(frame.destinationMAC == .broadcast)
                probes.append(f.now)
            }
            if f.stack.probe?.status == .clear { return (probes, f.now) }
            let next = f.stack.nextDeadline()
            guard next != .never, next >= f.now else { break }
            f.now = next
            f.stack.poll(now: f.now)
        }
        return (probes, nil)
    }

    @Test(arguments: [1, 2, 3, 0xDEAD_BEEF] as [UInt64])
    func probesOnTheRFC5227ScheduleThenReportsClear(seed: UInt64) {
        let (probes, clearAt) = Self.run(seed: seed)
        #expect(probes.count == ARPProbe.probeCount)
        // A probe that never turns clear would never let DHCP bind: that is a failure, not a skip.
        guard probes.count == ARPProbe.probeCount, let clearAt else {
            Issue.record("the probe of seed \(seed) never reported clear (\(probes.count) probes)")
            return
        }
        #expect(probes[0] <= Instant.zero + ARPProbe.probeWait)
        for i in 1..<probes.count {
            let gap = probes[i].since(probes[i - 1])
            #expect(gap >= ARPProbe.probeMinimum && gap <= ARPProbe.probeMaximum)
        }
        #expect(clearAt.since(probes[probes.count - 1]) == ARPProbe.announceWait)
        #expect(clearAt.since(.zero) <= ARPProbe.longest)
    }

    @Test func seedsSpreadTheSchedule() {
        let schedules = (1...8).map { Self.run(seed: UInt64($0)).probes }
        #expect(Set(schedules.map { $0.map(\.nanoseconds) }).count > 1)
    }

    @Test func nothingIsSentBeforeTheRandomWait() {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: Self.candidate, now: f.now, seed: 7)
        let first = f.stack.nextDeadline()
        if first > f.now {
            #expect(f.nic.takeSent().isEmpty)
            f.now = first
            #expect(f.poll().count == 1)
        }
        #expect(f.stack.counters.arp.probesSent == 1)
    }

    @Test func anyARPClaimingTheAddressIsAConflict() {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: Self.candidate, now: f.now, seed: 1)
        f.advance(.milliseconds(300))
        f.deliver(Frames.arp(ARPPacket(operation: .reply, senderMAC: Frames.peerMAC, senderIP: Self.candidate,
                                       targetMAC: Frames.ourMAC, targetIP: .any), to: Frames.ourMAC))
        #expect(f.stack.probe?.status == .conflict(Frames.peerMAC))
        f.advance(.seconds(10))
        #expect(f.poll().isEmpty)   // no more probes after a conflict
    }

    @Test func anotherHostProbingTheSameAddressIsAConflict() {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: Self.candidate, now: f.now, seed: 1)
        f.deliver(Frames.arp(ARPPacket(operation: .request, senderMAC: Frames.peerMAC, senderIP: .any,
                                       targetMAC: .zero, targetIP: Self.candidate)))
        #expect(f.stack.probe?.status == .conflict(Frames.peerMAC))
    }

    @Test func unrelatedARPIsNoConflict() {
        let f = StackFixture(configured: false)
        f.stack.startARPProbe(for: Self.candidate, now: f.now, seed: 1)
        f.deliver(Frames.arp(ARPPacket(operation: .request, senderMAC: Frames.peerMAC, senderIP: IPv4Address(192, 168, 1, 2),
                                       targetMAC: .zero, targetIP: IPv4Address(192, 168, 1, 3))))
        #expect(f.stack.probe?.status == .probing)
    }
}
