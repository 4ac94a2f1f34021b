// Latencies for LatencyAtQuantileMS, kept as oxy keeps them (memmetrics.RollingHDRHistogram): six HDR
// histograms of microseconds from 1 µs to one hour with two significant figures, the current one replaced
// every ten seconds (so the last 50–60 s count), merged to answer a quantile. The bucket layout and the
// quantile walk are HdrHistogram's (codahale/hdrhistogram, which oxy uses): 256 sub-buckets (2 × 10^2
// rounded up to a power of two), 25 buckets up to 3.6 × 10^9 µs, 3,328 counters per histogram. Fixed size:
// 6 × 3,328 counters (78 KiB), made only when the expression uses LatencyAtQuantileMS.

struct LatencyHistogram {
    static let subBucketHalfCountMagnitude = 7
    static let subBucketHalfCount = 128
    static let subBucketMask: UInt64 = 255
    static let countsLength = 26 * 128
    static let histograms = 6
    static let period: UInt64 = 10_000_000_000

    private var counts = [UInt32](repeating: 0, count: LatencyHistogram.histograms * LatencyHistogram.countsLength)
    private var current = 0
    /// When the current histogram was started; nil: never (the first record starts one, as oxy's zero time).
    private var lastRoll: UInt64?

    /// Records one latency in microseconds; values past an hour are dropped (HdrHistogram's range error).
    mutating func record(micros: UInt64, now: UInt64) {
        if lastRoll.map({ now &- $0 >= Self.period }) ?? true {
            current = (current + 1) % Self.histograms
            let base = current * Self.countsLength
            for i in base..<base + Self.countsLength { counts[i] = 0 }
            lastRoll = now
        }
        let index = Self.countsIndex(micros)
        guard index < Self.countsLength else { return }
        counts[current * Self.countsLength + index] &+= 1
    }

    mutating func reset(now: UInt64) {
        for i in counts.indices { counts[i] = 0 }
        current = 0
        lastRoll = now
    }

    /// HdrHistogram's ValueAtQuantile over the six merged: `quantile` in percent (capped at 100); the highest
    /// value equivalent to the first counter at which the running count reaches the quantile's share.
    func value(atQuantile quantile: Double) -> UInt64 {
        var merged = [UInt64](repeating: 0, count: Self.countsLength)
        var total: UInt64 = 0
        for h in 0..<Self.histograms {
            for i in 0..<Self.countsLength {
                merged[i] += UInt64(counts[h * Self.countsLength + i])
            }
        }
        for c in merged { total += c }
        guard total > 0 else { return 0 }
        let target = UInt64((min(quantile, 100) / 100) * Double(total) + 0.5)
        var running: UInt64 = 0
        for i in 0..<Self.countsLength {
            running += merged[i]
            if running >= target { return Self.highestEquivalent(Self.value(atIndex: i)) }
        }
        return 0
    }

    static func bucketIndex(_ v: UInt64) -> Int {
        (64 - (v | subBucketMask).leadingZeroBitCount) - (subBucketHalfCountMagnitude + 1)
    }

    static func countsIndex(_ v: UInt64) -> Int {
        let bucket = bucketIndex(v)
        let sub = Int(v >> UInt64(bucket))
        return ((bucket + 1) << subBucketHalfCountMagnitude) + (sub - subBucketHalfCount)
    }

    static func value(atIndex index: Int) -> UInt64 {
        var bucket = (index >> subBucketHalfCountMagnitude) - 1
        var sub = (index & (subBucketHalfCount - 1)) + subBucketHalfCount
        if bucket < 0 {
            sub -= subBucketHalfCount
            bucket = 0
        }
        return UInt64(sub) << UInt64(bucket)
    }

    static func highestEquivalent(_ v: UInt64) -> UInt64 {
        let bucket = bucketIndex(v)
        let sub = Int(v >> UInt64(bucket))
        let lowest = UInt64(sub) << UInt64(bucket)
        let size: UInt64 = 1 << UInt64(sub >= 2 * subBucketHalfCount ? bucket + 1 : bucket)
        return lowest + size - 1
    }
}
