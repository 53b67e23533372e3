import Bytes

/// The console line for a boot without a network card this kernel can drive. It drives virtio-net
/// only, and QEMU's default card is an e1000: naming the card found turns "no network card" into the
/// QEMU option that fixes it.
enum NoNetworkCard {
    /// PCI base class of network controllers.
    private static let networkClass: UInt8 = 0x02

    /// The PCI network cards QEMU offers, by vendor and device ID, under their `-device` names.
    private static let knownCards: [(vendor: UInt16, device: UInt16, name: String)] = [
        (0x8086, 0x100E, "e1000"), (0x8086, 0x10D3, "e1000e"), (0x8086, 0x10C9, "igb"),
        (0x10EC, 0x8139, "rtl8139"), (0x10EC, 0x8029, "ne2k_pci"), (0x1022, 0x2000, "pcnet"),
        (0x15AD, 0x07B0, "vmxnet3"), (0x8086, 0x1209, "i82559er"), (0x8086, 0x1229, "i82550/i82557/i82558"),
    ]

    static let remedy = "this kernel drives virtio-net only: add -device virtio-net-pci,netdev=ID (with plain QEMU: -nic user,model=virtio-net-pci)"

    /// What was found among `functions`, and what to do; nothing is served until then.
    static func explanation(_ functions: [PCIFunction]) -> String {
        var found = ""
        for f in functions where f.classCode == networkClass {
            if !found.isEmpty { found += ", " }
            found += "PCI \(Hex.text(UInt64(f.vendorID), minDigits: 4)):\(Hex.text(UInt64(f.deviceID), minDigits: 4))"
            if f.vendorID == VirtioPCITransport.vendorID {
                found += " (virtio-net that did not start: see above)"
            } else if let card = knownCards.first(where: { $0.vendor == f.vendorID && $0.device == f.deviceID }) {
                found += " (\(card.name))"
            }
            found += " at \(f.address.text)"
        }
        let what = found.isEmpty ? "no network card found" : "\(found) found"
        return "\(what); \(remedy); nothing to serve, idle"
    }
}
