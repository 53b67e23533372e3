import Testing
import TCP
@testable import Appliance

/// The appliance's TCP sizing: every connection TCP allows must fit in buffer memory when the heap is
/// large enough, and a small heap bounds TCP to its share instead of letting connections exhaust it.
@Suite struct TCPSizingTests {
    @Test func withoutABudgetEveryConnectionFits() {
        let c = TCPSizing.configuration(seed: 1, memoryBudget: nil)
        #expect(c.maximumMemory / (c.sendBufferSize + c.receiveBufferSize) == c.maximumConnections)
        #expect(c.maximumConnections >= 256)
    }

    @Test func aSixtyFourMiBMachineHoldsEveryConnection() {
        // -m 64M leaves a heap of about 62 MiB; 56 MiB is a margin for a bigger kernel or other users.
        let c = TCPSizing.configuration(seed: 1, memoryBudget: 56 << 20)
        #expect(c.maximumMemory / (c.sendBufferSize + c.receiveBufferSize) >= 256)
    }

    /// -m 16M leaves a heap of about 14 MiB: every connection fits at its initial buffer sizes (issue
    /// 16: 256 idle or slow connections beside normal service), where whole 96 KiB buffers fit 74.
    @Test func aSixteenMiBMachineHoldsEveryConnectionAtItsInitialSize() {
        let c = TCPSizing.configuration(seed: 1, memoryBudget: 14 << 20)
        let initial = min(c.initialSendBufferSize, c.sendBufferSize) + min(c.initialReceiveBufferSize, c.receiveBufferSize)
        #expect(c.maximumMemory / initial >= c.maximumConnections)
    }

    @Test func aSmallHeapBoundsTCPToItsShare() {
        let budget = 8 << 20
        let c = TCPSizing.configuration(seed: 1, memoryBudget: budget)
        #expect(c.maximumMemory == budget / TCPSizing.heapShareDivisor)
        #expect(c.maximumMemory / (c.sendBufferSize + c.receiveBufferSize) < c.maximumConnections)
    }
}
