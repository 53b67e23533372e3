/// Content-Type by file extension (lower-cased). Unknown extensions get application/octet-stream, so a
/// browser downloads rather than guesses (we also send X-Content-Type-Options: nosniff).
public enum MIMETypes {
    /// Looked up by bytes: a String-keyed Dictionary would hash with Unicode normalisation, which drags
    /// the Unicode tables into the kernel image.
    static let table: [(ext: [UInt8], type: String)] = [(String, String)]([
        ("html", "text/html; charset=utf-8"), ("htm", "text/html; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"), ("md", "text/markdown; charset=utf-8"),
        ("css", "text/css; charset=utf-8"), ("csv", "text/csv; charset=utf-8"),
        ("js", "text/javascript; charset=utf-8"), ("mjs", "text/javascript; charset=utf-8"),
        ("json", "application/json"), ("xml", "application/xml"), ("pdf", "application/pdf"),
        ("wasm", "application/wasm"), ("zip", "application/zip"), ("gz", "application/gzip"),
        ("tar", "application/x-tar"),
        ("png", "image/png"), ("jpg", "image/jpeg"), ("jpeg", "image/jpeg"), ("gif", "image/gif"),
        ("svg", "image/svg+xml"), ("ico", "image/vnd.microsoft.icon"), ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("woff", "font/woff"), ("woff2", "font/woff2"), ("ttf", "font/ttf"), ("otf", "font/otf"),
        ("mp3", "audio/mpeg"), ("ogg", "audio/ogg"), ("wav", "audio/wav"),
        ("mp4", "video/mp4"), ("webm", "video/webm"),
    ]).map { (Array($0.0.utf8), $0.1) }
    public static let fallback = "application/octet-stream"

    /// The type for a path's last segment ("/a/b.HTML" -> text/html).
    public static func type<C: BidirectionalCollection>(forPath path: C) -> String where C.Element == UInt8 {
        var ext: [UInt8] = []
        for b in path.reversed() {
            if b == ASCII.dot { break }
            if b == ASCII.slash || ext.count > 8 { return fallback }
            ext.append(ASCII.lower(b))
        }
        if ext.count == path.count { return fallback }   // no dot at all
        let key = Array(ext.reversed())
        return table.first { $0.ext == key }?.type ?? fallback
    }
}
