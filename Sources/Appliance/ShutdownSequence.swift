import Bytes

/// The clean stop an orchestrator asks for (the ACPI power button): first drain — keep serving while
/// /factory/health answers 503, so a load balancer moves away — then finish — accept nothing new and
/// let the connections already open end, up to a grace period — then power off. A second request
/// before the end skips what is left. A state machine on explicit time: the kernel drives it from
/// the main loop and hosted tests on the virtual clock.
public struct ShutdownSequence: Equatable {
    public enum Phase: Equatable {
        case running
        case draining(until: Instant)
        case finishing(until: Instant)
        /// Nothing is left to wait for: the owner releases the lease, flushes the log and powers off.
        case done
    }

    /// What the owner must do (and print) as the sequence moves on.
    public enum Step: Equatable {
        /// Turn unhealthy but keep serving.
        case startDraining
        /// Refuse new connections; the open ones may finish.
        case stopAccepting
        /// Every connection ended within the grace period.
        case finished
        /// The grace period ran out with `open` connections left; they are cut.
        case graceExpired(open: Int)
        /// A second request while draining or finishing: power off at once.
        case cutShort
    }

    public let drain: Interval
    public let grace: Interval
    public private(set) var phase = Phase.running

    public init(drain: Interval, grace: Interval) {
        self.drain = drain
        self.grace = grace
    }

    /// A stop request (a power-button press) at `now`.
    public mutating func request(now: Instant) -> Step? {
        switch phase {
        case .running:
            phase = .draining(until: now + drain)
            return .startDraining
        case .draining, .finishing:
            phase = .done
            return .cutShort
        case .done:
            return nil
        }
    }

    /// Moves on when the drain has run out or when the connections have ended (`openConnections`).
    public mutating func advance(now: Instant, openConnections: Int) -> Step? {
        switch phase {
        case .draining(let until) where now >= until:
            phase = .finishing(until: now + grace)
            return .stopAccepting
        case .finishing(let until):
            if openConnections == 0 { phase = .done; return .finished }
            if now >= until { phase = .done; return .graceExpired(open: openConnections) }
            return nil
        default:
            return nil
        }
    }

    /// When `advance` next has something to do on time alone.
    public var nextDeadline: Instant {
        switch phase {
        case .running: return .never
        case .draining(let until), .finishing(let until): return until
        case .done: return .zero
        }
    }

    public var isDraining: Bool {
        switch phase {
        case .running: return false
        default: return true
        }
    }

    public var isDone: Bool { phase == .done }
}
