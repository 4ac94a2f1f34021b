// Histogram: latency distribution in microseconds with fixed log-scale buckets, cheap enough to record on
// every request (one leading-zero count, a shift, two adds).
//
// Bucket layout (HdrHistogram-style, 4 linear sub-buckets per power of two, so a bucket is at most 25% of
// its lower bound wide and a percentile estimate is within about 12% of the truth):
//   buckets 0...3      hold exactly 0, 1, 2, 3 µs;
//   bucket 4(e-1)+k    holds [(4+k)·2^(e-2), (5+k)·2^(e-2)) µs for e = floor(log2 v) in 2...25, k in 0...3;
//   the last bucket    holds everything from 2^26 µs (67.1 s) up: "+Inf".
// That covers 1 µs to 60 s (2^25.8 µs) with 100 finite buckets.

public final class Histogram {
    /// Number of finite buckets; index `finiteBucketCount` is the overflow bucket.
    public static let finiteBucketCount = 100
    /// Values at or above this (2^26 µs, about 67 s) land in the overflow bucket.
    public static let overflowThreshold: UInt64 = 1 << 26

    public let name: String
    public let labels: [StatsLabel]
    /// Per-bucket counts (not cumulative), `finiteBucketCount + 1` entries.
    public private(set) var buckets: [UInt64]
    public private(set) var count: UInt64 = 0
    /// Sum of all recorded values in µs (wraps at 2^64, i.e. after 584,000 years of latency).
    public private(set) var sum: UInt64 = 0
    public private(set) var min: UInt64 = .max
    public private(set) var max: UInt64 = 0

    public init(name: String, labels: [StatsLabel]) {
        self.name = name
        self.labels = labels
        buckets = Array(repeating: 0, count: Histogram.finiteBucketCount + 1)
    }

    /// Records one observation of `microseconds`.
    @inline(__always)
    public func record(microseconds: UInt64) {
        buckets[Histogram.bucketIndex(microseconds)] &+= 1
        count &+= 1
        sum &+= microseconds
        if microseconds < min { min = microseconds }
        if microseconds > max { max = microseconds }
    }

    /// Records a duration given in nanoseconds (what `clock_gettime` differences yield), rounded down to µs.
    @inline(__always)
    public func record(nanoseconds: UInt64) {
        record(microseconds: nanoseconds / 1000)
    }

    /// Adds another process's figures (a worker's `show stats` histogram: its buckets as
    /// (lower bound in µs, count)), so the supervisor reports one distribution for all workers.
    public func merge(count: UInt64, sum: UInt64, min: UInt64, max: UInt64, buckets: [(lower: UInt64, count: UInt64)]) {
        guard count > 0 else { return }
        for b in buckets { self.buckets[Histogram.bucketIndex(b.lower)] &+= b.count }
        self.count &+= count
        self.sum &+= sum
        if min < self.min { self.min = min }
        if max > self.max { self.max = max }
    }

    public func reset() {
        for index in buckets.indices { buckets[index] = 0 }
        count = 0
        sum = 0
        min = .max
        max = 0
    }

    /// The bucket a value falls in (see the layout at the top of the file).
    @inline(__always)
    public static func bucketIndex(_ microseconds: UInt64) -> Int {
        if microseconds < 4 { return Int(microseconds) }
        if microseconds >= overflowThreshold { return finiteBucketCount }
        let exponent = 63 - microseconds.leadingZeroBitCount  // 2...25
        let subBucket = Int((microseconds >> UInt64(exponent - 2)) & 3)
        return 4 * (exponent - 1) + subBucket
    }

    /// Inclusive lower bound of bucket `index` in µs.
    public static func lowerBound(ofBucket index: Int) -> UInt64 {
        if index < 4 { return UInt64(Swift.max(index, 0)) }
        if index >= finiteBucketCount { return overflowThreshold }
        let exponent = index / 4 + 1
        return UInt64(4 + index % 4) << UInt64(exponent - 2)
    }

    /// Exclusive upper bound of bucket `index` in µs; nil for the overflow bucket.
    public static func upperBound(ofBucket index: Int) -> UInt64? {
        if index >= finiteBucketCount { return nil }
        return index + 1 >= finiteBucketCount ? overflowThreshold : lowerBound(ofBucket: index + 1)
    }

    /// Estimated value (µs) below which `fraction` (0...1) of the observations fall; 0 when empty.
    /// Interpolates linearly inside the bucket holding the rank, then clamps to the observed min and max,
    /// so a histogram with one value reports that value for every percentile.
    public func percentile(_ fraction: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let clamped = fraction.isNaN ? 0.5 : Swift.min(Swift.max(fraction, 0), 1)
        // Rank of the wanted observation, 1-based: ceil(fraction * count), at least 1.
        let rank = Swift.max(UInt64((clamped * Double(count)).rounded(.up)), 1)
        var seen: UInt64 = 0
        for index in buckets.indices {
            let inBucket = buckets[index]
            if inBucket == 0 { continue }
            if seen + inBucket >= rank {
                // Values are whole µs, so the bucket's largest value is its exclusive upper bound minus one.
                let lower = Histogram.lowerBound(ofBucket: index)
                let top = Histogram.upperBound(ofBucket: index).map { $0 - 1 } ?? Swift.max(max, lower)
                let position = Double(rank - seen) / Double(inBucket)
                let estimate = Double(lower) + position * Double(top - lower)
                return Swift.min(Swift.max(UInt64(estimate), min), max)
            }
            seen += inBucket
        }
        return max
    }

    /// Mean in µs, 0 when empty.
    public var mean: Double {
        count == 0 ? 0 : Double(sum) / Double(count)
    }
}
