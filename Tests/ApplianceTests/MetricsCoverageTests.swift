import Testing
import Bytes
import Net
import TestSupport
@testable import Appliance

/// Every counter the appliance keeps is rendered by the one metrics mechanism (console, /factory/etc,
/// /factory/metrics): each UInt64 stored property of every counter holder, found by reflection here (the
/// hosted tests may reflect; the kernel may not), must appear as "prefix.snake_case_name".
@Suite struct MetricsCoverageTests {
    /// camelCase to snake_case, a run of capitals as one word ("notDHCP" -> "not_dhcp").
    static func snake(_ name: String) -> String {
        var out = ""
        var previousUpper = true
        for c in name {
            let upper = c.isUppercase
            if upper && !previousUpper { out += "_" }
            out += c.lowercased()
            previousUpper = upper
        }
        return out
    }

    static func counterFields(_ holder: Any) -> [String] {
        Mirror(reflecting: holder).children.compactMap { child in
            child.value is UInt64 ? child.label.map { $0.hasPrefix("_") ? String($0.dropFirst()) : $0 } : nil
        }
    }

    /// Where a field's rendered name is not its snake_case (kept for the names tests and tools know).
    static let renamed = ["services.initialize": "services.callbacks.init", "http.requests": "http.requests_received",
                          "eth.unknown_ether_type": "eth.unknown_ethertype"]

    @Test func everyCounterIsRendered() throws {
        let clock = VirtualClock()
        let nic = WireNIC(mac: MACAddress(2, 0, 0, 0, 0, 1), offloads: .none)
        let appliance = Appliance(config: BootConfig.parse(Array("ip=dhcp syslog=10.0.0.9 services=echo".utf8)).config, nic: nic, disk: nil, clock: clock,
                                  wallClock: clock, seed: 1, log: { _, _ in })
        var all = appliance.http.statusMetrics()
        all.append(appliance.statusMetrics)
        let rendered = Set(all.all.map { String(decoding: $0.name.map { $0 == UInt8(ascii: "-") ? UInt8(ascii: "_") : $0 }, as: UTF8.self) })
        let dhcp = try #require(appliance.dhcp)
        let syslog = try #require(appliance.syslog)
        let echo = try #require(appliance.udpEcho)
        let net = appliance.interface.counters
        let holders: [(String, Any)] = [
            ("eth", net.ethernet), ("arp", net.arp), ("ipv4", net.ipv4), ("icmp", net.icmp), ("udp", net.udp),
            ("ipv6", net.ipv6), ("icmp6", net.icmpv6), ("nd", net.nd),
            ("tcp", appliance.tcp.counters), ("tcp", appliance.glue),
            ("services", appliance.registry.counters), ("services.callbacks", appliance.registry.counters.callbacks),
            ("dhcp", dhcp.client.counters), ("dhcp", dhcp), ("http", appliance.http.counters),
            ("syslog", syslog), ("udp_echo", echo),
        ]
        var checked = 0
        for (prefix, holder) in holders {
            for field in Self.counterFields(holder) {
                var name = prefix + "." + Self.snake(field)
                if let other = Self.renamed[name] { name = other }
                if prefix == "services.callbacks", let other = Self.renamed["services." + field] { name = other }
                if !rendered.contains(name) { Issue.record("\(name) is counted but never rendered") }
                checked += 1
            }
        }
        #expect(checked > 150)
        // The two counters this test was written for.
        #expect(rendered.contains("tcp.source_mismatches") && rendered.contains("dhcp.send_failures"))
    }
}
