import Bytes

/// Proves the virtio-net driver against QEMU's user-mode network (slirp, gateway 10.0.2.2): an ARP
/// request built by hand gets its reply, then rounds of ICMP echo requests, each round queued as one
/// transmit batch with one flush, all get their replies. The total exceeds both ring sizes, so receive
/// refill and transmit reclaim are exercised; then one batch fills the whole transmit ring (the extra
/// frame is refused and counted) and its replies can fill the whole receive ring. The ARP reply must
/// wake the halted CPU by interrupt; later waits halt only when no work is already waiting.
enum NetSelfTest {
    static let ourAddress = IPv4Address(10, 0, 2, 15)
    static let gateway = IPv4Address(10, 0, 2, 2)
    static let rounds = 15
    static let pingsPerRound = 20
    static let payloadBytes = 56
    static let echoIdentifier: UInt16 = 0x5357
    static let timeout = Interval.seconds(5)

    private static let etherTypeARP: UInt16 = 0x0806
    private static let etherTypeIPv4: UInt16 = 0x0800
    private static let arpFrameBytes = 42
    private static var echoFrameBytes: Int { 14 + 20 + 8 + payloadBytes }

    static func run() {
        guard let net = Devices.network else {
            SelfTest.expect(false, "net: a virtio-net device is attached")
            return
        }
        let polled = net.interruptMode.isPolling
        if polled { Log.warn("selftest: virtio-net is polled; interrupt checks skipped") }
        let before = net.counters
        // The event-index rule (virtio 2.7.7.2, 2.7.10): moving an index from old to new passes event
        // when old <= event < new, in 16-bit wrapping arithmetic.
        SelfTest.expect(Virtqueue.crossed(5, from: 5, to: 6) && !Virtqueue.crossed(5, from: 6, to: 9)
                            && !Virtqueue.crossed(5, from: 3, to: 5) && Virtqueue.crossed(0xFFFF, from: 0xFFFE, to: 1)
                            && !Virtqueue.crossed(0xFFFF, from: 0, to: 3),
                        "virtqueue: the event index rule, across the 16-bit wrap")

        // ARP: who has 10.0.2.2? Interrupts are asked for first, as the main loop does before it halts.
        _ = net.prepareToHalt()
        SelfTest.expect(net.transmit(length: arpFrameBytes) { writeARPRequest($0, from: net.macAddress) },
                        "net: ARP request queued")
        net.flush()
        // Halt until the device interrupts (the reply may already be in the ring: QEMU can answer
        // before we look, and then the interrupt is pending and wakes the first halt at once).
        if !polled {
            let interrupted = DriverSelfTests.wait(timeout: timeout, haltingEvenWithWork: true) {
                net.counters.interrupts > before.interrupts
            }
            SelfTest.expect(interrupted, "net: the reply raised an interrupt that woke the halted CPU")
        }
        var gatewayMAC: MACAddress?
        let answered = DriverSelfTests.wait(timeout: timeout) {
            _ = net.receive(limit: 32) { frame in
                if let mac = arpReplyFromGateway(frame) { gatewayMAC = mac }
            }
            return gatewayMAC != nil
        }
        SelfTest.expect(answered, "net: ARP reply from 10.0.2.2")
        guard let router = gatewayMAC else { return }
        Log.info("selftest: 10.0.2.2 is at \(router.text)")

        // ICMP echo, in batches of one flush each.
        var replies = 0
        var badReplies = 0
        for round in 0..<rounds {
            let r = pingBatch(net, router: router, firstSequence: round * pingsPerRound, count: pingsPerRound)
            SelfTest.expect(r.queued == pingsPerRound, "net: a whole batch of echo requests queued")
            replies += r.replies
            badReplies += r.bad
        }
        let total = rounds * pingsPerRound
        let after = net.counters
        Log.info("selftest: \(replies) of \(total) echo replies; \(net.counterList.text)")
        SelfTest.expect(replies == total, "net: every echo request answered")
        SelfTest.expect(badReplies == 0, "net: every echo reply intact (checksums, payload)")
        SelfTest.expect(after.rxFrames - before.rxFrames > UInt64(net.receiveBufferCount), "net: more frames received than receive buffers (refill works)")
        SelfTest.expect(after.txFrames - before.txFrames > UInt64(net.transmitBufferCount), "net: more frames sent than transmit buffers (reclaim works)")

        // Limits: queue without flushing until the ring is full; the refusal is clean and counted, and
        // the whole ring then goes out as one batch and is answered.
        let full = pingBatch(net, router: router, firstSequence: total, count: net.transmitBufferCount + 1)
        SelfTest.expect(full.queued == net.transmitBufferCount, "net: the transmit ring takes exactly its size")
        SelfTest.expect(net.counters.txRefusedRingFull == after.txRefusedRingFull + 1, "net: a full ring refuses and counts")
        SelfTest.expect(full.replies == full.queued && full.bad == 0, "net: a whole-ring batch is answered")
        SelfTest.expect(!net.transmit(length: VirtioNet.maxFrameBytes + 1) { _ in }, "net: an oversized frame is refused")
        SelfTest.expect(!net.transmit(length: VirtioNet.minFrameBytes - 1) { _ in }, "net: a runt frame is refused")
        SelfTest.expect(net.counters.txRefusedBadLength == before.txRefusedBadLength + 2, "net: the refusals are counted")
        Log.info("selftest: \(net.counterList.text)")
    }

    /// Queues up to `count` echo requests (stopping at the first refusal), flushes once, and waits for
    /// the replies. Returns how many were queued, answered intact, and answered damaged.
    private static func pingBatch(_ net: VirtioNet, router: MACAddress, firstSequence: Int,
                                  count: Int) -> (queued: Int, replies: Int, bad: Int) {
        var queued = 0
        while queued < count {
            let sequence = UInt16(truncatingIfNeeded: firstSequence + queued)
            guard net.transmit(length: echoFrameBytes, { writeEchoRequest($0, from: net.macAddress, to: router, sequence: sequence) }) else { break }
            queued += 1
        }
        net.flush()
        var replies = 0
        var bad = 0
        _ = DriverSelfTests.wait(timeout: timeout) {
            _ = net.receive(limit: 64) { frame in
                switch echoReply(frame, to: net.macAddress) {
                case .valid: replies += 1
                case .invalid: bad += 1
                case .other: break
                }
            }
            return replies + bad >= queued
        }
        return (queued, replies, bad)
    }

    // MARK: frames built and checked by hand (the real stack lives in Sources/Net)

    private static func writeEthernet(_ f: MutableByteView, to: MACAddress, from: MACAddress, type: UInt16) {
        to.write(to: f, at: 0)
        from.write(to: f, at: 6)
        f.setU16(type, at: 12)
    }

    static func writeARPRequest(_ f: MutableByteView, from mac: MACAddress) {
        writeEthernet(f, to: .broadcast, from: mac, type: etherTypeARP)
        f.setU16(1, at: 14)                       // hardware: Ethernet
        f.setU16(etherTypeIPv4, at: 16)           // protocol: IPv4
        f[18] = 6; f[19] = 4
        f.setU16(1, at: 20)                       // request
        mac.write(to: f, at: 22)
        f.setU32(ourAddress.value, at: 28)
        MACAddress.zero.write(to: f, at: 32)
        f.setU32(gateway.value, at: 38)
    }

    /// The sender's MAC if `frame` is an ARP reply from the gateway to us.
    static func arpReplyFromGateway(_ frame: ByteView) -> MACAddress? {
        guard frame.count >= arpFrameBytes, frame.u16(at: 12) == etherTypeARP, frame.u16(at: 20) == 2,
              frame.u32(at: 28) == gateway.value, frame.u32(at: 38) == ourAddress.value else { return nil }
        return MACAddress(reading: frame, at: 22)
    }

    static func writeEchoRequest(_ f: MutableByteView, from: MACAddress, to: MACAddress, sequence: UInt16) {
        writeEthernet(f, to: to, from: from, type: etherTypeIPv4)
        guard let ip = f.slice(14, 20), let icmp = f.slice(34, 8 + payloadBytes) else { return }
        ip[0] = 0x45; ip[1] = 0
        ip.setU16(UInt16(20 + 8 + payloadBytes), at: 2)
        ip.setU16(sequence, at: 4)                // identification
        ip.setU16(0, at: 6)
        ip[8] = 64; ip[9] = 1                     // TTL, ICMP
        ip.setU16(0, at: 10)
        ip.setU32(ourAddress.value, at: 12)
        ip.setU32(gateway.value, at: 16)
        ip.setU16(InternetChecksum.of(ip.readOnly), at: 10)
        icmp[0] = 8; icmp[1] = 0                  // echo request
        icmp.setU16(0, at: 2)
        icmp.setU16(echoIdentifier, at: 4)
        icmp.setU16(sequence, at: 6)
        for i in 0..<payloadBytes { icmp[8 + i] = payloadByte(sequence, i) }
        icmp.setU16(InternetChecksum.of(icmp.readOnly), at: 2)
    }

    private static func payloadByte(_ sequence: UInt16, _ i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: Int(sequence) &* 31 &+ i)
    }

    enum EchoCheck { case valid, invalid, other }

    /// Classifies a frame: an intact echo reply from the gateway to us, a damaged one, or unrelated.
    static func echoReply(_ frame: ByteView, to mac: MACAddress) -> EchoCheck {
        guard frame.count >= echoFrameBytes, frame.u16(at: 12) == etherTypeIPv4,
              let ip = frame.slice(14, 20), ip[9] == 1, ip.u32(at: 12) == gateway.value,
              let icmp = frame.slice(34, 8 + payloadBytes), icmp[0] == 0, icmp.u16(at: 4) == echoIdentifier else {
            return .other
        }
        guard MACAddress(reading: frame, at: 0) == mac, verifies(ip),
              verifies(icmp) else { return .invalid }
        let sequence = icmp.u16(at: 6)
        for i in 0..<payloadBytes where icmp[8 + i] != payloadByte(sequence, i) { return .invalid }
        return .valid
    }

    private static func verifies(_ v: ByteView) -> Bool {
        var c = InternetChecksum()
        c.add(v)
        return c.verifies
    }
}
