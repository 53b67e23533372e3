import Bytes
import DHCP

// The server side of the tests, written from RFC 2131/2132 directly with byte offsets and literal
// option bytes, sharing no code with the client's encoder or decoder: the tests are differential.

func be32(_ v: UInt32) -> [UInt8] {
    [UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16),
     UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
}

func be16(_ v: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }

/// One option as type-length-value bytes.
func opt(_ code: UInt8, _ value: [UInt8]) -> [UInt8] { [code, UInt8(value.count)] + value }

func ip(_ a: IPv4Address) -> [UInt8] { be32(a.value) }

/// A message from the client, parsed by hand.
struct ClientPacket {
    let bytes: [UInt8]
    let destination: DHCPDestination
    let sentAt: Instant

    var op: UInt8 { bytes[0] }
    var htype: UInt8 { bytes[1] }
    var hlen: UInt8 { bytes[2] }
    var xid: UInt32 { UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7]) }
    var secs: UInt16 { UInt16(bytes[8]) << 8 | UInt16(bytes[9]) }
    var flags: UInt16 { UInt16(bytes[10]) << 8 | UInt16(bytes[11]) }
    var ciaddr: [UInt8] { Array(bytes[12..<16]) }
    var yiaddr: [UInt8] { Array(bytes[16..<20]) }
    var chaddr: [UInt8] { Array(bytes[28..<34]) }
    var chaddrPadding: [UInt8] { Array(bytes[34..<44]) }
    var cookie: [UInt8] { Array(bytes[236..<240]) }

    /// Options field walked by hand: code -> value; `order` keeps the codes as they appeared.
    var options: [UInt8: [UInt8]] = [:]
    var order: [UInt8] = []
    var endSeen = false

    init(_ bytes: [UInt8], to destination: DHCPDestination, at time: Instant) {
        self.bytes = bytes
        self.destination = destination
        sentAt = time
        var i = 240
        while i < bytes.count {
            let code = bytes[i]
            if code == 0 { i += 1; continue }
            if code == 255 { endSeen = true; break }
            let len = Int(bytes[i + 1])
            options[code] = Array(bytes[(i + 2)..<(i + 2 + len)])
            order.append(code)
            i += 2 + len
        }
    }

    var type: UInt8? { options[53]?.first }
    var requested: [UInt8]? { options[50] }
    var serverID: [UInt8]? { options[54] }
}

/// A reply assembled field by field: 236-byte BOOTP header, cookie, options as given.
struct ServerReply {
    var op: UInt8 = 2
    var htype: UInt8 = 1
    var hlen: UInt8 = 6
    var xid: UInt32
    var yiaddr: [UInt8] = [0, 0, 0, 0]
    var siaddr: [UInt8] = [0, 0, 0, 0]
    var chaddr: [UInt8]
    var cookie: [UInt8] = [99, 130, 83, 99]
    var sname: [UInt8] = []
    var file: [UInt8] = []
    /// Raw bytes of the options field, End included by whoever builds it.
    var options: [UInt8] = []

    var bytes: [UInt8] {
        var b: [UInt8] = [op, htype, hlen, 0]
        b += be32(xid)
        b += [0, 0, 0x80, 0x00]                        // secs, flags (broadcast)
        b += [0, 0, 0, 0]                              // ciaddr
        b += yiaddr + siaddr
        b += [0, 0, 0, 0]                              // giaddr
        b += chaddr + [UInt8](repeating: 0, count: 16 - chaddr.count)
        b += sname + [UInt8](repeating: 0, count: 64 - sname.count)
        b += file + [UInt8](repeating: 0, count: 128 - file.count)
        precondition(b.count == 236)
        return b + cookie + options
    }
}

/// A DHCP server with one address to give, configurable to lose, refuse or go silent.
final class ScriptedServer {
    var serverID = IPv4Address(192, 168, 7, 1)
    var pool: [IPv4Address] = [IPv4Address(192, 168, 7, 50)]
    var leaseSeconds: UInt32 = 3600
    var t1: UInt32? = nil
    var t2: UInt32? = nil
    var mask: [UInt8] = [255, 255, 255, 0]
    var routers: [IPv4Address] = [IPv4Address(192, 168, 7, 1)]
    var dns: [IPv4Address] = [IPv4Address(192, 168, 7, 53), IPv4Address(9, 9, 9, 9)]
    var mtu: UInt16? = 1400

    var answering = true
    var answerUnicast = true
    /// How many of the next messages of each type (53 value) are lost on the way in.
    var lose: [UInt8: Int] = [:]
    var ignoreRequests = false
    /// How many of the next REQUESTs are refused.
    var nakRequests = 0
    /// ACK any REQUEST with the pool's first address (a server that moves a client on renewal).
    var acceptAnyRequest = false

    var offered: IPv4Address { pool[0] }

    func leaseOptions() -> [UInt8] {
        var o = opt(54, ip(serverID)) + opt(51, be32(leaseSeconds)) + opt(1, mask)
        if let t1 { o += opt(58, be32(t1)) }
        if let t2 { o += opt(59, be32(t2)) }
        if !routers.isEmpty { o += opt(3, routers.flatMap { ip($0) }) }
        if !dns.isEmpty { o += opt(6, dns.flatMap { ip($0) }) }
        if let mtu { o += opt(26, be16(mtu)) }
        return o
    }

    func reply(_ type: UInt8, to p: ClientPacket, yiaddr: IPv4Address?) -> [UInt8] {
        var r = ServerReply(xid: p.xid, chaddr: p.chaddr)
        if let yiaddr { r.yiaddr = ip(yiaddr) }
        r.options = opt(53, [type]) + (type == 6 ? opt(54, ip(serverID)) : leaseOptions()) + [255]
        return r.bytes
    }

    /// What the server sends back, if anything.
    func handle(_ p: ClientPacket) -> [UInt8]? {
        guard answering else { return nil }
        if let type = p.type, let n = lose[type], n > 0 { lose[type] = n - 1; return nil }
        if case .server = p.destination, !answerUnicast { return nil }
        switch p.type {
        case 1:
            return reply(2, to: p, yiaddr: offered)
        case 3:
            if ignoreRequests { return nil }
            // Selecting: a REQUEST naming another server declines our offer; stay quiet.
            if let sid = p.serverID, sid != ip(serverID) { return nil }
            let wanted = p.requested ?? p.ciaddr
            if nakRequests > 0 { nakRequests -= 1; return reply(6, to: p, yiaddr: nil) }
            if wanted != ip(offered) && !acceptAnyRequest { return reply(6, to: p, yiaddr: nil) }
            return reply(5, to: p, yiaddr: offered)
        case 4:
            pool.removeFirst()   // declined: never offer it again
            return nil
        default:
            return nil
        }
    }
}
