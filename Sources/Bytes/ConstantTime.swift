/// Comparison of secrets (passwords, authentication tags) whose time depends only on the lengths, not
/// on where the first difference is: `==` stops at the first differing byte, which lets a patient
/// client find a secret byte by byte from response times.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. Every byte of `a` is visited even when the lengths
    /// differ (a length mismatch is folded into the result, not returned early).
    public static func equals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool
        where A.Element == UInt8, B.Element == UInt8 {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        var j = b.startIndex
        for x in a {
            let y: UInt8
            if j != b.endIndex { y = b[j]; j = b.index(after: j) } else { y = ~x }
            difference |= x ^ y
        }
        return difference == 0
    }
}
