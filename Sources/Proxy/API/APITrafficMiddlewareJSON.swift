// rateLimit, inFlightReq, retry and errors as Traefik's API shows them (omitempty fields; Traefik's defaults —
// burst 1, period 1s — are set before marshalling, so they appear).
import Config
import JSON

enum APITrafficMiddlewareJSON {
    /// Writes the `"<type>": {...}` member; returns the lower-cased type.
    static func write(_ kind: TraefikMiddleware.Kind, _ w: inout JSONWriter) -> String {
        switch kind {
        case .rateLimit(let r):
            w.key("rateLimit")
            w.beginObject()
            if r.average != 0 { w.field("average", r.average) }
            w.field("period", r.period.description)
            w.field("burst", r.burst)
            source(r.source, &w)
            w.endObject()
            return "ratelimit"
        case .inFlightReq(let f):
            w.key("inFlightReq")
            w.beginObject()
            w.field("amount", f.amount)
            source(f.source, &w)
            w.endObject()
            return "inflightreq"
        case .retry(let r):
            w.key("retry")
            w.beginObject()
            w.field("attempts", r.attempts)
            if !r.timeout.isZero { w.field("timeout", r.timeout.description) }
            if !r.initialInterval.isZero { w.field("initialInterval", r.initialInterval.description) }
            w.field("maxRequestBodyBytes", r.maxRequestBodyBytes ?? -1)
            if r.retryNonIdempotentMethod { w.field("retryNonIdempotentMethod", true) }
            w.endObject()
            return "retry"
        case .errors(let e):
            w.key("errors")
            w.beginObject()
            APIJSON.strings("status", e.status.map(statusRange), &w)
            if !e.statusRewrites.isEmpty {
                w.key("statusRewrites")
                w.beginObject()
                for r in e.statusRewrites {
                    w.field(statusRange(r.from), r.to)
                }
                w.endObject()
            }
            w.field("service", e.service)
            if !e.query.isEmpty { w.field("query", e.query) }
            if let headers = e.errorRequestHeaders { APIJSON.strings("errorRequestHeaders", headers, &w) }
            w.endObject()
            return "errors"
        default:
            preconditionFailure("not a traffic middleware")
        }
    }

    /// A status range as written in Traefik's errors middleware: "404" or "500-599".
    private static func statusRange(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
    }

    private static func source(_ s: TraefikSourceCriterion, _ w: inout JSONWriter) {
        w.key("sourceCriterion")
        w.beginObject()
        switch s {
        case .ip(let strategy): APIMiddlewareJSON.ipStrategy(strategy, &w)
        case .requestHeader(let name): w.field("requestHeaderName", name)
        case .requestHost: w.field("requestHost", true)
        }
        w.endObject()
    }
}
