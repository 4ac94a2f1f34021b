// The token bucket of Traefik's rateLimit: golang.org/x/time/rate's Limiter as Traefik drives it
// (pkg/middlewares/ratelimiter/in_memory_limiter.go): Reserve() one token, and Cancel() the reservation
// at once when its delay is longer than the limiter will wait. Single-threaded, so the cancel always
// restores exactly the token just taken (rate.Reservation.CancelAt with no reservation in between).

/// One source's bucket: `burst` tokens at most, refilled at `rate` tokens per second.
struct TokenBucket {
    /// Tokens per second; `.infinity` never limits (Traefik's average 0, rate.Inf).
    let rate: Double
    let burst: Double
    private(set) var tokens: Double
    /// When `tokens` was last brought up to date (loop nanoseconds).
    private(set) var last: UInt64

    /// A new bucket is full, as rate.NewLimiter's first reservation finds it.
    init(rate: Double, burst: Int64, now: UInt64) {
        self.rate = rate
        self.burst = Double(burst)
        tokens = Double(burst)
        last = now
    }

    /// Takes one token. Returns how long the request must wait for it, in nanoseconds (0 = at once); when
    /// that is longer than `maxDelay` the token is given back (the request will be refused) — the delay
    /// is still returned, for Retry-After.
    mutating func reserve(now: UInt64, maxDelay: Int64) -> Int64 {
        guard rate.isFinite else { return 0 }
        // rate.Limiter.advance: tokens earned since `last`, capped at burst; a clock going back earns none.
        let elapsed = now > last ? Double(now - last) / 1e9 : 0
        tokens = min(burst, tokens + elapsed * rate)
        last = max(last, now)
        tokens -= 1
        guard tokens < 0 else { return 0 }
        // durationFromTokens: time.Duration(float64(time.Second) * seconds), truncated to nanoseconds.
        let delay = Int64(1e9 * (-tokens / rate))
        if delay > maxDelay { tokens += 1 }  // Reservation.Cancel
        return delay
    }
}

/// Go's time.Duration.String for the X-Retry-In header: "1.5s", "333.333333ms", "2m0.5s", "0s".
enum GoDuration {
    static func string(nanoseconds d: Int64) -> String {
        if d == 0 { return "0s" }
        let negative = d < 0
        var u = d.magnitude
        var text: String
        if u < 1_000_000_000 {
            // Under a second: the largest of ns, µs, ms that keeps an integer part.
            let (unit, scale): (String, UInt64) = u < 1_000 ? ("ns", 1) : u < 1_000_000 ? ("µs", 1_000) : ("ms", 1_000_000)
            text = fraction(u, scale) + unit
        } else {
            text = fraction(u % 60_000_000_000, 1_000_000_000) + "s"
            u /= 60_000_000_000
            if u > 0 {
                text = "\(u % 60)m" + text
                u /= 60
                if u > 0 { text = "\(u)h" + text }
            }
        }
        return negative ? "-" + text : text
    }

    /// `value / scale` with its fractional digits, trailing zeros dropped (Go's fmtFrac).
    private static func fraction(_ value: UInt64, _ scale: UInt64) -> String {
        let whole = value / scale
        var rest = value % scale
        guard rest > 0 else { return "\(whole)" }
        var digits = ""
        var s = scale / 10
        while s > 0 && rest > 0 {
            digits += "\(rest / s)"
            rest %= s
            s /= 10
        }
        return "\(whole).\(digits)"
    }
}
