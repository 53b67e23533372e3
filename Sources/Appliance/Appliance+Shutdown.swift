import Bytes
import Net

/// The appliance's side of the clean stop: each step of `ShutdownSequence` applied and printed as one
/// console line. The kernel asks with `requestShutdown` (power button) and, once `readyToPowerOff`,
/// calls `shutdown` and powers the machine off.
extension Appliance {
    /// A stop request (`what` names it for the console): the first starts the drain, a second one
    /// while draining or finishing makes `readyToPowerOff` true at once.
    public func requestShutdown(_ what: String, now: Instant) {
        guard let step = stopping.request(now: now) else { return }
        log(.info, "shutdown: \(what)")
        apply(step)
    }

    /// Every step is done: release the lease (`shutdown`), flush the log, power off.
    public var readyToPowerOff: Bool { stopping.isDone }

    /// Before the machine goes away: a DHCP lease is released (the RELEASE leaves before the address
    /// is withdrawn) and everything queued is flushed to the NIC.
    public func shutdown(now: Instant) {
        if let dhcp {
            dhcp.release(interface: interface, now: now)
            log(.info, "shutdown: DHCP lease released")
        }
        interface.flush()
    }

    /// Every step due now, in one pass: with no connection open, stopping to accept and finishing
    /// happen together rather than at the next wake.
    func advanceShutdown(now: Instant) {
        while let step = stopping.advance(now: now, openConnections: tcp.connectionCount) { apply(step) }
    }

    private func apply(_ step: ShutdownSequence.Step) {
        switch step {
        case .startDraining:
            draining = true
            log(.info, "shutdown: draining for \(stopping.drain.milliseconds / 1000) s: marked unhealthy (`draining`), still serving")
        case .stopAccepting:
            tcp.acceptingConnections = false
            log(.info, "shutdown: no longer accepting; \(tcp.connectionCount) connections open, waiting up to \(stopping.grace.milliseconds / 1000) s")
        case .finished:
            log(.info, "shutdown: every connection finished")
        case .graceExpired(let open):
            log(.warn, "shutdown: grace period over; cutting \(open) connections")
        case .cutShort:
            log(.info, "shutdown: asked again; powering off at once")
        }
    }
}
