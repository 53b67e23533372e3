import KernelSupport

/// The Swift runtime pieces the stack leans on: Dictionary and Set (hashing with a boot-time seed, and
/// capacity maths that uses Double — i.e. the soft-float helpers in Boot/softfloat.c), String building,
/// sorting, class instances and their release; and Boot/runtime.c's memcpy, memmove and memset.
enum RuntimeSelfTest {
    final class Tracked {
        nonisolated(unsafe) static var live = 0
        let value: Int
        init(_ value: Int) { self.value = value; Tracked.live += 1 }
        deinit { Tracked.live -= 1 }
    }

    static func run() {
        var squares: [Int: Int] = [:]
        for i in 0..<2000 { squares[i] = i &* i }
        for i in stride(from: 0, to: 2000, by: 3) { squares.removeValue(forKey: i) }
        SelfTest.expect(squares.count == 1333 && squares[7] == 49 && squares[9] == nil, "runtime: Dictionary grows, shrinks, looks up")

        var seen = Set<UInt32>()
        for i in 0..<500 { seen.insert(UInt32(i % 250)) }
        SelfTest.expect(seen.count == 250, "runtime: Set deduplicates")

        var numbers = [5, 3, 9, 1, 7]
        numbers.sort()
        let text = "sorted \(numbers[0])...\(numbers[4]) of \(numbers.count)"
        // Compared as bytes: String == would pull Unicode normalisation tables into the kernel.
        SelfTest.expect(Array(text.utf8) == Array("sorted 1...9 of 5".utf8), "runtime: sorting and interpolation")

        let before = Tracked.live
        do {
            var objects: [Tracked] = []
            for i in 0..<100 { objects.append(Tracked(i)) }
            SelfTest.expect(Tracked.live == before + 100 && objects[42].value == 42, "runtime: class instances")
        }
        SelfTest.expect(Tracked.live == before, "runtime: instances are released")
        SelfTest.expect(memoryPrimitivesAgree(), "runtime: memcpy, memmove and memset match byte-by-byte loops")
    }

    /// Every length class of the 64-byte/8-byte/byte loops at every small offset, overlapping both
    /// ways, against byte-at-a-time references.
    static func memoryPrimitivesAgree() -> Bool {
        let size = 1024
        let real = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        let reference = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        defer { real.deallocate(); reference.deallocate() }
        func reset() {
            for i in 0..<size { real[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 3); reference[i] = real[i] }
        }
        func same() -> Bool {
            for i in 0..<size where real[i] != reference[i] { return false }
            return true
        }
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 127, 200, 333] {
            for source in 0..<9 {
                for destination in 0..<9 {
                    reset()
                    _ = memmove(real + destination, real + source, length)
                    if destination <= source {
                        for i in 0..<length { reference[destination + i] = reference[source + i] }
                    } else {
                        for i in stride(from: length - 1, through: 0, by: -1) { reference[destination + i] = reference[source + i] }
                    }
                    guard same() else { return false }
                    reset()
                    _ = memcpy(real + 512 + destination, real + source, length)
                    for i in 0..<length { reference[512 + destination + i] = reference[source + i] }
                    guard same() else { return false }
                    reset()
                    _ = memset(real + destination, 0xA5, length)
                    for i in 0..<length { reference[destination + i] = 0xA5 }
                    guard same() else { return false }
                }
            }
        }
        return true
    }
}
