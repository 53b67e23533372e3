/// One part of a multipart/form-data body (RFC 7578): a field, or a file when it has a filename.
public struct FormPart {
    public var name: [UInt8]
    public var filename: [UInt8]?
    public var contentType: [UInt8]?
    public var content: [UInt8]

    public var nameText: String { String(decoding: name, as: UTF8.self) }
}

extension HTTPRequest {
    /// The parts of a multipart/form-data body. The whole body is already in memory and bounded by
    /// `HTTPLimits.maxBodyBytes`; parts are bounded in number and header size by `limits`.
    public func multipartParts(limits: FormLimits = FormLimits()) throws(FormError) -> [FormPart] {
        guard let type = headers.first("Content-Type"),
              ASCII.equalsIgnoringCase(MediaType.essence(type), "multipart/form-data") else { throw .notAForm }
        guard let boundary = MediaType.parameter(type, "boundary"), !boundary.isEmpty, boundary.count <= 70 else {
            throw .badBoundary
        }
        return try Multipart.parse(body, boundary: boundary, limits: limits)
    }
}

enum Multipart {
    static func parse(_ body: [UInt8], boundary: [UInt8], limits: FormLimits) throws(FormError) -> [FormPart] {
        let dashBoundary: [UInt8] = [0x2D, 0x2D] + boundary
        let delimiter: [UInt8] = [ASCII.cr, ASCII.lf] + dashBoundary
        // The first boundary may open the body or follow a preamble and CRLF.
        var position: Int
        if body.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find(delimiter, in: body, from: 0) {
            position = found + delimiter.count
        } else {
            throw .malformedMultipart
        }
        var parts: [FormPart] = []
        while true {
            if body.count >= position + 2, body[position] == 0x2D, body[position + 1] == 0x2D { return parts }
            // transport padding, then the line end
            while position < body.count, ASCII.isWhitespace(body[position]) { position += 1 }
            guard let afterLine = lineEnd(body, position) else { throw .malformedMultipart }
            position = afterLine
            if parts.count == limits.maxFields { throw .tooManyFields }
            var part = FormPart(name: [], filename: nil, contentType: nil, content: [])
            var sawDisposition = false
            var headerBytes = 0
            while true {
                guard let lf = body[position...].firstIndex(of: ASCII.lf) else { throw .malformedMultipart }
                var line = body[position..<lf]
                if line.last == ASCII.cr { line = line.dropLast() }
                headerBytes += lf + 1 - position
                if headerBytes > limits.maxPartHeaderBytes { throw .partHeadersTooLarge }
                position = lf + 1
                if line.isEmpty { break }
                guard let colon = line.firstIndex(of: ASCII.colon),
                      line[..<colon].allSatisfy(ASCII.isTokenChar) else { throw .malformedMultipart }
                let value = Array(ASCII.trimmed(line[(colon + 1)...]))
                if ASCII.equalsIgnoringCase(line[..<colon], "Content-Disposition") {
                    guard ASCII.equalsIgnoringCase(MediaType.essence(value), "form-data"),
                          let name = MediaType.parameter(value, "name") else { throw .malformedMultipart }
                    part.name = name
                    part.filename = MediaType.parameter(value, "filename")
                    sawDisposition = true
                } else if ASCII.equalsIgnoringCase(line[..<colon], "Content-Type") {
                    part.contentType = value
                }
            }
            guard sawDisposition, let end = find(delimiter, in: body, from: position) else { throw .malformedMultipart }
            part.content = Array(body[position..<end])
            parts.append(part)
            position = end + delimiter.count
        }
    }

    /// Index after a CRLF or LF at `i`, or nil.
    private static func lineEnd(_ body: [UInt8], _ i: Int) -> Int? {
        if i + 1 < body.count, body[i] == ASCII.cr, body[i + 1] == ASCII.lf { return i + 2 }
        if i < body.count, body[i] == ASCII.lf { return i + 1 }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
