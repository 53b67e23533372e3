import HTTP

/// HTTP sized for the appliance's memory. Request content is held only for routes that take it and is
/// charged as it arrives (never from what a client announces); all connections' content together may
/// use 1/bodyShareDivisor of the heap: 1.8 MiB with `-m 16M`, 7.7 MiB with `-m 64M`, enough for one
/// maximal (1 MiB) body even on the small machine, beside TCP's half.
public enum HTTPSizing {
    public static func configuration(memoryBudget: Int?) -> HTTPConfiguration {
        var c = HTTPConfiguration()
        if let memoryBudget { c.bodyBudget = memoryBudget / bodyShareDivisor }
        return c
    }

    /// Request content may use 1/bodyShareDivisor of the appliance's memory budget.
    public static var bodyShareDivisor: Int { 8 }
}
