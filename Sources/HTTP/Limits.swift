/// Every size limit of the request parser. Exceeding one gives a defined status (in brackets) and closes
/// the connection, because the rest of the stream can no longer be framed reliably.
public struct HTTPLimits {
    /// Longest request line, method + target + version [414 while the target is still open, else 400].
    public var maxRequestLine: Int = 8192
    /// Longest method token [501: no method this long exists].
    public var maxMethodLength: Int = 16
    /// Empty lines tolerated before a request line (RFC 9112 §2.2 asks for at least one) [400].
    public var maxLeadingEmptyLines: Int = 4
    /// Bytes in the whole header section, line endings included; trailers count too [431].
    public var maxHeaderBytes: Int = 16384
    /// Number of header fields; trailers count too [431].
    public var maxHeaderCount: Int = 100
    /// Bytes of request content, from Content-Length or the sum of chunks [413].
    public var maxBodyBytes: Int = 1 << 20
    /// Longest chunk-size line including extensions [400].
    public var maxChunkLine: Int = 256

    public init() {}
}
