// swift-tools-version:6.0
// One stack, two worlds: `swift test` builds every target hosted; `Scripts/build` sets EMBEDDED=1 and
// builds the portable library targets for x86_64-unknown-none-elf, soft-float, to link into the kernel.
import PackageDescription
import Foundation

let embedded = ProcessInfo.processInfo.environment["EMBEDDED"] == "1"

// Flags for the freestanding kernel build (the same as Scripts/build gives Kernel/): no red zone, so interrupts may
// arrive anywhere; soft-float, so no SSE/x87 state exists in kernel code and none needs saving.
let embeddedSettings: [SwiftSetting] = embedded ? [
    .enableExperimentalFeature("Embedded"),
    .unsafeFlags(["-wmo", "-Osize", "-Xcc", "-mno-red-zone", "-Xcc", "-ffreestanding",
                  "-Xfrontend", "-function-sections",
                  "-Xcc", "-mno-sse", "-Xcc", "-mno-mmx",
                  "-Xcc", "-Xclang", "-Xcc", "-target-feature", "-Xcc", "-Xclang", "-Xcc", "+soft-float"]),
] : []

/// The portable layers, in dependency order (arrows point down only).
let portable: [(name: String, deps: [String])] = [
    ("Bytes", []),
    ("Net", ["Bytes"]),
    ("TCP", ["Bytes"]),
    ("DHCP", ["Bytes"]),
    ("Ext2", ["Bytes"]),
    ("ACPI", []),
    ("Services", ["Bytes"]),
    ("HTTP", ["Bytes", "Services"]),
    ("Appliance", ["Bytes", "Net", "TCP", "DHCP", "Ext2", "Services", "HTTP"]),
    // Sealed cookies (ChaCha20-Poly1305): only apps import it, so the standard kernel links none of it.
    ("Seal", ["Bytes", "HTTP"]),
]

/// The apps (`Sources/Apps/NAME`, one module named NAME each; `Scripts/new-app NAME` adds one here). The kernel
/// links one of them (`Scripts/build --app NAME`, compiled with swiftc there, not through this file); the hosted
/// runner links the one `APP=NAME` names (default: standard). Their hosted tests are in `Tests/Apps/NAME`.
let apps = ["guestbook", "hello", "standard"]
let appDependencies: [Target.Dependency] = ["Bytes", "Services", "HTTP", "Seal"]
let hostApp = ProcessInfo.processInfo.environment["APP"] ?? "standard"

var targets: [Target] = portable.map { m in
    .target(name: m.name, dependencies: m.deps.map { .target(name: $0) }, swiftSettings: embeddedSettings)
}
if !embedded {
    // Hosted-only: deterministic test helpers (virtual clock, simulated link) and the unit tests.
    targets.append(.target(name: "TestSupport", dependencies: ["Bytes", "Services", "HTTP"]))
    // The hosted runner: the same appliance wiring as a Linux process over a tap device.
    targets.append(.target(name: "HostSupport"))
    // `import App` in the runner is the app chosen by APP= (Scripts/build does the same for the kernel).
    targets.append(.executableTarget(name: "Host", dependencies: ["Appliance", "Net", "Bytes", "HTTP", "HostSupport", .target(name: hostApp)],
                                     swiftSettings: [.unsafeFlags(["-module-alias", "App=\(hostApp)"])]))
    for app in apps {
        targets.append(.target(name: app, dependencies: appDependencies, path: "Sources/Apps/\(app)"))
        targets.append(.testTarget(name: "\(app)Tests", dependencies: [.target(name: app), "TestSupport"] + appDependencies,
                                   path: "Tests/Apps/\(app)"))
    }
    for m in portable {
        // SealTests also checks Seal against swift-crypto (BoringSSL's ChaCha20-Poly1305).
        let crossCheck: [Target.Dependency] = m.name == "Seal" ? [.product(name: "Crypto", package: "swift-crypto")] : []
        targets.append(.testTarget(name: "\(m.name)Tests", dependencies: [.target(name: m.name), "TestSupport"] + m.deps.map { .target(name: $0) } + crossCheck))
    }
}

let package = Package(
    name: "SwiftUnikernel",
    products: [
        // Everything the kernel links: one static archive of the portable layers.
        .library(name: "ApplianceKit", type: .static, targets: portable.map { $0.name }),
    ],
    // Hosted tests only (never the kernel): the package cache (/opt/swift-packages) serves it offline.
    dependencies: embedded ? [] : [.package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3")],
    targets: targets,
    // One core, one thread, no concurrency in the stack: Swift 5 mode spares us Sendable ceremony that
    // protects against nothing here.
    swiftLanguageModes: [.v5]
)
