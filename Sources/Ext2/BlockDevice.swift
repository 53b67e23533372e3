/// The boundary between the filesystem and a disk: virtio-blk in the kernel, a file or a byte array in
/// tests. Reads are asynchronous so a slow disk never stalls the kernel's main loop: the cache submits a
/// read and keeps serving other work; completions are collected later by polling.
///
/// Class-bound so the cache can hold it as an existential (allowed in Embedded Swift) and so a device's
/// identity is shared, not copied.
public protocol BlockDevice: AnyObject {
    /// Device size in 512-byte sectors.
    var sectorCount: UInt64 { get }
    /// Queues a read of buffer.count/512 sectors starting at `sector` into `buffer`, which the caller
    /// keeps valid until completion. False when the device's queue is full (try again later).
    func submitRead(sector: UInt64, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) -> Bool
    /// Reports each finished request (tag, success) to `handler`. Synchronous devices (a byte array,
    /// a file) complete on submit and report on the next call.
    func pollCompletions(_ handler: (UInt64, Bool) -> Void)
    /// Largest read in one request, in bytes (a multiple of 512); the cache merges no more than this.
    var maxReadBytes: Int { get }
}

/// Bytes per device sector, the unit of `BlockDevice` addressing.
public let blockDeviceSectorSize = 512
