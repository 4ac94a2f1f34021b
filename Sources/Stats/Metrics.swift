// Counter and Gauge: the hot-path handles a component gets from `StatsRegistry` once (at start or config
// load) and then updates directly, with no lookup, lock or allocation. stoep is single-threaded, so a
// plain stored property is the whole implementation; the handles are not Sendable on purpose.

/// One label of a metric series, e.g. ("router", "web") or ("forward", "fw1").
public struct StatsLabel: Equatable, Hashable, Sendable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// A monotonically increasing count (requests, bytes, errors). Wraps at 2^64 rather than trapping.
public final class Counter {
    public let name: String
    public let labels: [StatsLabel]
    public var value: UInt64 = 0

    init(name: String, labels: [StatsLabel]) {
        self.name = name
        self.labels = labels
    }

    @inline(__always)
    public func add(_ amount: UInt64 = 1) {
        value &+= amount
    }

    @inline(__always)
    public func increment() {
        value &+= 1
    }
}

/// A value that goes up and down (open connections, cache entries, backends up).
public final class Gauge {
    public let name: String
    public let labels: [StatsLabel]
    public var value: Int64 = 0

    init(name: String, labels: [StatsLabel]) {
        self.name = name
        self.labels = labels
    }

    @inline(__always)
    public func set(_ newValue: Int64) {
        value = newValue
    }

    @inline(__always)
    public func add(_ delta: Int64) {
        value &+= delta
    }

    @inline(__always)
    public func increment() {
        value &+= 1
    }

    @inline(__always)
    public func decrement() {
        value &-= 1
    }
}
