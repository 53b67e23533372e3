import Testing
import Bytes
import Net
import TCP
import Services
import TestSupport
import HTTP
@testable import Appliance

/// The end of the clean stop (issue 17): the services' exit callbacks, then the DHCP lease's RELEASE,
/// which must leave while the address it comes from and the server's ARP entry are still valid.
@Suite struct ShutdownLeavingTests {
    typealias Bench = ApplianceWiringTests.Bench

    /// A bench bound to 10.0.0.1 by the wire's DHCP server, whose MAC it has not had to learn.
    func boundBench(_ extra: String = "") -> (Bench, DHCPResponder) {
        let bench = Bench(commandLine: "ip=dhcp shutdown.drain=0 shutdown.grace=0 " + extra)
        let responder = DHCPResponder()
        bench.dhcpServer = responder
        #expect(bench.run(steps: 20_000) { bench.appliance.interface.configuration.address == IPv4Address(10, 0, 0, 1) })
        #expect(bench.appliance.interface.arpCache.lookup(IPv4Address(10, 0, 0, 254), now: bench.clock.now()) == nil)
        return (bench, responder)
    }

    @Test func theReleaseWaitsForARPThenTheAddressGoes() {
        let (bench, responder) = boundBench()
        bench.appliance.requestShutdown("test", now: bench.clock.now())
        #expect(!bench.appliance.readyToPowerOff)                   // the RELEASE waits for the server's MAC
        #expect(bench.appliance.interface.configuration.address == IPv4Address(10, 0, 0, 1))
        #expect(bench.run(steps: 100) { bench.appliance.readyToPowerOff })
        #expect(responder.releases.count == 1)
        #expect(responder.releases.first?.source == [10, 0, 0, 1] && responder.releases.first?.ciaddr == [10, 0, 0, 1])
        #expect(bench.appliance.interface.configuration.address == .any)    // withdrawn once it left
        #expect(bench.log.lines.contains("dhcp: RELEASE sent to 10.0.0.254"))
        #expect(bench.log.lines.contains("dhcp: address withdrawn: lease released"))
    }

    @Test func aServerThatNeverAnswersARPEndsTheWaitWhenARPGivesUp() {
        let (bench, responder) = boundBench()
        responder.answersARP = false
        bench.appliance.requestShutdown("test", now: bench.clock.now())
        #expect(!bench.run(steps: 2_500) { bench.appliance.readyToPowerOff })
        #expect(bench.run(steps: 1_000) { bench.appliance.readyToPowerOff })   // three requests a second apart
        #expect(responder.releases.isEmpty)
        #expect(bench.appliance.dhcp?.releaseFailures == 1)
        #expect(bench.log.lines.contains("dhcp: RELEASE to 10.0.0.254 not sent (no ARP answer or no transmit buffer)"))
        #expect(bench.appliance.statusMetrics.lines.contains("dhcp.release_failures 1"))
    }

    @Test func aSecondRequestStillReleases() {
        let (bench, responder) = boundBench()
        let app = bench.appliance
        app.requestShutdown("test", now: bench.clock.now())
        app.requestShutdown("test again", now: bench.clock.now())
        #expect(bench.run(steps: 100) { app.readyToPowerOff })
        #expect(responder.releases.count == 1)
    }

    /// doExit runs once per service, after the request in flight finished, before the power-off; the
    /// HTTP object's exit callback (`http.onExit`) is the HTTP service's.
    @Test func exitCallbacksRunAfterTheLastResponseAndBeforePowerOff() throws {
        var httpExits: [Instant] = []
        let pair = DemoServiceTests.Pair("shutdown.drain=1 shutdown.grace=10",
                                         app: Application(name: "t") { $0.http.onExit { httpExits.append($0) } })
        let app = pair.appliance
        var exits: [Instant] = []
        try app.registry.register(NetworkService(name: "note", doInit: { _ in }, doReceive: { _ in .waitForData },
                                                 doExit: { exits.append(pair.clock.now()) }), now: pair.clock.now())
        let held = try pair.client.tcp.connect(from: IPAddress(pair.client.address), to: Endpoint(IPv4Address(10, 0, 0, 1), 80), now: pair.clock.now())
        pair.run(milliseconds: 100)
        app.requestShutdown("test", now: pair.clock.now())
        pair.run(milliseconds: 3000)                           // drain over; the connection is still open
        #expect(exits.isEmpty && httpExits.isEmpty && !app.readyToPowerOff)
        try pair.client.tcp.close(held)                        // the last connection ends
        pair.run(milliseconds: 1000)
        #expect(exits.count == 1 && app.readyToPowerOff)
        #expect(httpExits == exits)
        #expect(app.registry.counters.callbacks.exit == 2)     // http and note
        pair.run(milliseconds: 100)
        #expect(exits.count == 1 && httpExits.count == 1)
    }

    /// A keep-alive connection idle between requests does not hold the stop: it is closed when the drain
    /// ends, and a response finished after that closes its connection.
    @Test func idleKeepAliveConnectionsAreClosedWhenTheDrainEnds() throws {
        let pair = DemoServiceTests.Pair("shutdown.drain=1 shutdown.grace=10")
        let app = pair.appliance
        let c = try pair.client.tcp.connect(from: IPAddress(pair.client.address), to: Endpoint(IPv4Address(10, 0, 0, 1), 80), now: pair.clock.now())
        pair.run(milliseconds: 50)
        _ = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8).withByteView { try? pair.client.tcp.send(c, $0) }
        pair.run(milliseconds: 100)
        var buffer = [UInt8](repeating: 0, count: 8192)
        while let n = buffer.withMutableByteView({ try? pair.client.tcp.receive(c, into: $0) }), n > 0 {}   // the response
        #expect(app.http.counters.byStatus[200] == 1 && pair.client.tcp.state(c) == .established)   // kept alive
        app.requestShutdown("test", now: pair.clock.now())
        pair.run(milliseconds: 500)
        #expect(!pair.client.tcp.isPeerFinished(c))            // still serving during the drain
        pair.run(milliseconds: 700)
        #expect(pair.client.tcp.isPeerFinished(c))             // closed when the drain ended
        #expect(app.http.counters.shutdownIdleCloses == 1)
        try pair.client.tcp.close(c)
        pair.run(milliseconds: 200)
        #expect(app.readyToPowerOff)                           // long before the 10 s grace period
    }
}
