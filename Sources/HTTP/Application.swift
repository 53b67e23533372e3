import Bytes
import Services

/// An application: the program linked with the stack into one appliance, as in Toro (the blog's
/// ToroHttp), MirageOS or Unikraft. Each lives in `Sources/Apps/NAME` and exports one
/// `public let application = Application(name: "NAME") { app in ... }`; the kernel and the hosted
/// runner link exactly one (see README, "Your own appliance").
public struct Application {
    public var name: String
    /// Runs once at boot, before any port is opened: add routes, register services.
    public var install: (AppContext) -> Void

    public init(name: String, install: @escaping (AppContext) -> Void) {
        self.name = name
        self.install = install
    }

    /// The standard appliance: the disk's files and the built-in pages, nothing added
    /// (`Sources/Apps/standard`, what `Scripts/build` links without `--app`).
    public static var standard: Application { Application(name: "standard") { _ in } }

    /// Installs the app beside `http`: the HTTP server's service (unless the app turned it off) and
    /// the app's own, to register.
    /// `cookieKey` is `cookie.key=` (32 bytes) when given; `entropy` is unpredictable boot entropy.
    public func install(http: HTTPServer, clock: Clock, options: [AppOption] = [], cookieKey: [UInt8]? = nil,
                        entropy: [UInt8] = [], log: @escaping (String) -> Void = { _ in }) -> Installed {
        let context = AppContext(http: http, options: options, cookieKey: cookieKey, entropy: entropy, log: log)
        install(context)
        return Installed(http: context.serveHTTP ? http.service(clock: clock) : nil, own: context.services)
    }

    public struct Installed {
        /// The HTTP server's service (port 80), unless the app turned it off.
        public var http: NetworkService?
        /// The app's own services, in the order it registered them.
        public var own: [NetworkService]
        /// Everything to register, HTTP first.
        public var all: [NetworkService] { (http.map { [$0] } ?? []) + own }
    }
}

/// What an application may do at boot: the one small API between an app and the appliance.
public final class AppContext {
    /// The HTTP server on port 80, the HTTP object: `http.onLoop { ... }` sees every request first (and
    /// `onInit`, `onBeat(every:)`, `onError`, `onExit`: HTTPCallbacks.swift); `http.router.add(...)` adds
    /// dynamic routes, which answer before the built-in pages and the disk's files; `http.configuration`
    /// its limits.
    public let http: HTTPServer
    /// False: no HTTP server is started, and port 80 is free for the app's own services (Toro's way).
    public var serveHTTP = true
    /// Toro-style services the app registers (`NetworkService`: doInit, doAccept, doReceive, ...).
    public private(set) var services: [NetworkService] = []
    /// Writes a line to the console (info level).
    public let log: (String) -> Void
    /// `cookie.key=HEX` from the kernel command line (32 bytes), or nil: sealed cookies then use a key
    /// drawn at boot (module Seal, `SealedCookies(app)`), and sessions end at reboot.
    public let cookieKey: [UInt8]?
    /// Bytes unpredictable from outside, drawn at boot (the kernel's RDRAND and TSC jitter; the host's
    /// system generator): seeds for keys and nonces.
    public let entropy: [UInt8]
    private let options: [AppOption]

    init(http: HTTPServer, options: [AppOption], cookieKey: [UInt8]?, entropy: [UInt8], log: @escaping (String) -> Void) {
        self.http = http
        self.options = options
        self.cookieKey = cookieKey
        self.entropy = entropy
        self.log = log
    }

    /// Registers a service beside HTTP (after it, in this order).
    public func register(_ service: NetworkService) { services.append(service) }

    /// The value of `app.KEY=VALUE` on the kernel command line (the last one given), or nil.
    public func option(_ key: String) -> [UInt8]? {
        options.last { $0.key.elementsEqual(key.utf8) }?.value
    }
}

/// One `app.KEY=VALUE` word of the kernel command line, for the app (`AppContext.option`).
public struct AppOption: Equatable {
    public var key: [UInt8]
    public var value: [UInt8]
    public init(key: [UInt8], value: [UInt8]) { self.key = key; self.value = value }
}
