import Testing
@testable import HTTP

/// List fields (RFC 9110 §5.6.1) asked for one token in place, as `Connection: close` is on every
/// request: the answer must match the gathered elements' for every spelling a client may send.
@Suite struct HeaderListTests {
    @Test(arguments: [
        (["close"], true), (["Close"], true), (["keep-alive, close"], true), ([" , CLOSE ,"], true),
        (["keep-alive", "close"], true), (["closed"], false), (["x-close"], false), (["clo se"], false),
        ([""], false), ([","], false), (["keep-alive"], false), ([], false),
    ] as [([String], Bool)])
    func connectionCloseIsFoundInEveryListSpelling(values: [String], expected: Bool) {
        let headers = HTTPHeaders(values.map { ("Connection", $0) } + [("Host", "close")])
        #expect(headers.hasToken("Connection", "close") == expected)
        #expect(headers.hasToken("connection", "close") == expected)
        #expect(headers.listElements("Connection").contains { ASCII.equalsIgnoringCase($0, "close") } == expected)
    }
}
