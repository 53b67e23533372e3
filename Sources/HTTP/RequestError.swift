/// Why a request was refused before it reached a handler: the status to answer with and a short,
/// human-readable explanation for the error page. Every such refusal closes the connection.
public struct RequestError: Error, Equatable {
    public let status: HTTPStatus
    public let detail: String

    public init(_ status: HTTPStatus, _ detail: String) { self.status = status; self.detail = detail }

    public static func == (a: RequestError, b: RequestError) -> Bool { a.status == b.status }

    static func bad(_ detail: String) -> RequestError { RequestError(.badRequest, detail) }
}
