import Bytes
import Ext2

/// Mounts the ext2 document root without stalling the main loop: the disk answers asynchronously, so
/// the mount is attempted on every poll until it stops answering "would block". A disk that is not ext2,
/// or uses a feature the reader cannot read, is refused with a console line naming why; the appliance
/// goes on serving its built-in pages.
final class DiskMount {
    enum State { case mounting, mounted(Ext2Volume), refused }

    /// The block cache's memory bound.
    static var cacheBytes: Int { 2 * 1024 * 1024 }

    let cache: BlockCache
    private(set) var state: State = .mounting
    private let log: (BootConfig.LogLevel, String) -> Void

    init(device: BlockDevice, log: @escaping (BootConfig.LogLevel, String) -> Void) {
        cache = BlockCache(device: device, memoryBytes: DiskMount.cacheBytes)
        self.log = log
        log(.info, "disk: \(device.sectorCount / 2048) MiB; mounting the document root")
    }

    /// Absorbs completed reads; returns the volume the first time the mount succeeds.
    func poll() -> Ext2Volume? {
        cache.poll()
        guard case .mounting = state else { return nil }
        do throws(Ext2Error) {
            let volume = try Ext2Volume.mount(cache)
            state = .mounted(volume)
            log(.info, "disk: ext2 mounted, \(volume.blockSize)-byte blocks; serving files from it")
            return volume
        } catch {
            if error.isRetryable { return nil }
            state = .refused
            log(.error, "disk: not served: \(error.message)")
            return nil
        }
    }

    var isMounting: Bool { if case .mounting = state { return true } else { return false } }
}
