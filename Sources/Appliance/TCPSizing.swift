import TCP

/// TCP sized for an HTTP appliance. Buffers start at their largest (TCP's autotuning, see
/// Connection+BufferTuning, is not turned on here yet): with initial sizes of 8 KiB each way,
/// vm_hoard_test's bodies phase admitted ~200 hoarders instead of 75 at -m 16M and the legitimate
/// client fell to 80-95 % (2026-12-03, an A/B of this build). Per-source caps and minimum rates did not
/// change that (91 %, 16:30 the same day): no limit is reached (176 connections at most, no pressure,
/// nothing replaced); the attackers' reconnections, each answered 405 and closed, doubled to about
/// 1000 a second once memory no longer held them back, and the one TCG CPU spends its time on them. It
/// needs a limit on the rate of new connections per address first.
///
/// 64 KiB to send, 32 KiB to receive. Responses are what an HTTP appliance sends: the send buffer
/// bounds the data in flight, and the 1 MiB benchmark download went from 65 to 81 MB/s when it grew
/// past 64 KiB (Scripts/bench, docs/bench-results.md). Requests are small (the parser caps a request
/// head at 16 KiB), but measured against Linux over a 20 ms round trip (Tests/VM/tcp_linux_test.sh) a
/// 16 KiB receive window kept Linux's sender window-limited more than half the time (0.54 MB/s), so
/// uploads from a distant client would crawl; 32 KiB roughly doubles that. All
/// `maximumConnections` (256) at their largest hold buffers in 24 MiB.
///
/// With a heap budget (the kernel passes its heap capacity), TCP buffers take at most half of it,
/// leaving the rest to frames, the block cache and HTTP: a 64 MiB machine (a ~62 MiB heap) holds all
/// 256 connections, a smaller one serves fewer (new SYNs are dropped and counted,
/// `tcp.syn_dropped_memory_limit`) instead of running out of heap.
public enum TCPSizing {
    public static func configuration(seed: UInt64, memoryBudget: Int?) -> TCPConfiguration {
        var c = TCPConfiguration(seed: seed)
        c.receiveBufferSize = 32 * 1024
        c.sendBufferSize = 64 * 1024
        let everyConnection = c.maximumConnections * (c.receiveBufferSize + c.sendBufferSize)
        c.maximumMemory = min(everyConnection, (memoryBudget ?? Int.max) / heapShareDivisor)
        return c
    }

    /// TCP buffers may use 1/heapShareDivisor of the appliance's memory budget.
    public static var heapShareDivisor: Int { 2 }
}
