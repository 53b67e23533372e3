import Bytes

/// What the registry did, refused and dropped since boot. Read by /factory pages and debug logging.
public struct RegistryCounters: Equatable {
    /// Connections accepted and handed to a service.
    public var accepted: UInt64 = 0
    /// Connections the transport accepted but the registry reset because its table was full.
    public var refused: UInt64 = 0
    /// `listen` calls the transport refused.
    public var listenFailures: UInt64 = 0
    /// Outgoing connections started, completed, failed, and refused at once (table full or transport).
    public var connectsStarted: UInt64 = 0
    public var connectsCompleted: UInt64 = 0
    public var connectsFailed: UInt64 = 0
    public var connectsRefused: UInt64 = 0
    /// Receive timeouts that fired (each gave one `doTimeout`).
    public var timeouts: UInt64 = 0
    /// Connections the registry closed because `doTimeout` left them open and unarmed.
    public var closedAfterTimeout: UInt64 = 0
    /// Alarms (`Connection.wake(at:)`) that came due; each queued one `doWake` unless moved or cleared first.
    public var alarms: UInt64 = 0
    /// Closed connections the transport did not finish within `closeLinger`, so the registry aborted them.
    public var lingerAborts: UInt64 = 0
    /// How streams ended: in order, reset by the peer, timed out by the transport, aborted by us.
    public var normalCloses: UInt64 = 0
    public var resets: UInt64 = 0
    public var transportTimeouts: UInt64 = 0
    public var aborts: UInt64 = 0
    /// Polls after which some service still had work because its callback budget ran out.
    public var budgetExhausted: UInt64 = 0
    /// `poll` or `register` called from inside a callback, and refused.
    public var reentryRefused: UInt64 = 0
    /// Callbacks, by kind.
    public var callbacks = CallbackCounters()

    public init() {}

    /// Every counter as "services.name", in a fixed order (the console at loglevel=debug,
    /// /factory/etc, /factory/metrics).
    public var metrics: Metrics {
        var out = Metrics()
        out.add("services", names: """
            accepted refused listen_failures connects_started connects_completed connects_failed connects_refused
            timeouts closed_after_timeout alarms linger_aborts normal_closes resets transport_timeouts aborts
            budget_exhausted reentry_refused callbacks.init callbacks.accept callbacks.receive callbacks.send_space
            callbacks.timeout callbacks.wake callbacks.close callbacks.connect callbacks.connect_fail callbacks.beat
            callbacks.error callbacks.exit
            """, [
            accepted, refused, listenFailures, connectsStarted, connectsCompleted, connectsFailed, connectsRefused,
            timeouts, closedAfterTimeout, alarms, lingerAborts, normalCloses, resets, transportTimeouts, aborts,
            budgetExhausted, reentryRefused, callbacks.initialize, callbacks.accept, callbacks.receive, callbacks.sendSpace,
            callbacks.timeout, callbacks.wake, callbacks.close, callbacks.connect, callbacks.connectFail, callbacks.beat,
            callbacks.error, callbacks.exit
        ])
        return out
    }
}

/// How many times each callback ran.
public struct CallbackCounters: Equatable {
    public var initialize: UInt64 = 0
    public var accept: UInt64 = 0
    public var receive: UInt64 = 0
    public var sendSpace: UInt64 = 0
    public var timeout: UInt64 = 0
    public var wake: UInt64 = 0
    public var close: UInt64 = 0
    public var connect: UInt64 = 0
    public var connectFail: UInt64 = 0
    public var beat: UInt64 = 0
    public var error: UInt64 = 0
    public var exit: UInt64 = 0

    public init() {}

    public var total: UInt64 {
        initialize + accept + receive + sendSpace + timeout + wake + close + connect + connectFail + beat + error + exit
    }
}
