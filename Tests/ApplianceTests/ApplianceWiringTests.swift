import Testing
import Bytes
import Net
import TCP
import HTTP
import TestSupport
import Ext2
@testable import Appliance

/// The whole `Appliance` as the kernel builds it, over an in-memory wire to a client host (NIC,
/// interface, TCP: `OffloadHost`): the command line's address, ARP, TCP, the registry, the HTTP service
/// and its default service domain (the appliance's own network), end to end on a virtual clock.
@Suite struct ApplianceWiringTests {
    final class Bench {
        let clock = VirtualClock()
        let appliance: Appliance<WireNIC>
        let applianceNIC: WireNIC
        let client = OffloadHost(index: 2, offloads: .none)
        /// Every console line the appliance logged.
        let log: LogSink

        /// `disk`: the block device the kernel would find; `forwardToSyslog`: log lines (access lines
        /// included) also go to `Appliance.forwardToSyslog`, as the kernel's log does under `syslog=`.
        init(commandLine: String, disk: BlockDevice? = nil, forwardToSyslog: Bool = false) {
            let nic = WireNIC(mac: MACAddress(0x02_00_00_00_00_01), offloads: .none)
            applianceNIC = nic
            let config = BootConfig.parse(Array(commandLine.utf8)).config
            let sink = LogSink()
            log = sink
            appliance = Appliance(config: config, nic: nic, disk: disk, clock: clock, wallClock: clock, seed: 7,
                                  log: { level, line in
                                      sink.lines.append(line)
                                      sink.forward?(level, false, Array(line.utf8))
                                  },
                                  accessLog: { entry in
                                      sink.lines.append(String(decoding: entry.line, as: UTF8.self))
                                      sink.forward?(.info, true, entry.line)
                                  })
            if forwardToSyslog {
                let appliance = appliance
                sink.forward = { level, access, message in appliance.forwardToSyslog(level: level, access: access, message: message) }
            }
            nic.peer = client.nic
            client.nic.peer = nic
        }

        /// Answers DHCP on the wire when set: the address it leases (10.0.0.1, router 10.0.0.254).
        var dhcpServer: DHCPResponder? = nil

        /// Runs both hosts in 1 ms steps until `done` or `limit` steps.
        @discardableResult
        func run(steps limit: Int = 5_000, until done: () -> Bool) -> Bool {
            for _ in 0..<limit {
                if done() { return true }
                clock.advance(by: .milliseconds(1))
                appliance.poll(now: clock.now())
                if let dhcpServer { dhcpServer.answer(from: client.nic, to: applianceNIC) }
                client.turn(now: clock.now())
                while client.tcp.nextChanged() != nil {}
            }
            return done()
        }

        /// One GET from the client host; the whole response as text ("" if none arrived).
        func get(_ path: String) -> String {
            let server = Endpoint(IPv4Address(10, 0, 0, 1), 80)
            guard let c = try? client.tcp.connect(from: IPAddress(client.address), to: server, now: clock.now()) else { return "" }
            run { client.tcp.state(c) == .established }
            let request = Array("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
            _ = request.withByteView { try? client.tcp.send(c, $0) }
            var response: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            run {
                while let n = buffer.withMutableByteView({ try? client.tcp.receive(c, into: $0) }), n > 0 { response += buffer[0..<n] }
                return client.tcp.isPeerFinished(c)
            }
            return String(decoding: response, as: UTF8.self)
        }
    }

    @Test func aStaticAddressAnswersARPAndServesTheWelcomePageToItsOwnNetwork() {
        let bench = Bench(commandLine: "ip=10.0.0.1/24 gw=10.0.0.254")
        #expect(bench.appliance.interface.configuration.address == IPv4Address(10, 0, 0, 1))
        let response = bench.get("/")
        #expect(response.hasPrefix("HTTP/1.1 200"), "\(response.prefix(80))")
        #expect(response.contains("It works."))
        #expect(bench.appliance.interface.counters.arp.repliesSent >= 1)
        #expect(bench.appliance.http.counters.byStatus[200] == 1)
        // The built-in pages and the statistics are wired to the same stack.
        let etc = bench.get("/factory/etc")
        #expect(etc.hasPrefix("HTTP/1.1 200") && etc.contains("net.address 10.0.0.1/24") && etc.contains("tcp.connections_open"))
    }

    @Test func anAddressOffTheDefaultNetworkWithoutGatewayIsConfiguredWithoutOne() {
        let bench = Bench(commandLine: "ip=10.0.0.1/24")
        #expect(bench.appliance.interface.configuration.address == IPv4Address(10, 0, 0, 1))
        #expect(bench.appliance.interface.configuration.gateway == nil)
        #expect(bench.log.lines.contains("net: address 10.0.0.1/24, no gateway (set gw= to reach other networks)"), "\(bench.log.lines)")
        #expect(bench.get("/").hasPrefix("HTTP/1.1 200"))
    }

    @Test func byDefaultOnlyTheAppliancesOwnNetworkIsAnswered() {
        let bench = Bench(commandLine: "ip=10.0.0.1/24 gw=10.0.0.254")
        let domain = bench.appliance.http.configuration.domain
        #expect(domain.allows(IPAddress(IPv4Address(10, 0, 0, 2))) && domain.allows(IPAddress(IPv4Address(10, 0, 0, 254))))
        #expect(!domain.allows(IPAddress(IPv4Address(10, 0, 1, 2))) && !domain.allows(IPAddress(IPv4Address(192, 168, 0, 1))))
        // Its IPv6 side is the link: link-local peers are in, addresses on no on-link prefix are not.
        #expect(domain.allows(IPAddress(IPv6Address(parsing: "fe80::1")!)))
        #expect(!domain.allows(IPAddress(IPv6Address(parsing: "2001:db8::1")!)))
        // A client from another network (through the gateway) gets 403 from the wired server.
        let far = ScriptedConnection(peer: Endpoint(IPv4Address(192, 168, 0, 1), 40000))
        _ = bench.appliance.http.accept(far, now: bench.clock.now())
        far.inbox += Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = bench.appliance.http.receive(far, now: bench.clock.now())
        #expect(String(decoding: far.output, as: UTF8.self).hasPrefix("HTTP/1.1 403"))
        #expect(bench.appliance.http.counters.forbiddenByDomain == 1)
    }

    @Test func dhcpBindsThroughTheARPProbeAndThenServesItsNewNetwork() {
        let bench = Bench(commandLine: "ip=dhcp")
        let responder = DHCPResponder()
        bench.dhcpServer = responder
        #expect(bench.appliance.interface.configuration.address == .any)
        // RFC 5227: the offered address is probed (up to ~9 s) before it is used.
        #expect(bench.run(steps: 20_000) { bench.appliance.interface.configuration.address == IPv4Address(10, 0, 0, 1) })
        #expect(responder.offers >= 1 && responder.acks >= 1)
        #expect(bench.appliance.interface.counters.arp.probesSent == 3)
        #expect(bench.appliance.http.configuration.domain.allows(IPAddress(IPv4Address(10, 0, 0, 2))))
        #expect(!bench.appliance.http.configuration.domain.allows(IPAddress(IPv4Address(10, 0, 1, 2))))
        #expect(bench.get("/").hasPrefix("HTTP/1.1 200"))
    }

    @Test func anExplicitDomainReplacesTheDefault() {
        let bench = Bench(commandLine: "ip=10.0.0.1/24 gw=none http.domain=192.168.0.0/16")
        #expect(bench.appliance.http.configuration.domain.allows(IPAddress(IPv4Address(192, 168, 7, 7))))
        #expect(!bench.appliance.http.configuration.domain.allows(IPAddress(IPv6Address(parsing: "fe80::1")!)))
        #expect(bench.get("/").hasPrefix("HTTP/1.1 403"))
    }
}

final class LogSink {
    var lines: [String] = []
    /// Where lines go besides `lines` (set once the appliance exists).
    var forward: ((BootConfig.LogLevel, Bool, [UInt8]) -> Void)? = nil
}

/// A DHCP server on the wire, written from RFC 2131 byte offsets: takes the appliance's DHCP frames off
/// the wire and answers DISCOVER with an OFFER and REQUEST with an ACK of 10.0.0.1/24 for an hour.
/// RELEASEs are kept with the IPv4 source they came from; ARP requests for the server's address are
/// answered while `answersARP` (its DHCP replies, like a real server's, teach the client no MAC).
final class DHCPResponder {
    static let serverMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0xFE]
    static let server: [UInt8] = [10, 0, 0, 254]
    static let offered: [UInt8] = [10, 0, 0, 1]
    var offers = 0, acks = 0
    var answersARP = true
    /// Each RELEASE: its IPv4 source address and ciaddr.
    var releases: [(source: [UInt8], ciaddr: [UInt8])] = []

    func answer(from wire: WireNIC, to appliance: WireNIC) {
        wire.inbox.removeAll { frame in
            // An ARP request (Ethernet type 0x0806, operation 1) for the server's address.
            if frame.count >= 42, frame[12] == 0x08, frame[13] == 0x06, frame[21] == 1, Array(frame[38..<42]) == Self.server {
                if answersARP { appliance.inbox.append(Self.arpReply(to: frame)) }
                return true
            }
            // Ethernet IPv4, UDP, destination port 67.
            guard frame.count > 42 + 240, frame[12] == 0x08, frame[13] == 0x00, frame[23] == 17,
                  frame[36] == 0, frame[37] == 67 else { return false }
            let dhcp = Array(frame[42...])
            guard let type = Self.option(53, in: dhcp)?.first else { return true }
            if type == 1 { offers += 1; appliance.inbox.append(Self.reply(2, to: dhcp)) }
            if type == 3 { acks += 1; appliance.inbox.append(Self.reply(5, to: dhcp)) }
            if type == 7 { releases.append((Array(frame[26..<30]), Array(dhcp[12..<16]))) }
            return true
        }
    }

    static func arpReply(to request: [UInt8]) -> [UInt8] {
        let asker = Array(request[22..<28]), askerIP = Array(request[28..<32])
        return asker + serverMAC + [0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 2] + serverMAC + server + asker + askerIP
    }

    static func option(_ code: UInt8, in message: [UInt8]) -> [UInt8]? {
        var i = 240
        while i + 1 < message.count, message[i] != 255 {
            if message[i] == 0 { i += 1; continue }
            let length = Int(message[i + 1])
            if message[i] == code { return Array(message[(i + 2)..<min(message.count, i + 2 + length)]) }
            i += 2 + length
        }
        return nil
    }

    static func reply(_ type: UInt8, to request: [UInt8]) -> [UInt8] {
        var bootp = [UInt8](repeating: 0, count: 236)
        bootp[0] = 2; bootp[1] = 1; bootp[2] = 6
        bootp.replaceSubrange(4..<8, with: request[4..<8])          // xid
        bootp.replaceSubrange(16..<20, with: offered)              // yiaddr
        bootp.replaceSubrange(28..<44, with: request[28..<44])     // chaddr
        bootp += [99, 130, 83, 99]
        bootp += [53, 1, type, 54, 4] + server + [51, 4, 0, 0, 0x0E, 0x10, 1, 4, 255, 255, 255, 0, 3, 4] + server + [255]
        let udpLength = 8 + bootp.count
        let udp: [UInt8] = [0, 67, 0, 68, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0] + bootp
        let total = 20 + udp.count
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0, 0, 64, 17, 0, 0]
            + server + [255, 255, 255, 255]
        let sum = ip.withByteView { InternetChecksum.of($0) }
        ip[10] = UInt8(sum >> 8); ip[11] = UInt8(sum & 0xFF)
        return Array(request[28..<34]) + serverMAC + [0x08, 0x00] + ip + udp
    }
}
