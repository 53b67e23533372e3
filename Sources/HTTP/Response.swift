import Bytes

/// What a streamed body producer did with the buffer it was lent.
public enum BodyChunk {
    /// Wrote this many bytes (more than zero) at the start of the buffer.
    case wrote(Int)
    /// Nothing ready yet; the server asks again on its next callback or poll.
    case wouldBlock
    /// The body is complete.
    case end
    /// The body cannot be finished: the connection is closed so the client sees a truncated message.
    case failed
}

/// Fills the buffer it is lent with the next piece of a body.
public typealias BodyProducer = (MutableByteView) -> BodyChunk

/// A response body. Bytes are sent as they are; a file is streamed from the file system as send space
/// opens, never loaded whole; a stream comes from a producer, with a length if known (otherwise it is
/// sent chunked to HTTP/1.1 clients and delimited by closing the connection for HTTP/1.0).
public enum ResponseBody {
    case empty
    case bytes([UInt8])
    case file(FileSystem, FileID, offset: UInt64, length: UInt64)
    case stream(length: UInt64?, BodyProducer)

    /// The length, when known before sending.
    var knownLength: UInt64? {
        switch self {
        case .empty: return 0
        case .bytes(let b): return UInt64(b.count)
        case .file(_, _, _, let length): return length
        case .stream(let length, _): return length
        }
    }
}

/// A handler's answer. Framing fields (Content-Length, Transfer-Encoding, Connection), Date and
/// Server are added by the server; a handler sets the rest.
public struct HTTPResponse {
    public var status: HTTPStatus
    public var headers: HTTPHeaders { didSet { preparedFields = nil } }
    public var body: ResponseBody
    /// `headers` as `HTTPServer.writeFields` writes them, made beforehand (a file's, once per file);
    /// dropped whenever the headers change, so a handler's edit is never lost.
    var preparedFields: [UInt8]?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: ResponseBody = .empty) {
        self.status = status; self.headers = headers; self.body = body
    }

    /// With `headers` already written as `prepared` (a file's).
    init(status: HTTPStatus, headers: HTTPHeaders, body: ResponseBody = .empty, prepared: [UInt8]) {
        self.status = status; self.headers = headers; self.body = body; preparedFields = prepared
    }

    /// A text body with its content type.
    public init(status: HTTPStatus = .ok, contentType: String, text: String) {
        self.init(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: .bytes(Array(text.utf8)))
    }

    /// A small HTML page explaining an error. `detail` must be plain text (it is escaped anyway).
    public static func error(_ status: HTTPStatus, _ detail: String = "") -> HTTPResponse {
        let title = "\(status.code) \(status.reason)"
        var page = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>\(title)</title></head>\n<body><h1>\(title)</h1>\n"
        if !detail.isEmpty { page += "<p>\(HTML.escape(detail))</p>\n" }
        page += "</body></html>\n"
        return HTTPResponse(status: status, contentType: "text/html; charset=utf-8", text: page)
    }

    /// A redirect to `location` with a one-line page for clients that do not follow it.
    static func redirect(_ status: HTTPStatus, to location: [UInt8]) -> HTTPResponse {
        var r = HTTPResponse.error(status, "See " + String(decoding: location, as: UTF8.self))
        r.headers.add("Location", location)
        return r
    }
}

public enum HTML {
    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case 0x3C: out.append(contentsOf: "&lt;".utf8)
            case 0x3E: out.append(contentsOf: "&gt;".utf8)
            case 0x26: out.append(contentsOf: "&amp;".utf8)
            case 0x22: out.append(contentsOf: "&quot;".utf8)
            case 0x27: out.append(contentsOf: "&#39;".utf8)
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
