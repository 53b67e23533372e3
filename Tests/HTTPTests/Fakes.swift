import Testing
import Bytes
import Services
import TestSupport
@testable import HTTP

/// A parsed response as a client would read it.
struct ClientResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Reads responses from a byte stream: Content-Length, chunked, or to the end (close-delimited).
/// `headRequests` lists which responses answer HEAD (no body whatever the fields say).
func readResponses(_ bytes: [UInt8], headRequests: Set<Int> = []) -> [ClientResponse] {
    parseResponses(bytes, headRequests: headRequests).responses
}

/// As `readResponses`, also saying how many bytes at the end did not parse as a response (0 when the
/// stream is a sequence of complete responses): a reader that stopped silently would hide them.
func parseResponses(_ bytes: [UInt8], headRequests: Set<Int> = []) -> (responses: [ClientResponse], unparsed: Int) {
    var out: [ClientResponse] = []
    var i = 0
    func readLine() -> [UInt8]? {
        guard let lf = bytes[i...].firstIndex(of: 0x0A) else { return nil }
        var line = Array(bytes[i..<lf])
        if line.last == 0x0D { line.removeLast() }
        i = lf + 1
        return line
    }
    while i < bytes.count {
        let start = i
        guard let statusLine = readLine(), statusLine.count >= 12,
              let code = Int(String(decoding: statusLine[9..<12], as: UTF8.self)) else { return (out, bytes.count - start) }
        var headers = HTTPHeaders()
        while let line = readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: 0x3A) else { break }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            headers.add(String(decoding: line[..<colon], as: UTF8.self),
                        String(value.drop(while: { $0 == " " })))
        }
        var body: [UInt8] = []
        let isHead = headRequests.contains(out.count)
        if isHead || code == 304 || code == 204 {
        } else if headers["Transfer-Encoding"] == "chunked" {
            while let sizeLine = readLine(), let size = Int(String(decoding: sizeLine, as: UTF8.self), radix: 16) {
                if size == 0 { while let l = readLine(), !l.isEmpty {}; break }
                body += bytes[i..<min(i + size, bytes.count)]
                i += size
                _ = readLine()
            }
        } else if let length = headers["Content-Length"].flatMap({ Int($0) }) {
            body = Array(bytes[i..<min(i + length, bytes.count)])
            i += length
        } else {
            body = Array(bytes[i...])
            i = bytes.count
        }
        out.append(ClientResponse(status: code, headers: headers, body: body))
    }
    return (out, 0)
}

/// A server with one fake connection on a virtual clock.
final class Harness {
    let clock = VirtualClock()
    let server: HTTPServer
    let connection = ScriptedConnection()
    var logLines: [String] = []

    init(configure: (inout HTTPConfiguration) -> Void = { _ in }, fileSystem: FileSystem? = nil) {
        var config = HTTPConfiguration()
        configure(&config)
        server = HTTPServer(configuration: config, wallClock: clock)
        server.fileSystem = fileSystem
        server.accessLog = { [unowned self] in self.logLines.append(String(decoding: $0.line, as: UTF8.self)) }
        _ = server.accept(connection, now: clock.now())
    }

    @discardableResult
    func send(_ text: String) -> ServiceDecision { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> ServiceDecision {
        connection.inbox += bytes
        return server.receive(connection, now: clock.now())
    }

    func responses(headRequests: Set<Int> = []) -> [ClientResponse] {
        readResponses(connection.output, headRequests: headRequests)
    }

    /// One request, one response.
    func exchange(_ text: String, head: Bool = false) -> ClientResponse? {
        let before = connection.output.count
        send(text)
        return readResponses(Array(connection.output[before...]), headRequests: head ? [0] : []).first
    }

    /// Moves the clock, then runs what the appliance's turn would: the server's poll (blocked retries)
    /// and the connection's alarm if it is due, as the registry delivers `doWake`.
    func advance(_ interval: Interval) {
        clock.advance(by: interval)
        server.sampleHistory(now: clock.now())     // as the appliance's poll does, before any work
        server.poll(now: clock.now())
        if connection.takeDueAlarm(now: clock.now()) { server.wake(connection, now: clock.now()) }
    }
}

/// An in-memory document root. `blockCalls` makes that many calls answer "would block" first;
/// `corruptFiles` answer corrupt on read.
final class MemoryFileSystem: FileSystem {
    var files: [[UInt8]: (FileInfo, [UInt8])] = [:]
    var blockCalls = 0
    var corruptFiles: Set<UInt64> = []
    /// The room each read was given.
    var readSizes: [Int] = []
    var reads: Int { readSizes.count }
    var lastReadSize: Int { readSizes.last ?? 0 }
    var nextID: UInt64 = 2

    init() { addDirectory("/") }

    func addDirectory(_ path: String) {
        files[Array(path.utf8)] = (FileInfo(id: FileID(nextID), kind: .directory, size: 0, modified: 1_700_000_000), [])
        nextID += 1
    }

    @discardableResult
    func addFile(_ path: String, _ content: [UInt8], modified: UInt64 = 1_700_000_000) -> FileInfo {
        let info = FileInfo(id: FileID(nextID), kind: .regular, size: UInt64(content.count), modified: modified)
        files[Array(path.utf8)] = (info, content)
        nextID += 1
        return info
    }

    func addFile(_ path: String, _ text: String) { addFile(path, Array(text.utf8)) }

    func lookup(_ path: [UInt8]) -> FileLookup {
        if blockCalls > 0 { blockCalls -= 1; return .wouldBlock }
        guard let (info, _) = files[path] else { return .notFound }
        return .found(info)
    }

    func read(_ file: FileID, offset: UInt64, into destination: MutableByteView) -> FileRead {
        if blockCalls > 0 { blockCalls -= 1; return .wouldBlock }
        readSizes.append(destination.count)
        if corruptFiles.contains(file.value) { return .corrupt }
        guard let (_, content) = files.values.first(where: { $0.0.id == file }) else { return .corrupt }
        let start = Int(min(offset, UInt64(content.count)))
        let n = min(destination.count, content.count - start)
        for k in 0..<n { destination[k] = content[start + k] }
        return .ok(n)
    }
}
