/// A read-only, bounds-checked window onto bytes owned by someone else: a NIC receive buffer, a block
/// cache line, an array. It is valid only for the duration of the call that lends it, so parsers read
/// headers in place and copy payload once, into the buffer that keeps it.
///
/// Accessors trap on an out-of-range index: parsers check lengths *before* reading fields (a hostile
/// packet must give a typed error, never reach a trap), and the fuzz targets hold them to that.
public struct ByteView {
    public let base: UnsafeRawBufferPointer

    @inlinable public init(_ base: UnsafeRawBufferPointer) { self.base = base }

    @inlinable public var count: Int { base.count }
    @inlinable public var isEmpty: Bool { base.count == 0 }

    @inlinable public subscript(offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < base.count, "ByteView index out of range")
        return base[offset]
    }

    /// Big-endian (network order) 16-bit field at `offset`.
    @inlinable public func u16(at offset: Int) -> UInt16 {
        precondition(offset >= 0 && offset + 2 <= base.count, "ByteView u16 out of range")
        return UInt16(base[offset]) << 8 | UInt16(base[offset + 1])
    }

    /// Big-endian (network order) 32-bit field at `offset`.
    @inlinable public func u32(at offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= base.count, "ByteView u32 out of range")
        return UInt32(base[offset]) << 24 | UInt32(base[offset + 1]) << 16
            | UInt32(base[offset + 2]) << 8 | UInt32(base[offset + 3])
    }

    /// Little-endian fields, for on-disk formats (ext2) and device structures (virtio).
    @inlinable public func u16le(at offset: Int) -> UInt16 {
        precondition(offset >= 0 && offset + 2 <= base.count, "ByteView u16le out of range")
        return UInt16(base[offset]) | UInt16(base[offset + 1]) << 8
    }

    @inlinable public func u32le(at offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= base.count, "ByteView u32le out of range")
        return UInt32(base[offset]) | UInt32(base[offset + 1]) << 8
            | UInt32(base[offset + 2]) << 16 | UInt32(base[offset + 3]) << 24
    }

    /// `length` bytes from `offset`, or nil when that range is not inside the view.
    @inlinable public func slice(_ offset: Int, _ length: Int) -> ByteView? {
        guard offset >= 0, length >= 0, offset <= base.count, length <= base.count - offset else { return nil }
        return ByteView(UnsafeRawBufferPointer(rebasing: base[offset..<(offset + length)]))
    }

    /// Everything from `offset` on, or nil when `offset` is past the end.
    @inlinable public func suffix(from offset: Int) -> ByteView? {
        guard offset >= 0, offset <= base.count else { return nil }
        return slice(offset, base.count - offset)
    }

    /// Copies the bytes into a new array (the one copy a payload is allowed).
    public func toArray() -> [UInt8] { Array(base) }

    /// Copies `min(count, destination.count)` bytes to `destination`; returns how many.
    @discardableResult
    public func copyBytes(to destination: UnsafeMutableRawBufferPointer) -> Int {
        let n = Swift.min(base.count, destination.count)
        if n > 0, let src = base.baseAddress, let dst = destination.baseAddress {
            dst.copyMemory(from: src, byteCount: n)
        }
        return n
    }

    /// True when the view holds exactly these bytes (handy for magic numbers and literal tokens).
    public func elementsEqual(_ other: ByteView) -> Bool {
        guard count == other.count else { return false }
        for i in 0..<count where base[i] != other.base[i] { return false }
        return true
    }
}

extension Array where Element == UInt8 {
    /// Lends the array's bytes as a ByteView for the duration of `body`.
    @inlinable public func withByteView<R, E: Error>(_ body: (ByteView) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { raw in
            do throws(E) { return .success(try body(ByteView(raw))) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
