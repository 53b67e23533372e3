import Bytes

/// The registry's fixed limits. Each has a defined behaviour when reached, and a counter.
public struct RegistryLimits {
    /// Services that may be registered; `register` throws `.serviceTableFull` beyond it.
    public var maxServices: Int
    /// Live connections of all services together (open, connecting, closing, awaiting `doClose`).
    /// An accepted connection beyond it is reset (`refused`, `doError(.connectionTableFull)`);
    /// a `connect` beyond it returns nil (`connectsRefused`).
    public var maxConnections: Int
    /// Callbacks one service may receive in one `poll`. Work beyond it waits for the next poll, so a
    /// busy or misbehaving service cannot starve the others.
    public var callbacksPerServicePerPoll: Int
    /// The receive timeout a new connection starts with, before the service sets its own. A service
    /// that neither reads nor closes is therefore timed out even if it never asked for a timeout.
    public var defaultReceiveTimeout: Interval?
    /// How long a connection the service has closed may wait for the transport to finish it. Past it,
    /// the registry aborts the stream (`lingerAborts`), so peers that never finish cannot fill the table.
    public var closeLinger: Interval
    /// The shortest heartbeat a service may ask for; shorter intervals are raised to it (a zero interval
    /// would otherwise make the main loop spin).
    public var minimumBeatInterval: Interval

    public init(maxServices: Int = 16,
                maxConnections: Int = 1024,
                callbacksPerServicePerPoll: Int = 64,
                defaultReceiveTimeout: Interval? = .seconds(60),
                closeLinger: Interval = .seconds(30),
                minimumBeatInterval: Interval = .milliseconds(10)) {
        self.maxServices = maxServices
        self.maxConnections = maxConnections
        self.callbacksPerServicePerPoll = callbacksPerServicePerPoll
        self.defaultReceiveTimeout = defaultReceiveTimeout
        self.closeLinger = closeLinger
        self.minimumBeatInterval = minimumBeatInterval
    }
}
