/// Background work that must not overlap foreground activity: it may run only once `spell` has passed
/// since the last activity noted. The console's UART drain is the case: what a port write costs the host
/// (a VM exit, a system call, the device emulation's lock) lands mostly outside the guest's view of it,
/// on the host threads that also move the network's packets (see Kernel/Console/Console.swift).
public struct QuietSpell {
    public let spell: Interval
    /// The last activity, or nil before any.
    public private(set) var lastActivity: Instant?

    public init(_ spell: Interval) { self.spell = spell }

    public mutating func noteActivity(at now: Instant) { lastActivity = now }

    /// When the work may run, as of the last activity: from then on until the next.
    public var opensAt: Instant { lastActivity.map { $0 + spell } ?? .zero }

    public func isQuiet(at now: Instant) -> Bool { now >= opensAt }
}
