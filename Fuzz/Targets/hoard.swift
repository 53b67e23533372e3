#if canImport(Glibc)
import Glibc
#endif
import Bytes
import Services
import HTTP

// Fuzz target `hoard`: many connections against one HTTPServer (issue 16), as hoarding clients would
// open them: requests, headers and content sent in any pieces, repeated (so a few input bytes announce
// and send far more content than the input holds), peers that read slowly or never, clocks that jump.
// Whatever the inputs, the memory the server holds (measured by the allocator, not by the server's own
// accounting) stays within its budget: the request-content budget for all connections together, plus
// a fixed working set per open connection (`perConnection`). Never a trap; every connection is let go
// once its peer has finished and time has passed.
//
// Input: a setup byte (bits 0-5 + 1: connections, 1-64), then steps until the input runs out, each a
// control byte: bits 0-5 choose the connection (modulo their number), bits 6-7 the action:
//   0  the peer sends: a length byte L and a repeat byte R, then L bytes, sent R + 1 times (at most
//      `receiveWindow` bytes wait unread, as in a TCP receive ring; the rest is not sent);
//   1  the peer reads 2^(b & 15) bytes of what the server sends (b: the next byte);
//   2  time passes: the next byte times 250 ms, then the server's deadlines run;
//   3  the peer sends FIN; a connection the server has let go is replaced by a new one.

let receiveWindow = 32 * 1024
let connectionLimit = 64
/// Deadlines the server may take to let go of every connection at the end (see the `http` target).
let maxDeadlines = 8192

/// The request content all connections may hold together: small, so many connections uploading at
/// once reach it.
let contentBudget = 16 * 1024

/// Bytes one open connection may hold besides request content: its read chunk, the parser's request
/// line and header section (field by field, so twice for their arrays' headers), the response piece
/// being sent with its head (2 KiB), and the objects themselves (engine, parser, request, response,
/// dictionary entries: 8 KiB; about 4-6 KiB measured).
func perConnection(_ c: HTTPConfiguration) -> Int {
    c.readChunk + c.limits.maxRequestLine + 2 * c.limits.maxHeaderBytes + c.sendChunk + 2048 + 8 * 1024
}

/// The allocator's count of live bytes, from AddressSanitizer (nil without it: FUZZ_SANITIZE=fuzzer
/// builds run the rest of the target without the memory check).
let liveBytes: (() -> Int)? = {
    guard let symbol = dlsym(nil, "__sanitizer_get_current_allocated_bytes") else { return nil }
    let current = unsafeBitCast(symbol, to: (@convention(c) () -> Int).self)
    return { current() }
}()

final class HoardClock: WallClock {
    var now = Instant.zero
    func unixSeconds() -> UInt64 { 1_764_000_000 + now.nanoseconds / 1_000_000_000 }
}

/// A fixed document root: a page and a file larger than any window.
final class Files: FileSystem {
    static let page = Array("<h1>hoard</h1>\n".utf8)
    static let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    func lookup(_ path: [UInt8]) -> FileLookup {
        if path == Array("/".utf8) { return .found(FileInfo(id: FileID(1), kind: .directory, size: 0, modified: 1_700_000_000)) }
        if path == Array("/index.html".utf8) { return .found(FileInfo(id: FileID(2), kind: .regular, size: UInt64(Files.page.count), modified: 1_700_000_000)) }
        if path == Array("/big.bin".utf8) { return .found(FileInfo(id: FileID(3), kind: .regular, size: UInt64(Files.big.count), modified: 1_700_000_000)) }
        return .notFound
    }

    func read(_ file: FileID, offset: UInt64, into destination: MutableByteView) -> FileRead {
        let content = file.value == 2 ? Files.page : Files.big
        guard file.value >= 2, offset < UInt64(content.count) else { fuzzFailure("read of \(file.value) at \(offset)") }
        let n = min(destination.count, content.count - Int(offset))
        for i in 0..<n { destination[i] = content[Int(offset) + i] }
        return .ok(n)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHoard(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let count = Int(input.byte() & 0x3F) + 1

    // Limits scaled down, so the working set per connection is small beside what content would take
    // without the budget (and a leak of either shows).
    var config = HTTPConfiguration()
    config.limits.maxRequestLine = 512
    config.limits.maxHeaderBytes = 1024
    config.limits.maxHeaderCount = 16
    config.readChunk = 1024
    config.sendChunk = 2048
    config.bodyBudget = contentBudget
    config.factoryPages = false   // generated pages are held whole while they are sent (see README)
    let clock = HoardClock()
    let server = HTTPServer(configuration: config, wallClock: clock)
    server.fileSystem = Files()
    // Takes content and answers with its length: nothing of it outlives the handler.
    server.router.add(.post, "/upload") { request in
        HTTPResponse(contentType: "text/plain", text: String(request.body.count))
    }
    var opened = 0
    func open() -> ScriptedConnection {
        opened += 1
        let peer = ScriptedConnection(peer: Endpoint(IPv4Address(10, 0, 0, 9), UInt16(truncatingIfNeeded: 1024 + opened)),
                                      local: Endpoint(IPv4Address(10, 0, 0, 2), 80))
        peer.onMisuse = { fuzzFailure($0) }
        peer.window = 0
        if server.accept(peer, now: clock.now) == .done { peer.close() }
        return peer
    }
    // One exchange before the baseline, so what is made once on first use (the content, tables, the
    // runtime's caches) is not counted against the connections.
    let warm = open()
    warm.window = Int.max
    warm.inbox = Array("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\nPOST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx".utf8)
    _ = server.receive(warm, now: clock.now)
    warm.abort()
    server.closed(warm)
    warm.output = []
    var peers: [ScriptedConnection] = []
    let baseline = liveBytes?() ?? 0
    for _ in 0..<count { peers.append(open()) }

    /// Delivers each peer's due alarm, as the registry delivers `doWake`.
    func wakeDue() {
        for peer in peers where peer.takeDueAlarm(now: clock.now) { server.wake(peer, now: clock.now) }
    }

    /// The server's memory now, within budget: everything live, less the baseline and what the peers'
    /// own buffers (a TCP ring, the network) hold.
    func checkMemory(_ step: Int) {
        guard let liveBytes else { return }
        var open = 0
        var harness = 0
        for peer in peers {
            if !peer.closed && !peer.aborted { open += 1 }
            peer.output.removeAll()
            harness += peer.inbox.capacity + MemoryLayout<ScriptedConnection>.size + 64
        }
        let held = liveBytes() - baseline - harness
        let budget = contentBudget + open * perConnection(config) + 64 * 1024   // 64 KiB: runtime caches
        trace("step \(step): \(open) open, \(held) bytes held, budget \(budget)")
        guard held <= budget else { fuzzFailure("server holds \(held) bytes with \(open) connections open; budget \(budget)") }
    }

    var step = 0
    while !input.isAtEnd {
        step += 1
        let control = input.byte()
        let index = Int(control & 0x3F) % peers.count
        let peer = peers[index]
        let live = !peer.closed && !peer.aborted
        switch control >> 6 {
        case 0:
            let length = Int(input.byte()), repeats = Int(input.byte()) + 1
            let piece = input.take(length)
            guard live, !peer.peerSentFIN, !piece.isEmpty else { break }
            for _ in 0..<repeats where peer.inbox.count + piece.count <= receiveWindow { peer.inbox += piece }
            if server.receive(peer, now: clock.now) == .done && !peer.aborted { peer.close() }
        case 1:
            let bytes = 1 << Int(input.byte() & 15)
            guard live else { break }
            peer.window += bytes
            server.sendSpace(peer, now: clock.now)
        case 2:
            clock.now = clock.now + .milliseconds(UInt64(input.byte()) * 250)
            server.poll(now: clock.now)
            wakeDue()
        default:
            if live {
                peer.peerSentFIN = true
                if server.receive(peer, now: clock.now) == .done && !peer.aborted { peer.close() }
            } else {
                server.closed(peer)
                peers[index] = open()
            }
        }
        checkMemory(step)
    }

    // Every peer finishes and reads everything; the server lets go of each within its deadlines.
    for peer in peers where !peer.closed && !peer.aborted {
        peer.peerSentFIN = true
        peer.window = 1 << 30
        if server.receive(peer, now: clock.now) == .done && !peer.aborted { peer.close() }
        server.sendSpace(peer, now: clock.now)
    }
    var rounds = 0
    while peers.contains(where: { !$0.closed && !$0.aborted }) {
        rounds += 1
        guard rounds <= maxDeadlines else { fuzzFailure("connections still open after \(maxDeadlines) deadlines") }
        let deadline = peers.compactMap { $0.closed || $0.aborted ? nil : $0.alarm }.min() ?? .never
        guard deadline != .never else { fuzzFailure("a connection open with no deadline") }
        clock.now = max(clock.now, deadline)
        server.poll(now: clock.now)
        wakeDue()
        checkMemory(step + rounds)
    }
    for peer in peers { server.closed(peer) }
    guard server.counters.connectionsOpen == 0 else { fuzzFailure("\(server.counters.connectionsOpen) connections open") }
    return 0
}
