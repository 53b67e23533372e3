import Kernel

/// The symbol the boot stub (pvh.S) calls. Scripts/build compiles this file into the module of the one app
/// the image links (`Sources/Apps/NAME`), so `application` is that app's. With SELFTEST (Scripts/build
/// --selftest) it also hands `boot` the in-kernel self-tests; without, the image does not carry them.
@_cdecl("kmain")
func kmain(_ startInfoAddress: UInt) {
#if SELFTEST
    boot(startInfoAddress, app: application, selfTests: runSelfTests)
#else
    boot(startInfoAddress, app: application)
#endif
}
