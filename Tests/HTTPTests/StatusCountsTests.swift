import Testing
import Bytes
@testable import HTTP

@Suite struct StatusCountsTests {
    @Test func countsByCodeAndRendersOneSeriesPerCodeSeen() {
        var counters = HTTPCounters()
        for code in [200, 404, 200, 599, 100, 99, 600, 999] { counters.byStatus.count(code) }
        #expect(counters.byStatus[200] == 2 && counters.byStatus[404] == 1 && counters.byStatus[301] == 0)
        #expect(counters.byStatus.codes == [100, 200, 404, 599])
        #expect(counters.byStatus.otherCodes == 3)
        let lines = counters.metrics.lines.filter { $0.hasPrefix("http.requests{") }
        #expect(lines == ["http.requests{code=100} 1", "http.requests{code=200} 2", "http.requests{code=404} 1",
                          "http.requests{code=599} 1", "http.requests{code=other} 3"])
    }
}
