import Bytes
import Services
import HTTP

/// An app as its hosted tests see it: installed beside an HTTP server exactly as the appliance installs
/// it (`Application.install`), its services registered on the in-memory transport, a virtual clock;
/// the test plays the clients.
public final class AppHarness {
    public let clock = VirtualClock()
    public let transport: MemoryTransport
    public let registry: ServiceRegistry<MemoryTransport>
    public let http: HTTPServer
    /// What the app logged while installing and serving, and the server's error lines.
    public private(set) var logged: [String] = []

    /// `options`: the app's `app.KEY=VALUE` command-line options, as (KEY, VALUE); `cookieKey` is
    /// `cookie.key=`; `entropy` the boot entropy (fixed here, so runs repeat).
    public init(_ app: Application, options: [(String, String)] = [], cookieKey: [UInt8]? = nil,
                entropy: [UInt8] = Array(0..<32), transportLimits: MemoryTransportLimits = MemoryTransportLimits()) {
        transport = MemoryTransport(limits: transportLimits)
        registry = ServiceRegistry(transport: transport)
        http = HTTPServer(wallClock: clock)
        http.errorLog = { [unowned self] in self.logged.append($0) }
        let installed = app.install(http: http, clock: clock,
                                    options: options.map { AppOption(key: Array($0.0.utf8), value: Array($0.1.utf8)) },
                                    cookieKey: cookieKey, entropy: entropy,
                                    log: { [unowned self] in self.logged.append($0) })
        for service in installed.all {
            do { try registry.register(service, now: clock.now()) } catch { preconditionFailure("cannot register \(service.name): \(error)") }
        }
    }

    /// A client connected to `port`, for tests that play the exchange step by step (with `settle`).
    public func open(_ port: UInt16) -> MemoryPeer {
        do { return try transport.open(port: port) } catch { preconditionFailure("nothing listens on \(port): \(error)") }
    }

    /// Runs the registry and the HTTP server until nothing is due at the current instant (bounded).
    public func settle(maxPolls: Int = 1000) {
        var polls = 0
        repeat {
            registry.poll(now: clock.now())
            http.poll(now: clock.now())
            polls += 1
        } while registry.nextDeadline() <= clock.now() && polls < maxPolls
    }

    /// Connects to `port`, sends `request` as it is, finishes sending, and runs until the service has
    /// closed (or `limit` of virtual time passed); returns every byte the service sent.
    public func exchange(_ request: [UInt8], port: UInt16 = 80, limit: Interval = .seconds(30)) -> [UInt8] {
        let peer: MemoryPeer
        do { peer = try transport.open(port: port) } catch { return [] }
        var pending = request[...]
        var received: [UInt8] = []
        let end = clock.now() + limit
        while clock.now() < end {
            if !pending.isEmpty {
                pending = pending.dropFirst(peer.write(Array(pending)))
                if pending.isEmpty { peer.finish() }
            }
            registry.poll(now: clock.now())
            http.poll(now: clock.now())
            received += peer.read()
            if peer.sawFinish || peer.isGone { break }
            clock.advance(by: .milliseconds(1))
        }
        return received
    }

    /// One HTTP/1.1 request (with `Connection: close`) and its parsed answer.
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) -> Reply {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: app\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        return Reply(exchange(Array((text + "\r\n").utf8) + body))
    }

    public func get(_ target: String, headers: [(String, String)] = []) -> Reply { request("GET", target, headers: headers) }

    /// A POST of an application/x-www-form-urlencoded body (given already encoded).
    public func post(_ target: String, form: String, headers: [(String, String)] = []) -> Reply {
        request("POST", target, headers: [("Content-Type", "application/x-www-form-urlencoded")] + headers, body: Array(form.utf8))
    }
}

/// An HTTP response as bytes came back: status, fields and body (read to the end of the stream).
public struct Reply {
    public var status = 0
    public var headers: [(name: String, value: String)] = []
    public var body: [UInt8] = []
    public var text: String { String(decoding: body, as: UTF8.self) }

    public init(_ bytes: [UInt8]) {
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(bytes.count - 3, 0)).first(where: { Array(bytes[$0..<$0 + 4]) == crlfcrlf }) else { return }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        status = statusParts.count > 1 ? Int(statusParts[1]) ?? 0 : 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces))
        }
        body = Array(bytes[(end + 4)...])
    }

    /// The first value of a header field (name compared without case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
