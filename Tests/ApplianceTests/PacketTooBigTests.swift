import Testing
import Bytes
import Net
import TCP
@testable import Appliance

/// ICMPv6 packet too big into TCP (RFC 8201, RFC 4443 3.2; issue 19), over the simulated link between
/// two hosts on link-local addresses: a router whose next link carries 1280 bytes drops the larger
/// segments and answers each with a packet too big, and a forged one is ignored (RFC 5927).
@Suite struct PacketTooBigTests {
    @Test func aRouterWith1280BytesShrinksTheSegmentsAndTheTransferCompletesByteExact() {
        var forged = false, routed = false
        let (received, sent, a, _) = OffloadTests.transfer(size: 300_000, server: .none, client: .none, ipv6: true) { got, a, _ in
            if !forged, got > 50_000 {
                forged = true
                // A sequence number far outside the window (a blind attacker's guess): ignored, counted,
                // and the segments stay full-sized.
                a.nic.inbox.append(WireNIC.packetTooBig(about: a.nic.lastIPv6Frame, mtu: 1280, seqDelta: 0x4000_0000))
            } else if forged, !routed, got > 100_000 {
                routed = true
                #expect(a.tcp.counters.packetTooBigIgnored == 1 && a.tcp.counters.packetTooBigAccepted == 0)
                #expect(a.nic.largestOnWire == 14 + 1500)
                a.nic.pathMTU = 1280
                a.nic.largestOnWire = 0
            }
        }
        let whole = received == sent
        #expect(whole, "\(received.count) of \(sent.count) bytes")
        #expect(routed && a.nic.tooBigAnswered >= 1 && a.tcp.counters.packetTooBigAccepted >= 1)
        #expect(a.nic.largestOnWire == 14 + 1280)       // full segments of the new size, none larger
        #expect(a.tcp.counters.packetTooBigIgnored == 1 && a.interface.counters.icmpv6.packetTooBigIgnored == 0)
        // The dropped segments are resent at once from SND.UNA, not after a timeout nor one by one as
        // the receiver's duplicate ACKs ask.
        #expect(a.tcp.counters.retransmissionTimeouts == 0 && a.tcp.counters.fastRetransmits == 0)
    }

    @Test func aReportBelowTheIPv6MinimumIsTakenAs1280AndAQuoteNotFromUsIsDropped() {
        var done = false
        let (received, sent, a, _) = OffloadTests.transfer(size: 100_000, server: .none, client: .none, ipv6: true) { got, a, _ in
            guard !done, got > 20_000 else { return }
            done = true
            a.nic.inbox.append(WireNIC.packetTooBig(about: a.nic.lastIPv6Frame, mtu: 1280, otherSource: true))
            a.nic.pathMTU = 1280
            a.nic.reportedMTU = 600            // below IPv6's minimum: taken as 1280, never less
            a.nic.largestOnWire = 0
        }
        #expect(received == sent)
        #expect(a.tcp.counters.packetTooBigAccepted >= 1 && a.interface.counters.icmpv6.packetTooBigIgnored == 1)
        #expect(a.nic.largestOnWire == 14 + 1280)
    }
}
