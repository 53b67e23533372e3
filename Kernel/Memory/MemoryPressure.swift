/// When the heap is too full to take on more work. An allocation the Swift runtime makes cannot fail
/// gracefully (Heap.swift: it panics), so the appliance must stop *growing* well before the heap is
/// exhausted: while this holds, TCP drops new SYNs (`tcp.syn_dropped_memory_pressure`) and the
/// connections already open keep the headroom to finish, then free their buffers; clients retry their
/// SYN and get in once memory is back. Consulted per new connection, so it is O(1).
enum MemoryPressure {
    /// Free heap below which new connections are refused: an eighth of the heap, at least 1 MiB. It
    /// must cover what open connections may still allocate (response chunks, parser buffers, timers'
    /// bookkeeping) plus the runtime's own needs; a new connection's buffers (128 KiB with the default
    /// TCP configuration) come out of the rest.
    static var reserveBytes: Int { Swift.max(Heap.stats.capacityBytes / 8, 1 << 20) }

    static var isUnderPressure: Bool {
        Heap.stats.capacityBytes - Heap.stats.bytesInUse < reserveBytes
    }
}
