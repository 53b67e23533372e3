import Bytes
/// The kernel's own counters for /factory/etc and loglevel=debug: memory, interrupts, devices.
enum KernelStatus {
    static var lines: [String] {
        let h = Heap.stats
        var lines = [
            "memory.ram_mib \(Memory.ramMiB)",
            "memory.heap_capacity_bytes \(h.capacityBytes)",
            "memory.heap_in_use_bytes \(h.bytesInUse)",
            "memory.heap_peak_bytes \(h.peakBytesInUse)",
            "memory.allocations \(h.allocations)",
            "memory.frees \(h.frees)",
            "memory.failed_allocations \(h.failedAllocations)",
            "memory.invalid_frees \(h.invalidFrees)",
            "memory.pressure_reserve_bytes \(MemoryPressure.reserveBytes)",
            "memory.under_pressure \(MemoryPressure.isUnderPressure ? 1 : 0)",
            "cpu.uptime_ns \(TSCClock.shared.now().nanoseconds)",
            "cpu.idle_ns \(TSCClock.nanoseconds(ticks: MainLoop.haltedTicks))",
            "cpu.timer_latest_wake_us \(MainLoop.latestWakeNanoseconds / 1000)",
            "cpu.device_interrupts \(Interrupts.deviceInterrupts)",
            "cpu.spurious_interrupts \(Interrupts.spuriousInterrupts)",
        ]
        lines += Console.lines
        if let net = Devices.network { lines += net.counterList.lines(prefix: "virtio_net") }
        if let disk = Devices.disk { lines += disk.counterList.lines(prefix: "virtio_blk") }
        return lines
    }
}
