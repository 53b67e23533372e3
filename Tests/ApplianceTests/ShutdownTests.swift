import Testing
import Bytes
import Net
import TCP
import TestSupport
@testable import Appliance

/// The clean stop (issue 17): drain while still serving, then refuse new connections and let open
/// ones finish within the grace period, then power off; a second request cuts it short.
@Suite struct ShutdownTests {
    let t0 = Instant(nanoseconds: 1_000_000_000)

    @Test func theSequenceDrainsThenFinishes() {
        var s = ShutdownSequence(drain: .seconds(2), grace: .seconds(10))
        #expect(s.nextDeadline == .never && !s.isDraining)
        #expect(s.advance(now: t0, openConnections: 3) == nil)
        #expect(s.request(now: t0) == .startDraining)
        #expect(s.isDraining && s.nextDeadline == t0 + .seconds(2))
        #expect(s.advance(now: t0 + .milliseconds(1999), openConnections: 0) == nil)     // still serving
        #expect(s.advance(now: t0 + .seconds(2), openConnections: 1) == .stopAccepting)
        #expect(s.nextDeadline == t0 + .seconds(12))
        #expect(s.advance(now: t0 + .seconds(3), openConnections: 1) == nil)
        #expect(s.advance(now: t0 + .seconds(4), openConnections: 0) == .finished)
        #expect(s.phase == .leaving && s.request(now: t0 + .seconds(5)) == nil)
        #expect(s.advance(now: t0 + .seconds(5), openConnections: 0, releasing: true) == nil)   // a RELEASE waits for ARP
        #expect(s.advance(now: t0 + .seconds(6), openConnections: 0, releasing: false) == .left)
        #expect(s.isDone && s.request(now: t0 + .seconds(7)) == nil)
    }

    @Test func theGracePeriodEndsTheWait() {
        var s = ShutdownSequence(drain: .seconds(2), grace: .seconds(10))
        _ = s.request(now: t0)
        _ = s.advance(now: t0 + .seconds(2), openConnections: 2)
        #expect(s.advance(now: t0 + .milliseconds(11_999), openConnections: 2) == nil)
        #expect(s.advance(now: t0 + .seconds(12), openConnections: 2) == .graceExpired(open: 2))
        #expect(s.phase == .leaving)
    }

    @Test func aSecondRequestCutsItShort() {
        var draining = ShutdownSequence(drain: .seconds(2), grace: .seconds(10))
        _ = draining.request(now: t0)
        #expect(draining.request(now: t0 + .milliseconds(500)) == .cutShort && draining.phase == .leaving)
        var finishing = ShutdownSequence(drain: .seconds(2), grace: .seconds(10))
        _ = finishing.request(now: t0)
        _ = finishing.advance(now: t0 + .seconds(2), openConnections: 1)
        #expect(finishing.request(now: t0 + .seconds(3)) == .cutShort && finishing.phase == .leaving)
        var signalled = ShutdownSequence(drain: .seconds(2), grace: .seconds(10))
        #expect(signalled.request(now: t0, atOnce: true) == .cutShort && signalled.phase == .leaving)
    }

    @Test func theKeysParse() {
        #expect(BootConfig().shutdownDrain == .seconds(2) && BootConfig().shutdownGrace == .seconds(10))
        let (config, problems) = BootConfig.parse(Array("shutdown.drain=0 shutdown.grace=30".utf8))
        #expect(problems.isEmpty && config.shutdownDrain == .zero && config.shutdownGrace == .seconds(30))
        for bad in ["shutdown.drain", "shutdown.drain=-1", "shutdown.grace=601", "shutdown.grace=2s"] {
            #expect(BootConfig.parse(Array(bad.utf8)).problems.count == 1, "\(bad)")
        }
    }

    /// The whole appliance on the virtual clock: serving during the drain, reset after it, powered
    /// off once the last connection ends.
    @Test func theApplianceServesWhileDrainingThenRefuses() {
        let pair = DemoServiceTests.Pair("shutdown.drain=2 shutdown.grace=10")
        let app = pair.appliance
        let held = try! pair.client.tcp.connect(from: IPAddress(pair.client.address), to: Endpoint(IPv4Address(10, 0, 0, 1), 80), now: pair.clock.now())
        pair.run(milliseconds: 100)
        #expect(pair.client.tcp.state(held) == .established)
        app.requestShutdown("test", now: pair.clock.now())
        #expect(app.draining && !app.readyToPowerOff)
        #expect(pair.tcpState(port: 80) == .established)        // 1 s into the drain: still accepted
        pair.run(milliseconds: 1000)                            // the drain is over
        #expect(pair.tcpState(port: 80) == .closed)             // reset: no longer accepting
        #expect(app.tcp.counters.synRefusedStopping == 1)
        #expect(!app.readyToPowerOff)                           // the first connections are still open
        pair.run(milliseconds: 9000)                            // ... until the grace period (10 s) ends
        #expect(app.readyToPowerOff)
    }

    @Test func aSecondRequestPowersOffAtOnce() {
        let pair = DemoServiceTests.Pair("")
        pair.appliance.requestShutdown("test", now: pair.clock.now())
        pair.run(milliseconds: 10)
        #expect(!pair.appliance.readyToPowerOff)
        pair.appliance.requestShutdown("test again", now: pair.clock.now())
        #expect(pair.appliance.readyToPowerOff)
    }
}
