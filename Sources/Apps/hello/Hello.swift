import Bytes
import Services
import HTTP

/// Toro's first web example (the blog's ToroHttp) in this kernel: one service on port 80 that accepts
/// a connection, reads the request, sends a welcome page and closes; no HTTP server, no files. Copy it
/// to start a service of your own: it shows listening, per-connection state, reading in fragments,
/// sends that do not fit at once, and closing.
public let application = Application(name: "hello") { app in
    app.serveHTTP = false          // port 80 is this service's, as in Toro
    app.register(Hello.service())
}

public enum Hello {
    public static let port: UInt16 = 80
    public static let backlog = 32
    /// A client that sends no complete request within this long is closed (Toro's service timeout).
    public static let receiveTimeout = Interval.seconds(10)
    /// A request head longer than this is not an HTTP request we will wait for: the connection is reset.
    public static let maxRequestHead = 4096

    static let page = "<!DOCTYPE html>\n<html><head><title>Toro</title></head>"
        + "<body><h1>Hello World!</h1><p>Welcome to a Swift unikernel.</p></body></html>\n"
    static let response: [UInt8] = Array(("HTTP/1.0 200 OK\r\n" + "Content-Type: text/html\r\n"
        + "Content-Length: \(page.utf8.count)\r\n" + "Connection: close\r\n" + "Server: SwiftUnikernel-hello\r\n"
        + "\r\n" + page).utf8)

    /// Per connection: how far into the request head and into the response we are.
    final class Exchange {
        /// Bytes of "\r\n\r\n" matched so far (the head ends at the blank line).
        var matched = 0
        var headBytes = 0
        /// Response bytes sent so far; nil until the head is complete.
        var sent: Int?
    }

    public static func service(port: UInt16 = port) -> NetworkService {
        NetworkService(
            name: "hello",
            doInit: { context in _ = context.listen(port: port, backlog: backlog) },
            doAccept: { conn in
                conn.receiveTimeout = receiveTimeout
                conn.userState = Exchange()
                return .waitForData
            },
            doReceive: { conn in
                guard let exchange = conn.userState as? Exchange else { conn.abort(); return .done }
                return receive(conn, exchange)
            },
            doSendSpace: { conn in
                guard let exchange = conn.userState as? Exchange else { return }
                _ = respond(conn, exchange)
            },
            doTimeout: { conn in conn.close() })
    }

    static func receive(_ conn: any Connection, _ exchange: Exchange) -> ServiceDecision {
        let crlfcrlf: [UInt8] = [13, 10, 13, 10]
        var buffer = [UInt8](repeating: 0, count: 256)
        while exchange.sent == nil {
            let n = buffer.withMutableByteView { conn.receive(into: $0) }
            if n == 0 { break }
            for i in 0..<n where exchange.sent == nil {
                let byte = buffer[i]
                exchange.matched = byte == crlfcrlf[exchange.matched] ? exchange.matched + 1 : (byte == 13 ? 1 : 0)
                if exchange.matched == crlfcrlf.count { exchange.sent = 0 }
            }
            exchange.headBytes += n
            if exchange.sent == nil && exchange.headBytes > maxRequestHead { conn.abort(); return .done }
        }
        if exchange.sent != nil { return respond(conn, exchange) }
        // The client finished without completing a request: nothing to answer.
        if conn.peerFinished { conn.close(); return .done }
        return .waitForData
    }

    /// Sends what fits of the response; closes once all of it is queued.
    static func respond(_ conn: any Connection, _ exchange: Exchange) -> ServiceDecision {
        guard var sent = exchange.sent else { return .waitForData }
        sent += response.withByteView { view in
            view.suffix(from: sent).map { conn.send($0) } ?? 0
        }
        exchange.sent = sent
        guard sent == response.count else { return .waitForData }
        conn.close()
        return .done
    }
}
