// Traefik's `retry` middleware (pkg/middlewares/retry/retry.go). What Traefik retries: an attempt whose
// request never reached the server — the connection (or its TLS handshake) failed before the request
// headers were written (its httptrace WroteHeaders never fired). A request that was written and then
// failed is answered 502/504 at once, and nothing is retried once the response began. Between attempts
// Traefik waits as cenkalti/backoff's ExponentialBackOff: initialInterval growing by 2^(1/(attempts-1)),
// each wait randomised by ±50%. Here the request is held on a loop timer for that wait, then the
// middlewares after `retry` run again and a server is picked again.
import Config
import Glibc

/// What the session needs to retry one request.
struct RetryPolicy {
    let attempts: Int
    let initialInterval: UInt64
    /// How long retrying may go on from the first attempt (0: no limit).
    let timeout: UInt64

    /// ExponentialBackOff's Multiplier as Traefik sets it.
    var multiplier: Double { attempts < 2 ? 1 : pow(2, 1 / Double(attempts - 1)) }

    /// The wait before attempt `attempt + 1` (attempt counts from 1): 0 without initialInterval, else the
    /// current interval (initialInterval × multiplier^(attempt-1), at most 60 s) randomised by ±50%
    /// (backoff's RandomizationFactor 0.5: min + random × (max - min + 1)).
    func wait(after attempt: Int, random: Double = Double.random(in: 0..<1)) -> UInt64 {
        guard initialInterval > 0 else { return 0 }
        var interval = Double(initialInterval)
        for _ in 1..<max(attempt, 1) { interval = min(interval * multiplier, 60e9) }
        let delta = 0.5 * interval
        return UInt64(max(0, (interval - delta) + random * ((interval + delta) - (interval - delta) + 1)))
    }
}

final class RetryMiddleware: HTTPMiddleware {
    let name: String
    let policy: RetryPolicy
    init(name: String, config: TraefikRetry) {
        self.name = name
        policy = RetryPolicy(attempts: Int(config.attempts), initialInterval: UInt64(config.initialInterval.nanoseconds),
                             timeout: UInt64(config.timeout.nanoseconds))
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        // attempts == 1: Traefik calls the next handler directly.
        if policy.attempts > 1 && forward.retry == nil { forward.retry = policy }
        return nil
    }
}
