import Bytes
import Net
import TCP
import DHCP
import Services
import HTTP

/// The appliance's side of the clean stop: each step of `ShutdownSequence` applied and printed as one
/// console line. The kernel asks with `requestShutdown` (power button) and, once `readyToPowerOff`,
/// calls `shutdown` and powers the machine off.
extension Appliance {
    /// A stop request (`what` names it for the console): the first starts the drain, a second one
    /// while draining or finishing skips the waiting that is left (`atOnce`: skip it from the start).
    /// Either way the services' exit callbacks run and a DHCP lease is released before
    /// `readyToPowerOff`.
    public func requestShutdown(_ what: String, now: Instant, atOnce: Bool = false) {
        guard let step = stopping.request(now: now, atOnce: atOnce) else { return }
        log(.info, "shutdown: \(what)")
        apply(step, now: now)
        advanceShutdown(now: now)
    }

    /// Every step is done: flush the log and power off.
    public var readyToPowerOff: Bool { stopping.isDone }

    /// Before the machine goes away: everything queued is handed to the NIC.
    public func shutdown(now: Instant) {
        interface.flush()
    }

    /// Every step due now, in one pass: with no connection open, stopping to accept, finishing and
    /// leaving happen together rather than at the next wake.
    func advanceShutdown(now: Instant) {
        while let step = stopping.advance(now: now, openConnections: tcp.connectionCount,
                                          releasing: dhcp?.releasing ?? false) {
            apply(step, now: now)
        }
    }

    private func apply(_ step: ShutdownSequence.Step, now: Instant) {
        switch step {
        case .startDraining:
            draining = true
            log(.info, "shutdown: draining for \(stopping.drain.milliseconds / 1000) s: marked unhealthy (`draining`), still serving")
        case .stopAccepting:
            tcp.acceptingConnections = false
            let idle = http.closeIdleConnections()
            log(.info, "shutdown: no longer accepting; closed \(idle) idle keep-alive connections; \(tcp.connectionCount) connections open, waiting up to \(stopping.grace.milliseconds / 1000) s")
        case .finished:
            log(.info, "shutdown: every connection finished")
        case .graceExpired(let open):
            log(.warn, "shutdown: grace period over; cutting \(open) connections")
        case .cutShort:
            log(.info, "shutdown: no more waiting: \(tcp.connectionCount) connections cut")
        case .left:
            break   // the lease's own lines said how the release went; the owner prints the power-off
        }
        if ShutdownSequence.leaves(after: step) { leave(now: now) }
    }

    /// The services hear that the appliance is ending, then the lease goes back to its server.
    private func leave(now: Instant) {
        draining = true
        tcp.acceptingConnections = false
        let services = registry.exit(now: now)
        log(.info, "shutdown: exit callbacks run (doExit): " + services.joined(separator: ", "))
        if let dhcp, dhcp.client.lease != nil {
            log(.info, "shutdown: releasing the DHCP lease")
            dhcp.release(interface: interface, now: now)
            interface.flush()
        }
    }
}
