/// Stop requests an interrupt handler counts and the main loop takes one at a time (the power button,
/// Ctrl-Alt-Del). Interrupts arrive only while the main loop halts, so no races.
struct StopRequests {
    private(set) var seen: UInt64 = 0
    private var taken: UInt64 = 0

    /// In the handler: one more request.
    mutating func note() { seen &+= 1 }

    /// True once per request the main loop has not yet taken.
    mutating func take() -> Bool {
        guard taken < seen else { return false }
        taken += 1
        return true
    }
}
