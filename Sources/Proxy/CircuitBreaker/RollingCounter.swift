// A count over the last ten seconds in one-second buckets, as oxy's memmetrics.RollingCounter keeps it
// (10 buckets, 1 s resolution): a bucket is found by the second modulo ten, and buckets for seconds that
// passed without an update are zeroed before any read or write. Fixed size: ten integers.

struct RollingCounter {
    static let buckets = 10
    static let resolution: UInt64 = 1_000_000_000

    private var values = [Int](repeating: 0, count: RollingCounter.buckets)
    /// The second (monotonic) of the last update; nil before any.
    private var lastSecond: UInt64?

    mutating func increment(now: UInt64) {
        cleanup(now: now)
        let second = now / Self.resolution
        values[Int(second % UInt64(Self.buckets))] += 1
        lastSecond = second
    }

    mutating func count(now: UInt64) -> Int {
        cleanup(now: now)
        return values.reduce(0, +)
    }

    mutating func reset() {
        for i in values.indices { values[i] = 0 }
        lastSecond = nil
    }

    /// Zeroes the buckets of the seconds since the last update (at most all ten: bounded).
    private mutating func cleanup(now: UInt64) {
        guard let last = lastSecond else { return }
        let second = now / Self.resolution
        var s = second
        for _ in 0..<Self.buckets {
            guard s > last else { break }
            values[Int(s % UInt64(Self.buckets))] = 0
            s -= 1
        }
    }
}
