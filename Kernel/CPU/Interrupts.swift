import KernelSupport

/// The interrupt descriptor table and the dispatch of every vector.
///
/// Interrupt safety: the main loop runs with interrupts disabled and enables them only inside
/// `cpu_wait_for_interrupt` (sti; hlt; cli), so a device interrupt can only arrive while the CPU is
/// halted, never in the middle of Swift code. Handlers only acknowledge and note work (see
/// `pendingVectors`); all protocol work happens in the main loop, so no locks exist anywhere. The
/// kernel is additionally built with -mno-red-zone, so even a synchronous exception (which can happen
/// anywhere) cannot clobber a leaf function's scratch area below %rsp.
enum Interrupts {
    static let firstDeviceVector: UInt64 = 32
    static let timerVector: UInt64 = 32
    static let spuriousVector: UInt64 = 0xFF

    /// One 16-byte gate per vector, in BSS (no heap needed this early).
    private static let gateCount = 256

    nonisolated(unsafe) private static var table = UnsafeMutableRawPointer(bitPattern: 0)

    /// Device handlers by vector (index 0 = vector 32). Fixed size: filled at boot, never resized, so the
    /// interrupt path never allocates.
    nonisolated(unsafe) static var handlers: [(() -> Void)?] = []

    /// Vectors that fired since the main loop last looked (bit i = vector 32+i, for i < 64).
    nonisolated(unsafe) static var pendingVectors: UInt64 = 0

    /// Counts of interrupts taken, by class (for /factory/etc and loglevel=debug).
    nonisolated(unsafe) static var deviceInterrupts: UInt64 = 0
    nonisolated(unsafe) static var spuriousInterrupts: UInt64 = 0

    static func install() {
        let bytes = gateCount * 16
        guard let base = Heap.allocate(size: bytes, alignment: 16) else { Panic.halt("cannot allocate the IDT") }
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        for v in 0..<gateCount {
                    let address = UInt64(isr_stub_address(UInt32(v)))
                    let gate = base + v * 16
                    gate.storeBytes(of: UInt16(truncatingIfNeeded: address), toByteOffset: 0, as: UInt16.self)
                    gate.storeBytes(of: UInt16(0x08), toByteOffset: 2, as: UInt16.self)    // kernel code segment
                    gate.storeBytes(of: UInt8(0), toByteOffset: 4, as: UInt8.self)        // no IST
                    gate.storeBytes(of: UInt8(0x8E), toByteOffset: 5, as: UInt8.self)     // present, ring 0, interrupt gate
                    gate.storeBytes(of: UInt16(truncatingIfNeeded: address >> 16), toByteOffset: 6, as: UInt16.self)
                    gate.storeBytes(of: UInt32(truncatingIfNeeded: address >> 32), toByteOffset: 8, as: UInt32.self)
        }
        table = base
        handlers = [(() -> Void)?](repeating: nil, count: gateCount - Int(firstDeviceVector))
        cpu_load_idt(base, UInt16(bytes - 1))
    }

    /// Routes `vector` (>= 32) to `handler`, which runs with interrupts off and must only note work.
    static func register(vector: UInt64, _ handler: @escaping () -> Void) {
        handlers[Int(vector - firstDeviceVector)] = handler
    }

    /// Vectors `pendingVectors` can flag: 32 ... 95.
    static let lastTrackedVector: UInt64 = firstDeviceVector + 63
    nonisolated(unsafe) private static var nextDeviceVector: UInt64 = timerVector + 1

    /// A fresh device vector (above the timer's) routed to `handler`, or nil when all trackable vectors
    /// are taken. Drivers call this at attach time, before any interrupt can fire.
    static func allocate(_ handler: @escaping () -> Void) -> UInt64? {
        guard nextDeviceVector <= lastTrackedVector else { return nil }
        let vector = nextDeviceVector
        nextDeviceVector += 1
        register(vector: vector, handler)
        return vector
    }

    /// Takes and clears the set of device vectors that fired.
    static func takePending() -> UInt64 {
        let p = pendingVectors
        pendingVectors = 0
        return p
    }
}

/// Saved CPU state of an interrupted context, as isr.S lays it out.
struct InterruptFrame {
    let words: UnsafeMutablePointer<UInt64>

    var vector: UInt64 { words[15] }
    var errorCode: UInt64 { words[16] }
    var rip: UInt64 {
        get { words[17] }
        nonmutating set { words[17] = newValue }
    }
    var cs: UInt64 { words[18] }
    var rflags: UInt64 { words[19] }
    var rsp: UInt64 { words[20] }

    /// General registers in the order a panic report prints them.
    static let registerNames: [StaticString] = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
                                                "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
    /// Frame word index of each register in `registerNames`.
    static let registerSlots = [14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]
}

@_cdecl("kernel_interrupt")
func kernelInterrupt(_ words: UnsafeMutablePointer<UInt64>) {
    let frame = InterruptFrame(words: words)
    let vector = frame.vector
    if vector < Interrupts.firstDeviceVector {
        if vector == Profiler.nmiVector && Profiler.running { Profiler.sample(rip: frame.rip); return }
        Exceptions.handle(frame)
        return
    }
    if vector == Interrupts.spuriousVector {
        Interrupts.spuriousInterrupts &+= 1      // spurious: no EOI, by the APIC's rules
        return
    }
    Interrupts.deviceInterrupts &+= 1
    let index = vector - Interrupts.firstDeviceVector
    if index < 64 { Interrupts.pendingVectors |= 1 << index }
    if let handler = Interrupts.handlers[Int(index)] { handler() }
    LocalAPIC.endOfInterrupt()
}
