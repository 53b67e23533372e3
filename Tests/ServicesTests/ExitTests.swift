import Bytes
import Services
import Testing
import TestSupport

/// `doExit` (the Daylight toolkit's `_exit_cb`): once per service at a clean shutdown, in the order
/// they registered, and no callback after it.
@Suite struct ExitTests {
    @Test func everyServiceHearsItsExitOnceInOrder() {
        let bench = Bench()
        let order = Box<[String]>([])
        for name in ["first", "second"] {
            bench.register(NetworkService(name: name, doInit: { _ in }, doReceive: { _ in .waitForData },
                                          doExit: { order.value.append(name) }))
        }
        // A service that leaves doExit out gets the default, which does nothing.
        bench.register(NetworkService(name: "quiet", doInit: { _ in }, doReceive: { _ in .waitForData }))
        #expect(bench.registry.exit(now: bench.clock.now()) == ["first", "second", "quiet"])
        #expect(order.value == ["first", "second"])
        #expect(bench.registry.exit(now: bench.clock.now()) == [])      // a second call does nothing
        #expect(order.value == ["first", "second"])
        #expect(bench.registry.counters.callbacks.exit == 3)
    }

    @Test func noCallbackFollowsTheExit() {
        let bench = Bench()
        let rec = Recorder(clock: bench.clock)
        bench.register(recordedService(port: 9000, recorder: rec))
        let peer = bench.open(9000)
        bench.poll()
        #expect(rec.count(.accept) == 1)
        _ = bench.registry.exit(now: bench.clock.now())
        peer.write("late")
        peer.finish()
        bench.advance(by: .seconds(120))      // past every receive timeout and close linger
        #expect(rec.count(.receive) == 0 && rec.count(.timeout) == 0 && rec.count(.close) == 0)
        #expect(bench.registry.nextDeadline() == .never)
    }

    @Test func anExitInsideACallbackIsRefused() {
        let bench = Bench()
        let inner = Box<[String]?>(nil)
        let registry = bench.registry
        bench.register(NetworkService(name: "s", doInit: { _ in inner.value = registry.exit(now: .zero) },
                                      doReceive: { _ in .waitForData }))
        #expect(inner.value == [] && !registry.exited && registry.counters.reentryRefused == 1)
    }
}
