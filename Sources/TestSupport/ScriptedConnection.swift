import Bytes
import Services

/// A `Connection` whose remote side a test or a fuzz target plays: the peer's bytes go into `inbox`,
/// what the service sends collects in `output`, and `window` is the send space (the peer's receive
/// window). A service that reads or sends after closing is a bug: `onMisuse`, when set, hears of it
/// (the fuzz target traps there); otherwise such a read sees the bytes and such a send takes none.
public final class ScriptedConnection: Connection {
    /// What a callback given this connection reads as the time; the test moves it.
    public var now = Instant.zero
    public var peer: Endpoint
    public var local: Endpoint
    public var inbox: [UInt8] = []
    /// The peer has sent FIN after `inbox`.
    public var peerSentFIN = false
    public var output: [UInt8] = []
    public var window = Int.max
    /// The longest run one `send(upTo:fill:)` offers, as a ring's wrap cuts the free space in two.
    public var fillRun = Int.max
    public private(set) var closed = false
    public private(set) var aborted = false
    public var receiveTimeout: Interval?
    /// The alarm the service set with `wake(at:)`; the test fires it (`takeDueAlarm`), as a registry would.
    public private(set) var alarm: Instant?
    public var userState: AnyObject?
    public var onMisuse: ((String) -> Void)?

    public init(peer: Endpoint = Endpoint(IPv4Address(10, 0, 0, 2), 40000),
                local: Endpoint = Endpoint(IPv4Address(10, 0, 0, 1), 80)) {
        self.peer = peer
        self.local = local
    }

    public var available: Int { inbox.count }
    public var peerFinished: Bool { peerSentFIN && inbox.isEmpty }

    public func receive(into destination: MutableByteView) -> Int {
        let n = peek(into: destination)
        inbox.removeFirst(n)
        return n
    }

    public func peek(into destination: MutableByteView) -> Int {
        if closed || aborted { onMisuse?("read after close") }
        let n = min(destination.count, inbox.count)
        for i in 0..<n { destination[i] = inbox[i] }
        return n
    }

    public var sendSpace: Int { closed || aborted ? 0 : window }

    public func send(_ bytes: ByteView) -> Int {
        if closed || aborted { onMisuse?("send after close") }
        let n = min(bytes.count, sendSpace)
        for i in 0..<n { output.append(bytes[i]) }
        if window != Int.max { window -= n }
        return n
    }

    public func send(upTo maximum: Int, fill: (MutableByteView) -> Int) -> Int {
        if closed || aborted { onMisuse?("send after close") }
        let run = min(maximum, sendSpace, fillRun)
        guard run > 0 else { return 0 }
        let n = output.append(upTo: run, filling: fill)
        if window != Int.max { window -= n }
        return n
    }

    public func wake(at instant: Instant?) { alarm = instant }

    /// True, and the alarm cleared, when it is due at `now`: then the test calls the service's wake-up,
    /// once, as the registry calls `doWake`.
    public func takeDueAlarm(now: Instant) -> Bool {
        guard let alarm, alarm <= now else { return false }
        self.alarm = nil
        return true
    }

    public func close() { closed = true }
    public func abort() { aborted = true }
}
