// Traefik's `rateLimit` middleware (pkg/middlewares/ratelimiter/rate_limiter.go, in_memory_limiter.go):
// a token bucket per source. A request that finds a token goes on at once; one whose token comes within
// maxDelay waits for it — held on a loop timer here, where Traefik's goroutine sleeps — and one that would
// wait longer is answered 429 with Retry-After and X-Retry-In.
import Config
import Reactor

final class RateLimitMiddleware: HTTPMiddleware, SourceLimitFigures {
    let name: String
    let type = "rateLimit"
    /// Tokens per second: average / period (Traefik's rtl); infinity when average is 0.
    let rate: Double
    let burst: Int64
    /// The longest wait a request is held for instead of refused, in nanoseconds.
    let maxDelay: Int64
    let source: RequestSource
    private var buckets: BoundedSourceTable<TokenBucket>
    private(set) var rejected: UInt64 = 0
    private(set) var delayed: UInt64 = 0
    /// Traefik's maxSources: the ttlmap's capacity.
    static let capacity = 65536
    /// Monotonic nanoseconds (a test passes its own).
    private let clock: () -> UInt64

    init(name: String, config: TraefikRateLimit, clock: @escaping () -> UInt64 = monotonicNanos) {
        self.name = name
        let average = config.average
        let period = max(config.period.nanoseconds, 1)
        rate = average > 0 ? Double(average * 1_000_000_000) / Double(period) : .infinity
        burst = max(config.burst, 1)
        // "maxDelay is somewhat arbitrarily set to 1/(2*rate)", capped to 0.5 s below one request a second;
        // Go divides durations as integers, with the rate truncated (time.Duration(rtl)).
        if !rate.isFinite {
            maxDelay = 0
        } else if rate < 1 {
            maxDelay = 500_000_000
        } else {
            maxDelay = 1_000_000_000 / (Int64(rate) * 2)
        }
        // The ttl: a second more than the time between requests at the limit, at least 2 s.
        let ttl: UInt64 = rate >= 1 ? 2 : 1 + UInt64(1 / rate)
        buckets = BoundedSourceTable(capacity: Self.capacity, ttl: ttl)
        source = RequestSource(config.source)
        self.clock = clock
    }

    var sources: Int { buckets.count }
    var evictions: UInt64 { buckets.evictions }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        let key = source.key(of: request)
        let now = clock()
        var bucket = buckets.value(for: key, now: now) ?? TokenBucket(rate: rate, burst: burst, now: now)
        let delay = bucket.reserve(now: now, maxDelay: maxDelay)
        buckets.set(key, bucket, now: now)
        if delay > maxDelay {
            rejected &+= 1
            return Self.tooManyRequests(delay: delay)
        }
        if delay > 0 {
            delayed &+= 1
            forward.holdFor = UInt64(delay)
        }
        return nil
    }

    /// serveDelayError: Retry-After in whole seconds rounded up ("%.0f" of math.Ceil), X-Retry-In as Go
    /// prints the delay, the status text as the body — no Content-Type (Traefik turns sniffing off).
    static func tooManyRequests(delay: Int64) -> LocalResponse {
        let seconds = (Double(delay) / 1e9).rounded(.up)
        return LocalResponse(status: 429, fields: [("Retry-After", String(Int64(seconds))),
                                                   ("X-Retry-In", GoDuration.string(nanoseconds: delay))],
                             body: Array("Too Many Requests".utf8))
    }
}
