/// Request content held by every connection together (`HTTPConfiguration.bodyBudget`): charged as
/// content arrives, never from what a client announces, and released when the handler has had it or
/// the connection goes. Connections feed content to their parser no faster than `available`, so
/// `inUse` never exceeds `limit`.
public struct BodyBudget {
    public internal(set) var limit: Int
    public private(set) var inUse = 0
    public private(set) var peak = 0

    public init(limit: Int) { self.limit = limit }

    public var available: Int { max(limit - inUse, 0) }

    mutating func charge(_ bytes: Int) {
        inUse += bytes
        peak = max(peak, inUse)
    }

    mutating func release(_ bytes: Int) { inUse -= bytes }
}
