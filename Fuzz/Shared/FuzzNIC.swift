import Bytes
import Net

/// The network targets' NIC (net, ipv6): frames in from `inbox`, every frame the stack transmits handed
/// to the target's `check` (which fails the run on anything malformed) and counted, so a target can
/// compare both counts with the interface's own.
final class FuzzNIC: NetworkInterface {
    let macAddress: MACAddress
    let mtu = 1500
    var inbox: [[UInt8]] = []
    var delivered: UInt64 = 0
    var transmitted: UInt64 = 0
    /// Free transmit buffers; the application's byte can make the ring run dry.
    var freeBuffers = Int.max
    private let check: ([UInt8]) -> Void

    init(mac: MACAddress, check: @escaping ([UInt8]) -> Void) {
        macAddress = mac
        self.check = check
    }

    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int {
        var n = 0
        while n < limit, !inbox.isEmpty {
            let frame = inbox.removeFirst()
            delivered += 1
            frame.withByteView { handler($0) }
            n += 1
        }
        return n
    }

    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool {
        guard length >= 60, length <= mtu + 14 else { fuzzFailure("transmit of \(length) bytes") }
        guard freeBuffers > 0 else { return false }
        freeBuffers -= 1
        var frame = [UInt8](repeating: 0xA5, count: length)
        frame.withMutableByteView { fill($0) }
        check(frame)
        transmitted += 1
        return true
    }

    func flush() { freeBuffers = Int.max }
}

extension Interface where NIC == FuzzNIC {
    /// The input is over: the queued frames go in, every timer must run out within `maxPolls` polls,
    /// and the interface must have counted every frame the NIC handed over and took.
    func finish(now: inout Instant, maxPolls: Int) {
        while !nic.inbox.isEmpty { poll(now: now) }
        var polls = 0
        while nextDeadline() != .never {
            polls += 1
            guard polls <= maxPolls else { fuzzFailure("timers still running after \(maxPolls) polls") }
            now = max(now, nextDeadline())
            poll(now: now)
        }
        trace(counters.metrics.lines.joined(separator: "\n"))
        guard counters.ethernet.rxFrames == nic.delivered else {
            fuzzFailure("\(nic.delivered) frames delivered, \(counters.ethernet.rxFrames) counted")
        }
        guard counters.ethernet.txFrames == nic.transmitted else {
            fuzzFailure("\(nic.transmitted) frames transmitted, \(counters.ethernet.txFrames) counted")
        }
    }
}
