// What a circuit breaker's expression reads: oxy's memmetrics.RTMetrics for one router's breaker. Every
// request that passed the breaker is recorded with its status and latency: a network error is a 502 or 504
// (the answers Traefik's proxy gives for an unreachable or silent backend, and the same codes from the
// backend itself), each status has its own rolling count. Bounded: the counters are ten integers each, one
// per distinct status (at most 900), and the latency histogram is fixed-size.
import Config

struct BreakerMetrics {
    private var total = RollingCounter()
    private var networkErrors = RollingCounter()
    private var statuses: [Int: RollingCounter] = [:]
    private var latencies: LatencyHistogram?

    init(keepsLatencies: Bool) {
        latencies = keepsLatencies ? LatencyHistogram() : nil
    }

    mutating func record(status: Int, latencyNanos: UInt64, now: UInt64) {
        total.increment(now: now)
        if status == 502 || status == 504 { networkErrors.increment(now: now) }
        if (100...999).contains(status) { statuses[status, default: RollingCounter()].increment(now: now) }
        latencies?.record(micros: latencyNanos / 1000, now: now)
    }

    mutating func reset(now: UInt64) {
        total.reset()
        networkErrors.reset()
        statuses = [:]
        latencies?.reset(now: now)
    }

    /// The metric's value as oxy computes it (LatencyAtQuantileMS in whole milliseconds).
    mutating func value(_ metric: CircuitBreakerExpression.Metric, now: UInt64) -> Double {
        switch metric {
        case .networkErrorRatio:
            let all = total.count(now: now)
            return all == 0 ? 0 : Double(networkErrors.count(now: now)) / Double(all)
        case .responseCodeRatio(let fromA, let toA, let fromB, let toB):
            var a = 0, b = 0
            for code in Array(statuses.keys) {
                let n = statuses[code]!.count(now: now)
                if code >= fromA && code < toA { a += n }
                if code >= fromB && code < toB { b += n }
            }
            return b == 0 ? 0 : Double(a) / Double(b)
        case .latencyAtQuantileMS(let q):
            return Double((latencies?.value(atQuantile: q) ?? 0) / 1000)
        }
    }
}
