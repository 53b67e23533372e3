#if canImport(Glibc)
import Glibc
#endif

/// The fuzzer's input read as a script: small decisions (`byte`, `u16`) interleaved with runs of raw bytes
/// (`take`). Past the end every read yields zeros or nothing, so any input is a complete script and
/// libFuzzer's mutations (insert, erase, splice) shift decisions instead of invalidating the input.
struct FuzzInput {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = UnsafeBufferPointer(start: size > 0 ? data : nil, count: size)
    }

    var isAtEnd: Bool { position >= bytes.count }
    var remaining: Int { bytes.count - min(position, bytes.count) }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }

    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }

    /// Up to `count` bytes (fewer at the end of the input).
    mutating func take(_ count: Int) -> [UInt8] {
        let n = min(max(count, 0), remaining)
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    mutating func rest() -> [UInt8] { take(remaining) }
}

/// A broken invariant of the code under test: traps, so libFuzzer records the input as a crash.
func fuzzFailure(_ message: String) -> Never {
    fatalError("fuzz invariant: " + message)
}

/// With FUZZ_TRACE set, a target narrates what an input did (to check that seeds reach deep states).
let fuzzTracing = getenv("FUZZ_TRACE") != nil

func trace(_ line: @autoclosure () -> String) {
    if fuzzTracing { fputs(line() + "\n", stderr) }
}
