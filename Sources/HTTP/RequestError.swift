/// Why a request was refused before it reached a handler: the status to answer with and a short,
/// human-readable explanation for the error page. Every such refusal closes the connection.
public struct RequestError: Error, Equatable {
    public let status: HTTPStatus
    public let detail: String
    /// A token for the access log, when the detail made one would not do (see `reason`).
    let token: String?

    public init(_ status: HTTPStatus, _ detail: String, reason: String? = nil) {
        self.status = status
        self.detail = detail
        token = reason
    }

    /// For the access log: why, as one token (`reason=conflicting-Content-Length`): the given one, else
    /// the detail with its spaces made hyphens (the parser's details are short). Made only when logged.
    public var reason: String {
        token ?? String(decoding: detail.utf8.map { $0 == ASCII.sp ? ASCII.hyphen : $0 }, as: UTF8.self)
    }

    public static func == (a: RequestError, b: RequestError) -> Bool { a.status == b.status }

    static func bad(_ detail: String) -> RequestError { RequestError(.badRequest, detail) }
}
