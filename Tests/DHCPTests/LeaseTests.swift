import Bytes
import Testing
@testable import DHCP

/// An ACK for 10.0.2.15 with the given options (message type and server id added).
private func ack(yiaddr: [UInt8] = [10, 0, 2, 15], _ options: [UInt8]) throws -> DHCPMessage {
    var r = ServerReply(xid: 1, chaddr: [1, 2, 3, 4, 5, 6])
    r.yiaddr = yiaddr
    r.options = opt(53, [5]) + opt(54, [10, 0, 2, 2]) + options + [255]
    return try r.bytes.withByteView { v throws(DHCPMessageError) in try DHCPMessage.decode(v) }
}

private func lease(_ m: DHCPMessage, at t: Instant = .seconds(100)) -> Result<DHCPLease, DHCPLeaseError> {
    do throws(DHCPLeaseError) { return .success(try DHCPLease(reply: m, knownServer: nil, requestedAt: t)) }
    catch { return .failure(error) }
}

@Suite struct LeaseTests {
    @Test func timersDefaultToHalfAndSevenEighths() throws {
        let l = try lease(ack(opt(51, be32(1000)) + opt(1, [255, 255, 255, 0]))).get()
        #expect(l.renewalSeconds == 500 && l.rebindingSeconds == 875)
        #expect(l.renewAt == .seconds(600) && l.rebindAt == .seconds(975) && l.expiresAt == .seconds(1100))
    }

    @Test func serverTimersAreUsedWhenConsistent() throws {
        let l = try lease(ack(opt(51, be32(1000)) + opt(58, be32(100)) + opt(59, be32(200)))).get()
        #expect(l.renewalSeconds == 100 && l.rebindingSeconds == 200)
    }

    @Test func inconsistentServerTimersFallBackToDefaults() throws {
        // T2 beyond the lease: default T2. T1 beyond T2: default T1.
        let a = try lease(ack(opt(51, be32(1000)) + opt(58, be32(900)) + opt(59, be32(2000)))).get()
        #expect(a.rebindingSeconds == 875 && a.renewalSeconds == 500)
        // A short T2 pulls the default T1 down with it.
        let b = try lease(ack(opt(51, be32(1000)) + opt(59, be32(300)))).get()
        #expect(b.rebindingSeconds == 300 && b.renewalSeconds == 300)
    }

    @Test func infiniteLeaseNeverRenews() throws {
        let l = try lease(ack(opt(51, [0xFF, 0xFF, 0xFF, 0xFF]))).get()
        #expect(l.renewAt == .never && l.rebindAt == .never && l.expiresAt == .never)
        #expect(l.summary.hasSuffix("for ever"))
    }

    @Test func missingMaskFallsBackToTheAddressClass() throws {
        #expect(try lease(ack(yiaddr: [10, 1, 2, 3], opt(51, be32(60)))).get().prefixLength == 8)
        #expect(try lease(ack(yiaddr: [172, 16, 2, 3], opt(51, be32(60)))).get().prefixLength == 16)
        #expect(try lease(ack(yiaddr: [192, 168, 2, 3], opt(51, be32(60)))).get().prefixLength == 24)
    }

    @Test func refusesWhatCannotBecomeALease() throws {
        let mask24 = opt(1, [255, 255, 255, 0]) + opt(51, be32(60))
        for bad: [UInt8] in [[0, 0, 0, 0], [127, 0, 0, 1], [224, 0, 0, 1], [255, 255, 255, 255],
                             [10, 0, 2, 0], [10, 0, 2, 255], [0, 1, 2, 3]] {
            if case .failure(let e) = lease(try ack(yiaddr: bad, mask24)) {
                #expect(e == .unusableAddress)
            } else {
                Issue.record("accepted \(bad)")
            }
        }
        // /31 has no network or broadcast address (RFC 3021).
        #expect((try? lease(ack(yiaddr: [10, 0, 2, 0], opt(1, [255, 255, 255, 254]) + opt(51, be32(60)))).get()) != nil)
        if case .failure(let e) = lease(try ack([])) { #expect(e == .missingLeaseTime) } else { Issue.record("no lease time accepted") }
        var r = ServerReply(xid: 1, chaddr: [1, 2, 3, 4, 5, 6])
        r.yiaddr = [10, 0, 2, 15]
        r.options = opt(53, [5]) + opt(51, be32(60)) + [255]
        let noServer = try r.bytes.withByteView { v throws(DHCPMessageError) in try DHCPMessage.decode(v) }
        if case .failure(let e) = lease(noServer) { #expect(e == .missingServerIdentifier) } else { Issue.record("no server id accepted") }
    }

    @Test func keepsAtMostThreeDNSServersAndTheFirstRouter() throws {
        let dns: [UInt8] = (1...5).flatMap { (i: Int) -> [UInt8] in [10, 0, 0, UInt8(i)] }
        let l = try lease(ack(opt(51, be32(60)) + opt(6, dns) + opt(3, [10, 0, 2, 1, 10, 0, 2, 9]))).get()
        #expect(l.dnsServers == [IPv4Address(10, 0, 0, 1), IPv4Address(10, 0, 0, 2), IPv4Address(10, 0, 0, 3)])
        #expect(l.router == IPv4Address(10, 0, 2, 1))
    }
}
