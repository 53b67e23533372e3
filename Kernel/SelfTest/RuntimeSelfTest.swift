/// The Swift runtime pieces the stack leans on: Dictionary and Set (hashing with a boot-time seed, and
/// capacity maths that uses Double — i.e. the soft-float helpers in Boot/softfloat.c), String building,
/// sorting, class instances and their release.
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
    }
}
