/// A first-in first-out queue over an array: O(1) amortised push and pop, storage reused in place
/// (the consumed prefix is dropped once it is half the array, so memory stays bounded by the peak).
public struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    public init() {}

    public var isEmpty: Bool { head == items.count }
    public var count: Int { items.count - head }

    public mutating func push(_ element: Element) { items.append(element) }

    public mutating func pop() -> Element? {
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true); head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head); head = 0
        }
        return element
    }
}
