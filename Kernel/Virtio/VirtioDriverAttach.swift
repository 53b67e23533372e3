extension VirtioPCITransport {
    /// The start every virtio driver shares (spec 3.1.1): find the transport, check the device
    /// configuration is large enough, enable the PCI function, negotiate features; then the driver's own
    /// `bringUp`. If that fails the device is marked FAILED, so it stops expecting a driver.
    static func attachDriver<Driver>(_ function: PCIFunction, configBytesNeeded: UInt64, supportedFeatures: UInt64,
                                     _ bringUp: (VirtioPCITransport, UInt64) throws(VirtioError) -> Driver)
        throws(VirtioError) -> Driver {
        let transport = try VirtioPCITransport(function)
        guard transport.deviceConfigLength >= configBytesNeeded else { throw .badCapability("device configuration") }
        function.enable(disableINTx: true)
        let features = try transport.negotiate(supported: supportedFeatures)
        do {
            return try bringUp(transport, features)
        } catch {
            transport.fail()
            throw error
        }
    }
}
