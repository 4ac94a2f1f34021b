// Ids for `show conns` rows of raw forwards' relays.

/// Connection ids unique within the process, for `show conns`.
public final class ConnectionIDs {
    private var last: UInt64 = 0
    public init() {}
    public func next() -> UInt64 {
        last &+= 1
        return last
    }
}
