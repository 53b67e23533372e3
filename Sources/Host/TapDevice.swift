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

    /// Why the tap could not be used, in words, with what to do.
    enum OpenError: Error {
        case missing(String), openTun(Int32), attach(Int32)

        var message: String {
            switch self {
            case .missing(let name):
                return "no such network device. Create it (sudo ip tuntap add dev \(name) mode tap; "
                    + "sudo ip link set \(name) up), or pass --create-tap to create a temporary one"
            case .openTun(let code):
                return "cannot open /dev/net/tun: \(describe(code))"
                    + (code == EACCES || code == EPERM ? " (run as root, or with CAP_NET_ADMIN)" : "")
            case .attach(let code):
                let hint: String
                switch code {
                case EPERM, EACCES: hint = " (run as root, or with CAP_NET_ADMIN)"
                case EBUSY: hint = " (another program, perhaps a QEMU, is attached to it)"
                case EINVAL: hint = " (it is not a tap device, or a tun device of another kind)"
                default: hint = ""
                }
                return "cannot attach: \(describe(code))\(hint)"
            }
        }
    }

    /// Attaches to the tap device `name` (created by the caller, e.g. `ip tuntap add dev tap0 mode tap`).
    /// A name that is no device is refused unless `create`: then the kernel makes a tap that lives as
    /// long as this process, down and without an address.
    init(name: String, mac: MACAddress, create: Bool) throws(OpenError) {
        guard create || if_nametoindex(name) != 0 else { throw .missing(name) }
        let fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .openTun(errno) }
        let result = host_tap_attach(fd, name)
        guard result == 0 else { close(fd); throw .attach(-result) }
        self.fd = fd
        macAddress = mac
    }

    /// IFF_UP of linux/if.h.
    private static let interfaceUp: UInt64 = 0x1

    /// Whether the device `name` is administratively up (IFF_UP in /sys/class/net/NAME/flags, "0x1003").
    static func isUp(_ name: String) -> Bool {
        let fd = open("/sys/class/net/\(name)/flags", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var text = [UInt8](repeating: 0, count: 32)
        let n = text.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 2 else { return false }
        let digits = String(decoding: text[2..<n], as: UTF8.self).split(separator: "\n").first ?? ""
        return (UInt64(digits, radix: 16) ?? 0) & interfaceUp != 0
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

/// An errno value in words ("Permission denied"), for messages people read.
func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
