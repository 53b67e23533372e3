import Bytes

/// The options of a received message that the client acts on, decoded and checked. Unknown options
/// are skipped. Repeated instances of an option are concatenated before decoding (RFC 3396), so a
/// server may split a long DNS list.
public struct DHCPOptions: Equatable {
    public var messageType: DHCPMessageType
    /// From option 1; nil when the server sent no mask.
    public var prefixLength: Int?
    public var routers: [IPv4Address] = []
    public var dnsServers: [IPv4Address] = []
    public var leaseSeconds: UInt32?
    public var renewalSeconds: UInt32?
    public var rebindingSeconds: UInt32?
    public var serverIdentifier: IPv4Address?
    public var interfaceMTU: UInt16?

    /// RFC 2132 §5.1: the smallest MTU an IPv4 interface may have.
    public static let minimumMTU: UInt16 = 68
}

/// Collects the bytes of the options the client understands across the options field and any
/// overloaded `file`/`sname` fields, then decodes them.
struct DHCPOptionCollector {
    /// Option codes worth collecting; everything else is skipped without copying.
    static let interesting: [UInt8] = [
        DHCPOptionCode.subnetMask, DHCPOptionCode.router, DHCPOptionCode.domainNameServer,
        DHCPOptionCode.interfaceMTU, DHCPOptionCode.leaseTime, DHCPOptionCode.overload,
        DHCPOptionCode.messageType, DHCPOptionCode.serverIdentifier, DHCPOptionCode.renewalTime,
        DHCPOptionCode.rebindingTime,
    ]

    private var data: [UInt8: [UInt8]] = [:]

    /// Walks one option area. In the options field the End option is required; `file` and `sname`
    /// are fixed-size fields, so their end also ends the options they hold.
    mutating func walk(_ area: ByteView, endRequired: Bool) throws(DHCPMessageError) {
        var i = 0
        while i < area.count {
            let code = area[i]
            if code == DHCPOptionCode.pad { i += 1; continue }
            if code == DHCPOptionCode.end { return }
            guard i + 1 < area.count else { throw .optionOverrun(code: code) }
            let length = Int(area[i + 1])
            guard let value = area.slice(i + 2, length) else { throw .optionOverrun(code: code) }
            if DHCPOptionCollector.interesting.contains(code) {
                data[code, default: []].append(contentsOf: value.toArray())
            }
            i += 2 + length
        }
        if endRequired { throw .missingEndOption }
    }

    /// Option 52, read after the options field and before the fields it points at.
    func overload() throws(DHCPMessageError) -> UInt8 {
        guard let v = data[DHCPOptionCode.overload] else { return 0 }
        guard v.count == 1 else { throw .badOptionLength(code: DHCPOptionCode.overload) }
        guard (1...3).contains(v[0]) else { throw .badOptionValue(code: DHCPOptionCode.overload) }
        return v[0]
    }

    func decode() throws(DHCPMessageError) -> DHCPOptions {
        guard let typeBytes = data[DHCPOptionCode.messageType] else { throw .missingMessageType }
        guard typeBytes.count == 1 else { throw .badOptionLength(code: DHCPOptionCode.messageType) }
        guard let type = DHCPMessageType(rawValue: typeBytes[0]) else {
            throw .badOptionValue(code: DHCPOptionCode.messageType)
        }
        var options = DHCPOptions(messageType: type)
        if let mask = try u32(DHCPOptionCode.subnetMask) {
            guard let prefix = DHCPOptionCollector.prefixLength(ofMask: mask) else {
                throw .badOptionValue(code: DHCPOptionCode.subnetMask)
            }
            options.prefixLength = prefix
        }
        options.routers = try addressList(DHCPOptionCode.router)
        options.dnsServers = try addressList(DHCPOptionCode.domainNameServer)
        options.leaseSeconds = try u32(DHCPOptionCode.leaseTime)
        options.renewalSeconds = try u32(DHCPOptionCode.renewalTime)
        options.rebindingSeconds = try u32(DHCPOptionCode.rebindingTime)
        options.serverIdentifier = try u32(DHCPOptionCode.serverIdentifier).map { IPv4Address($0) }
        if let mtu = data[DHCPOptionCode.interfaceMTU] {
            guard mtu.count == 2 else { throw .badOptionLength(code: DHCPOptionCode.interfaceMTU) }
            let value = UInt16(mtu[0]) << 8 | UInt16(mtu[1])
            guard value >= DHCPOptions.minimumMTU else { throw .badOptionValue(code: DHCPOptionCode.interfaceMTU) }
            options.interfaceMTU = value
        }
        return options
    }

    private func u32(_ code: UInt8) throws(DHCPMessageError) -> UInt32? {
        guard let v = data[code] else { return nil }
        guard v.count == 4 else { throw .badOptionLength(code: code) }
        return UInt32(v[0]) << 24 | UInt32(v[1]) << 16 | UInt32(v[2]) << 8 | UInt32(v[3])
    }

    private func addressList(_ code: UInt8) throws(DHCPMessageError) -> [IPv4Address] {
        guard let v = data[code] else { return [] }
        guard !v.isEmpty, v.count % 4 == 0 else { throw .badOptionLength(code: code) }
        var out: [IPv4Address] = []
        var i = 0
        while i < v.count {
            out.append(IPv4Address(v[i], v[i + 1], v[i + 2], v[i + 3]))
            i += 4
        }
        return out
    }

    /// The prefix length of a contiguous mask (ones then zeros), or nil.
    static func prefixLength(ofMask mask: UInt32) -> Int? {
        let ones = (~mask).leadingZeroBitCount
        return IPv4Address.mask(prefixLength: ones) == mask ? ones : nil
    }
}
