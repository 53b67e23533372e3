import Testing
import Foundation
import Bytes
@testable import HTTP

/// The status page's charts: the SVG drawing and the once-a-second history behind it.
@Suite struct StatusChartTests {
    /// True when `text` is well-formed markup in the XML sense (what an SVG needs): every element
    /// closed in order or self-closed, every attribute `name="value"`, no bare `<` or `&` in text.
    /// (Written here because swift-corelibs' XMLParser.parse() answers true for unclosed elements.)
    private func wellFormed(_ text: String) -> Bool {
        var open: [Substring] = []
        var rest = Substring(text)
        let attribute = try! Regex(#"^\s+[a-zA-Z-]+="[^"<]*""#)
        let entity = try! Regex(#"^&(lt|gt|amp|quot|#[0-9]+);"#)
        while let i = rest.firstIndex(where: { $0 == "<" || $0 == "&" }) {
            if rest[i] == "&" {
                guard let m = rest[i...].prefixMatch(of: entity) else { return false }
                rest = rest[m.range.upperBound...]
                continue
            }
            guard let close = rest[i...].firstIndex(of: ">") else { return false }
            var tag = rest[rest.index(after: i)..<close]
            rest = rest[rest.index(after: close)...]
            if tag.hasPrefix("/") {
                guard open.popLast() == tag.dropFirst() else { return false }
                continue
            }
            let selfClosing = tag.hasSuffix("/")
            if selfClosing { tag = tag.dropLast() }
            let name = tag.prefix { $0.isLetter || $0.isNumber }
            guard !name.isEmpty else { return false }
            var attributes = tag.dropFirst(name.count)
            while let m = attributes.prefixMatch(of: attribute) { attributes = attributes[m.range.upperBound...] }
            guard attributes.allSatisfy(\.isWhitespace) else { return false }
            if !selfClosing { open.append(name) }
        }
        return open.isEmpty
    }

    private func points(_ svg: [UInt8]) -> String? {
        let text = String(decoding: svg, as: UTF8.self)
        guard let start = text.range(of: "points=\""), let end = text[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(text[start.upperBound..<end])
    }

    @Test func anEmptyRingIsAnEmptyChart() {
        let svg = SVGChart.render([], slots: 300, label: "requests")
        #expect(String(decoding: svg, as: UTF8.self)
                == "<svg class=\"chart\" viewBox=\"0 0 299 100\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"requests\"></svg>")
        #expect(wellFormed(String(decoding: svg, as: UTF8.self)))
    }

    @Test func valuesAreScaledToTheLargestAndTheNewestIsAtTheRight() {
        #expect(points(SVGChart.render([0, 5, 10], slots: 3, label: "x")) == "0,100 1,50 2,0")
        // A ring not yet full starts part-way in; all zeros lie on the bottom line.
        #expect(points(SVGChart.render([0, 0], slots: 10, label: "x")) == "8,100 9,100")
        #expect(points(SVGChart.render([7], slots: 300, label: "x")) == "299,0")
        // More values than slots: the newest are drawn.
        #expect(points(SVGChart.render([1, 2, 4, 8], slots: 2, label: "x")) == "0,50 1,0")
        // No overflow at the top of the range.
        #expect(points(SVGChart.render([UInt64.max, UInt64.max / 2, 0], slots: 3, label: "x")) == "0,0 1,50 2,100")
    }

    @Test func theChartIsWellFormedAndItsLabelEscaped() {
        let text = String(decoding: SVGChart.render([3, 1, 2], slots: 5, label: "a<b & \"c\""), as: UTF8.self)
        #expect(wellFormed(text))
        #expect(text.contains("aria-label=\"a&lt;b &amp; &quot;c&quot;\""))
        // The check can fail.
        for bad in ["<svg><polyline></svg>", "<svg>", "<svg a=1></svg>", "<svg>a<b</svg>", "<svg>&</svg>"] {
            #expect(!wellFormed(bad), "\(bad)")
        }
    }

    @Test func theStatusPageDrawsTheLastSecondsOfRequests() throws {
        let h = Harness()
        let browser = "Accept: text/html\r\n"
        // Second 0: 2 requests; second 1: 5; seconds 2 and 3: no pass at all; second 4: 1.
        for (n, wait) in [(2, 1), (5, 3), (1, 1)] as [(Int, UInt64)] {
            for _ in 0..<n { _ = h.exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\n") }
            h.advance(.seconds(wait))
        }
        let html = try #require(h.exchange("GET /factory/etc HTTP/1.1\r\nHost: x\r\n\(browser)\r\n"))
        let page = html.text
        #expect(page.components(separatedBy: "<svg class=\"chart\"").count - 1 == StatusHistory.charts.count)
        // Seconds 0..4 end with 2, 7, 7, 7, 8 requests received: 5, 0, 0, 1 per second.
        #expect(page.contains("requests / s: now 1, peak 5</figcaption>"))
        #expect(page.contains("<b>1</b>requests / s now"))
        #expect(page.contains("points=\"296,0 297,100 298,100 299,80\""))
        #expect(page.contains("connections open: now 0, peak 0</figcaption>"))
        // The whole page parses as XML too: every element closed, every attribute quoted.
        let body = try #require(page.range(of: "<body>")).lowerBound
        let end = try #require(page.range(of: "</body>")).upperBound
        #expect(wellFormed(String(page[body..<end]).replacingOccurrences(of: "&nbsp;", with: " ")))
    }
}
