/// Where the ACPI tables are read from: the kernel's identity-mapped physical memory, or byte arrays
/// in the hosted tests. A read outside what the reader allows (device memory, beyond RAM) is nil.
public protocol PhysicalMemory {
    func read(_ address: UInt64, count: Int) -> [UInt8]?
}

/// Little-endian fields of a table, bounds-checked: a field past the end reads as nil.
extension Array where Element == UInt8 {
    func le(_ offset: Int, _ size: Int) -> UInt64? {
        guard offset >= 0, size <= 8, offset + size <= count else { return nil }
        var v: UInt64 = 0
        for i in (0..<size).reversed() { v = v << 8 | UInt64(self[offset + i]) }
        return v
    }

    /// The bytes sum to zero modulo 256: every ACPI checksum.
    func checksumIsZero(_ range: Range<Int>) -> Bool {
        var sum: UInt8 = 0
        for i in range { sum &+= self[i] }
        return sum == 0
    }

    /// The first four bytes are `signature`, compared as bytes (String comparison would pull Unicode
    /// tables into the kernel).
    func hasSignature(_ signature: String) -> Bool {
        count >= 4 && self[0..<4].elementsEqual(signature.utf8)
    }

    /// Four ASCII bytes as text, for messages (non-printable bytes as '?').
    func signatureText(_ offset: Int = 0) -> String {
        guard offset + 4 <= count else { return "????" }
        return String(decoding: self[offset..<offset + 4].map { $0 >= 32 && $0 < 127 ? $0 : 63 }, as: UTF8.self)
    }
}
