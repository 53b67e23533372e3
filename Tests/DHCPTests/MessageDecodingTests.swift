import Bytes
import Testing
@testable import DHCP

/// A complete ACK as a server would build it, with pads and an option the client does not know.
private func sampleAck(options extra: [UInt8] = [], file: [UInt8] = [], sname: [UInt8] = []) -> ServerReply {
    var r = ServerReply(xid: 0xCAFE_F00D, chaddr: [0x52, 0x54, 0x00, 0x12, 0x34, 0x56])
    r.yiaddr = [10, 0, 2, 15]
    r.siaddr = [10, 0, 2, 2]
    r.file = file
    r.sname = sname
    r.options = opt(53, [5]) + [0, 0] + opt(54, [10, 0, 2, 2]) + opt(51, be32(86_400))
        + opt(58, be32(40_000)) + opt(59, be32(70_000)) + opt(1, [255, 255, 255, 0])
        + opt(3, [10, 0, 2, 2, 10, 0, 2, 3]) + opt(6, [10, 0, 2, 3, 1, 1, 1, 1])
        + opt(26, be16(1500)) + opt(15, Array("example.org".utf8)) + [0] + extra + [255]
    return r
}

private func decode(_ bytes: [UInt8]) -> Result<DHCPMessage, DHCPMessageError> {
    bytes.withByteView { v in
        do throws(DHCPMessageError) { return .success(try DHCPMessage.decode(v)) } catch { return .failure(error) }
    }
}

private func decodeError(_ bytes: [UInt8]) -> DHCPMessageError? {
    if case let .failure(e) = decode(bytes) { return e }
    return nil
}

@Suite struct MessageDecodingTests {
    @Test func decodesEveryOptionTheClientUses() throws {
        let m = try decode(sampleAck().bytes).get()
        #expect(m.transactionID == 0xCAFE_F00D)
        #expect(m.yourAddress == IPv4Address(10, 0, 2, 15))
        #expect(m.serverAddress == IPv4Address(10, 0, 2, 2))
        #expect(m.clientHardwareAddress == MACAddress(0x52, 0x54, 0x00, 0x12, 0x34, 0x56))
        let o = m.options
        #expect(o.messageType == .ack)
        #expect(o.serverIdentifier == IPv4Address(10, 0, 2, 2))
        #expect(o.leaseSeconds == 86_400 && o.renewalSeconds == 40_000 && o.rebindingSeconds == 70_000)
        #expect(o.prefixLength == 24)
        #expect(o.routers == [IPv4Address(10, 0, 2, 2), IPv4Address(10, 0, 2, 3)])
        #expect(o.dnsServers == [IPv4Address(10, 0, 2, 3), IPv4Address(1, 1, 1, 1)])
        #expect(o.interfaceMTU == 1500)
    }

    @Test func everyTruncationIsRefusedWithoutTrapping() {
        let full = sampleAck().bytes
        for length in 0..<full.count {
            let error = decodeError(Array(full.prefix(length)))
            if length < 240 {
                #expect(error == .truncated(length: length))
            } else {
                // Cut inside an option, or before the End option.
                #expect(error != nil && error != .truncated(length: length))
            }
        }
    }

    @Test func refusesWrongHeaders() {
        var r = sampleAck()
        r.cookie = [99, 130, 83, 98]
        #expect(decodeError(r.bytes) == .badMagicCookie)
        r = sampleAck(); r.op = 1
        #expect(decodeError(r.bytes) == .notAReply)
        r = sampleAck(); r.htype = 6
        #expect(decodeError(r.bytes) == .unsupportedHardware)
        r = sampleAck(); r.hlen = 16
        #expect(decodeError(r.bytes) == .unsupportedHardware)
    }

    @Test func refusesImpossibleOptionLengths() {
        func withOptions(_ o: [UInt8]) -> [UInt8] {
            var r = sampleAck(); r.options = o; return r.bytes
        }
        let type = opt(53, [5])
        #expect(decodeError(withOptions(type + opt(1, [255, 255, 255]) + [255])) == .badOptionLength(code: 1))
        #expect(decodeError(withOptions(type + opt(51, [0, 1]) + [255])) == .badOptionLength(code: 51))
        #expect(decodeError(withOptions(type + opt(3, [10, 0, 2, 2, 10]) + [255])) == .badOptionLength(code: 3))
        #expect(decodeError(withOptions(type + opt(6, []) + [255])) == .badOptionLength(code: 6))
        #expect(decodeError(withOptions(opt(53, [5, 5]) + [255])) == .badOptionLength(code: 53))
        #expect(decodeError(withOptions(type + opt(26, [5]) + [255])) == .badOptionLength(code: 26))
        // A length running past the end of the message, and a code with no length byte at all.
        #expect(decodeError(withOptions(type + [51, 200, 0, 0])) == .optionOverrun(code: 51))
        #expect(decodeError(withOptions(type + [51])) == .optionOverrun(code: 51))
        #expect(decodeError(withOptions(type + opt(51, be32(60)))) == .missingEndOption)
        #expect(decodeError(withOptions(opt(51, be32(60)) + [255])) == .missingMessageType)
    }

    @Test func refusesImpossibleOptionValues() {
        func withOptions(_ o: [UInt8]) -> [UInt8] {
            var r = sampleAck(); r.options = o + [255]; return r.bytes
        }
        #expect(decodeError(withOptions(opt(53, [5]) + opt(1, [255, 0, 255, 0]))) == .badOptionValue(code: 1))
        #expect(decodeError(withOptions(opt(53, [5]) + opt(26, be16(67)))) == .badOptionValue(code: 26))
        #expect(decodeError(withOptions(opt(53, [9]))) == .badOptionValue(code: 53))
        #expect(decodeError(withOptions(opt(53, [5]) + opt(52, [4]))) == .badOptionValue(code: 52))
        // The edges that are legal: a /32 mask, a /0 mask, the minimum MTU.
        let edges = try? decode(withOptions(opt(53, [5]) + opt(1, [255, 255, 255, 255]) + opt(26, be16(68)))).get()
        #expect(edges?.options.prefixLength == 32 && edges?.options.interfaceMTU == 68)
        #expect((try? decode(withOptions(opt(53, [5]) + opt(1, [0, 0, 0, 0]))).get())?.options.prefixLength == 0)
    }

    @Test func readsOverloadedFileAndSnameFieldsInRFC3396Order() throws {
        // Options field -> file -> sname; the DNS list is split across all three and concatenated.
        var r = sampleAck()
        r.options = opt(53, [5]) + opt(52, [3]) + opt(6, [1, 1, 1, 1]) + [255]
        r.file = opt(51, be32(600)) + opt(6, [2, 2, 2, 2]) + [255]
        r.sname = opt(54, [10, 0, 2, 2]) + [0, 0] + opt(6, [3, 3, 3, 3]) + [255]
        let o = try decode(r.bytes).get().options
        #expect(o.leaseSeconds == 600)
        #expect(o.serverIdentifier == IPv4Address(10, 0, 2, 2))
        #expect(o.dnsServers == [IPv4Address(1, 1, 1, 1), IPv4Address(2, 2, 2, 2), IPv4Address(3, 3, 3, 3)])

        // Overload 1: only `file`; what sits in `sname` stays a server name.
        r.options = opt(53, [5]) + opt(52, [1]) + [255]
        r.sname = Array("boot-server".utf8)
        let fileOnly = try decode(r.bytes).get().options
        #expect(fileOnly.leaseSeconds == 600 && fileOnly.serverIdentifier == nil)

        // Overload 2: only `sname`; a boot file name in `file` is not read as options.
        r.options = opt(53, [5]) + opt(52, [2]) + [255]
        r.sname = opt(54, [10, 0, 2, 2]) + [255]
        r.file = Array("pxelinux.0".utf8)
        let snameOnly = try decode(r.bytes).get().options
        #expect(snameOnly.serverIdentifier == IPv4Address(10, 0, 2, 2) && snameOnly.leaseSeconds == nil)
    }

    @Test func refusesBrokenOverloads() {
        var r = sampleAck()
        r.options = opt(53, [5]) + opt(52, [1]) + [255]
        r.file = opt(52, [3]) + [255]                        // overload from inside an overloaded field
        #expect(decodeError(r.bytes) == .badOptionLength(code: 52))
        r.file = [UInt8](repeating: 0, count: 126) + [51, 4] // option runs off the end of `file`
        #expect(decodeError(r.bytes) == .optionOverrun(code: 51))
        r.options = opt(53, [5]) + opt(52, [1, 2]) + [255]
        r.file = []
        #expect(decodeError(r.bytes) == .badOptionLength(code: 52))
    }

    @Test func concatenatesRepeatedOptions() throws {
        // RFC 3396: a mask split into two instances is one mask.
        var r = sampleAck()
        r.options = opt(53, [5]) + opt(1, [255, 255]) + opt(1, [240, 0]) + [255]
        #expect(try decode(r.bytes).get().options.prefixLength == 20)
    }

    @Test func seededCorruptionNeverTraps() {
        // Whatever bytes arrive, decode returns or throws; the counts show both paths are exercised.
        var random = SplitMix64(seed: 2131)
        let base = sampleAck(file: opt(51, be32(1)) + [255]).bytes
        var accepted = 0, refused = 0
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0...Int(random.next(below: 4)) {
                let at = 236 + Int(random.next(below: UInt64(bytes.count - 236)))
                bytes[at] = UInt8(truncatingIfNeeded: random.next())
            }
            bytes = Array(bytes.prefix(240 + Int(random.next(below: UInt64(bytes.count - 239)))))
            switch decode(bytes) {
            case .success: accepted += 1
            case .failure: refused += 1
            }
        }
        #expect(accepted > 0 && refused > 0)
    }
}
