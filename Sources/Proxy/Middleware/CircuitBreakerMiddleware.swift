// circuitBreaker: oxy's cbreaker as Traefik 3.7 runs it (pkg/middlewares/circuitbreaker, oxy v2
// cbreaker/cbreaker.go). Standby: requests pass and are measured; at most once per checkPeriod, after a
// request ends, the expression is evaluated and, when true, the breaker trips: for fallbackDuration every
// request gets `responseCode` with its status text, the metrics start over; then it recovers for
// recoveryDuration, letting a share of requests through that ramps from 0 to one half (RecoveryRamp), and
// trips again if the expression holds; after that, standby. One breaker per router using the middleware,
// as Traefik builds one per router.
import Config
import Reactor

final class CircuitBreakerMiddleware: HTTPMiddleware {
    enum State { case standby, tripped, recovering }

    let name: String
    private let config: TraefikCircuitBreaker
    private var metrics: BreakerMetrics
    private(set) var state = State.standby
    /// End of the tripped or recovering state.
    private var until: UInt64 = 0
    private var lastCheck: UInt64 = 0
    private var ramp: RecoveryRamp?

    init(name: String, config: TraefikCircuitBreaker) {
        self.name = name
        self.config = config
        metrics = BreakerMetrics(keepsLatencies: Self.usesLatency(config.expression))
    }

    /// The fallback answer while tripped (or recovering and not let through); else marks the request as
    /// measured by this breaker (HTTPSession records its status and latency when it ends).
    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        if !allows(now: monotonicNanos()) { return .statusText(Int(config.responseCode)) }
        forward.circuitBreakers.append(self)
        return nil
    }

    /// oxy's activateFallback, inverted.
    func allows(now: UInt64) -> Bool {
        switch state {
        case .standby:
            return true
        case .tripped:
            if now < until { return false }
            state = .recovering
            until = now &+ UInt64(config.recoveryDuration.nanoseconds)
            ramp = RecoveryRamp(start: now, duration: UInt64(config.recoveryDuration.nanoseconds))
            return ramp!.allowRequest(now: now)
        case .recovering:
            if now > until {
                state = .standby
                until = now
                return true
            }
            return ramp!.allowRequest(now: now)
        }
    }

    /// A request that passed this breaker ended with `status` after `latencyNanos` (oxy's serve, then
    /// checkAndSet).
    func record(status: Int, latencyNanos: UInt64, now: UInt64) {
        metrics.record(status: status, latencyNanos: latencyNanos, now: now)
        guard now > lastCheck else { return }
        lastCheck = now &+ UInt64(config.checkPeriod.nanoseconds)
        if state == .tripped { return }
        guard config.expression.evaluate({ metrics.value($0, now: now) }) else { return }
        state = .tripped
        until = now &+ UInt64(config.fallbackDuration.nanoseconds)
        metrics.reset(now: now)
    }

    private static func usesLatency(_ e: CircuitBreakerExpression) -> Bool {
        switch e {
        case .and(let a, let b), .or(let a, let b): return usesLatency(a) || usesLatency(b)
        case .compare(.latencyAtQuantileMS, _, _): return true
        case .compare: return false
        }
    }
}
