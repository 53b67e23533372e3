import Bytes

/// IPv6 receive and send, by reason (the `ipv6.` metrics).
public struct IPv6Counters {
    public var received: UInt64 = 0
    public var sent: UInt64 = 0
    /// Shorter than 40 bytes, than its payload length, or than an extension header claims.
    public var truncated: UInt64 = 0
    /// Version not 6, or hop-by-hop options not first.
    public var badHeader: UInt64 = 0
    /// From a multicast, loopback or IPv4-mapped address, or from one of our own.
    public var badSource: UInt64 = 0
    public var notForUs: UInt64 = 0
    /// Fragments are dropped, never reassembled.
    public var fragments: UInt64 = 0
    public var jumbograms: UInt64 = 0
    /// Routing header type 0, or one with segments left (we forward nothing).
    public var routingHeaders: UInt64 = 0
    public var tooManyExtensionHeaders: UInt64 = 0
    /// An option whose type says to discard the packet.
    public var unknownOptions: UInt64 = 0
    /// No upper layer for the next header.
    public var unknownNextHeader: UInt64 = 0
    /// Outgoing: no source address, or off-link with no default router.
    public var noRoute: UInt64 = 0
    /// Outgoing: larger than the MTU.
    public var tooLarge: UInt64 = 0

    func render(into out: inout Metrics) {
        out.add("ipv6", names: """
            received sent truncated bad_header bad_source not_for_us fragments jumbograms routing_headers
            too_many_extension_headers unknown_options unknown_next_header no_route too_large
            """, [
            received, sent, truncated, badHeader, badSource, notForUs, fragments, jumbograms, routingHeaders,
            tooManyExtensionHeaders, unknownOptions, unknownNextHeader, noRoute, tooLarge
        ])
    }
}

/// ICMPv6 (the `icmp6.` metrics).
public struct ICMPv6Counters {
    public var echoRequestsReceived: UInt64 = 0
    public var echoRepliesSent: UInt64 = 0
    public var echoRepliesReceived: UInt64 = 0
    /// Echo requests to a multicast group (ignored: no amplification).
    public var multicastEchoIgnored: UInt64 = 0
    /// Destination unreachable, packet too big, time exceeded and parameter problem received.
    public var errorsReceived: UInt64 = 0
    /// Packet too big whose quote is short, not of a packet from us, or of no upper layer we have
    /// (those it reaches, TCP counts as taken or ignored).
    public var packetTooBigIgnored: UInt64 = 0
    public var errorsSent: UInt64 = 0
    /// Errors suppressed by the rate limit.
    public var rateLimited: UInt64 = 0
    public var truncated: UInt64 = 0
    public var badChecksum: UInt64 = 0
    public var otherTypes: UInt64 = 0

    func render(into out: inout Metrics) {
        out.add("icmp6", names: """
            echo_requests_received echo_replies_sent echo_replies_received multicast_echo_ignored
            errors_received packet_too_big_ignored errors_sent rate_limited truncated bad_checksum other_types
            """, [
            echoRequestsReceived, echoRepliesSent, echoRepliesReceived, multicastEchoIgnored, errorsReceived,
            packetTooBigIgnored, errorsSent, rateLimited, truncated, badChecksum, otherTypes
        ])
    }
}

/// Neighbour discovery, address autoconfiguration and MLD (the `nd.` metrics).
public struct NDCounters {
    public var solicitationsReceived: UInt64 = 0
    public var solicitationsSent: UInt64 = 0
    public var advertisementsReceived: UInt64 = 0
    public var advertisementsSent: UInt64 = 0
    public var routerSolicitationsSent: UInt64 = 0
    public var routerAdvertisementsReceived: UInt64 = 0
    /// ND messages failing RFC 4861's checks: hop limit not 255, code not 0, too short, a zero-length
    /// or cut option, a multicast target, a router advertisement not from a link-local address.
    public var invalid: UInt64 = 0
    /// Solicitations for an address that is not ours.
    public var notForUs: UInt64 = 0
    /// Duplicate address detection found another node on one of our addresses.
    public var duplicateAddresses: UInt64 = 0
    /// Packets dropped because the wait queue was full, too many neighbours were being resolved, or
    /// a neighbour never answered.
    public var queueFull: UInt64 = 0
    public var pendingFull: UInt64 = 0
    public var resolutionFailed: UInt64 = 0
    public var cacheEvictions: UInt64 = 0
    /// Advertised prefixes, addresses and routers refused at their limits (`IPv6Limits`).
    public var prefixesFull: UInt64 = 0
    public var addressesFull: UInt64 = 0
    public var routersFull: UInt64 = 0
    /// Prefix options refused: link-local prefix, preferred lifetime over valid.
    public var prefixesRefused: UInt64 = 0
    public var mldReportsSent: UInt64 = 0
    public var mldQueriesReceived: UInt64 = 0

    func render(into out: inout Metrics) {
        out.add("nd", names: """
            solicitations_received solicitations_sent advertisements_received advertisements_sent
            router_solicitations_sent router_advertisements_received invalid not_for_us duplicate_addresses
            queue_full pending_full resolution_failed cache_evictions prefixes_full addresses_full routers_full
            prefixes_refused mld_reports_sent mld_queries_received
            """, [
            solicitationsReceived, solicitationsSent, advertisementsReceived, advertisementsSent,
            routerSolicitationsSent, routerAdvertisementsReceived, invalid, notForUs, duplicateAddresses, queueFull,
            pendingFull, resolutionFailed, cacheEvictions, prefixesFull, addressesFull, routersFull,
            prefixesRefused, mldReportsSent, mldQueriesReceived
        ])
    }
}
