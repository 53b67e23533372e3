import Bytes
/// The kernel's own counters for /factory/etc, /factory/metrics and loglevel=debug: memory, CPU,
/// interrupts, the console, devices.
enum KernelStatus {
    static var metrics: Metrics {
        let h = Heap.stats
        var m = Metrics()
        m.gauge("memory.ram_mib", UInt64(Memory.ramMiB), help: "RAM given to the machine, MiB")
        m.gauge("memory.heap_capacity_bytes", UInt64(h.capacityBytes), help: "Heap size", exportName: "heap_capacity_bytes")
        m.gauge("memory.heap_in_use_bytes", UInt64(h.bytesInUse), help: "Heap bytes allocated now", exportName: "heap_in_use_bytes")
        m.gauge("memory.heap_peak_bytes", UInt64(h.peakBytesInUse), help: "Most heap bytes allocated at once", exportName: "heap_peak_bytes")
        m.counter("memory.allocations", UInt64(h.allocations))
        m.counter("memory.frees", UInt64(h.frees))
        m.counter("memory.failed_allocations", UInt64(h.failedAllocations))
        m.counter("memory.invalid_frees", UInt64(h.invalidFrees))
        m.gauge("memory.pressure_reserve_bytes", UInt64(MemoryPressure.reserveBytes))
        m.gauge("memory.under_pressure", MemoryPressure.isUnderPressure ? 1 : 0)
        m.counter("cpu.uptime_ns", TSCClock.shared.now().nanoseconds, help: "Nanoseconds since boot")
        m.counter("cpu.idle_ns", TSCClock.nanoseconds(ticks: MainLoop.haltedTicks), help: "Nanoseconds halted")
        m.counter("cpu.loop_turns", MainLoop.turns, help: "Passes of the main loop")
        m.counter("cpu.loop_turns_pending_work", MainLoop.pendingWorkTurns, help: "Passes that went round at once: a device ring held work")
        m.counter("cpu.loop_turns_due", MainLoop.dueTurns, help: "Passes that went round at once: a deadline was already due")
        m.gauge("cpu.timer_latest_wake_us", MainLoop.latestWakeNanoseconds / 1000)
        m.counter("cpu.device_interrupts", Interrupts.deviceInterrupts)
        m.counter("cpu.spurious_interrupts", Interrupts.spuriousInterrupts)
        m.append(Console.metrics)
        if let net = Devices.network { m.append(net.counterList.metrics(prefix: "virtio_net")) }
        if let disk = Devices.disk { m.append(disk.counterList.metrics(prefix: "virtio_blk")) }
        return m
    }
}
