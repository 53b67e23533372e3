import Glibc
import Bytes
import Net
import Appliance
import App       // the app this runner links: APP=NAME at build time (Package.swift), standard by default

/// The appliance as a Linux process on a tap device: the fast development loop, and how the tests reach
/// the stack with Linux's own tools without booting a VM.
///
///   Host --tap tap0 [--create-tap] [--mac 52:54:00:c8:64:64] [--disk www.img] [--append "ip=... loglevel=debug"]
///        [--impair loss=PCT,dup=PCT,reorder=PCT,delay=MS,seed=N]
///
/// The tap must exist (a typo must not quietly make a new, unconnected one) unless `--create-tap`.
///
/// `--impair` puts a seeded lossy wire between the tap device and the stack (both directions), so the
/// tests can run Linux's TCP against ours under loss without netem (see ImpairedLink).
///
/// Runs until SIGINT/SIGTERM; then runs the services' exit callbacks, releases a DHCP lease and prints its status counters.

final class SystemWallClock: WallClock {
    func unixSeconds() -> UInt64 { UInt64(time(nil)) }
}

final class MonotonicClock: Clock {
    func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec))
    }
}

func usage(_ problem: String? = nil) -> Never {
    if let problem { fputs("host: \(problem)\n", stderr) }
    fputs("usage: Host --tap NAME [--create-tap] [--mac MAC] [--disk IMAGE] [--append \"KERNEL COMMAND LINE\"]\n"
          + "            [--impair loss=PCT,dup=PCT,reorder=PCT,delay=MS,seed=N]\n"
          + "  the tap must exist (sudo ip tuntap add dev NAME mode tap; sudo ip link set NAME up) unless --create-tap;\n"
          + "  give the host side an address to reach the appliance (README, section Network)\n", stderr)
    exit(2)
}

var tapName: String? = nil
var diskPath: String? = nil
var commandLine = ""
var impairment = ImpairedLink<TapDevice>.Impairment()
var mac = MACAddress(0x52, 0x54, 0x00, 0xC8, 0x64, 0x64)
var createTap = false
var arguments = CommandLine.arguments.dropFirst()
while let arg = arguments.popFirst() {
    if arg == "--create-tap" { createTap = true; continue }
    guard let value = arguments.popFirst() else { usage("\(arg) needs a value") }
    switch arg {
    case "--tap": tapName = value
    case "--append": commandLine = value
    case "--disk": diskPath = value
    case "--impair":
        do { impairment = try ImpairedLink<TapDevice>.Impairment.parse(value) } catch { usage("--impair \(value): not understood") }
    case "--mac":
        let parts = value.split(separator: ":").compactMap { UInt8($0, radix: 16) }
        guard parts.count == 6 else { usage("--mac \(value): expected six hex bytes like 52:54:00:c8:64:64") }
        mac = MACAddress(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    default: usage("unknown option \(arg)")
    }
}
guard let tapName else { usage("--tap NAME is required") }

let clock = MonotonicClock()
let start = clock.now()
/// Set once the appliance exists, with `syslog=`: every line printed also goes to the collector, as the
/// kernel's console forwards every line it keeps (access-log lines marked as such).
var forward: ((BootConfig.LogLevel, Bool, [UInt8]) -> Void)? = nil
func log(_ level: BootConfig.LogLevel, _ message: String) { emit(level, message, access: false) }
func emit(_ level: BootConfig.LogLevel, _ message: String, access: Bool) {
    let us = clock.now().since(start).nanoseconds / 1000
    let label: String
    switch level {
    case .error: label = "error"
    case .warn: label = "warn "
    case .info: label = "info "
    case .debug: label = "debug"
    }
    let seconds = String(us / 1_000_000)
    let micros = String(us % 1_000_000)
    print("[\(String(repeating: " ", count: max(0, 5 - seconds.count)))\(seconds).\(String(repeating: "0", count: 6 - micros.count))\(micros)] \(label) \(message)")
    fflush(stdout)
    forward?(level, access, Array(message.utf8))
}

let (config, problems) = BootConfig.parse(Array(commandLine.utf8))
for p in problems { log(.warn, "command line: ignoring '\(p.word)': \(p.reason)") }

let tap: TapDevice
do {
    tap = try TapDevice(name: tapName, mac: mac, create: createTap)
} catch {
    fputs("host: \(tapName): \(error.message)\n", stderr)
    exit(1)
}
if !TapDevice.isUp(tapName) {
    log(.warn, "host: \(tapName) is down, so no frame will pass: sudo ip link set \(tapName) up")
}

var stopRequested: sig_atomic_t = 0
signal(SIGINT) { _ in stopRequested = 1 }
signal(SIGTERM) { _ in stopRequested = 1 }

var disk: FileBlockDevice? = nil
if let diskPath {
    do {
        disk = try FileBlockDevice(path: diskPath)
    } catch {
        fputs("host: cannot open disk image \(diskPath): \(error.message)\n", stderr)
        exit(1)
    }
}
let link = ImpairedLink(nic: tap, impairment: impairment, clock: clock)
let appliance = Appliance(config: config, nic: link, disk: disk, clock: clock, wallClock: SystemWallClock(),
                          seed: UInt64.random(in: .min ... .max), entropy: (0..<32).map { _ in UInt8.random(in: .min ... .max) },
                          app: App.application, log: log,
                          accessLog: { entry in emit(.info, String(decoding: entry.line, as: UTF8.self), access: true) })
if config.syslog != nil {
    forward = { level, access, message in appliance.forwardToSyslog(level: level, access: access, message: message) }
}
if !impairment.isNone {
    appliance.addStatus("impairment") {
        var m = Metrics()
        for line in link.statusLines { m.note(line) }
        return m
    }
    log(.info, "host: impairing the link: \(impairment.text)")
}
log(.info, "host: running on \(tapName)")
while stopRequested == 0 {
    let now = clock.now()
    appliance.poll(now: now)
    // Delayed frames on the impaired wire are due at their own time, not at a stack deadline.
    let deadline = min(appliance.nextDeadline(), link.nextDue)
    var timeoutMs: Int32 = 1000
    if deadline <= now { timeoutMs = 0 } else if deadline != .never {
        timeoutMs = Int32(min(1000, (deadline.since(now).nanoseconds + 999_999) / 1_000_000))
    }
    var pfd = pollfd(fd: tap.fd, events: Int16(POLLIN), revents: 0)
    _ = poll(&pfd, 1, timeoutMs)
}
// The clean stop without the drain (a signal means "stop now"): exit callbacks, then the lease's
// RELEASE, which may wait for ARP (at most ARPResolver's three requests, a second apart).
appliance.requestShutdown("stopped by a signal", now: clock.now(), atOnce: true)
while !appliance.readyToPowerOff {
    let now = clock.now()
    appliance.poll(now: now)
    var pfd = pollfd(fd: tap.fd, events: Int16(POLLIN), revents: 0)
    _ = poll(&pfd, 1, 10)
}
appliance.shutdown(now: clock.now())
for line in appliance.statusMetrics.lines { print(line) }
if !impairment.isNone { for line in link.statusLines { print(line) } }
