/// A file's validators and the conditional-request rules of RFC 9110 §13 that use them.
struct Validators {
    /// Strong: it changes whenever the inode, its modification time or its size changes.
    let etag: String
    let lastModified: String
    let modified: UInt64

    /// A modification time in the future (a disk image made on a machine with a fast clock) is
    /// reported as `now` (RFC 9110 §8.8.2.1); the tag still uses the real value.
    init(_ info: FileInfo, now: UInt64) {
        let id = String(decoding: ASCII.hex(info.id.value), as: UTF8.self)
        let mtime = String(decoding: ASCII.hex(info.modified), as: UTF8.self)
        let size = String(decoding: ASCII.hex(info.size), as: UTF8.self)
        etag = "\"\(id)-\(mtime)-\(size)\""
        modified = min(info.modified, now)
        lastModified = HTTPDate.format(modified)
    }

    /// If-Match (strong comparison) decides when present; only without it does If-Unmodified-Since
    /// count (RFC 9110 §13.2.2 steps 1-2). True: answer 412.
    func preconditionFails(_ headers: HTTPHeaders) -> Bool {
        if headers.contains("If-Match") {
            let tag = Array(etag.utf8)
            return !headers.listElements("If-Match").contains { $0 == [0x2A] || $0 == tag }
        }
        if let since = headers.first("If-Unmodified-Since"), let t = HTTPDate.parse(since) {
            return modified > t
        }
        return false
    }

    /// If-None-Match (weak comparison, "*" matches) decides when present; only without it does
    /// If-Modified-Since count (RFC 9110 §13.2.2 steps 3-4).
    func notModified(_ headers: HTTPHeaders) -> Bool {
        if headers.contains("If-None-Match") {
            for tag in headers.listElements("If-None-Match") {
                if tag == [0x2A] || opaque(tag) == opaque(Array(etag.utf8)) { return true }
            }
            return false
        }
        if let since = headers.first("If-Modified-Since"), let t = HTTPDate.parse(since) {
            return modified <= t
        }
        return false
    }

    /// If-Range: the range is honoured only if the validator still matches exactly (strong comparison
    /// for tags; a date must equal Last-Modified).
    func rangeApplies(_ headers: HTTPHeaders) -> Bool {
        guard let condition = headers.first("If-Range") else { return true }
        if condition.first == ASCII.quote { return condition == Array(etag.utf8) }
        return HTTPDate.parse(condition) == modified
    }

    /// The tag without a weak prefix "W/", for weak comparison.
    private func opaque(_ tag: [UInt8]) -> ArraySlice<UInt8> {
        tag.starts(with: "W/".utf8) ? tag[2...] : tag[...]
    }
}

/// The Range field's byte ranges (RFC 9110 §14.1.2), for a representation of `size` bytes.
enum ByteRange: Equatable {
    /// Absent, malformed, another unit, or several ranges: send the whole representation.
    case ignored
    case unsatisfiable
    /// first...last, inclusive.
    case range(UInt64, UInt64)

    static func parse(_ field: [UInt8], size: UInt64) -> ByteRange {
        guard field.count > 6, ASCII.equalsIgnoringCase(field[0..<6], "bytes=") else { return .ignored }
        let specs = ASCII.listElements(field[6...])
        guard specs.count == 1, let spec = specs.first, let dash = spec.firstIndex(of: 0x2D) else { return .ignored }
        let firstText = spec[..<dash], lastText = spec[(dash + 1)...]
        if firstText.isEmpty {
            guard let suffix = ASCII.parseDecimal(lastText) else { return .ignored }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .range(size - min(suffix, size), size - 1)
        }
        guard let first = ASCII.parseDecimal(firstText) else { return .ignored }
        var last = size &- 1
        if !lastText.isEmpty {
            guard let l = ASCII.parseDecimal(lastText), l >= first else { return .ignored }
            last = min(l, size &- 1)
        }
        guard first < size else { return .unsatisfiable }
        return .range(first, last)
    }
}
