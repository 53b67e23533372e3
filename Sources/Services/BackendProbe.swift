import Bytes

/// The outgoing-connection example: connects to a backend (a Redis, a socat echo, an upstream HTTP
/// server), sends one request line, and reports the first line that comes back. With `every` set it
/// probes again at that interval, so the appliance keeps telling whether its backend is reachable.
public final class BackendProbe {
    public struct Config {
        public var backend: Endpoint
        /// Sent as soon as the connection opens (e.g. "PING\r\n").
        public var request: [UInt8]
        /// How long to wait for the reply line.
        public var replyTimeout: Interval
        /// Probe again at this interval; nil: once, at registration.
        public var every: Interval?

        public init(backend: Endpoint, request: [UInt8], replyTimeout: Interval = .seconds(5),
                    every: Interval? = nil) {
            self.backend = backend
            self.request = request
            self.replyTimeout = replyTimeout
            self.every = every
        }
    }

    /// What one probe found.
    public enum Outcome: Equatable {
        /// The first line of the reply, up to and including its "\n" (or what came before the backend
        /// closed, if it closed first).
        case reply([UInt8])
        /// The connection could not be made (refused, unreachable, or no room for it).
        case connectFailed
        /// Connected, but no complete line within `replyTimeout`.
        case timedOut
        /// The backend closed or reset before sending anything.
        case closedWithoutReply
        /// More than `maxReply` bytes without a newline; the connection was reset.
        case replyTooLong
    }

    /// The longest reply line accepted.
    public static let maxReply = 512

    public let config: Config
    private let report: (Outcome) -> Void
    private var context: ServiceContext?
    /// A probe is under way: started and not yet reported (one at a time; a beat during one is skipped).
    /// A reported probe's connection may still be closing; that does not hold up the next probe.
    private var inFlight = false

    /// Probes started, probes answered with a reply line, and beats skipped because a probe was running.
    public private(set) var probes: UInt64 = 0
    public private(set) var replies: UInt64 = 0
    public private(set) var skippedBeats: UInt64 = 0

    public init(_ config: Config, report: @escaping (Outcome) -> Void) {
        self.config = config
        self.report = report
    }

    /// Per connection: how much of the request is sent, the reply so far, and whether it was reported.
    final class Exchange {
        var sent = 0
        var reply: [UInt8] = []
        var reported = false
    }

    /// The service to register. It captures the probe, which holds the service's context.
    public var service: NetworkService {
        NetworkService(
            name: "backend-probe",
            doInit: { context in
                self.context = context
                context.beat(every: self.config.every)
                self.start()
            },
            doReceive: { conn in self.receive(conn) },
            doSendSpace: { conn in self.sendRequest(conn) },
            doTimeout: { conn in
                self.finish(conn, .timedOut)
                conn.close()
            },
            doClose: { conn in self.finish(conn, .closedWithoutReply) },
            doConnect: { conn in
                self.sendRequest(conn)
                return .waitForData
            },
            doConnectFail: { conn in self.finish(conn, .connectFailed) },
            doBeat: { self.start() })
    }

    private func start() {
        guard !inFlight else { skippedBeats += 1; return }
        probes += 1
        guard let conn = context?.connect(to: config.backend) else {
            report(.connectFailed)
            return
        }
        inFlight = true
        conn.receiveTimeout = config.replyTimeout
        conn.userState = Exchange()
    }

    private func sendRequest(_ conn: any Connection) {
        guard let exchange = conn.userState as? Exchange else { return }
        exchange.sent += config.request.withByteView { view in
            view.suffix(from: exchange.sent).map { conn.send($0) } ?? 0
        }
    }

    private func receive(_ conn: any Connection) -> ServiceDecision {
        guard let exchange = conn.userState as? Exchange else { conn.abort(); return .done }
        var byte: [UInt8] = [0]
        // Byte at a time up to the newline: replies are one short line, and bytes after it stay unread.
        while !exchange.reported, byte.withMutableByteView({ conn.receive(into: $0) }) == 1 {
            exchange.reply.append(byte[0])
            if byte[0] == UInt8(ascii: "\n") {
                finish(conn, .reply(exchange.reply))
            } else if exchange.reply.count >= BackendProbe.maxReply {
                finish(conn, .replyTooLong)
                conn.abort()
                return .done
            }
        }
        if !exchange.reported && conn.peerFinished && !exchange.reply.isEmpty {
            finish(conn, .reply(exchange.reply))
        }
        if exchange.reported || conn.peerFinished {
            conn.close()
            return .done
        }
        return .waitForData
    }

    /// Reports the probe's outcome once; later events on the same connection do not report again.
    private func finish(_ conn: any Connection, _ outcome: Outcome) {
        guard let exchange = conn.userState as? Exchange, !exchange.reported else { return }
        exchange.reported = true
        inFlight = false
        if case .reply = outcome { replies += 1 }
        report(outcome)
    }
}
