import Kernel

/// The symbol the boot stub (pvh.S) calls. Scripts/build compiles this file into the module of the one app
/// the image links (`Sources/Apps/NAME`), so `application` is that app's.
@_cdecl("kmain")
func kmain(_ startInfoAddress: UInt) {
    boot(startInfoAddress, app: application)
}
