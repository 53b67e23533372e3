/// The client states of RFC 2131 figure 5, plus `probing` (the RFC 5227 check between ACK and BOUND,
/// §3.1 step 5) and `stopped` (before `start`, after `release`).
public enum DHCPState: Equatable {
    case stopped
    /// INIT: waiting to send the first DISCOVER (only ever for the pause after a DECLINE).
    case initial
    case selecting
    case requesting
    /// INIT-REBOOT/REBOOTING: asking to keep a remembered address.
    case rebooting
    case probing
    case bound
    case renewing
    case rebinding

    public var text: String {
        switch self {
        case .stopped: return "STOPPED"
        case .initial: return "INIT"
        case .selecting: return "SELECTING"
        case .requesting: return "REQUESTING"
        case .rebooting: return "INIT-REBOOT"
        case .probing: return "PROBING"
        case .bound: return "BOUND"
        case .renewing: return "RENEWING"
        case .rebinding: return "REBINDING"
        }
    }

    /// True while the interface holds the leased address.
    public var isConfigured: Bool { self == .bound || self == .renewing || self == .rebinding }
}
