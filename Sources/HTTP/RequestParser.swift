import Bytes

/// What one `consume` call produced.
public enum ParseResult {
    /// Every byte offered was used and the request is not complete yet.
    case needMore
    /// A whole request; bytes after it (a pipelined request) were not consumed.
    case complete(HTTPRequest)
    /// With `pausesAtHead`: the head of a request whose content follows. Nothing of the content has
    /// been read or reserved; the caller calls `readBody()` or `discardBody()` before feeding more.
    case head(HTTPRequest)
    /// The request is refused; the parser stays failed.
    case failed(RequestError)
}

/// An incremental HTTP/1.1 request parser (RFC 9112) that accepts its input in any fragmentation, down
/// to one byte per call. It is strict where leniency enables request smuggling or cache poisoning:
/// one framing per message (Content-Length XOR chunked), no obs-fold, no whitespace before the colon, no
/// bare CR, no control bytes, bounded everything. Bare LF line endings are accepted in the head and
/// trailers (RFC 9112 §2.2), never in chunk framing.
///
/// Lines (request line, fields, chunk sizes, trailers) are gathered byte by byte; content is copied in
/// bulk. The parser stops at the end of one request, so pipelined requests stay in the caller's buffer.
public struct RequestParser {
    enum State {
        case requestLine
        case fields
        /// The head is out (`.head`); the caller has not yet said what to do with the content.
        case bodyDecision(Framing)
        case body(remaining: UInt64)
        case chunkSize
        case chunkData(remaining: UInt64)
        case chunkDataEnd
        case trailers
        case failed
    }

    /// How the content of a request is delimited (RFC 9112 §6.3).
    public enum Framing {
        case length(UInt64)
        case chunked
    }

    public let limits: HTTPLimits
    /// Stop after a head that announces content and report it as `.head`, so that the caller decides
    /// whether the content is wanted before any of it is read. Off: the content is read into the request.
    public var pausesAtHead = false
    /// The content is being skipped (`discardBody()`): nothing is kept, and the request is not
    /// reported again when its content ends.
    public private(set) var discarding = false
    /// Content bytes of the current request seen so far (kept or discarded): what the size limit counts.
    private var contentBytes: UInt64 = 0
    private var state: State = .requestLine
    private var line: [UInt8] = []
    private var sawCR = false
    private var emptyLines = 0
    private var headerBytes = 0
    private var fieldCount = 0
    private var request: HTTPRequest?

    /// The client sent `Expect: 100-continue` and waits for a 100 before sending content
    /// (RFC 9110 §10.1.1). The server answers once and calls `continueSent()`.
    public private(set) var expectsContinue = false

    public init(limits: HTTPLimits = HTTPLimits(), pausesAtHead: Bool = false) {
        self.limits = limits
        self.pausesAtHead = pausesAtHead
    }

    /// The framing of the content announced by the head just reported (`.head`), nil otherwise.
    public var pendingFraming: Framing? {
        if case .bodyDecision(let framing) = state { return framing }
        return nil
    }

    /// After `.head`: read the content into the request, which `.complete` then returns.
    public mutating func readBody() {
        guard case .bodyDecision(let framing) = state else { return }
        enterContent(framing)
        expectsContinue = wantsContinue(request!)
    }

    /// After `.head`: skip the content as it arrives, keeping the framing so that a pipelined request
    /// after it is found; no `100 Continue` is asked for.
    public mutating func discardBody() {
        guard case .bodyDecision(let framing) = state else { return }
        discarding = true
        enterContent(framing)
    }

    /// True while content bytes are being read into the request (what a body budget must cover).
    public var readingBody: Bool {
        if discarding { return false }
        switch state {
        case .body, .chunkSize, .chunkData, .chunkDataEnd, .trailers: return true
        default: return false
        }
    }

    /// Bytes of content the request in progress holds.
    public var heldBodyBytes: Int { discarding ? 0 : request?.body.count ?? 0 }

    public mutating func continueSent() { expectsContinue = false }

    /// True between the first byte of a request and its completion (drives the 408 timer).
    public var inProgress: Bool {
        if case .requestLine = state { return !line.isEmpty || sawCR || emptyLines > 0 }
        return true
    }

    /// Feeds bytes; returns how many were consumed and the outcome.
    public mutating func consume(_ bytes: ByteView) -> (consumed: Int, result: ParseResult) {
        var i = 0
        while i < bytes.count {
            switch state {
            case .failed:
                return (i, .failed(.bad("parser already failed")))
            case .bodyDecision:
                return (i, .head(request!))   // until the caller decides, nothing more is read
            case .body(let remaining):
                let n = Int(min(remaining, UInt64(bytes.count - i)))
                appendBody(bytes, from: i, count: n)
                i += n
                if remaining == UInt64(n) {
                    if let done = endOfContent() { return (i, done) }
                    continue
                }
                state = .body(remaining: remaining - UInt64(n))
            case .chunkData(let remaining):
                let n = Int(min(remaining, UInt64(bytes.count - i)))
                appendBody(bytes, from: i, count: n)
                i += n
                state = remaining == UInt64(n) ? .chunkDataEnd : .chunkData(remaining: remaining - UInt64(n))
            default:
                // A run of ordinary line bytes is taken at once, as far as the line's limits allow; the
                // byte that would exceed a limit goes through `lineByte` below, which refuses it exactly
                // as it would have byte by byte. Per-byte dispatch was most of the parser's cost.
                if !sawCR {
                    let taken = appendRun(bytes, from: i)
                    i += taken
                    if taken > 0 { continue }
                }
                let b = bytes[i]
                i += 1
                do throws(RequestError) {
                    if let done = try lineByte(b) { return (i, done) }
                } catch {
                    state = .failed
                    return (i, .failed(error))
                }
            }
        }
        return (i, .needMore)
    }

    /// Resets for the next request on the same connection (after `.complete`).
    public mutating func reset() {
        state = .requestLine; line.removeAll(keepingCapacity: true); sawCR = false; emptyLines = 0; headerBytes = 0; fieldCount = 0
        request = nil; expectsContinue = false; discarding = false; contentBytes = 0
    }

    // MARK: lines

    private mutating func lineByte(_ b: UInt8) throws(RequestError) -> ParseResult? {
        if sawCR {
            guard b == ASCII.lf else { throw .bad("bare CR in a line") }
            sawCR = false
            return try endOfLine()
        }
        if b == ASCII.cr { sawCR = true; return try countLineByte() }
        if b == ASCII.lf {
            // Chunk framing takes CRLF only: a recipient that accepted a bare LF there would split the
            // stream differently from a stricter proxy in front of it (request smuggling).
            switch state {
            case .chunkSize, .chunkDataEnd: throw .bad("bare LF in chunked framing")
            default: return try endOfLine()
            }
        }
        line.append(b)
        _ = try countLineByte()
        return nil
    }

    /// Appends the bytes from `start` up to the next CR or LF, but no more than the current line may
    /// take without exceeding a limit (`countLineByte`'s checks, counted in advance); returns how many.
    private mutating func appendRun(_ bytes: ByteView, from start: Int) -> Int {
        var end = start
        while end < bytes.count && bytes[end] != ASCII.cr && bytes[end] != ASCII.lf { end += 1 }
        var room = end - start
        switch state {
        case .requestLine:
            room = min(room, limits.maxRequestLine - line.count)
            // Until the line holds a space its length is also the method's: a space inside the run
            // ends that check only if the bytes before it fit.
            if !line.contains(ASCII.sp) {
                var space = start
                while space < start + room && bytes[space] != ASCII.sp { space += 1 }
                if space == start + room || line.count + (space - start) > limits.maxMethodLength {
                    room = min(room, limits.maxMethodLength - line.count)
                }
            }
        case .fields, .trailers:
            room = min(room, limits.maxHeaderBytes - headerBytes)
            headerBytes += max(room, 0)
        case .chunkSize, .chunkDataEnd:
            room = min(room, limits.maxChunkLine - line.count)
        default:
            return 0
        }
        guard room > 0 else { return 0 }
        line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes.base[start..<(start + room)]))
        return room
    }

    /// Enforces each line kind's size limit as bytes arrive, so a huge line is refused early.
    private mutating func countLineByte() throws(RequestError) -> ParseResult? {
        switch state {
        case .requestLine:
            if line.count > limits.maxRequestLine {
                let spaces = line.reduce(0) { $0 + ($1 == ASCII.sp ? 1 : 0) }
                throw spaces < 2 ? RequestError(.uriTooLong, "request target too long")
                                 : .bad("request line too long")
            }
            if !line.contains(ASCII.sp), line.count > limits.maxMethodLength {
                throw line.allSatisfy(ASCII.isTokenChar) ? RequestError(.notImplemented, "unknown method")
                                                         : .bad("invalid method")
            }
        case .fields, .trailers:
            headerBytes += 1
            if headerBytes > limits.maxHeaderBytes {
                throw RequestError(.headersTooLarge, "header section too large")
            }
        case .chunkSize, .chunkDataEnd:
            if line.count > limits.maxChunkLine { throw .bad("chunk size line too long") }
        default:
            break
        }
        return nil
    }

    private mutating func endOfLine() throws(RequestError) -> ParseResult? {
        // Emptied only afterwards: taking a copy first would make this removal reallocate the buffer,
        // once per line.
        defer { line.removeAll(keepingCapacity: true) }
        switch state {
        case .requestLine:
            if line.isEmpty {
                emptyLines += 1
                if emptyLines > limits.maxLeadingEmptyLines { throw .bad("too many empty lines") }
                return nil
            }
            try parseRequestLine(line)
            state = .fields
            return nil
        case .fields:
            headerBytes += 1
            if line.isEmpty { return try endOfHeaderSection() }
            request!.headers.add(try parseField(line))
            return nil
        case .chunkSize:
            return try parseChunkSize(line)
        case .chunkDataEnd:
            guard line.isEmpty else { throw .bad("chunk data longer than its size") }
            state = .chunkSize
            return nil
        case .trailers:
            headerBytes += 1
            if line.isEmpty { return endOfContent() }
            if !discarding { request!.trailers.add(try parseField(line)) } else { _ = try parseField(line) }
            return nil
        default:
            return nil
        }
    }

    // MARK: request line (RFC 9112 §3)

    private mutating func parseRequestLine(_ l: [UInt8]) throws(RequestError) {
        guard let sp1 = l.firstIndex(of: ASCII.sp) else { throw .bad("malformed request line") }
        let methodBytes = l[..<sp1]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(ASCII.isTokenChar) else { throw .bad("invalid method") }
        let rest = l[(sp1 + 1)...]
        guard let sp2 = rest.firstIndex(of: ASCII.sp) else { throw .bad("malformed request line") }
        let target = l[(sp1 + 1)..<sp2]
        let versionBytes = l[(sp2 + 1)...]
        guard !target.isEmpty else { throw .bad("empty request target") }
        // Visible ASCII only: no SP, CTL, DEL or raw non-ASCII in a target (RFC 3986 requires encoding).
        guard target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw .bad("invalid byte in request target") }
        let version = try parseVersion(versionBytes)
        guard let method = HTTPMethod(token: methodBytes) else {
            throw RequestError(.notImplemented, "unknown method")
        }
        try checkTargetForm(method, target)
        request = HTTPRequest(method: method, target: Array(target), version: version)
    }

    private func parseVersion(_ v: ArraySlice<UInt8>) throws(RequestError) -> HTTPVersion {
        let a = v.startIndex   // read in place: "HTTP/d.d", byte by byte
        guard v.count == 8, v[a] == 0x48, v[a + 1] == 0x54, v[a + 2] == 0x54, v[a + 3] == 0x50,
              v[a + 4] == ASCII.slash, ASCII.isDigit(v[a + 5]), v[a + 6] == ASCII.dot,
              ASCII.isDigit(v[a + 7]) else { throw .bad("malformed HTTP version") }
        let version = HTTPVersion(major: v[a + 5] - 0x30, minor: v[a + 7] - 0x30)
        guard version.major == 1 else { throw RequestError(.versionNotSupported, "only HTTP/1.x is served") }
        return version
    }

    /// origin-form for everything, absolute-form accepted (RFC 9112 §3.2.2), asterisk-form only for
    /// OPTIONS, authority-form only for CONNECT.
    private func checkTargetForm(_ method: HTTPMethod, _ t: ArraySlice<UInt8>) throws(RequestError) {
        if t.first == ASCII.slash { return }
        if t.count == 1 && t.first == 0x2A {
            guard method == .options else { throw .bad("asterisk-form is only for OPTIONS") }
            return
        }
        if method == .connect { return }
        let lower = t.prefix(8).map(ASCII.lower)
        if lower.starts(with: "http://".utf8) || lower.starts(with: "https://".utf8) { return }
        throw .bad("invalid request target")
    }

    // MARK: fields (RFC 9110 §5, RFC 9112 §5)

    private mutating func parseField(_ l: [UInt8]) throws(RequestError) -> HTTPField {
        guard let first = l.first, !ASCII.isWhitespace(first) else { throw .bad("obsolete line folding") }
        fieldCount += 1
        if fieldCount > limits.maxHeaderCount { throw RequestError(.headersTooLarge, "too many header fields") }
        guard let colon = l.firstIndex(of: ASCII.colon) else { throw .bad("header field without colon") }
        let name = l[..<colon]
        guard !name.isEmpty else { throw .bad("empty field name") }
        // Whitespace before the colon fails here, as RFC 9112 §5.1 requires (it is not a tchar).
        guard name.allSatisfy(ASCII.isTokenChar) else { throw .bad("invalid field name") }
        let value = ASCII.trimmed(l[(colon + 1)...])
        guard value.allSatisfy(ASCII.isFieldValueChar) else { throw .bad("control character in field value") }
        return HTTPField(name: CommonFieldNames.shared(name) ?? Array(name), value: Array(value))
    }

    // MARK: framing (RFC 9112 §6)

    private mutating func endOfHeaderSection() throws(RequestError) -> ParseResult? {
        // The fields and version only: a copy of the whole request cost a retain and release of each
        // of its arrays, every request.
        let headers = request!.headers, atLeast11 = request!.version.atLeast11
        var host: [UInt8]? = nil      // counted in place: every request has one, no list needed
        for field in headers.fields where ASCII.equalsIgnoringCase(field.name, "Host") {
            if host != nil { throw .bad("more than one Host") }
            host = field.value
        }
        if atLeast11 && host == nil { throw .bad("HTTP/1.1 request without Host") }
        if let host, !host.allSatisfy(isHostByte) { throw .bad("invalid Host") }

        let hasTE = headers.contains("Transfer-Encoding")
        let lengths = headers.values("Content-Length")
        if hasTE {
            if !lengths.isEmpty { throw .bad("both Content-Length and Transfer-Encoding") }
            if !atLeast11 { throw .bad("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = headers.listElements("Transfer-Encoding")
            guard let last = codings.last, ASCII.equalsIgnoringCase(last, "chunked") else {
                throw .bad("chunked is not the final transfer coding")
            }
            if codings.count > 1 {
                if codings.dropLast().contains(where: { ASCII.equalsIgnoringCase($0, "chunked") }) {
                    throw .bad("chunked applied twice")
                }
                throw RequestError(.notImplemented, "unsupported transfer coding")
            }
            return announceContent(.chunked)
        }
        var length: UInt64? = nil
        for line in lengths {
            let elements = ASCII.listElements(line[...])
            if elements.isEmpty { throw .bad("empty Content-Length") }
            for e in elements {
                guard let n = ASCII.parseDecimal(e) else { throw .bad("invalid Content-Length") }
                if let l = length, l != n { throw .bad("conflicting Content-Length") }
                length = n
            }
        }
        let n = length ?? 0
        if n > UInt64(limits.maxBodyBytes) { throw RequestError(.contentTooLarge, "request content too large") }
        if n == 0 { return finish() }
        // Nothing is reserved from Content-Length: it is only a claim, and the content may never come.
        // The body grows with what actually arrives.
        return announceContent(.length(n))
    }

    /// The head announced content: report the head first when asked to, else read the content.
    private mutating func announceContent(_ framing: Framing) -> ParseResult? {
        if pausesAtHead {
            state = .bodyDecision(framing)
            return .head(request!)
        }
        enterContent(framing)
        expectsContinue = wantsContinue(request!)
        return nil
    }

    private mutating func enterContent(_ framing: Framing) {
        switch framing {
        case .length(let n): state = .body(remaining: n)
        case .chunked: state = .chunkSize
        }
    }

    private func wantsContinue(_ req: HTTPRequest) -> Bool {
        req.version.atLeast11 && req.headers.hasToken("Expect", "100-continue")
    }

    /// reg-name / IPv4 / IP-literal with an optional port: unreserved, sub-delims, ":", "[", "]", "%".
    private func isHostByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x2D, 0x2E, 0x5F, 0x7E, 0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x3B, 0x3D,
             0x3A, 0x5B, 0x5D, 0x25: return true
        default: return false
        }
    }

    // MARK: chunked (RFC 9112 §7.1)

    private mutating func parseChunkSize(_ l: [UInt8]) throws(RequestError) -> ParseResult? {
        var size: UInt64 = 0
        var i = 0
        while i < l.count, let d = ASCII.hexValue(l[i]) {
            guard size >> 60 == 0 else { throw .bad("chunk size overflows") }
            size = size << 4 | UInt64(d)
            i += 1
        }
        guard i > 0 else { throw .bad("missing chunk size") }
        if i < l.count {
            // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ); we ignore extensions but
            // require the ";" and refuse control bytes, so "1 x" or "0x5" cannot slip through.
            var j = i
            while j < l.count, ASCII.isWhitespace(l[j]) { j += 1 }
            guard j < l.count, l[j] == ASCII.semicolon else { throw .bad("invalid chunk size") }
            guard l[j...].allSatisfy(ASCII.isFieldValueChar) else { throw .bad("invalid chunk extension") }
        }
        if size == 0 { state = .trailers; return nil }
        let (total, overflow) = contentBytes.addingReportingOverflow(size)
        if overflow || total > UInt64(limits.maxBodyBytes) {
            throw RequestError(.contentTooLarge, "request content too large")
        }
        state = .chunkData(remaining: size)
        return nil
    }

    // MARK: completion

    private mutating func appendBody(_ bytes: ByteView, from offset: Int, count: Int) {
        contentBytes += UInt64(count)
        guard !discarding, count > 0, let part = bytes.slice(offset, count) else { return }
        request!.body.append(contentsOf: part.base)
    }

    /// The content ended: the request is complete, or, if its content was discarded (the request was
    /// already reported at its head), the parser is ready for the next one and reports nothing.
    private mutating func endOfContent() -> ParseResult? {
        if discarding { reset(); return nil }
        return finish()
    }

    private mutating func finish() -> ParseResult {
        let done = request.take()!   // moved out, not copied and then released by reset()
        reset()
        return .complete(done)
    }
}
