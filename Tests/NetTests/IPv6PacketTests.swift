import Bytes
import Testing
@testable import Net

@Suite struct IPv6PacketTests {
    static let a = IPv6Address(parsing: "2001:db8::1")!
    static let b = IPv6Address(parsing: "2001:db8::2")!

    static func parse(_ bytes: [UInt8]) -> Result<(next: UInt8, payload: [UInt8], alert: Bool), IPv6PacketError> {
        bytes.withByteView { v in
            do throws(IPv6PacketError) {
                let p = try IPv6Packet(parsing: v)
                return .success((p.nextHeader, p.payload.toArray(), p.routerAlert))
            } catch { return .failure(error) }
        }
    }

    /// An extension header of 8 bytes: next header, length 0, then six option bytes.
    static func ext(_ next: UInt8, _ six: [UInt8]) -> [UInt8] { [next, 0] + six }

    @Test func headerBytesAreRFC8200s() {
        let p = V6.packet(source: Self.a, destination: Self.b, nextHeader: 17, hopLimit: 9, payload: [1, 2, 3])
        #expect(Array(p[0..<8]) == [0x60, 0, 0, 0, 0, 3, 17, 9])
        #expect(Array(p[8..<24]) == [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        #expect(Array(p[40...]) == [1, 2, 3])
    }

    /// The pseudo-header sum against one added up by hand: the address words, length, next header.
    @Test func pseudoHeaderChecksum() {
        let sum = IPv6Packet.pseudoHeaderChecksum(source: Self.a, destination: Self.b, nextHeader: 58, length: 0x1_0008)
        let words: [UInt64] = [0x2001, 0x0db8, 1, 0x2001, 0x0db8, 2, 0x0001, 0x0008, 58]
        var total = words.reduce(0, +)
        while total >> 16 != 0 { total = (total & 0xFFFF) + (total >> 16) }
        #expect(sum.folded == UInt16(total))
    }

    @Test func extensionHeadersAreWalked() {
        // Hop-by-hop with a router alert, then destination options with PadN and an option to skip (00).
        let hbh = Self.ext(60, [5, 2, 0, 0, 1, 0])
        let dst = Self.ext(58, [0x3E, 1, 0, 1, 1, 0])
        let p = V6.packet(source: Self.a, destination: Self.b, nextHeader: 58, payload: [9, 9], extensions: hbh + dst, firstNext: 0)
        switch Self.parse(p) {
        case .success(let r): #expect(r.next == 58 && r.payload == [9, 9] && r.alert)
        case .failure(let e): Issue.record("refused: \(e)")
        }
        // Ethernet padding after the payload length is not payload.
        switch Self.parse(V6.packet(source: Self.a, destination: Self.b, nextHeader: 59, payload: []) + [0, 0, 0]) {
        case .success(let r): #expect(r.next == 59 && r.payload.isEmpty && !r.alert)
        case .failure(let e): Issue.record("refused: \(e)")
        }
    }

    @Test func refusals() {
        func refused(_ extensions: [UInt8], first: UInt8, _ expected: IPv6PacketError, _ line: Int = #line) {
            let p = V6.packet(source: Self.a, destination: Self.b, nextHeader: 58, payload: [0, 0], extensions: extensions, firstNext: first)
            if case .failure(let e) = Self.parse(p) { #expect(e == expected, "line \(line)") } else { Issue.record("accepted, line \(line)") }
        }
        refused([58, 0, 0, 0, 0, 0, 0, 0], first: 44, .fragment)
        refused([58, 0, 0, 0, 0, 0, 0, 0], first: 43, .routingHeader)          // type 0
        refused([58, 0, 2, 1, 0, 0, 0, 0], first: 43, .routingHeader)          // segments left
        refused(Self.ext(58, [0xC2, 4, 0, 1, 0, 0]), first: 0, .jumbogram)
        // A real jumbogram: payload length 0 in the header, the length in the option (RFC 2675).
        var jumbo = V6.packet(source: Self.a, destination: Self.b, nextHeader: 58, payload: [0, 0],
                              extensions: Self.ext(58, [0xC2, 4, 0, 1, 0x11, 0x70]), firstNext: 0)
        jumbo[4] = 0; jumbo[5] = 0
        if case .failure(let e) = Self.parse(jumbo) { #expect(e == .jumbogram) } else { Issue.record("accepted jumbogram") }
        refused(Self.ext(58, [0x80, 1, 0, 1, 1, 0]), first: 60, .unknownOption(pointer: 42, action: 2))
        refused(Self.ext(58, [1, 7, 0, 0, 0, 0]), first: 60, .truncated)       // an option past its header
        refused(Self.ext(0, [1, 4, 0, 0, 0, 0]) + Self.ext(58, [1, 4, 0, 0, 0, 0]), first: 60, .badHeader)  // hop-by-hop second
        refused([58, 1, 0, 0, 0, 0, 0, 0], first: 60, .truncated)              // claims 16 bytes, has 10
        var chain: [UInt8] = []
        for _ in 0..<IPv6Packet.maxExtensionHeaders { chain += Self.ext(60, [1, 4, 0, 0, 0, 0]) }
        refused(chain + Self.ext(58, [1, 4, 0, 0, 0, 0]), first: 60, .tooManyExtensionHeaders)
        // A routing header of another type, finished, is passed over.
        let p = V6.packet(source: Self.a, destination: Self.b, nextHeader: 58, payload: [7], extensions: [58, 0, 2, 0, 0, 0, 0, 0], firstNext: 43)
        if case .success(let r) = Self.parse(p) { #expect(r.payload == [7]) } else { Issue.record("refused") }
        // Version and length.
        var v4 = V6.packet(source: Self.a, destination: Self.b, nextHeader: 58, payload: [1])
        v4[0] = 0x40
        if case .failure(let e) = Self.parse(v4) { #expect(e == .badHeader) } else { Issue.record("accepted v4") }
        let short = Array(V6.packet(source: Self.a, destination: Self.b, nextHeader: 58, payload: [1, 2]).dropLast())
        if case .failure(let e) = Self.parse(short) { #expect(e == .truncated) } else { Issue.record("accepted short") }
    }
}
