/// Why a request was refused before it reached a handler: the status to answer with and a short,
/// human-readable explanation for the error page. Every such refusal closes the connection.
public struct RequestError: Error, Equatable {
    public let status: HTTPStatus
    public let detail: String
    /// For the access log: why, as one token (`reason=conflicting-Content-Length`).
    public let reason: String

    /// `reason` defaults to the detail with its spaces made hyphens (the parser's details are short).
    public init(_ status: HTTPStatus, _ detail: String, reason: String? = nil) {
        self.status = status
        self.detail = detail
        self.reason = reason ?? String(decoding: detail.utf8.map { $0 == ASCII.sp ? ASCII.hyphen : $0 }, as: UTF8.self)
    }

    public static func == (a: RequestError, b: RequestError) -> Bool { a.status == b.status }

    static func bad(_ detail: String) -> RequestError { RequestError(.badRequest, detail) }
}
