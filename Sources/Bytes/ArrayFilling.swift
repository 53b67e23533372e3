extension Array where Element == UInt8 {
    /// Lets `fill` write up to `run` bytes at the end of the array and keeps as many as it says it wrote:
    /// how an in-memory stand-in for a send buffer offers `send(upTo:fill:)`. Returns that count.
    public mutating func append(upTo run: Int, filling fill: (MutableByteView) -> Int) -> Int {
        guard run > 0 else { return 0 }
        let start = count
        append(contentsOf: repeatElement(0, count: run))
        let n = withUnsafeMutableBytes { fill(MutableByteView(UnsafeMutableRawBufferPointer(rebasing: $0[start...]))) }
        precondition(n >= 0 && n <= run, "fill wrote beyond its run")
        removeLast(run - n)
        return n
    }
}
