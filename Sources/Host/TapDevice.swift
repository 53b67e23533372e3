import Glibc
import HostSupport
import Bytes
import Net

/// A Linux tap device as the appliance's NIC: the hosted twin of virtio-net. Frames are read and written
/// with one system call each; the file descriptor is non-blocking, and the main loop waits on it.
final class TapDevice: NetworkInterface {
    let macAddress: MACAddress
    let mtu = 1500
    let fd: Int32
    private var receiveBuffer = [UInt8](repeating: 0, count: 65536)
    private var transmitBuffer = [UInt8](repeating: 0, count: 65536)
    private(set) var transmitErrors: UInt64 = 0

    enum OpenError: Error { case open(Int32), attach(Int32) }

    /// Attaches to the tap device `name` (created by the caller, e.g. `ip tuntap add dev tap0 mode tap`).
    init(name: String, mac: MACAddress) throws(OpenError) {
        let fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .open(errno) }
        let result = host_tap_attach(fd, name)
        guard result == 0 else { close(fd); throw .attach(-result) }
        self.fd = fd
        macAddress = mac
    }

    func receive(limit: Int, _ handler: (ByteView) -> Void) -> Int {
        var count = 0
        while count < limit {
            let n = receiveBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { break }
            receiveBuffer.withUnsafeBytes { handler(ByteView(UnsafeRawBufferPointer(rebasing: $0[0..<n]))) }
            count += 1
        }
        return count
    }

    func transmit(length: Int, _ fill: (MutableByteView) -> Void) -> Bool {
        guard length <= transmitBuffer.count else { return false }
        transmitBuffer.withUnsafeMutableBytes { fill(MutableByteView(UnsafeMutableRawBufferPointer(rebasing: $0[0..<length]))) }
        let n = transmitBuffer.withUnsafeBytes { write(fd, $0.baseAddress, length) }
        if n != length { transmitErrors += 1 }
        return true
    }

    func flush() {}
}
