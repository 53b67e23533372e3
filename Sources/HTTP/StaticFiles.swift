/// What answering a request produced: a response, or "the disk is still fetching, ask again".
enum Outcome {
    case response(HTTPResponse)
    case wouldBlock
}

/// Serves the document root: index.html for directories, a redirect for a directory asked for without
/// its trailing slash, validators (ETag, Last-Modified) with 304s, and single byte ranges.
struct StaticFiles {
    let fileSystem: FileSystem
    /// Wall-clock seconds, so no Last-Modified claims a time after the response's Date.
    let now: UInt64
    let representations: Representations
    static let indexName: [UInt8] = Array("index.html".utf8)
    static let allowed = "GET, HEAD, OPTIONS"

    /// The one directory of dot-named paths that is public: RFC 8615 well-known URIs (ACME challenges,
    /// security.txt).
    static let wellKnown: [UInt8] = Array(".well-known".utf8)

    /// Whether `path` has a segment starting with "." other than a leading `/.well-known`: hidden files
    /// and directories by Unix convention (`.git`, `.env`), not served unless the configuration says so.
    /// Inside `/.well-known/` the rule applies again (`/.well-known/.secret` stays hidden).
    static func isHidden(_ path: PathNormalizer.Normalized) -> Bool {
        for (i, segment) in path.segments.enumerated() where segment.first == ASCII.dot {
            if i == 0 && segment == wellKnown { continue }
            return true
        }
        return false
    }

    func respond(to request: HTTPRequest, at path: PathNormalizer.Normalized) -> Outcome {
        guard request.method == .get || request.method == .head else {
            var r = HTTPResponse.error(.methodNotAllowed, "Files can only be read.")
            r.headers.add("Allow", StaticFiles.allowed)
            return .response(r)
        }
        let name = path.fileSystemPath   // made once: it is built anew on every use
        switch fileSystem.lookup(name) {
        case .wouldBlock: return .wouldBlock
        case .notFound, .notADirectory: return .response(.error(.notFound, "No such file."))
        case .corrupt: return .response(.error(.internalServerError, "The file system is damaged here."))
        case .found(let info):
            if info.kind == .directory {
                guard path.trailingSlash else {
                    // The path is decoded, so it is encoded again; the query is still in its sent form.
                    var location = PathEncoding.encode(path.requestPath + [ASCII.slash])
                    if !request.query.isEmpty { location.append(ASCII.question); location += request.query }
                    return .response(.redirect(.movedPermanently, to: location))
                }
                return index(of: name, for: request)
            }
            if path.trailingSlash { return .response(.error(.notFound, "Not a directory.")) }
            return .response(file(info, named: name, for: request))
        }
    }

    private func index(of directory: [UInt8], for request: HTTPRequest) -> Outcome {
        var indexPath: [UInt8] = []
        indexPath.reserveCapacity(directory.count + 1 + StaticFiles.indexName.count)
        indexPath += directory
        if indexPath.last != ASCII.slash { indexPath.append(ASCII.slash) }
        indexPath += StaticFiles.indexName
        switch fileSystem.lookup(indexPath) {
        case .wouldBlock: return .wouldBlock
        case .notFound, .notADirectory: return .response(.error(.notFound, "This directory has no index."))
        case .corrupt: return .response(.error(.internalServerError, "The file system is damaged here."))
        case .found(let info):
            guard info.kind == .regular else { return .response(.error(.notFound, "This directory has no index.")) }
            return .response(file(info, named: indexPath, for: request))
        }
    }

    func file(_ info: FileInfo, named name: [UInt8], for request: HTTPRequest) -> HTTPResponse {
        let representation = representations.representation(of: info, named: name, now: now)
        let validators = representation.validators
        if validators.preconditionFails(request.headers) {
            var r = HTTPResponse.error(.preconditionFailed, "The file has changed.")
            r.headers = representation.validatorFields.merging(r.headers)
            return r
        }
        if validators.notModified(request.headers) {
            return HTTPResponse(status: .notModified, headers: representation.validatorFields,
                                prepared: representation.validatorFieldBytes)
        }
        if request.method == .get, let rangeField = request.headers.first("Range"),
           validators.rangeApplies(request.headers) {
            switch ByteRange.parse(rangeField, size: info.size) {
            case .ignored: break
            case .unsatisfiable:
                var r = HTTPResponse.error(.rangeNotSatisfiable, "The requested range is outside the file.")
                r.headers.add("Content-Range", "bytes */\(info.size)")
                return r
            case .range(let first, let last):
                var headers = representation.fields
                headers.add("Content-Range", "bytes \(first)-\(last)/\(info.size)")
                return HTTPResponse(status: .partialContent, headers: headers,
                                    body: .file(fileSystem, info.id, offset: first, length: last - first + 1))
            }
        }
        return HTTPResponse(status: .ok, headers: representation.fields,
                            body: .file(fileSystem, info.id, offset: 0, length: info.size), prepared: representation.fieldBytes)
    }
}

/// Percent-encodes a decoded path for a Location field: everything outside unreserved, sub-delims,
/// ":", "@" and "/" (RFC 3986 pchar plus "/"), so a name with spaces, "?", "%" or non-ASCII bytes
/// stays one valid path.
enum PathEncoding {
    static func encode(_ path: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for b in path {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E, 0x2F, 0x3A, 0x40,
                 0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x3B, 0x3D:
                out.append(b)
            default:
                out.append(ASCII.percent)
                out.append(contentsOf: ASCII.hex(UInt64(b >> 4)).map { $0 >= 0x61 ? $0 - 0x20 : $0 })
                out.append(contentsOf: ASCII.hex(UInt64(b & 0xF)).map { $0 >= 0x61 ? $0 - 0x20 : $0 })
            }
        }
        return out
    }
}
