/// Why a virtio device could not be brought up. Each is one console line; boot goes on without the device.
enum VirtioError: Error {
    case missingCapability(StaticString)
    case badCapability(StaticString)
    case unmappable(DeviceMemory.MapError)
    case noVersion1
    case featuresRejected
    case resetTimeout
    case queueMissing(UInt16)
    case noMemory
    case noInterruptVector

    var reason: String {
        switch self {
        case .missingCapability(let what): return "no virtio 1.x \(what) capability (legacy-only device?)"
        case .badCapability(let what): return "virtio \(what) capability is malformed (outside its BAR or too short)"
        case .unmappable(let e): return "register BAR \(e.reason)"
        case .noVersion1: return "device does not offer VIRTIO_F_VERSION_1 (legacy-only); not supported"
        case .featuresRejected: return "device rejected the negotiated features (FEATURES_OK not kept)"
        case .resetTimeout: return "device did not complete reset"
        case .queueMissing(let q): return "virtqueue \(q) not available"
        case .noMemory: return "out of memory for rings and buffers"
        case .noInterruptVector: return "no free interrupt vector"
        }
    }
}
