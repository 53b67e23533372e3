import Bytes

/// An upper layer Net does not own (TCP, which lives in its own module and knows nothing of Net),
/// plugged in by protocol number. Net hands it validated IPv4 payloads addressed to our own unicast
/// address; the handler sends through `Interface.sendIPv4`.
public protocol IPProtocolHandler: AnyObject {
    /// `payload` is valid only during the call; `source`/`destination` are what a pseudo-header needs.
    func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, now: Instant)
    /// As `receive(source:destination:payload:now:)`; `checksumVouched`: the NIC verified the checksum.
    func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, checksumVouched: Bool, now: Instant)
}

extension IPProtocolHandler {
    /// A handler that verifies every checksum itself.
    public func receive(source: IPv4Address, destination: IPv4Address, payload: ByteView, checksumVouched: Bool,
                        now: Instant) {
        receive(source: source, destination: destination, payload: payload, now: now)
    }
}

/// Why `Interface.register(_:forProtocol:)` refused a handler.
public enum ProtocolRegistrationError: Error, Equatable {
    /// ICMP and UDP are handled inside Net.
    case reservedProtocol
    case alreadyRegistered
}
