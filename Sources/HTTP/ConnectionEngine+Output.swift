import Bytes
import Services

/// The response side of a connection: each response's head, then its body pulled from its source into
/// the send buffer as space opens, and what follows when it is out (the access log, keep-alive or close).
extension ConnectionEngine {
    /// A response head in the buffer the last one left behind.
    func makeHead(for response: HTTPResponse, version: HTTPVersion, bodyLength: UInt64?, chunked: Bool,
                  close: Bool, keepAliveFor10: Bool = false) -> [UInt8] {
        server.head(into: &spareHead, for: response, version: version, bodyLength: bodyLength, chunked: chunked,
                    close: close, keepAliveFor10: keepAliveFor10)
        defer { spareHead = [] }
        return spareHead
    }

    /// The head has been copied out: its buffer becomes the spare for the next response's head. It is
    /// emptied only when that head is written, when nothing else still holds it (emptying a shared
    /// buffer would allocate a new one).
    func headSent(_ out: Outgoing) {
        guard let buffer = out.head else { return }
        out.head = nil
        spareHead = buffer
    }

    // MARK: output

    /// Sends what it can; true when the whole response has been handed to the connection.
    func send(_ out: Outgoing, now: Instant) -> Bool {
        while true {
            if out.pendingOffset < out.pending.count {
                let space = connection.sendSpace
                if space == 0 { return false }
                let n = min(space, out.pending.count - out.pendingOffset)
                let taken = out.pending[out.pendingOffset..<(out.pendingOffset + n)].withUnsafeBytes {
                    connection.send(ByteView($0))
                }
                if taken == 0 { return false }
                out.pendingOffset += taken
                sendDeadline.passed(taken, now: now)
                continue
            }
            out.pending.removeAll(keepingCapacity: true)
            out.pendingOffset = 0
            if out.finished { return true }
            if !fill(out, now: now) { return false }
            guard case .sending(let current) = phase, current === out else { return false }
        }
    }

    /// Puts the next piece of the response into `pending`: the head (once) and body bytes. False when
    /// the source would block.
    func fill(_ out: Outgoing, now: Instant) -> Bool {
        let room = max(min(connection.sendSpace, server.configuration.sendChunk), 1)
        switch out.source {
        case .none:
            out.finished = true
        case .bytes(let bytes, let next):
            // In pieces of at most `room`, so a large body is never duplicated whole in `pending`.
            let n = min(room, bytes.count - next)
            out.pending += bytes[next..<(next + n)]
            out.bodyBytes += UInt64(n)
            out.source = .bytes(bytes, next: next + n)
            out.finished = next + n == bytes.count
        case .file(let fs, let id, let next, let remaining):
            guard let head = out.head else {
                // After the head, the file system writes straight into the connection's send buffer.
                var result: FileRead?
                let sent = connection.send(upTo: Int(min(UInt64(Int.max), remaining))) { view in
                    result = fs.read(id, offset: next, into: view)
                    if case .ok(let n) = result, n <= view.count { return n }
                    return 0
                }
                sendDeadline.passed(sent, now: now)
                // No call at all: no send space, and `doSendSpace` follows when there is.
                guard let result else { return false }
                return account(result, of: sent, from: out, now: now)
            }
            // The first piece rides behind the head: the head must not leave before the file has read,
            // since a 500 replaces a response whose first read fails. When one run of the send buffer
            // holds both, the head is copied there and the file read in behind it, and nothing is queued
            // unless the read succeeds: no buffer of our own (an allocation and a copy per response).
            let want = Int(min(UInt64(room), remaining))
            var direct: FileRead?
            let sent = connection.send(upTo: head.count + want) { view in
                guard view.count > head.count, let piece = view.slice(head.count, min(want, view.count - head.count))
                else { return 0 }   // too short a run: through `pending` below
                direct = fs.read(id, offset: next, into: piece)
                guard case .ok(let n) = direct, n > 0, n <= piece.count else { return 0 }
                view.copy(head, to: 0)
                return head.count + n
            }
            if let direct {
                if sent > 0 { headSent(out); sendDeadline.passed(sent, now: now) }
                return account(direct, of: max(sent - head.count, 0), from: out, now: now)
            }
            guard connection.sendSpace > 0 else { return false }   // no room at all: `doSendSpace` follows
            // The buffer is made uninitialised: zero-filling it first cost more guest time than the read.
            var result = FileRead.corrupt
            out.pending = [UInt8](unsafeUninitializedCapacity: head.count + want) { buffer, count in
                let raw = UnsafeMutableRawBufferPointer(buffer)
                head.withUnsafeBytes { raw.copyMemory(from: $0) }
                result = fs.read(id, offset: next, into: MutableByteView(UnsafeMutableRawBufferPointer(rebasing: raw[head.count..<(head.count + want)])))
                if case .ok(let n) = result, n <= want { count = head.count + n } else { count = 0 }
            }
            if case .ok(let n) = result, n > 0, n <= want { headSent(out) }
            return account(result, of: out.pending.count - head.count, from: out, now: now)
        case .stream(let producer, let chunked):
            // Producers write into a scratch buffer: the chunk-size line can only be known afterwards.
            let reserve = chunked ? 32 : 0
            var buffer = [UInt8](repeating: 0, count: max(room - reserve, 1))
            switch buffer.withMutableByteView({ producer($0) }) {
            case .wouldBlock:
                out.blocked = true
                noteBlocked(now: now)
                return false
            case .wrote(let n) where n > 0 && n <= buffer.count:
                out.blocked = false
                lastBlockedAttempt = nil
                buffer.removeLast(buffer.count - n)
                if chunked { out.pending += ASCII.hex(UInt64(n)) + [ASCII.cr, ASCII.lf] }
                out.pending += buffer
                if chunked { out.pending += [ASCII.cr, ASCII.lf] }
                out.bodyBytes += UInt64(n)
            case .end, .wrote:
                if chunked { out.pending += Array("0\r\n\r\n".utf8) }
                out.finished = true
            case .failed:
                failBody(out, now: now)
                return true
            }
        }
        if let head = out.head {
            out.pending = head + out.pending
            headSent(out)
        }
        return true
    }

    /// Moves a file source on by one read that put `taken` bytes on their way (into `pending` or the
    /// send buffer). "Would block" parks the response for a retry; a failed or short read fails the body
    /// (a short file is as damaged as a bad block). False when the response must wait.
    func account(_ result: FileRead, of taken: Int, from out: Outgoing, now: Instant) -> Bool {
        guard case .file(let fs, let id, let next, let remaining) = out.source else { return true }
        switch result {
        case .wouldBlock:
            out.pending.removeAll(keepingCapacity: true)
            out.blocked = true
            noteBlocked(now: now)
            return false
        case .ok(let n) where n > 0 && n == taken:
            out.blocked = false
            lastBlockedAttempt = nil
            out.bodyBytes += UInt64(n)
            out.source = .file(fs, id, next: next + UInt64(n), remaining: remaining - UInt64(n))
            out.finished = remaining == UInt64(n)
            return true
        case .ok, .corrupt:
            out.pending.removeAll(keepingCapacity: true)
            server.counters.fileErrors += 1
            failBody(out, now: now)
            return true
        }
    }

    /// The body cannot be completed. Before the head left: answer 500 instead. After: close, so the
    /// client sees the message is short (Content-Length or the missing last chunk tells it).
    func failBody(_ out: Outgoing, now: Instant) {
        if out.head != nil {
            let response = HTTPResponse.error(.internalServerError, "The content could not be read.")
            let head = makeHead(for: response, version: .http11, bodyLength: response.body.knownLength,
                                   chunked: false, close: out.closeAfter)
            var exchange = out.exchange
            exchange.kind = .content
            let replacement = Outgoing(status: response.status, head: head, source: source(of: response.body),
                                       closeAfter: out.closeAfter, exchange: exchange)
            phase = .sending(replacement)
            return
        }
        out.finished = true
        server.log(out, truncated: true)
        closeOrderly()
    }

    func finish(_ out: Outgoing, now: Instant) {
        server.log(out, truncated: false)
        server.counters.bodyBytesSent += out.bodyBytes
        if out.closeAfter { return closeOrderly() }
        phase = .reading
        idleSince = now
    }
}
