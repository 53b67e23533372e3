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
        out.add("eth", "rx_frames", rxFrames)
        out.add("eth", "tx_frames", txFrames)
        out.add("eth", "truncated", truncated)
        out.add("eth", "not_for_us", notForUs)
        out.add("eth", "unknown_ethertype", unknownEtherType)
        out.add("eth", "tx_buffer_unavailable", txBufferUnavailable)
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
        out.add("arp", "requests_received", requestsReceived)
        out.add("arp", "replies_received", repliesReceived)
        out.add("arp", "requests_sent", requestsSent)
        out.add("arp", "replies_sent", repliesSent)
        out.add("arp", "announcements_sent", announcementsSent)
        out.add("arp", "probes_sent", probesSent)
        out.add("arp", "truncated", truncated)
        out.add("arp", "unsupported", unsupported)
        out.add("arp", "bad_sender", badSender)
        out.add("arp", "not_for_us", notForUs)
        out.add("arp", "address_conflicts", addressConflicts)
        out.add("arp", "queue_full", queueFull)
        out.add("arp", "pending_full", pendingFull)
        out.add("arp", "resolution_failed", resolutionFailed)
        out.add("arp", "cache_evictions", cacheEvictions)
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
        out.add("ipv4", "received", received)
        out.add("ipv4", "sent", sent)
        out.add("ipv4", "truncated", truncated)
        out.add("ipv4", "bad_header", badHeader)
        out.add("ipv4", "bad_checksum", badChecksum)
        out.add("ipv4", "fragments", fragments)
        out.add("ipv4", "bad_source", badSource)
        out.add("ipv4", "not_for_us", notForUs)
        out.add("ipv4", "unknown_protocol", unknownProtocol)
        out.add("ipv4", "no_route", noRoute)
        out.add("ipv4", "too_large", tooLarge)
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
        out.add("icmp", "echo_requests_received", echoRequestsReceived)
        out.add("icmp", "echo_replies_sent", echoRepliesSent)
        out.add("icmp", "echo_requests_sent", echoRequestsSent)
        out.add("icmp", "echo_replies_received", echoRepliesReceived)
        out.add("icmp", "unreachable_sent", unreachableSent)
        out.add("icmp", "unreachable_received", unreachableReceived)
        out.add("icmp", "truncated", truncated)
        out.add("icmp", "bad_checksum", badChecksum)
        out.add("icmp", "broadcast_echo_ignored", broadcastEchoIgnored)
        out.add("icmp", "rate_limited", rateLimited)
        out.add("icmp", "other_types", otherTypes)
        out.add("icmp", "echo_reply_queue_full", echoReplyQueueFull)
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
        out.add("udp", "received", received)
        out.add("udp", "sent", sent)
        out.add("udp", "truncated", truncated)
        out.add("udp", "bad_header", badHeader)
        out.add("udp", "bad_checksum", badChecksum)
        out.add("udp", "no_socket", noSocket)
        out.add("udp", "queue_full", queueFull)
    }
}
