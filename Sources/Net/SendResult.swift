/// What became of a packet handed to the stack for sending.
public enum SendResult: Equatable {
    /// Written into a NIC transmit buffer; it leaves on the next flush.
    case sent
    /// Copied into the ARP wait queue; it is sent when the next hop answers, dropped if it never does.
    case queuedForARP
    case dropped(SendDropReason)
}

/// Why a packet was not sent. Each reason is also counted in `NetCounters`.
public enum SendDropReason: Equatable {
    /// Larger than the MTU allows (`ipv4.too_large`).
    case tooLarge
    /// No route: unconfigured and not broadcast, off-link without a gateway, or an unusable destination
    /// (`ipv4.no_route`).
    case noRoute
    /// The ARP wait queue is full (`arp.queue_full`).
    case arpQueueFull
    /// Too many addresses already being resolved (`arp.pending_full`).
    case arpPendingFull
    /// The NIC had no free transmit buffer (`eth.tx_buffer_unavailable`).
    case txBufferUnavailable
    /// The UDP socket is closed (a stale handle).
    case socketClosed
}
