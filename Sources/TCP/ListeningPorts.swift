/// Which slot listens on which port. A handful of listeners at most (`maximumListeners`, 16), so a
/// scan of one array answers as fast as hashing would, and a Dictionary keyed by port would cost the
/// image about 2.3 KB of its own specialised hash-table code.
struct ListeningPorts {
    /// One entry per listener: its slot index shifted left by 16, its port below.
    private var entries: [Int] = []

    /// The listening slot of `port`, or nil; assigning nil stops listening there.
    subscript(port: UInt16) -> Int? {
        get {
            for entry in entries where UInt16(truncatingIfNeeded: entry) == port { return entry >> 16 }
            return nil
        }
        set {
            if let index = entries.firstIndex(where: { UInt16(truncatingIfNeeded: $0) == port }) {
                entries.remove(at: index)
            }
            if let slot = newValue { entries.append(slot << 16 | Int(port)) }
        }
    }
}
