import Bytes

/// TCP echo (RFC 862): every byte received is sent back, in order, until the client finishes; then the
/// service closes. Flow control is the peer's: it reads only as much as it can send at once, so a client
/// that does not read its echo stops being read (and is eventually timed out) instead of filling memory.
public enum EchoService {
    public static let defaultPort: UInt16 = 7
    public static let defaultBacklog = 64
    /// A client that sends nothing (and reads nothing) for this long is closed.
    public static let defaultReceiveTimeout = Interval.seconds(60)
    /// Bytes moved per read/send step (a stack buffer).
    static let chunk = 512

    public static func make(port: UInt16 = defaultPort, backlog: Int = defaultBacklog,
                            receiveTimeout: Interval = defaultReceiveTimeout) -> NetworkService {
        NetworkService(
            name: "echo",
            doInit: { context in _ = context.listen(port: port, backlog: backlog) },
            doAccept: { conn in
                conn.receiveTimeout = receiveTimeout
                return .waitForData
            },
            doReceive: { conn in pump(conn) },
            doSendSpace: { conn in _ = pump(conn) })
    }

    /// Moves what can be echoed now; closes once the client has finished and everything is echoed.
    static func pump(_ conn: any Connection) -> ServiceDecision {
        withUnsafeTemporaryAllocation(byteCount: chunk, alignment: 1) { raw in
            let buffer = MutableByteView(raw)
            while true {
                let n = min(conn.available, conn.sendSpace, chunk)
                guard n > 0, let window = buffer.slice(0, n) else { break }
                let got = conn.receive(into: window)
                // The send space was checked, so the send takes everything read.
                guard got > 0, let bytes = window.readOnly.slice(0, got) else { break }
                _ = conn.send(bytes)
            }
        }
        if conn.peerFinished {
            conn.close()
            return .done
        }
        return .waitForData
    }
}
