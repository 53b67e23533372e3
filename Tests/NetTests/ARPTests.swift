import Bytes
import Testing
@testable import Net

@Suite struct ARPTests {
    typealias F = StackFixture

    static func request(from ip: IPv4Address, mac: MACAddress = Frames.peerMAC, for target: IPv4Address) -> [UInt8] {
        Frames.arp(ARPPacket(operation: .request, senderMAC: mac, senderIP: ip, targetMAC: .zero, targetIP: target))
    }

    static func reply(from ip: IPv4Address, mac: MACAddress = Frames.peerMAC) -> [UInt8] {
        Frames.arp(ARPPacket(operation: .reply, senderMAC: mac, senderIP: ip, targetMAC: Frames.ourMAC,
                             targetIP: F.ourIP), to: Frames.ourMAC)
    }

    /// Sends a small UDP datagram from a bound socket to `destination`.
    static func sendUDP(_ f: StackFixture, to destination: IPv4Address, byte: UInt8 = 1) -> SendResult {
        let socket = (try? f.stack.bindUDP(port: 4000)) ?? UDPSocket(port: 4000, id: 1)
        return [byte].withByteView { f.stack.sendUDP(from: socket, to: Endpoint(destination, 9), payload: $0, now: f.now) }
    }

    @Test func configuringAnnouncesTheAddressTwiceWithGratuitousARP() {
        let f = StackFixture(configured: false)
        try! f.stack.configure(IPv4Configuration(address: F.ourIP, prefixLength: 24), now: f.now)
        let first = f.nic.takeSent().map { Decoded(bytes: $0) }
        #expect(first.count == 1)
        #expect(first.first?.destinationMAC == .broadcast)
        #expect(first.first?.arp == ARPPacket(operation: .request, senderMAC: Frames.ourMAC, senderIP: F.ourIP,
                                              targetMAC: .zero, targetIP: F.ourIP))
        #expect(f.stack.nextDeadline() == f.now + ARPAnnouncer.interval)
        f.advance(.seconds(1))
        #expect(f.poll().isEmpty)
        f.advance(.seconds(1))
        #expect(f.poll().first?.arp?.targetIP == F.ourIP)
        f.advance(.seconds(10))
        #expect(f.poll().isEmpty)
        #expect(f.stack.counters.arp.announcementsSent == 2)
        #expect(f.stack.nextDeadline() == .never)
    }

    @Test func answersRequestsForOurAddressOnly() {
        let f = StackFixture()
        let replies = f.deliver(Self.request(from: F.peerIP, for: F.ourIP))
        #expect(replies.count == 1)
        #expect(replies.first?.destinationMAC == Frames.peerMAC)
        #expect(replies.first?.arp == ARPPacket(operation: .reply, senderMAC: Frames.ourMAC, senderIP: F.ourIP,
                                                targetMAC: Frames.peerMAC, targetIP: F.peerIP))
        // Padded to the Ethernet minimum with zeros, not with whatever the buffer held.
        #expect(replies.first?.bytes.count == EthernetFrame.minimumLength)
        #expect(replies.first?.bytes[42...].allSatisfy { $0 == 0 } == true)
        #expect(f.deliver(Self.request(from: F.peerIP, for: IPv4Address(192, 168, 1, 77))).isEmpty)
        #expect(f.stack.counters.arp.notForUs == 1)
        #expect(f.stack.counters.arp.repliesSent == 1)
        // A request for us teaches us the asker.
        #expect(f.stack.arpCache.lookup(F.peerIP, now: f.now) == Frames.peerMAC)
    }

    @Test func unconfiguredStackNeitherAnswersNorLearns() {
        let f = StackFixture(configured: false)
        #expect(f.deliver(Self.request(from: F.peerIP, for: .any)).isEmpty)
        #expect(f.stack.arpCache.count == 0)
    }

    @Test func strangersOffOurSubnetAreNotCached() {
        let f = StackFixture()
        let stranger = IPv4Address(10, 9, 8, 7)
        #expect(f.deliver(Self.request(from: stranger, for: F.ourIP)).count == 1)
        #expect(!f.stack.arpCache.contains(stranger))
    }

    @Test func unsolicitedRepliesAndNonNeighboursAreNotCached() {
        let f = StackFixture()
        f.deliver(Self.reply(from: F.peerIP))
        #expect(!f.stack.arpCache.contains(F.peerIP))
        #expect(f.deliver(Self.request(from: IPv4Address(192, 168, 1, 255), for: F.ourIP)).count == 1)
        #expect(f.stack.arpCache.count == 0)
    }

    @Test func resolvesThenSendsTheWaitingPacket() throws {
        let f = StackFixture()
        #expect(Self.sendUDP(f, to: F.peerIP, byte: 42) == .queuedForARP)
        let sent = f.poll()
        #expect(sent.count == 1)
        #expect(sent.first?.destinationMAC == .broadcast)
        #expect(sent.first?.arp == ARPPacket(operation: .request, senderMAC: Frames.ourMAC, senderIP: F.ourIP,
                                             targetMAC: .zero, targetIP: F.peerIP))
        let released = f.deliver(Self.reply(from: F.peerIP))
        #expect(released.count == 1)
        #expect(released.first?.destinationMAC == Frames.peerMAC)
        let ip = try #require(released.first?.ipv4)
        #expect(ip.destination == F.peerIP && ip.source == F.ourIP)
        #expect(ip.payload.last == 42)
        // Now resolved: the next packet goes straight out.
        #expect(Self.sendUDP(f, to: F.peerIP) == .sent)
        #expect(f.stack.nextDeadline() == .zero)   // sent but not flushed
        #expect(f.poll().count == 1)
        #expect(f.stack.nextDeadline() == .never)
    }

    @Test func offLinkDestinationsResolveTheGateway() {
        let f = StackFixture()
        #expect(Self.sendUDP(f, to: IPv4Address(8, 8, 8, 8)) == .queuedForARP)
        #expect(f.poll().first?.arp?.targetIP == F.gatewayIP)
        let released = f.deliver(Self.reply(from: F.gatewayIP))
        #expect(released.first?.ipv4?.destination == IPv4Address(8, 8, 8, 8))
    }

    @Test func entriesExpire() {
        let f = StackFixture()
        f.learnPeer()
        #expect(Self.sendUDP(f, to: F.peerIP) == .sent)
        f.advance(ARPCache.entryLifetime + .milliseconds(1))
        #expect(f.stack.arpCache.lookup(F.peerIP, now: f.now) == nil)
        #expect(Self.sendUDP(f, to: F.peerIP) == .queuedForARP)
        #expect(f.poll().contains { $0.arp?.targetIP == F.peerIP })
    }

    @Test func entriesInUseAreRefreshedBeforeTheyLapse() {
        let f = StackFixture()
        f.learnPeer()
        f.advance(Interval(nanoseconds: ARPCache.entryLifetime.nanoseconds - ARPCache.refreshWindow.nanoseconds))
        #expect(Self.sendUDP(f, to: F.peerIP) == .sent)        // still used while it is re-asked
        let sent = f.poll()
        #expect(sent.count == 2)
        #expect(sent.contains { $0.arp?.targetIP == F.peerIP && $0.destinationMAC == .broadcast })
        f.deliver(Self.reply(from: F.peerIP))
        f.advance(ARPCache.refreshWindow + .seconds(1))
        #expect(f.stack.arpCache.lookup(F.peerIP, now: f.now) == Frames.peerMAC)
        #expect(Self.sendUDP(f, to: F.peerIP) == .sent)
    }

    @Test func changingTheAddressDropsPacketsQueuedUnderTheOldOne() throws {
        let f = StackFixture()
        #expect(Self.sendUDP(f, to: F.peerIP) == .queuedForARP)
        try f.stack.configure(IPv4Configuration(address: IPv4Address(192, 168, 1, 20), prefixLength: 24), now: f.now)
        #expect(f.stack.counters.arp.resolutionFailed == 1)
        #expect(f.stack.waitQueue.count == 0)
        _ = f.nic.takeSent()
        #expect(f.deliver(Self.reply(from: F.peerIP)).isEmpty)
    }

    @Test func requestsAreRateLimitedRetriedThenGivenUp() {
        let f = StackFixture()
        for _ in 0..<3 { #expect(Self.sendUDP(f, to: F.peerIP) == .queuedForARP) }
        #expect(f.poll().count == 1)                           // one request for three packets
        #expect(f.stack.nextDeadline() == f.now + ARPResolver.requestInterval)
        f.advance(.milliseconds(500))
        #expect(f.poll().isEmpty)
        f.advance(.milliseconds(500))
        #expect(f.poll().first?.arp?.targetIP == F.peerIP)     // second request
        f.advance(ARPResolver.requestInterval)
        #expect(f.poll().count == 1)                           // third and last
        #expect(f.stack.counters.arp.requestsSent == UInt64(ARPResolver.maxRequests))
        f.advance(ARPResolver.requestInterval)
        #expect(f.poll().isEmpty)
        #expect(f.stack.counters.arp.resolutionFailed == 3)
        #expect(f.stack.waitQueue.count == 0)
        #expect(f.stack.nextDeadline() == .never)
        // A late reply finds nothing waiting and sends nothing.
        #expect(f.deliver(Self.reply(from: F.peerIP)).isEmpty)
    }

    @Test func waitQueueIsBoundedAndDropsAreCounted() {
        let f = StackFixture()
        for _ in 0..<ARPWaitQueue.capacity { #expect(Self.sendUDP(f, to: F.peerIP) == .queuedForARP) }
        #expect(Self.sendUDP(f, to: F.peerIP) == .dropped(.arpQueueFull))
        #expect(f.stack.counters.arp.queueFull == 1)
        _ = f.poll()
        #expect(f.deliver(Self.reply(from: F.peerIP)).count == ARPWaitQueue.capacity)
    }

    @Test func waitQueueIsBoundedInBytesForPacketsTheNICIsToCut() {
        let f = StackFixture()
        f.nic.transmitOffloads = TransmitOffloads(checksum: true, segmentationLimit: 65_000)
        let tcp = TransportOffload(checksumOffset: 16, headerLength: 20, segmentSize: 1460)
        func sendLarge() -> SendResult {
            f.stack.sendIPv4(to: F.peerIP, protocol: 6, payloadLength: 40_000, offload: tcp, now: f.now) { payload, _ in
                payload.fill(0x5A, from: 0, count: payload.count)
            }
        }
        #expect(sendLarge() == .queuedForARP)
        #expect(sendLarge() == .dropped(.arpQueueFull))         // 80,000 bytes would pass 64 KiB
        #expect(f.stack.counters.arp.queueFull == 1)
        #expect(Self.sendUDP(f, to: F.peerIP) == .queuedForARP)  // small packets still fit
        _ = f.poll()
        #expect(f.deliver(Self.reply(from: F.peerIP)).count == 2)
        #expect(f.stack.waitQueue.count == 0)
        #expect(sendLarge() == .sent)                           // resolved: straight out
    }

    @Test func concurrentResolutionsAreBounded() {
        let f = StackFixture()
        for i in 0..<ARPResolver.maxPending {
            #expect(Self.sendUDP(f, to: IPv4Address(192, 168, 1, UInt8(100 + i))) == .queuedForARP)
        }
        #expect(Self.sendUDP(f, to: IPv4Address(192, 168, 1, 200)) == .dropped(.arpPendingFull))
        #expect(f.stack.counters.arp.pendingFull == 1)
    }

    @Test func cacheIsBoundedAndEvictsTheOldest() {
        let f = StackFixture()
        for i in 0...ARPCache.capacity {
            f.advance(.milliseconds(1))
            f.deliver(Self.request(from: IPv4Address(192, 168, 1, UInt8(100 + i)), mac: MACAddress(UInt64(0x0200_0000_1000 + i)),
                                   for: F.ourIP))
        }
        #expect(f.stack.arpCache.count == ARPCache.capacity)
        #expect(f.stack.counters.arp.cacheEvictions == 1)
        #expect(!f.stack.arpCache.contains(IPv4Address(192, 168, 1, 100)))
        #expect(f.stack.arpCache.contains(IPv4Address(192, 168, 1, UInt8(100 + ARPCache.capacity))))
    }

    @Test func knownSendersAreRefreshedByAnyARP() {
        let f = StackFixture()
        f.learnPeer()
        let moved = MACAddress(0x02, 0, 0, 0, 0, 0x99)
        // A gratuitous ARP from the peer (target is itself, not us) after it changed NIC.
        f.deliver(Frames.arp(ARPPacket(operation: .request, senderMAC: moved, senderIP: F.peerIP,
                                       targetMAC: .zero, targetIP: F.peerIP)))
        #expect(f.stack.arpCache.lookup(F.peerIP, now: f.now) == moved)
    }

    @Test func malformedAndSuspiciousARPIsCounted() {
        let f = StackFixture()
        var truncated = Self.request(from: F.peerIP, for: F.ourIP)
        truncated.removeLast(2)
        #expect(f.deliver(truncated).isEmpty)
        #expect(f.stack.counters.arp.truncated == 1)

        var badOperation = Self.request(from: F.peerIP, for: F.ourIP)
        badOperation[EthernetFrame.headerLength + 7] = 9
        #expect(f.deliver(badOperation).isEmpty)
        #expect(f.stack.counters.arp.unsupported == 1)

        #expect(f.deliver(Self.request(from: F.peerIP, mac: MACAddress(0x01, 0, 0x5E, 0, 0, 1), for: F.ourIP)).isEmpty)
        #expect(f.stack.counters.arp.badSender == 1)

        #expect(f.deliver(Self.request(from: F.ourIP, for: F.peerIP)).isEmpty)
        #expect(f.stack.counters.arp.addressConflicts == 1)
        #expect(f.stack.arpCache.count == 0)
    }

    @Test func noTransmitBufferIsCounted() {
        let f = StackFixture()
        f.nic.freeTransmitBuffers = 0
        #expect(f.deliver(Self.request(from: F.peerIP, for: F.ourIP)).isEmpty)
        #expect(f.stack.counters.ethernet.txBufferUnavailable == 1)
        #expect(f.stack.counters.arp.repliesSent == 0)
        #expect(Self.sendUDP(f, to: F.peerIP) == .dropped(.txBufferUnavailable))
    }
}
