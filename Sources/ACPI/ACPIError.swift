/// Why a table was not used. The firmware's tables are input like any other: a bad one is reported
/// and skipped, never trusted and never fatal.
public enum ACPIError: Error, Equatable {
    /// No RSDP at the address the boot loader gave, nor in the BIOS areas.
    case noRSDP
    /// A table or the RSDP could not be read at `address` (outside the memory the reader allows).
    case unreadable(signature: String, address: UInt64)
    case badChecksum(signature: String)
    /// The length field is shorter than the header or the fields needed, or beyond `ACPITables.maximumTableLength`.
    case badLength(signature: String, length: UInt64)
    /// The signature at the address is not the one the pointer promised.
    case wrongSignature(expected: String, found: String)
    /// No table with this signature is listed in the RSDT/XSDT.
    case missing(signature: String)

    public var text: String {
        switch self {
        case .noRSDP: return "no RSDP (neither from the boot loader nor in the BIOS areas)"
        case .unreadable(let s, let a): return "\(s) at physical address \(a) is outside readable memory"
        case .badChecksum(let s): return "\(s) has a bad checksum"
        case .badLength(let s, let l): return "\(s) has an implausible length \(l)"
        case .wrongSignature(let e, let f): return "expected \(e), found \(f)"
        case .missing(let s): return "no \(s) table"
        }
    }
}
