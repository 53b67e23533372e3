/// A writable, bounds-checked window onto a buffer being filled: a transmit buffer lent by the NIC, a
/// socket ring. Headers are written straight into it (the smoltcp "tx token" idea); no temporary arrays.
public struct MutableByteView {
    public let base: UnsafeMutableRawBufferPointer

    @inlinable public init(_ base: UnsafeMutableRawBufferPointer) { self.base = base }

    @inlinable public var count: Int { base.count }

    /// The same bytes, read-only (e.g. to checksum what was just written).
    @inlinable public var readOnly: ByteView { ByteView(UnsafeRawBufferPointer(base)) }

    @inlinable public subscript(offset: Int) -> UInt8 {
        get {
            precondition(offset >= 0 && offset < base.count, "MutableByteView index out of range")
            return base[offset]
        }
        nonmutating set {
            precondition(offset >= 0 && offset < base.count, "MutableByteView index out of range")
            base[offset] = newValue
        }
    }

    @inlinable public func setU16(_ value: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= base.count, "MutableByteView u16 out of range")
        base[offset] = UInt8(truncatingIfNeeded: value >> 8)
        base[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    @inlinable public func setU32(_ value: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= base.count, "MutableByteView u32 out of range")
        base[offset] = UInt8(truncatingIfNeeded: value >> 24)
        base[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        base[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        base[offset + 3] = UInt8(truncatingIfNeeded: value)
    }

    @inlinable public func setU16le(_ value: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= base.count, "MutableByteView u16le out of range")
        base[offset] = UInt8(truncatingIfNeeded: value)
        base[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    @inlinable public func setU32le(_ value: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= base.count, "MutableByteView u32le out of range")
        for i in 0..<4 { base[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    /// `length` bytes from `offset`, or nil when that range is not inside the view.
    @inlinable public func slice(_ offset: Int, _ length: Int) -> MutableByteView? {
        guard offset >= 0, length >= 0, offset <= base.count, length <= base.count - offset else { return nil }
        return MutableByteView(UnsafeMutableRawBufferPointer(rebasing: base[offset..<(offset + length)]))
    }

    /// Copies `source` in at `offset`; traps if it does not fit (callers size buffers first).
    @inlinable public func copy(_ source: ByteView, to offset: Int) {
        precondition(offset >= 0 && source.count <= base.count - offset, "MutableByteView copy out of range")
        if source.count > 0, let s = source.base.baseAddress, let d = base.baseAddress {
            (d + offset).copyMemory(from: s, byteCount: source.count)
        }
    }

    /// Copies an array in at `offset`; traps if it does not fit.
    public func copy(_ bytes: [UInt8], to offset: Int) {
        bytes.withByteView { copy($0, to: offset) }
    }

    /// Sets `length` bytes from `offset` to `value`.
    public func fill(_ value: UInt8, from offset: Int, count length: Int) {
        precondition(offset >= 0 && length >= 0 && length <= base.count - offset, "MutableByteView fill out of range")
        for i in offset..<(offset + length) { base[i] = value }
    }
}

extension Array where Element == UInt8 {
    /// Lends the array's storage as a MutableByteView for the duration of `body`.
    @inlinable public mutating func withMutableByteView<R>(_ body: (MutableByteView) -> R) -> R {
        withUnsafeMutableBytes { body(MutableByteView($0)) }
    }
}
