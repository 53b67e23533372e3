import Glibc
import Ext2

/// A disk image file as the appliance's block device: the hosted twin of virtio-blk. Reads complete at
/// once (pread), and are reported on the next `pollCompletions`, as the protocol asks.
final class FileBlockDevice: BlockDevice {
    let fd: Int32
    let sectorCount: UInt64
    /// pread takes a read of any length.
    let maxReadBytes = Int.max
    private var completed: [(UInt64, Bool)] = []

    enum OpenError: Error {
        case open(Int32)
        var message: String { switch self { case .open(let code): describe(code) } }
    }

    init(path: String) throws(OpenError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .open(errno) }
        self.fd = fd
        sectorCount = UInt64(max(0, lseek(fd, 0, SEEK_END))) / 512
    }

    func submitRead(sector: UInt64, into buffer: UnsafeMutableRawBufferPointer, tag: UInt64) -> Bool {
        let n = pread(fd, buffer.baseAddress, buffer.count, off_t(sector * 512))
        completed.append((tag, n == buffer.count))
        return true
    }

    func pollCompletions(_ handler: (UInt64, Bool) -> Void) {
        let done = completed
        completed.removeAll()
        for (tag, ok) in done { handler(tag, ok) }
    }
}
