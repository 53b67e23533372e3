import Bytes

/// The clean stop an orchestrator asks for (the ACPI power button): first drain — keep serving while
/// /factory/health answers 503, so a load balancer moves away — then finish — accept nothing new and
/// let the connections already open end, up to a grace period — then leave: the services' exit
/// callbacks run and the DHCP lease is given back — then power off. A second request before the end
/// skips the waiting that is left, not the leaving. A state machine on explicit time: the kernel
/// drives it from the main loop and hosted tests on the virtual clock.
public struct ShutdownSequence: Equatable {
    public enum Phase: Equatable {
        case running
        case draining(until: Instant)
        case finishing(until: Instant)
        /// Exit callbacks have run; waiting for the DHCP RELEASE to leave (bounded by ARP's retries).
        case leaving
        /// Nothing is left to wait for: the owner flushes the log and powers off.
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
        /// A second request while draining or finishing (or a request that skips the drain): leave at once.
        case cutShort
        /// Everything was given back (the lease's RELEASE left, or there was none): power off.
        case left
    }

    public let drain: Interval
    public let grace: Interval
    public private(set) var phase = Phase.running

    public init(drain: Interval, grace: Interval) {
        self.drain = drain
        self.grace = grace
    }

    /// A stop request (a power-button press) at `now`; `atOnce` skips the drain and the grace period
    /// (a process told to stop by a signal).
    public mutating func request(now: Instant, atOnce: Bool = false) -> Step? {
        switch phase {
        case .running where !atOnce:
            phase = .draining(until: now + drain)
            return .startDraining
        case .running, .draining, .finishing:
            phase = .leaving
            return .cutShort
        case .leaving, .done:
            return nil
        }
    }

    /// Moves on when the drain has run out, when the connections have ended (`openConnections`), or
    /// when nothing is left to give back (`releasing`: a DHCP RELEASE still waits to leave).
    public mutating func advance(now: Instant, openConnections: Int, releasing: Bool = false) -> Step? {
        switch phase {
        case .draining(let until) where now >= until:
            phase = .finishing(until: now + grace)
            return .stopAccepting
        case .finishing(let until):
            if openConnections == 0 { phase = .leaving; return .finished }
            if now >= until { phase = .leaving; return .graceExpired(open: openConnections) }
            return nil
        case .leaving where !releasing:
            phase = .done
            return .left
        default:
            return nil
        }
    }

    /// Just entered `leaving`: the owner runs the exit callbacks and starts the release now.
    public static func leaves(after step: Step) -> Bool {
        switch step {
        case .finished, .graceExpired, .cutShort: return true
        case .startDraining, .stopAccepting, .left: return false
        }
    }

    /// When `advance` next has something to do on time alone.
    public var nextDeadline: Instant {
        switch phase {
        case .running, .leaving: return .never     // leaving ends on the interface's ARP events and timers
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
