/// Turns a request-target's path into the path handed to routes and the file system: percent-decoded,
/// dot segments resolved, empty segments collapsed. Anything that could step outside the document root
/// or smuggle a separator is refused, not repaired: ".." above the root, an encoded "/" or "\", NUL or
/// another control byte once decoded, a malformed escape.
enum PathNormalizer {
    struct Normalized {
        /// The decoded segments, in order.
        var segments: [[UInt8]]
        /// The path ended with "/" (or a dot segment): a directory was asked for.
        var trailingSlash: Bool

        /// "/a/b" (root: "/"), the form the file system receives.
        var fileSystemPath: [UInt8] {
            if segments.isEmpty { return [ASCII.slash] }
            var path: [UInt8] = []
            for s in segments { path.append(ASCII.slash); path.append(contentsOf: s) }
            return path
        }

        /// "/a/b" or "/a/b/" as the client asked: what routes match against.
        var requestPath: [UInt8] {
            var path = fileSystemPath
            if trailingSlash && !segments.isEmpty { path.append(ASCII.slash) }
            return path
        }
    }

    /// The path part of a request-target (origin-form or absolute-form), before any "?".
    static func rawPath(of target: [UInt8]) -> ArraySlice<UInt8>? {
        var raw = target[...]
        if let q = raw.firstIndex(of: ASCII.question) { raw = raw[..<q] }
        if raw.first == ASCII.slash { return raw }
        // absolute-form "scheme://authority[/path]": the authority is not part of the path
        guard let colon = raw.firstIndex(of: ASCII.colon), raw[colon...].starts(with: "://".utf8) else { return nil }
        let authority = raw[(colon + 3)...]
        guard let slash = authority.firstIndex(of: ASCII.slash) else { return [ASCII.slash][...] }
        return authority[slash...]
    }

    static func normalize(target: [UInt8]) -> Normalized? {
        guard let raw = rawPath(of: target), !raw.contains(0x23) else { return nil }   // no fragments
        var segments: [[UInt8]] = []
        var current: [UInt8] = []
        var endsLikeDirectory = false
        var i = raw.startIndex
        while i <= raw.endIndex {
            if i == raw.endIndex || raw[i] == ASCII.slash {
                endsLikeDirectory = i < raw.endIndex || current.isEmpty
                if current == [ASCII.dot, ASCII.dot] {
                    if segments.isEmpty { return nil }   // would climb above the root
                    segments.removeLast()
                    endsLikeDirectory = true
                } else if current == [ASCII.dot] {
                    endsLikeDirectory = true
                } else if !current.isEmpty {
                    segments.append(current)
                }
                current = []
                i += 1
                continue
            }
            var b = raw[i]
            i += 1
            if b == ASCII.percent {
                guard i + 2 <= raw.endIndex, let hi = ASCII.hexValue(raw[i]), let lo = ASCII.hexValue(raw[i + 1])
                else { return nil }
                b = hi << 4 | lo
                i += 2
                if b == ASCII.slash { return nil }   // an encoded separator
            }
            if b == 0x5C { return nil }                       // another OS's separator, raw or encoded
            if b < 0x20 || b == 0x7F { return nil }            // NUL and other controls
            current.append(b)
        }
        return Normalized(segments: segments, trailingSlash: endsLikeDirectory)
    }
}
