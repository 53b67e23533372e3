import Bytes
import TCP

// Fuzz target `tcp`: a TCPLayer at 192.100.200.100 with a listener on port 80, tight limits (so the
// limits are reached), an application that accepts, reads, writes, closes, aborts and connects as the
// input says, fed arbitrary segments from two peers on a virtual clock. Never a trap; every segment the
// layer emits parses and carries a valid checksum; the limits hold; a poll leaves no timer due.
//
// Input, repeated until it runs out:
//   control byte: bits 0-2 choose how far the clock moves first (`steps`); bit 3 fixes the checksum;
//     bit 4 rewrites seq, ack and destination port to follow the last segment the layer sent to that
//     peer port (so a mutated conversation stays in the window and reaches every state);
//     bit 5: the application acts first (what and on which handle: two bytes, then any
//     parameters; see `act`); bit 6: the second peer sends it.
//   length (2 bytes, modulo `maxSegment`), then the TCP header and payload.

let ourAddress = IPv4Address(192, 100, 200, 100)
let peers = [IPv4Address(192, 100, 200, 1), IPv4Address(192, 100, 200, 7)]
let listenPort: UInt16 = 80
let steps: [Interval] = [.zero, .milliseconds(1), .milliseconds(40), .milliseconds(300), .seconds(1),
                         .seconds(5), .seconds(61), .seconds(600)]
let maxSegment = 1600
/// Polls allowed once the input is consumed, for timers to run out or reach a steady state.
let maxSettlePolls = 256

/// The last segment the layer sent to each peer endpoint: what the peer would acknowledge next.
struct Sent {
    var localPort: UInt16
    var seq: UInt32
    var ack: UInt32
    var length: UInt32  // payload, plus one for SYN and one for FIN
}

final class CheckedOutput: TCPOutput {
    var last: [Endpoint: Sent] = [:]
    var emitted: UInt64 = 0
    /// Lets the application's input byte make the IP layer refuse segments for a while.
    var refuse = 0
    /// Segments refused so far: a connection whose segment was refused asks to run again at once.
    var refused: UInt64 = 0

    func emitSegment(source: IPAddress, destination: IPAddress, length: Int, now: Instant,
                     fill: (MutableByteView) -> Void) -> Bool {
        guard let source = source.ipv4, let destination = destination.ipv4 else { fuzzFailure("an IPv6 segment") }
        guard length >= 20, length <= 1480 else { fuzzFailure("segment of \(length) bytes") }
        if refuse > 0 {
            refuse -= 1
            refused += 1
            trace("refused a segment of \(length) bytes")
            return false
        }
        var s = [UInt8](repeating: 0xA5, count: length)
        s.withMutableByteView { fill($0) }
        guard source == ourAddress else { fuzzFailure("segment from \(source.text)") }
        let offset = Int(s[12] >> 4) * 4
        guard offset >= 20, offset <= length else { fuzzFailure("data offset \(offset) in \(length)") }
        var sum = InternetChecksum()
        sum.add(u32: source.value)
        sum.add(u32: destination.value)
        sum.add(u16: 6)
        sum.add(u16: UInt16(length))
        sum.add(s)
        guard sum.verifies else { fuzzFailure("segment checksum") }
        let flags = s[13]
        let sequenceLength = UInt32(length - offset) + (flags & 0x02 != 0 ? 1 : 0) + (flags & 0x01 != 0 ? 1 : 0)
        let localPort = UInt16(s[0]) << 8 | UInt16(s[1])
        let port = UInt16(s[2]) << 8 | UInt16(s[3])
        if flags & 0x04 == 0 {
            last[Endpoint(destination, port)] = Sent(localPort: localPort, seq: be32(s, 4), ack: be32(s, 8), length: sequenceLength)
        }
        emitted += 1
        trace("sent flags \(flags) seq \(be32(s, 4)) ack \(be32(s, 8)) length \(length - offset) to port \(port)")
        return true
    }
}

func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
    UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
}

func setBE32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
    for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32(i))) }
}

final class Run {
    let output = CheckedOutput()
    let layer: TCPLayer
    let listener: TCPHandle
    var handles: [TCPHandle] = []
    var now = Instant.zero + .seconds(1)
    var buffer = [UInt8](repeating: 0, count: 2048)

    init() {
        var config = TCPConfiguration(seed: 0x5EED)
        config.maximumConnections = 6
        config.maximumBacklog = 3
        config.sendBufferSize = 4096
        config.receiveBufferSize = 4096
        config.maximumMemory = 40 * 1024
        config.maximumOutOfOrderRanges = 4
        config.maximumTimeWait = 4
        layer = TCPLayer(configuration: config, output: output)
        do { listener = try layer.listen(port: listenPort, backlog: 2) } catch { fuzzFailure("listen") }
    }

    func checkLimits() {
        let c = layer.configuration
        guard layer.connectionCount <= c.maximumConnections else { fuzzFailure("\(layer.connectionCount) connections") }
        guard layer.memoryInUse <= c.maximumMemory else { fuzzFailure("\(layer.memoryInUse) bytes in use") }
        guard layer.timeWaitCount <= c.maximumTimeWait else { fuzzFailure("\(layer.timeWaitCount) in TIME-WAIT") }
        for h in handles {
            guard layer.available(h) <= c.receiveBufferSize else { fuzzFailure("\(layer.available(h)) bytes readable") }
            guard layer.unacknowledged(h) <= c.sendBufferSize else { fuzzFailure("\(layer.unacknowledged(h)) bytes unacknowledged") }
            guard layer.sendSpace(h) <= c.sendBufferSize - layer.unacknowledged(h) else { fuzzFailure("send space \(layer.sendSpace(h))") }
        }
    }

    /// The application's reaction to what changed: accept everything, read what is readable, release
    /// the ended. Whatever the input, a changed handle is a listener or one of ours.
    func handleEvents() {
        var looks = 0
        while let h = layer.nextChanged() {
            looks += 1
            guard looks <= layer.configuration.maximumConnections + layer.configuration.maximumListeners + 1 else {
                fuzzFailure("a handle named twice in one pass")
            }
            if layer.isListener(h) {
                while let accepted = try? layer.accept(listener) { handles.append(accepted) }
                continue
            }
            guard let readiness = layer.readiness(h), handles.contains(h) else { fuzzFailure("a changed handle that is not ours") }
            if readiness.available > 0 { _ = buffer.withMutableByteView { try? layer.receive(h, into: $0) } }
            if readiness.ended != nil {
                layer.release(h)
                handles.removeAll { $0 == h }
            }
        }
    }

    func act(_ how: UInt8, _ input: inout FuzzInput) {
        let pick = Int(input.byte())
        let handle = handles.isEmpty ? nil : handles[pick % handles.count]
        switch how % 10 {
        case 0:
            if let handle {
                let data = [UInt8](repeating: how, count: Int(input.u16()) % 6000)
                _ = data.withByteView { try? layer.send(handle, $0) }
            }
        case 1: if let handle { try? layer.close(handle) }
        case 2: if let handle { try? layer.shutdown(handle) }
        case 3: if let handle { try? layer.abort(handle) }
        case 4:
            if let handle { layer.release(handle); handles.removeAll { $0 == handle } }
        case 5:
            let peer = peers[Int(how >> 4) & 1]
            if let h = try? layer.connect(from: IPAddress(ourAddress), to: Endpoint(peer, input.u16()), now: now) { handles.append(h) }
        case 6:
            if let handle { try? layer.setNoDelay(handle, how & 0x10 != 0); try? layer.setKeepalive(handle, how & 0x20 != 0) }
        case 7:
            if let handle { _ = buffer.withMutableByteView { try? layer.peek(handle, into: $0) } }
        case 8:
            output.refuse = Int(how >> 4)
        default:  // the address went away (a DHCP lease lost)
            layer.resetConnections(boundTo: IPAddress(ourAddress))
        }
    }

    /// A poll leaves no timer due, unless the IP layer refused a segment during it: that connection
    /// still has output to send and asks to run again at once (the main loop retries on its next turn).
    func poll() {
        let refusedBefore = output.refused
        layer.poll(now: now)
        handleEvents()
        guard layer.nextDeadline() > now || output.refused > refusedBefore else { fuzzFailure("deadline \(layer.nextDeadline().nanoseconds) due after poll at \(now.nanoseconds)") }
    }

    func run(_ input: inout FuzzInput) {
        while !input.isAtEnd {
            let control = input.byte()
            if control & 0x20 != 0 { act(input.byte(), &input) }
            now = now + steps[Int(control & 7)]
            poll()
            let source = peers[Int(control >> 6) & 1]
            var segment = input.take(Int(input.u16()) % maxSegment)
            if control & 0x10 != 0, segment.count >= 20 {
                let port = UInt16(segment[0]) << 8 | UInt16(segment[1])
                if let sent = output.last[Endpoint(source, port)] {
                    segment[2] = UInt8(sent.localPort >> 8); segment[3] = UInt8(sent.localPort & 0xFF)
                    setBE32(&segment, 4, sent.ack)
                    setBE32(&segment, 8, sent.seq &+ sent.length)
                }
            }
            if control & 0x08 != 0, segment.count >= 20 {
                segment[16] = 0; segment[17] = 0
                var sum = InternetChecksum()
                sum.add(u32: source.value)
                sum.add(u32: ourAddress.value)
                sum.add(u16: 6)
                sum.add(u16: UInt16(segment.count))
                sum.add(segment)
                segment[16] = UInt8(sum.value >> 8); segment[17] = UInt8(sum.value & 0xFF)
            }
            if segment.count >= 20 { trace("received flags \(segment[13]) seq \(be32(segment, 4)) ack \(be32(segment, 8))") }
            segment.withByteView { layer.receive(source: IPAddress(source), destination: IPAddress(ourAddress), segment: $0, now: now) }
            handleEvents()
            checkLimits()
        }
        for _ in 0..<maxSettlePolls {
            let deadline = layer.nextDeadline()
            guard deadline != .never else { break }
            now = max(now, deadline)
            poll()
            checkLimits()
        }
        trace("emitted \(output.emitted), connections \(layer.connectionCount), TIME-WAIT \(layer.timeWaitCount), received \(layer.counters.segmentsReceived), malformed \(layer.counters.malformed), bad checksum \(layer.counters.badChecksum), out of window \(layer.counters.outOfWindow), bad ack \(layer.counters.badAck)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTCP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    Run().run(&input)
    return 0
}
