// TEMPORARY: an exact copy of the contract being added to module `Ext2` (Sources/Ext2). At merge the
// lead deletes this file and the drivers conform to `Ext2.BlockDevice` instead.

public protocol BlockDevice: AnyObject {
    var sectorCount: UInt64 { get }
    /// Queues a read of buffer.count/512 sectors at `sector` into `buffer` (kept valid by the caller until completion). False when the queue is full.
    func submitRead(sector: UInt64, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) -> Bool
    /// Reports each finished request (tag, success) to `handler`.
    func pollCompletions(_ handler: (UInt64, Bool) -> Void)
}
