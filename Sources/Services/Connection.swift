import Bytes

/// What a service sees of one stream connection: bytes in, bytes out, close. No TCP internals: the same
/// service runs over TCP in the kernel, over the hosted runner, and over an in-memory pipe in tests.
/// Class-bound, so `any Connection` is allowed in Embedded Swift.
///
/// Nothing here blocks. `send` queues what fits and says how much; the registry calls the service's
/// `doSendSpace` when more room opens (that is how large files stream as the peer's window opens).
public protocol Connection: AnyObject {
    /// The time of the registry poll running this callback: the one clock a service reads (callbacks
    /// are given time, they do not ask for it).
    var now: Instant { get }
    /// The remote end (address and port) and our end.
    var peer: Endpoint { get }
    var local: Endpoint { get }

    /// Bytes ready to be read now.
    var available: Int { get }
    /// True once the peer has finished sending (FIN received) and every byte before it has been read.
    var peerFinished: Bool { get }

    /// Moves up to `destination.count` bytes out of the receive buffer; returns how many.
    func receive(into destination: MutableByteView) -> Int
    /// Copies up to `destination.count` bytes without consuming them; returns how many.
    func peek(into destination: MutableByteView) -> Int

    /// Room in the send buffer now.
    var sendSpace: Int { get }
    /// Queues up to `sendSpace` bytes of `bytes`; returns how many were taken (never blocks).
    func send(_ bytes: ByteView) -> Int
    /// The same without a buffer in between: `fill` writes straight into the send buffer. It gets one
    /// contiguous run of at most `maximum` bytes of free space (possibly shorter than `sendSpace`: call
    /// again for the rest) and returns how many bytes it wrote from the run's start; those are queued.
    /// Returns that count; 0 without calling `fill` when there is no room.
    func send(upTo maximum: Int, fill: (MutableByteView) -> Int) -> Int

    /// Orderly release: everything queued is sent, then FIN. Further sends are refused.
    func close()
    /// Abortive release (RST): queued data is discarded. Only when the service really means it.
    func abort()

    /// How long the connection may sit idle (no byte read or sent by the service) before the service's
    /// `doTimeout` runs; nil: forever. Assigning it restarts the timer from now.
    var receiveTimeout: Interval? { get set }
    /// The service's own alarm, apart from the idle timeout: `doWake` runs once `instant` has come
    /// (a time of the service's choosing, such as a request's deadline). Setting it again moves it; nil
    /// clears it; bytes moving do not touch it. Only while connecting or open: closing the connection
    /// clears it, and it never fires after.
    func wake(at instant: Instant?)
    /// The service's own per-connection state.
    var userState: AnyObject? { get set }
}
