import Bytes
import DHCP

// Fuzz target `dhcp`: a DHCPClient driven through its states by input-chosen events on a virtual clock
// (server replies, ARP probe outcomes, release and restart, time), and the message decoder called
// directly. Never a trap; the client's own messages and leases stay consistent, and a poll leaves no
// timer due.
//
// Input: one setup byte (bit 0: start with a remembered address, INIT-REBOOT), then events until the
// input runs out, each a control byte:
//   bits 0-2: how far the clock moves first (`steps`), then due timers run;
//   bits 3-4: 0 = a reply reaches the client; 1 = the ARP probe reports (bit 5: conflict);
//             2 = release and start again; 3 = the reply is also decoded directly;
//   bit 6: the reply carries the transaction ID of the client's last message;
//   bit 7: the reply carries our MAC as chaddr.
// A reply is a 2-byte length (modulo `maxReply`) and that many bytes. Copying the xid and chaddr lets
// mutations of a real reply get past the client's first checks into every state.

/// The VM tests' MAC, so replies captured from dnsmasq are addressed to this client.
let clientMACBytes: [UInt8] = [0x52, 0x54, 0x00, 0xC8, 0x64, 0x64]
let clientMAC = MACAddress(clientMACBytes[0], clientMACBytes[1], clientMACBytes[2], clientMACBytes[3], clientMACBytes[4],
                           clientMACBytes[5])
let steps: [Interval] = [.zero, .milliseconds(100), .seconds(1), .seconds(4), .seconds(30), .seconds(600),
                         .seconds(3600), .seconds(86400)]
/// Larger than any UDP payload a 1500-byte MTU carries (1472), to cover what a broken driver might hand up.
let maxReply = 1600
/// Offsets in a BOOTP message (RFC 2131 §2), written from the RFC rather than read from the client.
let xidOffset = 4, chaddrOffset = 28, optionsOffset = 240

final class Run {
    let client: DHCPClient
    var now = Instant.zero + .seconds(1)
    /// The transaction ID of the client's last message (0 before it sends).
    var lastTransactionID: [UInt8] = [0, 0, 0, 0]

    init(remembered: Bool) {
        client = DHCPClient(mac: clientMAC, hostName: "fuzz", seed: 7,
                            rememberedAddress: remembered ? IPv4Address(192, 100, 200, 155) : nil)
        client.start(now: now)
        drain()
    }

    /// Takes the client's actions and checks each one.
    func drain() {
        while let action = client.nextAction() {
            switch action {
            case let .send(bytes, _):
                guard bytes.count >= optionsOffset + 4, bytes.count <= 576 else { fuzzFailure("client sent \(bytes.count) bytes") }
                guard bytes[0] == 1, Array(bytes[236..<240]) == [99, 130, 83, 99] else { fuzzFailure("client sent a bad header") }
                guard Array(bytes[chaddrOffset..<(chaddrOffset + 6)]) == clientMACBytes else {
                    fuzzFailure("client sent another chaddr")
                }
                lastTransactionID = Array(bytes[xidOffset..<(xidOffset + 4)])
            case let .configure(lease):
                guard (0...32).contains(lease.prefixLength) else { fuzzFailure("lease prefix \(lease.prefixLength)") }
                guard lease.renewalSeconds <= lease.rebindingSeconds, lease.rebindingSeconds <= lease.leaseSeconds else {
                    fuzzFailure("lease T1 \(lease.renewalSeconds) T2 \(lease.rebindingSeconds) lease \(lease.leaseSeconds)")
                }
                guard lease.dnsServers.count <= DHCPLease.maxDNSServers else { fuzzFailure("too many DNS servers") }
            case .probe, .deconfigure, .log:
                break
            }
        }
        guard client.state.isConfigured == (client.lease != nil) else { fuzzFailure("lease and state disagree") }
    }

    func reply(_ control: UInt8, _ input: inout FuzzInput) -> [UInt8] {
        var bytes = input.take(Int(input.u16()) % maxReply)
        if control & 0x40 != 0, bytes.count >= xidOffset + 4 {
            bytes.replaceSubrange(xidOffset..<(xidOffset + 4), with: lastTransactionID)
        }
        if control & 0x80 != 0, bytes.count >= chaddrOffset + 6 {
            bytes.replaceSubrange(chaddrOffset..<(chaddrOffset + 6), with: clientMACBytes)
        }
        return bytes
    }

    func run(_ input: inout FuzzInput) {
        while !input.isAtEnd {
            let control = input.byte()
            now = now + steps[Int(control & 7)]
            client.poll(now: now)
            // After other calls a deadline may already have passed (run poll now); poll runs every due timer.
            guard client.nextDeadline() > now else {
                fuzzFailure("deadline \(client.nextDeadline()) not after \(now) in \(client.state.text) after poll")
            }
            drain()
            switch (control >> 3) & 3 {
            case 0:
                reply(control, &input).withByteView { client.receive($0, now: now) }
            case 1:
                client.probeResult(conflict: control & 0x20 != 0, now: now)
            case 2:
                client.release(now: now)
                drain()
                client.start(now: now)
            default:
                reply(control, &input).withByteView { view in
                    do {
                        let message = try DHCPMessage.decode(view)
                        guard view.count >= optionsOffset, view[0] == 2 else { fuzzFailure("decoded a non-reply") }
                        // Every listed address came from four bytes of the message.
                        let listed = message.options.dnsServers.count + message.options.routers.count
                        guard listed * 4 <= view.count else { fuzzFailure("\(listed) addresses from \(view.count) bytes") }
                    } catch {}
                    client.receive(view, now: now)
                }
            }
            drain()
            _ = client.status(now: now)  // the console's view must format any state and lease
            trace("event \(control >> 3 & 3) -> \(client.state.text)\n\(client.counters.metrics.lines.joined(separator: "\n"))")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDHCP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let setup = input.byte()
    Run(remembered: setup & 1 != 0).run(&input)
    return 0
}
