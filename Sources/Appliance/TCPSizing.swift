import TCP

/// TCP sized for an HTTP appliance. A connection's buffers start at 8 KiB each way and grow only while
/// it moves data (TCP's autotuning, Connection+BufferTuning), so idle and slow connections cost 16 KiB
/// each: at -m 16M all 256 fit at their initial sizes in TCP's share. That lets more hoarders in than
/// whole buffers did; what keeps their reconnections (each answered 405 and closed) from taking the CPU
/// is TCP's per-address rate of new connections once the table is contended (SourceRateLimiter).
///
/// They grow to at most 64 KiB to send, 32 KiB to receive. Responses are what an HTTP appliance sends: the send buffer
/// bounds the data in flight, and the 1 MiB benchmark download went from 65 to 81 MB/s when it grew
/// past 64 KiB (Scripts/bench, docs/bench-results.md). Requests are small (the parser caps a request
/// head at 16 KiB), but measured against Linux over a 20 ms round trip (Tests/VM/tcp_linux_test.sh) a
/// 16 KiB receive window kept Linux's sender window-limited more than half the time (0.54 MB/s), so
/// uploads from a distant client would crawl; 32 KiB roughly doubles that. All
/// `maximumConnections` (256) grown to their largest hold buffers in 24 MiB.
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
        c.initialReceiveBufferSize = 8 * 1024
        c.initialSendBufferSize = 8 * 1024
        let everyConnection = c.maximumConnections * (c.receiveBufferSize + c.sendBufferSize)
        c.maximumMemory = min(everyConnection, (memoryBudget ?? Int.max) / heapShareDivisor)
        return c
    }

    /// TCP buffers may use 1/heapShareDivisor of the appliance's memory budget.
    public static var heapShareDivisor: Int { 2 }
}
