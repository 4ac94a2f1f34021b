// `http.middlewares.NAME.circuitBreaker` with Traefik 3.7's defaults (dynamic.CircuitBreaker.SetDefaults)
// and oxy's (a zero or negative duration keeps oxy's default, as Traefik passes only positive ones).

public struct TraefikCircuitBreaker: Sendable, Hashable {
    public var expressionText: String
    public var expression: CircuitBreakerExpression
    public var checkPeriod: TraefikDuration
    public var fallbackDuration: TraefikDuration
    public var recoveryDuration: TraefikDuration
    /// The status of the fallback answer (its body is the status text).
    public var responseCode: Int64

    public init(expressionText: String, expression: CircuitBreakerExpression, checkPeriod: TraefikDuration = .milliseconds(100),
                fallbackDuration: TraefikDuration = .seconds(10), recoveryDuration: TraefikDuration = .seconds(10), responseCode: Int64 = 503) {
        self.expressionText = expressionText
        self.expression = expression
        self.checkPeriod = checkPeriod
        self.fallbackDuration = fallbackDuration
        self.recoveryDuration = recoveryDuration
        self.responseCode = responseCode
    }

    static func decode(_ body: TraefikSection, log: inout TraefikIssueLog) -> TraefikCircuitBreaker? {
        body.warnUnknownKeys(allowed: ["expression", "checkPeriod", "fallbackDuration", "recoveryDuration", "responseCode"], log: &log)
        let text = body.string("expression", &log) ?? ""
        let expression: CircuitBreakerExpression
        switch CircuitBreakerExpression.parse(text) {
        case .success(let e): expression = e
        case .failure(let e):
            log.error(body.node("expression")?.location ?? body.location, body.path("expression"), "cannot parse \"\(text)\": \(e)")
            return nil
        }
        var c = TraefikCircuitBreaker(expressionText: text, expression: expression)
        for (key, keyPath) in [("checkPeriod", \TraefikCircuitBreaker.checkPeriod), ("fallbackDuration", \.fallbackDuration),
                               ("recoveryDuration", \.recoveryDuration)] {
            if let d = body.duration(key, &log), d.nanoseconds > 0 { c[keyPath: keyPath] = d }
        }
        // Go's WriteHeader panics outside 100…999: refused here instead.
        c.responseCode = body.integer("responseCode", in: 100...999, &log) ?? 503
        return c
    }
}
