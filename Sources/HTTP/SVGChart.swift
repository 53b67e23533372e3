import Bytes

/// A small line chart as inline SVG, drawn by the server so the status page needs no script and no
/// external resource. The x axis is one unit per second of `slots` (the newest value at the right
/// edge, so a ring that is not yet full starts part-way in); the y axis runs from 0 at the bottom to
/// the largest value at the top. The browser stretches the view box to the box CSS gives it.
enum SVGChart {
    /// View box height: the resolution of the y axis.
    static let height: UInt64 = 100

    /// `values` oldest first, at most `slots` of them; `label` names the chart for screen readers.
    static func render(_ values: [UInt64], slots: Int, label: String) -> [UInt8] {
        let width = Swift.max(slots - 1, 1)
        var out: [UInt8] = Array("<svg class=\"chart\" viewBox=\"0 0 ".utf8)   // inline in HTML: no xmlns needed
        out.putDecimal(UInt64(width)); out.put(UInt8(ascii: " ")); out.putDecimal(height)
        out += "\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"".utf8
        out += HTML.escape(label).utf8
        out += "\">".utf8
        let shown = values.suffix(Swift.max(slots, 0))
        if !shown.isEmpty {
            let top = Swift.max(shown.max() ?? 1, 1)
            out += "<polyline points=\"".utf8
            var x = UInt64(width - (shown.count - 1))
            for v in shown {
                out.putDecimal(x); out.put(UInt8(ascii: ","))
                out.putDecimal(height - scaled(v, top: top))
                out.put(UInt8(ascii: " "))
                x += 1
            }
            out.removeLast()
            out += "\"/>".utf8
        }
        out += "</svg>".utf8
        return out
    }

    /// `value` in 0...height for 0...top, without overflowing for any value.
    static func scaled(_ value: UInt64, top: UInt64) -> UInt64 {
        let v = Swift.min(value, top)
        return top > UInt64.max / height ? v / (top / height) : v * height / top
    }
}
