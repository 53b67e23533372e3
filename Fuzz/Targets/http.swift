import Bytes
import Services
import HTTP

// Fuzz target `http`: a byte stream split at input-chosen points, fed both to a bare RequestParser and
// to an HTTPServer connection (static files from a small in-memory document root, a dynamic route, a
// route behind Basic auth, the factory pages), on a virtual clock, with a peer whose receive window may
// be small. Never a trap; the parser consumes what it says; the server's responses are framed so a
// client can split them; once the peer has finished and time has passed, the connection is closed.
//
// Input: a configuration byte (bit 0: tight limits; bit 1: a small peer window; bit 2: the disk is slow
// (first accesses answer "would block"); bit 3: the connection offers its send buffer in runs of at most
// 5 bytes, as where a ring's free space wraps; bits 4-7: how many split bytes follow), the split bytes (each:
// bits 0-6 + 1 is a piece length, bit 7 moves the clock 5 s before the piece), then the stream. Bytes
// after the last split form the final piece.

/// Deadlines the server may take to let go of a finished connection: enough for disk retries every
/// `retryInterval` (10 ms) until the 20 s request timeout.
let maxDeadlines = 4096

/// The document root's content, built once (the big file is larger than any send window).
let bigFile = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
let documents: [(path: [UInt8], info: FileInfo, content: [UInt8])] = [
    (Array("/".utf8), FileInfo(id: FileID(1), kind: .directory, size: 0, modified: 1_700_000_000), []),
    (Array("/index.html".utf8), FileInfo(id: FileID(2), kind: .regular, size: 21, modified: 1_700_000_000),
     Array("<h1>fuzzed root</h1>\n".utf8)),
    (Array("/docs".utf8), FileInfo(id: FileID(3), kind: .directory, size: 0, modified: 1_700_000_000), []),
    (Array("/big.bin".utf8), FileInfo(id: FileID(4), kind: .regular, size: UInt64(bigFile.count), modified: 1_600_000_000), bigFile),
    // Its size says more than the content holds, as a damaged disk might.
    (Array("/short.txt".utf8), FileInfo(id: FileID(5), kind: .regular, size: 100, modified: 1_700_000_000),
     Array("short".utf8)),
]

/// A fixed document root on a slow disk: when `slowDisk` is set, the first lookup of each path and the
/// first read starting in each 4 KiB block of a file answer "would block", and the retry finds the data
/// cached, as behind a block cache (blocking per offset instead made a response read in 5-byte runs
/// take a retry interval per run, more deadlines than `maxDeadlines` allows).
final class DocumentRoot: FileSystem {
    let files = documents
    var slowDisk = false
    private var fetchedPaths: Set<[UInt8]> = []
    private var fetchedReads: Set<[UInt64]> = []
    func lookup(_ path: [UInt8]) -> FileLookup {
        if slowDisk && fetchedPaths.insert(path).inserted { return .wouldBlock }
        guard path.first == 0x2F, !path.contains(0) else { fuzzFailure("file system got an unnormalised path") }
        for f in files where f.path == path { return .found(f.info) }
        return .notFound
    }

    func read(_ file: FileID, offset: UInt64, into destination: MutableByteView) -> FileRead {
        if slowDisk && fetchedReads.insert([file.value, offset / 4096]).inserted { return .wouldBlock }
        guard let f = files.first(where: { $0.info.id == file }) else { fuzzFailure("read of an unknown file") }
        guard offset <= f.info.size else { fuzzFailure("read at \(offset) past the size \(f.info.size)") }
        guard offset < UInt64(f.content.count) else { return .corrupt }
        let n = min(destination.count, f.content.count - Int(offset))
        for i in 0..<n { destination[i] = f.content[Int(offset) + i] }
        return .ok(n)
    }
}

final class FuzzClock: WallClock {
    var now = Instant.zero
    func unixSeconds() -> UInt64 { 1_764_000_000 + now.nanoseconds / 1_000_000_000 }
}

/// Feeds the pieces to a bare parser, checking what it reports about each; returns the methods of the
/// requests it completed, in order.
func parse(_ pieces: [[UInt8]], limits: HTTPLimits) -> [HTTPMethod] {
    var parser = RequestParser(limits: limits)
    var methods: [HTTPMethod] = []
    for piece in pieces {
        var offset = 0
        while offset < piece.count {
            let (consumed, result) = piece.withByteView { parser.consume($0.suffix(from: offset)!) }
            guard consumed >= 0, consumed <= piece.count - offset else { fuzzFailure("consumed \(consumed) of \(piece.count - offset)") }
            offset += consumed
            switch result {
            case .needMore:
                guard offset == piece.count else { fuzzFailure("needMore with \(piece.count - offset) bytes left") }
            case .complete(let request):
                guard consumed > 0 else { fuzzFailure("a request from no bytes") }
                guard request.body.count <= limits.maxBodyBytes else { fuzzFailure("body of \(request.body.count)") }
                methods.append(request.method)
                parser.reset()
            case .head:
                fuzzFailure("a head reported by a parser that reads every body")
            case .failed:
                return methods
            }
        }
    }
    return methods
}

/// Walks the server's output as a client would: every response starts with an HTTP/1.1 status line and
/// is framed so that the next one starts exactly where it ends (Content-Length, chunked, or no body for
/// HEAD, 1xx, 204 and 304). A close-delimited body ends the walk; so does a message cut short at the end
/// (a body that failed mid-way is cut by closing). `methods` are the requests' methods, in order.
func checkFraming(_ out: [UInt8], methods: [HTTPMethod]) {
    let crlf: [UInt8] = [13, 10]
    func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard start <= out.count - needle.count else { return nil }
        for i in start...(out.count - needle.count) where out[i] == needle[0] && Array(out[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
    func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b - 0x30)
        case 0x41...0x46: return Int(b - 0x41 + 10)
        case 0x61...0x66: return Int(b - 0x61 + 10)
        default: return nil
        }
    }
    var i = 0
    var index = 0
    while i < out.count {
        guard out.count - i >= 12 else { return }
        guard Array(out[i..<(i + 9)]) == Array("HTTP/1.1 ".utf8) else { fuzzFailure("response \(index) at \(i) has no status line") }
        let status = Int(out[i + 9] &- 0x30) * 100 + Int(out[i + 10] &- 0x30) * 10 + Int(out[i + 11] &- 0x30)
        guard let headEnd = find(crlf + crlf, from: i) else { return }
        var length: Int? = nil
        var chunked = false
        var line = i
        while let end = find(crlf, from: line), end < headEnd {
            let field = String(decoding: out[(end + 2)..<(find(crlf, from: end + 2) ?? headEnd)], as: UTF8.self).lowercased()
            if field.hasPrefix("content-length: ") { length = Int(field.dropFirst(16)) }
            if field == "transfer-encoding: chunked" { chunked = true }
            line = end + 2
        }
        i = headEnd + 4
        if status < 200 { continue }
        let noBody = (index < methods.count && methods[index] == .head) || status == 204 || status == 304
        index += 1
        if noBody { continue }
        if chunked {
            while true {
                guard let end = find(crlf, from: i) else { return }
                var size = 0
                for b in out[i..<end] {
                    guard let v = hexValue(b) else { fuzzFailure("chunk size line at \(i)") }
                    size = size * 16 + v
                    guard size < 1 << 30 else { fuzzFailure("chunk size at \(i)") }
                }
                i = end + 2 + size
                if size == 0 {
                    guard i + 2 <= out.count else { return }
                    guard out[i] == 13, out[i + 1] == 10 else { fuzzFailure("no empty trailer section at \(i)") }
                    i += 2
                    break
                }
                guard i + 2 <= out.count else { return }
                guard out[i] == 13, out[i + 1] == 10 else { fuzzFailure("chunk data not followed by CRLF at \(i)") }
                i += 2
            }
        } else if let length {
            i += length
        } else {
            return
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let setup = input.byte()
    let splits = input.take(Int(setup >> 4))
    var pieces: [(advance: Bool, bytes: [UInt8])] = []
    for s in splits { pieces.append((s & 0x80 != 0, input.take(Int(s & 0x7F) + 1))) }
    pieces.append((false, input.rest()))

    var config = HTTPConfiguration()
    if setup & 1 != 0 {
        config.limits.maxRequestLine = 64
        config.limits.maxHeaderBytes = 128
        config.limits.maxHeaderCount = 4
        config.limits.maxBodyBytes = 32
    }
    let methods = parse(pieces.map { $0.bytes }, limits: config.limits)

    let clock = FuzzClock()
    let root = DocumentRoot()
    root.slowDisk = setup & 4 != 0
    let server = HTTPServer(configuration: config, wallClock: clock)
    server.fileSystem = root
    server.router.add(.post, "/echo") { request in HTTPResponse(status: .ok, body: .bytes(request.body)) }
    server.router.add(.get, "/private", auth: BasicAuth(realm: "fuzz", user: "admin", password: "secret")) { _ in
        HTTPResponse(status: .ok, contentType: "text/plain", text: "inside\n")
    }
    let peer = ScriptedConnection(peer: Endpoint(IPv4Address(10, 0, 0, 9), 40000), local: Endpoint(IPv4Address(10, 0, 0, 2), 80))
    peer.onMisuse = { fuzzFailure($0) }
    if setup & 2 != 0 { peer.window = 7 }
    if setup & 8 != 0 { peer.fillRun = 5 }
    var done = server.accept(peer, now: clock.now) == .done

    func openWindow(_ bytes: Int) {
        guard peer.window != Int.max, !peer.closed, !peer.aborted else { return }
        peer.window += bytes
        server.sendSpace(peer, now: clock.now)
    }

    for piece in pieces where !done {
        if piece.advance {
            clock.now = clock.now + .seconds(5)
            server.poll(now: clock.now)
            if peer.takeDueAlarm(now: clock.now) { server.wake(peer, now: clock.now) }
        }
        peer.inbox += piece.bytes
        done = server.receive(peer, now: clock.now) == .done
        openWindow(64)
    }
    peer.peerSentFIN = true
    if !done { done = server.receive(peer, now: clock.now) == .done }
    // `.done` without a close: the registry closes the connection in order.
    if done && !peer.aborted { peer.close() }
    // The peer reads everything from now on; deadlines run until the server lets go.
    if peer.window != Int.max { peer.window = 1 << 30; server.sendSpace(peer, now: clock.now) }
    var rounds = 0
    while !peer.closed && !peer.aborted {
        rounds += 1
        guard rounds <= maxDeadlines else { fuzzFailure("connection still open after \(maxDeadlines) deadlines") }
        let deadline = peer.alarm ?? .never
        trace("round \(rounds): now \(clock.now.nanoseconds), deadline \(deadline.nanoseconds), output \(peer.output.count) bytes")
        guard deadline != .never else { fuzzFailure("connection open with no deadline") }
        clock.now = max(clock.now, deadline)
        server.poll(now: clock.now)
        if peer.takeDueAlarm(now: clock.now) { server.wake(peer, now: clock.now) }
    }
    trace(String(decoding: peer.output, as: UTF8.self))
    server.closed(peer)
    guard server.counters.connectionsOpen == 0 else { fuzzFailure("\(server.counters.connectionsOpen) connections open") }
    checkFraming(peer.output, methods: methods)
    return 0
}
