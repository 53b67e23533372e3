import Bytes

/// Everything the stack received, sent, dropped or refused, by layer and reason. Every drop path bumps
/// exactly one reason counter, so "why did my packet vanish" has an answer at /factory/etc.
public struct NetCounters {
    public var ethernet = EthernetCounters()
    public var arp = ARPCounters()
    public var ipv4 = IPv4Counters()
    public var icmp = ICMPCounters()
    public var udp = UDPCounters()
    public var ipv6 = IPv6Counters()
    public var icmpv6 = ICMPv6Counters()
    public var nd = NDCounters()

    public init() {}

    /// Every counter as "layer.name", in a fixed order (the console, /factory/etc, /factory/metrics).
    public var metrics: Metrics {
        var out = Metrics()
        ethernet.render(into: &out)
        arp.render(into: &out)
        ipv4.render(into: &out)
        icmp.render(into: &out)
        udp.render(into: &out)
        ipv6.render(into: &out)
        icmpv6.render(into: &out)
        nd.render(into: &out)
        return out
    }
}

public struct EthernetCounters {
    public var rxFrames: UInt64 = 0
    public var txFrames: UInt64 = 0
    /// Shorter than the 14-byte header.
    public var truncated: UInt64 = 0
    /// Unicast to another MAC, or multicast (we join no groups).
    public var notForUs: UInt64 = 0
    public var unknownEtherType: UInt64 = 0
    /// The NIC had no free transmit buffer; the frame was dropped.
    public var txBufferUnavailable: UInt64 = 0

    func render(into out: inout Metrics) {
        out.add("eth", names: """
            rx_frames tx_frames truncated not_for_us unknown_ethertype tx_buffer_unavailable
            """, [
            rxFrames, txFrames, truncated, notForUs, unknownEtherType, txBufferUnavailable
        ])
    }
}

public struct ARPCounters {
    public var requestsReceived: UInt64 = 0
    public var repliesReceived: UInt64 = 0
    public var requestsSent: UInt64 = 0
    public var repliesSent: UInt64 = 0
    public var announcementsSent: UInt64 = 0
    public var probesSent: UInt64 = 0
    public var truncated: UInt64 = 0
    /// Not Ethernet/IPv4, or an unknown operation.
    public var unsupported: UInt64 = 0
    /// A sender MAC that is multicast, or our own (a looped-back frame).
    public var badSender: UInt64 = 0
    /// Requests for another host's address (seen, not answered).
    public var notForUs: UInt64 = 0
    /// Another MAC claimed our configured address.
    public var addressConflicts: UInt64 = 0
    /// Packets dropped because the wait queue was full.
    public var queueFull: UInt64 = 0
    /// Packets dropped because too many addresses were already being resolved.
    public var pendingFull: UInt64 = 0
    /// Packets dropped because their next hop never answered.
    public var resolutionFailed: UInt64 = 0
    public var cacheEvictions: UInt64 = 0

    func render(into out: inout Metrics) {
        out.add("arp", names: """
            requests_received replies_received requests_sent replies_sent announcements_sent probes_sent
            truncated unsupported bad_sender not_for_us address_conflicts queue_full pending_full
            resolution_failed cache_evictions
            """, [
            requestsReceived, repliesReceived, requestsSent, repliesSent, announcementsSent, probesSent, truncated,
            unsupported, badSender, notForUs, addressConflicts, queueFull, pendingFull, resolutionFailed,
            cacheEvictions
        ])
    }
}

public struct IPv4Counters {
    public var received: UInt64 = 0
    public var sent: UInt64 = 0
    /// Shorter than 20 bytes, than its header length, or than its total length.
    public var truncated: UInt64 = 0
    /// Version not 4, IHL < 5, or total length < header length.
    public var badHeader: UInt64 = 0
    public var badChecksum: UInt64 = 0
    /// Fragments are dropped, never reassembled.
    public var fragments: UInt64 = 0
    /// Source is broadcast or multicast: no host sends from those.
    public var badSource: UInt64 = 0
    public var notForUs: UInt64 = 0
    /// No upper layer for the protocol number.
    public var unknownProtocol: UInt64 = 0
    /// Outgoing: no route to the destination.
    public var noRoute: UInt64 = 0
    /// Outgoing: larger than the MTU.
    public var tooLarge: UInt64 = 0

    func render(into out: inout Metrics) {
        out.add("ipv4", names: """
            received sent truncated bad_header bad_checksum fragments bad_source not_for_us unknown_protocol
            no_route too_large
            """, [
            received, sent, truncated, badHeader, badChecksum, fragments, badSource, notForUs, unknownProtocol,
            noRoute, tooLarge
        ])
    }
}

public struct ICMPCounters {
    public var echoRequestsReceived: UInt64 = 0
    public var echoRepliesSent: UInt64 = 0
    public var echoRequestsSent: UInt64 = 0
    public var echoRepliesReceived: UInt64 = 0
    public var unreachableSent: UInt64 = 0
    public var unreachableReceived: UInt64 = 0
    public var truncated: UInt64 = 0
    public var badChecksum: UInt64 = 0
    /// Echo requests to a broadcast address (ignored: they would make us a smurf amplifier).
    public var broadcastEchoIgnored: UInt64 = 0
    /// Error messages suppressed by the rate limit.
    public var rateLimited: UInt64 = 0
    /// Other types, received and ignored.
    public var otherTypes: UInt64 = 0
    /// Echo replies that arrived while the reply queue was full.
    public var echoReplyQueueFull: UInt64 = 0

    func render(into out: inout Metrics) {
        out.add("icmp", names: """
            echo_requests_received echo_replies_sent echo_requests_sent echo_replies_received unreachable_sent
            unreachable_received truncated bad_checksum broadcast_echo_ignored rate_limited other_types
            echo_reply_queue_full
            """, [
            echoRequestsReceived, echoRepliesSent, echoRequestsSent, echoRepliesReceived, unreachableSent,
            unreachableReceived, truncated, badChecksum, broadcastEchoIgnored, rateLimited, otherTypes,
            echoReplyQueueFull
        ])
    }
}

public struct UDPCounters {
    public var received: UInt64 = 0
    public var sent: UInt64 = 0
    public var truncated: UInt64 = 0
    /// Length field under 8.
    public var badHeader: UInt64 = 0
    public var badChecksum: UInt64 = 0
    /// No socket on the destination port.
    public var noSocket: UInt64 = 0
    /// The socket's receive queue was full.
    public var queueFull: UInt64 = 0

    func render(into out: inout Metrics) {
        out.add("udp", names: """
            received sent truncated bad_header bad_checksum no_socket queue_full
            """, [
            received, sent, truncated, badHeader, badChecksum, noSocket, queueFull
        ])
    }
}
