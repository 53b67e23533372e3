import Bytes
import Net

// Fuzz target `net`: a whole Interface (Ethernet, ARP, IPv4, ICMP, UDP) configured at 192.100.200.100/24
// (the address and MAC of the VM tests, so captured traffic is addressed to it), with UDP sockets bound
// and a stand-in TCP handler registered, fed the input as a sequence of frames on a virtual clock, with
// application sends mixed in. Never a trap, never a timer that keeps firing; every frame is
// counted, and every frame the stack transmits is well-formed.
//
// Input, repeated until it runs out:
//   control byte: bits 0-2 choose how far the clock moves before the next poll (`steps`);
//                 bit 3 rewrites our MAC as the destination; bit 4 fixes the IPv4 header checksum;
//                 bit 5 fixes the ICMP/UDP checksum; bit 6 queues the frame without polling (a batch);
//                 bit 7 makes the application act first (one more byte says how, see `act`).
//   length (2 bytes, big-endian, modulo 1600), then that many frame bytes.
// Checksum repair lets mutations reach past the checksums; the unrepaired inputs test the checks.

let ourMACBytes: [UInt8] = [0x52, 0x54, 0x00, 0xC8, 0x64, 0x64]
let ourMAC = MACAddress(ourMACBytes[0], ourMACBytes[1], ourMACBytes[2], ourMACBytes[3], ourMACBytes[4], ourMACBytes[5])
let ourAddress = IPv4Address(192, 100, 200, 100)
let gateway = IPv4Address(192, 100, 200, 1)
let boundPorts: [UInt16] = [7, 53, 68, 80, 5000]
let steps: [Interval] = [.zero, .milliseconds(1), .milliseconds(50), .milliseconds(500), .seconds(1),
                         .seconds(3), .seconds(60), .seconds(1200)]
/// Largest frame the fuzzer hands over: past the 1514 a 1500-byte MTU allows, as a broken driver might.
let maxFrame = 1600
/// Polls allowed for the timers to settle once the input is consumed (ARP retries, announcements and
/// probes each end after a few steps).
let maxSettlePolls = 64

/// What the stack sends must be well-formed: from our MAC; an IPv4 header with a valid checksum and a
/// total length that fits the frame; UDP and ICMP checksums that verify.
func checkTransmitted(_ f: [UInt8]) {
    guard Array(f[6..<12]) == ourMACBytes else { fuzzFailure("source MAC not ours") }
    let etherType = UInt16(f[12]) << 8 | UInt16(f[13])
    if etherType == 0x0806 { return }
    guard etherType == 0x0800 else { fuzzFailure("sent ethertype \(etherType)") }
    let ip = Array(f[14...])
    guard ip[0] == 0x45 else { fuzzFailure("sent IPv4 header byte \(ip[0])") }
    let total = Int(ip[2]) << 8 | Int(ip[3])
    guard total >= 20, total <= ip.count else { fuzzFailure("sent total length \(total) in \(ip.count)") }
    var header = InternetChecksum()
    header.add(Array(ip[0..<20]))
    guard header.verifies else { fuzzFailure("sent IPv4 header checksum") }
    let payload = Array(ip[20..<total])
    var sum = InternetChecksum()
    switch ip[9] {
    case 1:
        sum.add(payload)
    case 17:
        guard payload.count >= 8, Int(payload[4]) << 8 | Int(payload[5]) == payload.count else { fuzzFailure("sent UDP length") }
        if payload[6] == 0 && payload[7] == 0 { return }
        sum.add(Array(ip[12..<20]))
        sum.add(u16: 17)
        sum.add(u16: UInt16(payload.count))
        sum.add(payload)
    default:
        return
    }
    guard sum.verifies else { fuzzFailure("sent protocol \(ip[9]) checksum") }
}

/// Stands in for TCP: checks what Net promises a registered handler.
final class CountingHandler: IPProtocolHandler {
    var received: UInt64 = 0
    func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, now: Instant) {
        guard destination == ourAddress else { fuzzFailure("handler got a packet for another address") }
        guard payload.count <= 1480 else { fuzzFailure("handler payload of \(payload.count)") }
        received += 1
    }
}

/// Rewrites the IPv4 header checksum (if `header`) and the ICMP or UDP checksum (if `transport`) of an
/// Ethernet/IPv4 frame so the fuzzer's other bytes are seen by the layers behind those checks.
func repairChecksums(_ f: inout [UInt8], header: Bool, transport: Bool) {
    guard f.count >= 34, f[12] == 0x08, f[13] == 0x00 else { return }
    let ihl = Int(f[14] & 0x0F) * 4
    guard ihl >= 20, f.count >= 14 + ihl else { return }
    if header {
        f[24] = 0; f[25] = 0
        var c = InternetChecksum()
        c.add(Array(f[14..<(14 + ihl)]))
        f[24] = UInt8(c.value >> 8); f[25] = UInt8(c.value & 0xFF)
    }
    let total = Int(f[16]) << 8 | Int(f[17])
    let end = min(14 + max(total, ihl), f.count)
    let start = 14 + ihl
    guard transport, end > start else { return }
    var c = InternetChecksum()
    switch f[23] {
    case 1 where end - start >= 4:
        f[start + 2] = 0; f[start + 3] = 0
        c.add(Array(f[start..<end]))
        f[start + 2] = UInt8(c.value >> 8); f[start + 3] = UInt8(c.value & 0xFF)
    case 17 where end - start >= 8:
        f[start + 6] = 0; f[start + 7] = 0
        c.add(Array(f[26..<34]))
        c.add(u16: 17)
        c.add(u16: UInt16(end - start))
        c.add(Array(f[start..<end]))
        let v = c.value == 0 ? 0xFFFF : c.value
        f[start + 6] = UInt8(v >> 8); f[start + 7] = UInt8(v & 0xFF)
    default:
        break
    }
}

final class Run {
    let nic = FuzzNIC(mac: ourMAC, check: checkTransmitted)
    let stack: Interface<FuzzNIC>
    let handler = CountingHandler()
    var sockets: [UDPSocket] = []
    var now = Instant.zero + .seconds(1)

    init() {
        stack = Interface(nic: nic)
        do {
            try stack.configure(IPv4Configuration(address: ourAddress, prefixLength: 24, gateway: gateway), now: now)
            try stack.register(handler, forProtocol: 6)
            for port in boundPorts { sockets.append(try stack.bindUDP(port: port)) }
        } catch {
            fuzzFailure("setup")
        }
    }

    /// The application's turn: `how` picks an action, its parameters come from the input.
    func act(_ how: UInt8, _ input: inout FuzzInput) {
        switch how % 8 {
        case 0:  // a datagram to an input-chosen address (on-link, off-link, broadcast, nonsense)
            let socket = sockets[Int(input.byte()) % sockets.count]
            let destination = Endpoint(IPv4Address(input.u32()), input.u16())
            let payload = input.take(Int(input.u16()) % 1600)
            _ = payload.withByteView { stack.sendUDP(from: socket, to: destination, payload: $0, now: now) }
        case 1:
            let data = input.take(Int(input.byte()))
            _ = data.withByteView {
                stack.sendEchoRequest(to: IPv4Address(input.u32()), identifier: 1, sequence: input.u16(), data: $0, now: now)
            }
        case 2:
            for socket in sockets { while stack.receiveUDP(socket) != nil {} }
            while stack.takeEchoReply() != nil {}
        case 3:
            stack.startARPProbe(for: IPv4Address(192, 100, 200, input.byte()), now: now, seed: UInt64(input.byte()))
        case 4:  // the transmit ring runs dry until the next flush
            nic.freeBuffers = Int(input.byte() % 4)
        case 6:  // close a socket: its old handle goes stale, a new one takes the port
            let i = Int(input.byte()) % sockets.count
            let stale = sockets[i]
            stack.closeUDP(stale)
            guard stack.receiveUDP(stale) == nil, stack.queuedUDPCount(stale) == 0 else { fuzzFailure("stale socket delivers") }
            do { sockets[i] = try stack.bindUDP(port: stale.port) } catch { fuzzFailure("rebinding a closed port") }
        case 7:
            stack.cancelARPProbe()
        default:  // a new address, as a DHCP renewal might bring (invalid ones must be refused)
            let config = IPv4Configuration(address: IPv4Address(192, 100, 200, input.byte()), prefixLength: Int(input.byte() % 33),
                                           gateway: gateway)
            do { try stack.configure(config, now: now) } catch {}
        }
    }

    func run(_ input: inout FuzzInput) {
        while !input.isAtEnd {
            let control = input.byte()
            if control & 0x80 != 0 { act(input.byte(), &input) }
            var frame = input.take(Int(input.u16()) % maxFrame)
            if control & 0x08 != 0, frame.count >= 6 {
                frame.replaceSubrange(0..<6, with: ourMACBytes)
            }
            repairChecksums(&frame, header: control & 0x10 != 0, transport: control & 0x20 != 0)
            nic.inbox.append(frame)
            if control & 0x40 == 0 {
                now = now + steps[Int(control & 7)]
                stack.poll(now: now)
            }
        }
        stack.finish(now: &now, maxPolls: maxSettlePolls)   // the input is over: every timer must run out
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNet(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    Run().run(&input)
    return 0
}
