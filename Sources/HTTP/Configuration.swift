import Bytes

/// How the server behaves; every limit is named here or in `HTTPLimits`.
public struct HTTPConfiguration {
    public var port: UInt16 = 80
    public var backlog: Int = 64
    /// Sent in the Server field and on built-in pages.
    public var serverName: String = "SwiftUnikernel"
    public var limits = HTTPLimits()
    /// A connection with no request in progress is closed (silently) after this long.
    public var keepAliveTimeout: Interval = .seconds(15)
    /// A request head, from its first byte: 20 s, one more per 500 bytes, 40 s at most (mod_reqtimeout's
    /// `header=20-40,MinRate=500`). A slower client gets 408 and the connection closes.
    public var requestHeadRate = MinimumRate(initial: .seconds(20), bytesPerSecond: 500, maximum: .seconds(40))
    /// Request content a route reads, from its head: 20 s, one more per 500 bytes (`body=20,MinRate=500`);
    /// slower: 408 and close.
    public var requestBodyRate = MinimumRate(initial: .seconds(20), bytesPerSecond: 500)
    /// A response, from its start: 60 s, one more per 500 bytes the client takes; a client reading
    /// slower (one that stopped, or takes a byte a minute) has its connection aborted.
    public var sendRate = MinimumRate(initial: .seconds(60), bytesPerSecond: 500)
    /// When the file system or a body producer said "would block", retry no later than this.
    public var retryInterval: Interval = .milliseconds(10)
    /// Requests served on one connection before the server asks to close it (`Connection: close`).
    public var maxRequestsPerConnection: Int = 100_000
    /// Bytes taken from the connection per read; bounds the unparsed input held per connection.
    public var readChunk: Int = 4096
    /// Largest piece of a stream, or of a file's first piece behind the head, prepared at once; bounds
    /// the output held per connection. The rest of a file is read straight into the send buffer.
    public var sendChunk: Int = 16384
    /// Request content held by all connections together, at most; a request that finds it full gets
    /// 503 with Retry-After. The appliance sets it from the heap (`HTTPSizing`).
    public var bodyBudget: Int = 8 << 20
    /// Content announced for a request that does not read it (answered at its head) is skipped as it
    /// arrives when it is at most this long and the client does not wait for a 100 (Continue);
    /// otherwise the connection closes once the answer is out.
    public var maxDiscardedBody: Int = 64 * 1024
    /// Clients outside it get 403.
    public var domain: ServiceDomain = .any
    /// Serve /factory/etc and /factory/help (a route registered on those paths overrides them).
    public var factoryPages: Bool = true
    /// Serve files and directories whose path has a segment starting with "." (`.env`, `.git/config`,
    /// `.htpasswd`): off, they are answered 404, as a site copied from a checkout must not publish its
    /// repository. `/.well-known/` (RFC 8615) is always served. Kernel command line: `http.dotfiles=allow`.
    public var serveDotFiles: Bool = false
    /// Access-log /factory/health requests too (load balancers poll it several times a second).
    public var logHealthChecks: Bool = false

    public init() {}
}

/// What the server did, for /factory/etc and debugging. Monotonic counts except `connectionsOpen`.
public struct HTTPCounters {
    public var connectionsAccepted: UInt64 = 0
    public var connectionsOpen: UInt64 = 0
    public var requests: UInt64 = 0
    /// Responses by status code.
    public var byStatus = StatusCounts()
    public var bodyBytesSent: UInt64 = 0
    /// Requests after the first on a connection.
    public var keepAliveReuses: UInt64 = 0
    /// Refused by the parser, by status (400, 413, 414, 431, 501, 505).
    public var parseErrors: UInt64 = 0
    /// Request heads, and request content, slower than their minimum rate (408 and close).
    public var requestTimeouts: UInt64 = 0
    public var bodyTimeouts: UInt64 = 0
    public var idleCloses: UInt64 = 0
    /// Keep-alive connections idle between requests, closed when a shutdown stopped accepting.
    public var shutdownIdleCloses: UInt64 = 0
    public var requestCapCloses: UInt64 = 0
    public var forbiddenByDomain: UInt64 = 0
    /// Static-file requests for a path with a "." segment, answered 404 (`serveDotFiles` off).
    public var dotFilesRefused: UInt64 = 0
    public var authFailures: UInt64 = 0
    /// The peer closed in the middle of a request.
    public var incompleteRequests: UInt64 = 0
    /// Responses aborted because the peer read slower than `sendRate` (or stopped).
    public var sendStallAborts: UInt64 = 0
    /// File system answered corrupt (500 before the head, truncated close after it).
    public var fileErrors: UInt64 = 0
    /// Times a file system or producer said "would block".
    public var wouldBlockRetries: UInt64 = 0
    /// Requests answered at their head whose announced content was skipped or closed on, unread.
    public var contentDiscarded: UInt64 = 0
    /// Requests answered 503 because the body budget was full.
    public var bodyBudgetRefusals: UInt64 = 0
    /// App callbacks (a route's handler, the loop) that threw `AppError`: answered 500.
    public var appFailures: UInt64 = 0

    public init() {}

    /// Every counter as "http.name"; responses as the family http.requests, one series per status code.
    public var metrics: Metrics {
        var m = Metrics()
        m.counter("http.connections_accepted", connectionsAccepted)
        m.gauge("http.connections_open", connectionsOpen, help: "Open HTTP connections")
        m.counter("http.requests_received", requests, help: "Requests parsed")
        for code in byStatus.codes {
            m.counter("http.requests", byStatus[code], help: "Responses sent, by status code",
                      label: ("code", String(code)))
        }
        if byStatus.otherCodes > 0 {
            m.counter("http.requests", byStatus.otherCodes, help: "Responses sent, by status code", label: ("code", "other"))
        }
        m.counter("http.body_bytes_sent", bodyBytesSent)
        m.counter("http.keep_alive_reuses", keepAliveReuses, help: "Requests after the first on a connection")
        m.counter("http.parse_errors", parseErrors)
        m.counter("http.request_timeouts", requestTimeouts)
        m.counter("http.body_timeouts", bodyTimeouts, help: "Request content slower than its minimum rate, answered 408")
        m.counter("http.idle_closes", idleCloses)
        m.counter("http.shutdown_idle_closes", shutdownIdleCloses, help: "Idle keep-alive connections closed when a shutdown stopped accepting")
        m.counter("http.request_cap_closes", requestCapCloses)
        m.counter("http.forbidden_by_domain", forbiddenByDomain)
        m.counter("http.auth_failures", authFailures)
        m.counter("http.incomplete_requests", incompleteRequests)
        m.counter("http.send_stall_aborts", sendStallAborts)
        m.counter("http.file_errors", fileErrors)
        m.counter("http.would_block_retries", wouldBlockRetries)
        m.counter("http.dot_files_refused", dotFilesRefused, help: "Requests for paths with a segment starting with a dot, answered 404")
        m.counter("http.content_discarded", contentDiscarded, help: "Requests answered at their head whose content was skipped unread")
        m.counter("http.body_budget_refusals", bodyBudgetRefusals, help: "Requests answered 503: the request-content budget was full")
        m.counter("http.app_failures", appFailures)   // app callbacks that threw AppError, answered 500
        return m
    }
}
