/// The heap under many sizes and alignments, reuse after free, exhaustion and recovery.
enum HeapSelfTest {
    static func run() {
        let baseline = Heap.stats.bytesInUse
        var rng: UInt64 = 0x1234_5678_9ABC_DEF1

        // Many sizes and alignments; fill each with a pattern, then verify none overlapped.
        var blocks: [(UnsafeMutableRawPointer, Int, UInt8)] = []
        blocks.reserveCapacity(600)
        var aligned = true
        for i in 0..<500 {
            rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17
            let size = i % 50 == 0 ? Int(rng % 40_000) : Int(rng % 3000)
            let alignment = 8 << Int(rng % 10)      // 8 ... 4096
            guard let p = Heap.allocate(size: size, alignment: alignment) else { SelfTest.expect(false, "heap: allocation failed"); return }
            if UInt(bitPattern: p) % UInt(alignment) != 0 { aligned = false }
            let tag = UInt8(truncatingIfNeeded: i)
            p.initializeMemory(as: UInt8.self, repeating: tag, count: size)
            blocks.append((p, size, tag))
        }
        SelfTest.expect(aligned, "heap: every block honours its alignment")
        var intact = true
        for (p, size, tag) in blocks {
            let bytes = p.assumingMemoryBound(to: UInt8.self)
            for j in 0..<size where bytes[j] != tag { intact = false; break }
        }
        SelfTest.expect(intact, "heap: no two live blocks overlap")
        for (p, _, _) in blocks { Heap.free(p) }
        blocks.removeAll()

        // Reuse: a freed block of a class comes straight back.
        let a = Heap.allocate(size: 100, alignment: 16)
        if let a { Heap.free(a) }
        let b = Heap.allocate(size: 100, alignment: 16)
        SelfTest.expect(a != nil && a == b, "heap: a freed small block is reused")
        if let b { Heap.free(b) }
        let big = Heap.allocate(size: 100_000, alignment: 4096)
        if let big { Heap.free(big) }
        let big2 = Heap.allocate(size: 100_000, alignment: 4096)
        SelfTest.expect(big != nil && big == big2, "heap: a freed page run is reused")
        if let big2 { Heap.free(big2) }

        // Exhaustion: allocate 64 KiB chunks until refused; the refusal is clean and counted, and after
        // freeing everything the whole heap is available again (free runs merged).
        let failedBefore = Heap.stats.failedAllocations
        var chunks: [UnsafeMutableRawPointer] = []
        chunks.reserveCapacity(Heap.stats.capacityBytes / 65536 + 1)
        while let p = Heap.allocate(size: 65536, alignment: 16) { chunks.append(p) }
        SelfTest.expect(Heap.stats.failedAllocations == failedBefore + 1, "heap: exhaustion is refused and counted")
        SelfTest.expect(chunks.count > 8, "heap: exhaustion came after many chunks")
        for p in chunks { Heap.free(p) }
        chunks = []
        let whole = Heap.allocate(size: Heap.stats.capacityBytes / 2, alignment: 4096)
        SelfTest.expect(whole != nil, "heap: freed runs merge back into one large run")
        if let whole { Heap.free(whole) }
        SelfTest.expect(Heap.stats.invalidFrees == 0, "heap: no invalid frees")
        SelfTest.expect(Heap.stats.bytesInUse <= baseline + 64 * 1024, "heap: usage returns to baseline")
        Log.info("selftest: heap ok (peak \(Heap.stats.peakBytesInUse / 1024) KiB of \(Heap.stats.capacityBytes / 1024) KiB)")
    }
}
