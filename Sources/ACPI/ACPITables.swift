/// The firmware's table directory: the RSDP, then the RSDT (32-bit pointers) or XSDT (64-bit), each
/// table checked (readable, plausible length, checksum) before any of its fields is believed.
public struct ACPITables<Memory: PhysicalMemory> {
    /// Longest table read. QEMU's DSDT is about 8 KiB; real firmware's rarely exceeds 200 KiB.
    public static var maximumTableLength: Int { 1 << 20 }
    /// Most entries of the RSDT/XSDT looked at.
    public static var maximumEntries: Int { 64 }
    static var headerLength: Int { 36 }

    let memory: Memory
    /// Physical addresses of the tables the root table lists.
    public let entries: [UInt64]

    /// The directory from the RSDP at `rsdpAddress` (the PVH start info's `rsdp_paddr`), else the one
    /// found in the BIOS areas.
    public init(memory: Memory, rsdpAddress: UInt64?) throws(ACPIError) {
        self.memory = memory
        let rsdp = try ACPITables.findRSDP(memory: memory, hint: rsdpAddress)
        let revision = rsdp[15]
        let xsdt = revision >= 2 ? (rsdp.le(24, 8) ?? 0) : 0
        let root: [UInt8]
        let pointerSize: Int
        if xsdt != 0 {
            root = try ACPITables.readTable(memory: memory, at: xsdt, signature: "XSDT")
            pointerSize = 8
        } else {
            root = try ACPITables.readTable(memory: memory, at: rsdp.le(16, 4) ?? 0, signature: "RSDT")
            pointerSize = 4
        }
        let count = Swift.min((root.count - ACPITables.headerLength) / pointerSize, ACPITables.maximumEntries)
        entries = (0..<count).compactMap { root.le(ACPITables.headerLength + $0 * pointerSize, pointerSize) }
    }

    /// The first listed table with `signature`, checked. A listed table that fails its checks is skipped
    /// in favour of a later one with the same signature; the last failure is thrown when none passes.
    public func table(_ signature: String) throws(ACPIError) -> [UInt8] {
        var failure = ACPIError.missing(signature: signature)
        for address in entries {
            guard let head = memory.read(address, count: 4), head.hasSignature(signature) else { continue }
            do { return try ACPITables.readTable(memory: memory, at: address, signature: signature) } catch { failure = error }
        }
        throw failure
    }

    /// A whole table at `address`, after checking its signature, length and checksum.
    public static func readTable(memory: Memory, at address: UInt64, signature: String) throws(ACPIError) -> [UInt8] {
        guard address != 0, let header = memory.read(address, count: headerLength) else {
            throw .unreadable(signature: signature, address: address)
        }
        guard header.hasSignature(signature) else { throw .wrongSignature(expected: signature, found: header.signatureText()) }
        let length = header.le(4, 4) ?? 0
        guard length >= UInt64(headerLength), length <= UInt64(maximumTableLength) else {
            throw .badLength(signature: signature, length: length)
        }
        guard let table = memory.read(address, count: Int(length)) else { throw .unreadable(signature: signature, address: address) }
        guard table.checksumIsZero(0..<table.count) else { throw .badChecksum(signature: signature) }
        return table
    }

    static var rsdpSignature: [UInt8] { Array("RSD PTR ".utf8) }
    static var rsdpV1Length: Int { 20 }
    static var rsdpV2Length: Int { 36 }

    /// The RSDP at `hint`, else on a 16-byte boundary in the first KiB of the EBDA or in 0xE0000-0xFFFFF
    /// (ACPI 6.5, 5.2.5.1). Each candidate must carry the signature and pass its checksums.
    static func findRSDP(memory: Memory, hint: UInt64?) throws(ACPIError) -> [UInt8] {
        if let hint, hint != 0, let bytes = memory.read(hint, count: rsdpV2Length), let rsdp = validRSDP(bytes, at: 0) {
            return rsdp
        }
        var areas: [(UInt64, Int)] = [(0xE0000, 0x20000)]
        if let segment = memory.read(0x40E, count: 2)?.le(0, 2), segment != 0 { areas.insert((segment << 4, 1024), at: 0) }
        for (start, length) in areas {
            guard let area = memory.read(start, count: length) else { continue }
            var offset = 0
            while offset + rsdpV2Length <= area.count {
                if let rsdp = validRSDP(area, at: offset) { return rsdp }
                offset += 16
            }
        }
        throw .noRSDP
    }

    /// The RSDP's bytes when `bytes` at `offset` hold a valid one (ACPI 1.0's 20 bytes, or 2.0+'s
    /// longer form with its extended checksum).
    static func validRSDP(_ bytes: [UInt8], at offset: Int) -> [UInt8]? {
        guard offset + rsdpV2Length <= bytes.count, Array(bytes[offset..<offset + 8]) == rsdpSignature else { return nil }
        let candidate = Array(bytes[offset..<offset + rsdpV2Length])
        guard candidate.checksumIsZero(0..<rsdpV1Length) else { return nil }
        if candidate[15] >= 2 {
            guard candidate.le(20, 4) == UInt64(rsdpV2Length), candidate.checksumIsZero(0..<rsdpV2Length) else { return nil }
        }
        return candidate
    }
}
