import Testing
import Bytes
@testable import HTTP

@Suite struct CommonFieldNamesTests {
    private func head(_ text: String) -> HTTPRequest? {
        var parser = RequestParser()
        let bytes = Array(text.utf8)
        guard case .complete(let request) = bytes.withByteView({ parser.consume($0) }).result else { return nil }
        return request
    }

    private func storage(_ bytes: [UInt8]) -> UnsafeRawPointer? {
        bytes.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func everyNameInTheTableIsWhole() {
        #expect(CommonFieldNames.table.count == 26)
        #expect(CommonFieldNames.table.allSatisfy { !$0.isEmpty && !$0.contains(UInt8(ascii: " ")) })
        #expect(CommonFieldNames.table.first == Array("Host".utf8))
        #expect(CommonFieldNames.table.last == Array("Sec-Fetch-User".utf8))
    }

    @Test func anExactNameSharesTheTablesArray() throws {
        let request = try #require(head("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nX-Other: 1\r\n\r\n"))
        let fields = request.headers.fields
        #expect(storage(fields[0].name) == storage(CommonFieldNames.table[0]))
        #expect(storage(fields[1].name) == storage(CommonFieldNames.table[1]))
        #expect(fields[2].name == Array("X-Other".utf8))
    }

    @Test func anotherSpellingKeepsItsOwnBytes() throws {
        let request = try #require(head("GET / HTTP/1.1\r\nhost: x\r\nACCEPT: */*\r\n\r\n"))
        #expect(request.headers.fields.map(\.name) == [Array("host".utf8), Array("ACCEPT".utf8)])
        #expect(storage(request.headers.fields[0].name) != storage(CommonFieldNames.table[0]))
        #expect(request.headers.first("Host") == Array("x".utf8))
    }
}
