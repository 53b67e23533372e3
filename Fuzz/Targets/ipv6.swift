import Bytes
import Net

// Fuzz target `ipv6`: an Interface with IPv6 started (link-local and a static fd00::64/64, a static
// router), fed IPv6 packets in Ethernet frames on a virtual clock, with application sends mixed in:
// the IPv6 header and extension-header walk, ICMPv6, neighbour discovery (NS/NA/RS/RA with their
// options, DAD, SLAAC, the neighbour cache's states) and MLD queries. Never a trap; every frame is
// counted; every frame sent is well-formed (ICMPv6 checksums verify, ND with hop limit 255, sources
// ours, the unspecified address, or link-local); the timers run out once the input does.
//
// Input, repeated until it runs out:
//   control byte: bits 0-2 choose how far the clock moves before the next poll (`steps`);
//                 bits 3-4 the Ethernet destination (our MAC, all-nodes, our solicited-node group, as given);
//                 bit 5 repairs the payload length and the ICMPv6 checksum (when the next header is 58);
//                 bit 6 queues the frame without polling; bit 7 makes the application act first (one
//                 more byte says how, see `act`).
//   length (2 bytes, big-endian, modulo 1600), then that many bytes of IPv6 packet.

let ourMACBytes: [UInt8] = [0x52, 0x54, 0x00, 0xC8, 0x64, 0x64]
let ourMAC = MACAddress(0x52, 0x54, 0x00, 0xC8, 0x64, 0x64)
let staticAddress = IPv6Address(parsing: "fd00:100:200::64")!
let staticRouter = IPv6Address(parsing: "fe80::1")!
let steps: [Interval] = [.zero, .milliseconds(1), .milliseconds(50), .milliseconds(500), .seconds(1),
                         .seconds(5), .seconds(60), .seconds(7200)]
let maxFrame = 1600
/// Polls allowed for the timers to run out once the input is consumed: every neighbour's DELAY and
/// three probes, every resolution's three solicitations, each lifetime once, with room to spare.
let maxSettlePolls = 1024

/// What the stack sends must be well-formed; `usable`: the addresses it may send from now.
func checkTransmitted(_ f: [UInt8], usable: (IPv6Address) -> Bool) {
    guard Array(f[6..<12]) == ourMACBytes else { fuzzFailure("source MAC not ours") }
    let etherType = UInt16(f[12]) << 8 | UInt16(f[13])
    if etherType == 0x0806 { return }
    guard etherType == 0x86DD else { fuzzFailure("sent ethertype \(etherType)") }
    f.withByteView { v in
        let ip = v.suffix(from: 14)!
        let packet: IPv6Packet
        do { packet = try IPv6Packet(parsing: ip) } catch { fuzzFailure("sent an IPv6 packet we refuse: \(error)") }
        let source = packet.source
        guard source.isUnspecified || source.isLinkLocal || usable(source) else { fuzzFailure("sent from \(source.text)") }
        guard !packet.destination.isUnspecified else { fuzzFailure("sent to ::") }
        guard packet.destination.isMulticast == (f[0] == 0x33 && f[1] == 0x33) else { fuzzFailure("group MAC mismatch") }
        guard packet.nextHeader == IPv6Packet.NextHeader.icmpv6 else { return }
        let message: ICMPv6Message
        do { message = try ICMPv6Message(parsing: packet.payload, source: source, destination: packet.destination) }
        catch { fuzzFailure("sent ICMPv6 that does not verify") }
        if (133...137).contains(message.type) && packet.hopLimit != 255 { fuzzFailure("ND with hop limit \(packet.hopLimit)") }
    }
}

/// Stands in for TCP over IPv6: only our own unicast addresses reach it.
final class CountingHandler: IPv6ProtocolHandler {
    var isOurs: (IPv6Address) -> Bool = { _ in false }
    func receive(source: IPv6Address, destination: IPv6Address, payload: ByteView, checksumVouched: Bool, now: Instant) {
        guard isOurs(destination), !destination.isMulticast else { fuzzFailure("handler got a packet for \(destination.text)") }
    }
}

/// Payload length from the bytes present, and the ICMPv6 checksum when the next header, after any
/// options and routing headers, is 58.
func repair(_ p: inout [UInt8]) {
    guard p.count >= 40 else { return }
    let length = p.count - 40
    p[4] = UInt8(length >> 8 & 0xFF); p[5] = UInt8(length & 0xFF)
    var next = p[6]
    var offset = 40
    while next == 0 || next == 60 || next == 43, offset + 8 <= p.count {
        next = p[offset]
        offset += (Int(p[offset + 1]) + 1) * 8
    }
    guard next == 58, offset + 4 <= p.count else { return }
    p[offset + 2] = 0; p[offset + 3] = 0
    let source = p.withByteView { IPv6Address(reading: $0, at: 8) }
    let destination = p.withByteView { IPv6Address(reading: $0, at: 24) }
    var sum = IPv6Packet.pseudoHeaderChecksum(source: source, destination: destination, nextHeader: 58, length: p.count - offset)
    sum.add(Array(p[offset...]))
    p[offset + 2] = UInt8(sum.value >> 8); p[offset + 3] = UInt8(sum.value & 0xFF)
}

/// The addresses the stack may send from now (the current run's, set when it starts).
nonisolated(unsafe) var usableSource: (IPv6Address) -> Bool = { _ in false }

final class Run {
    let nic = FuzzNIC(mac: ourMAC) { checkTransmitted($0, usable: usableSource) }
    let stack: Interface<FuzzNIC>
    let handler = CountingHandler()
    var now = Instant.zero + .seconds(1)

    init() {
        stack = Interface(nic: nic)
        let stack = self.stack
        usableSource = { [unowned stack] in stack.ipv6.isOurs($0) }
        handler.isOurs = { [unowned stack] in stack.ipv6.isOurs($0) }
        do { try stack.registerIPv6(handler, forNextHeader: 6) } catch { fuzzFailure("setup") }
        stack.startIPv6(manual: (staticAddress, 64), gateway: staticRouter, now: now, seed: 7)
    }

    func act(_ how: UInt8, _ input: inout FuzzInput) {
        switch how % 4 {
        case 0:  // a packet to an input-chosen address (neighbour, off-link, group, nonsense)
            let destination = IPv6Address(high: UInt64(input.u32()) << 32 | UInt64(input.u32()), low: UInt64(input.u32()) << 32 | UInt64(input.u32()))
            let length = Int(input.u16()) % 1600
            _ = stack.sendIPv6(to: destination, nextHeader: 59, payloadLength: length, now: now) { p, _ in p.fill(0, from: 0, count: p.count) }
        case 1:  // to a link-local neighbour with a small identifier, so resolutions meet answers
            let destination = IPv6Address(high: 0xFE80 << 48, low: UInt64(input.byte()))
            _ = stack.sendIPv6(to: destination, nextHeader: 59, payloadLength: 8, now: now) { p, _ in p.fill(1, from: 0, count: 8) }
        case 2:
            nic.freeBuffers = Int(input.byte() % 4)
        default:
            now = now + .milliseconds(UInt64(input.u16()))
        }
    }

    func run(_ input: inout FuzzInput) {
        while !input.isAtEnd {
            let control = input.byte()
            if control & 0x80 != 0 { act(input.byte(), &input) }
            var packet = input.take(Int(input.u16()) % maxFrame)
            if control & 0x20 != 0 { repair(&packet) }
            let destination: [UInt8]
            switch control >> 3 & 3 {
            case 0: destination = ourMACBytes
            case 1: destination = [0x33, 0x33, 0, 0, 0, 1]
            case 2: destination = [0x33, 0x33, 0xFF, 0xC8, 0x64, 0x64]
            default: destination = packet.count >= 6 ? Array(packet[0..<6]) : ourMACBytes
            }
            nic.inbox.append(destination + [2, 0, 0, 0, 0, 2, 0x86, 0xDD] + packet)
            if control & 0x40 == 0 {
                now = now + steps[Int(control & 7)]
                stack.poll(now: now)
            }
        }
        stack.finish(now: &now, maxPolls: maxSettlePolls)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIPv6(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    Run().run(&input)
    return 0
}
