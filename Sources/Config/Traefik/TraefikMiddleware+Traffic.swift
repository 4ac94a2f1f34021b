// The middlewares that shape traffic rather than rewrite it — rateLimit, inFlightReq, retry — and the
// `sourceCriterion` the first two share, decoded with Traefik 3.7's defaults and its refusals
// (pkg/config/dynamic/middlewares.go, pkg/middlewares/extractor.go). Labels reach here through the same
// tables as the file provider, so `traefik.http.middlewares.x.ratelimit.average=10` decodes alike.

/// How requests are grouped into one source (Traefik's SourceCriterion): exactly one of the three.
public enum TraefikSourceCriterion: Sendable, Hashable {
    /// The client address (the peer, or an X-Forwarded-For entry as the strategy picks it).
    case ip(TraefikIPStrategy)
    /// The value of this request header (an absent header is the source "").
    case requestHeader(String)
    /// The request's Host.
    case requestHost
}

public struct TraefikRateLimit: Sendable, Hashable {
    /// Requests per `period`; 0 = no limit (Traefik: rate.Inf).
    public var average: Int64
    public var period: TraefikDuration
    /// At least 1 (Traefik raises 0 to 1).
    public var burst: Int64
    public var source: TraefikSourceCriterion

    public init(average: Int64 = 0, period: TraefikDuration = .seconds(1), burst: Int64 = 1,
                source: TraefikSourceCriterion = .ip(TraefikIPStrategy())) {
        self.average = average
        self.period = period
        self.burst = burst
        self.source = source
    }
}

public struct TraefikInFlightReq: Sendable, Hashable {
    public var amount: Int64
    /// Traefik's default for inFlightReq is the request host.
    public var source: TraefikSourceCriterion

    public init(amount: Int64, source: TraefikSourceCriterion = .requestHost) {
        self.amount = amount
        self.source = source
    }
}

public struct TraefikRetry: Sendable, Hashable {
    public var attempts: Int64
    /// First wait of the exponential backoff; zero retries at once.
    public var initialInterval: TraefikDuration
    /// How long retrying may go on, counted from the first attempt; zero = no limit.
    public var timeout: TraefikDuration
    /// Only meaningful with `status` (which stoep refuses): decoded so the API shows it.
    public var maxRequestBodyBytes: Int64?
    public var retryNonIdempotentMethod: Bool

    public init(attempts: Int64, initialInterval: TraefikDuration = .zero, timeout: TraefikDuration = .zero,
                maxRequestBodyBytes: Int64? = nil, retryNonIdempotentMethod: Bool = false) {
        self.attempts = attempts
        self.initialInterval = initialInterval
        self.timeout = timeout
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.retryNonIdempotentMethod = retryNonIdempotentMethod
    }
}

extension TraefikMiddleware {
    static func decodeRateLimit(_ body: TraefikSection, log: inout TraefikIssueLog) -> Kind? {
        body.warnUnknownKeys(allowed: ["average", "period", "burst", "sourceCriterion", "redis"], log: &log)
        if let redis = body.node("redis") {
            log.error(redis.location, body.path(body.writtenKey("redis")),
                      "a Redis-backed rateLimit is not supported by stoep (it keeps the buckets in memory); remove redis to limit per stoep instance")
            return nil
        }
        var limit = TraefikRateLimit()
        // Traefik takes an average of 0 or less as "no limit" and raises a burst below 1 to 1.
        limit.average = max(body.integer("average", in: Int64.min...Int64.max / 1_000_000_000, &log) ?? 0, 0)
        if let period = body.duration("period", &log) { limit.period = period.isZero ? .seconds(1) : period }
        limit.burst = max(body.integer("burst", in: Int64.min...Int64(Int32.max), &log) ?? 1, 1)
        guard let source = decodeSourceCriterion(body, default: .ip(TraefikIPStrategy()), log: &log) else { return nil }
        limit.source = source
        return .rateLimit(limit)
    }

    static func decodeInFlightReq(_ body: TraefikSection, log: inout TraefikIssueLog) -> Kind? {
        body.warnUnknownKeys(allowed: ["amount", "sourceCriterion"], log: &log)
        // connlimit.New refuses a limit of zero ("maxConnections must be > 0"): so does Traefik, at start.
        guard let amount = body.integer("amount", &log) else {
            log.error(body.location, body.path("amount"), "missing amount; expected the number of requests allowed at once, more than 0")
            return nil
        }
        guard amount > 0 else {
            log.error(body.node("amount")?.location ?? body.location, body.path(body.writtenKey("amount")),
                      "amount must be more than 0, found \(amount)")
            return nil
        }
        guard let source = decodeSourceCriterion(body, default: .requestHost, log: &log) else { return nil }
        return .inFlightReq(TraefikInFlightReq(amount: amount, source: source))
    }

    static func decodeRetry(_ body: TraefikSection, log: inout TraefikIssueLog) -> Kind? {
        body.warnUnknownKeys(allowed: ["attempts", "initialInterval", "timeout", "maxRequestBodyBytes", "status",
                                       "disableRetryOnNetworkError", "retryNonIdempotentMethod"], log: &log)
        if let status = body.node("status") {
            log.error(status.location, body.path(body.writtenKey("status")),
                      "retrying on response status codes is not supported by stoep (it would buffer request bodies); only connection errors are retried")
            return nil
        }
        // Only `false` can work without `status`: network errors are all this retry retries.
        if body.bool("disableRetryOnNetworkError", &log) == true {
            // Traefik: "retry middleware requires at least HTTP status codes or retry on TCP".
            log.error(body.node("disableRetryOnNetworkError")?.location ?? body.location, body.path(body.writtenKey("disableRetryOnNetworkError")),
                      "retry middleware requires at least HTTP status codes or retry on TCP")
            return nil
        }
        guard let attempts = body.integer("attempts", &log), attempts > 0 else {
            log.error(body.node("attempts")?.location ?? body.location, body.path(body.writtenKey("attempts")),
                      "incorrect (or empty) value for attempt; expected a number of attempts, more than 0")
            return nil
        }
        var retry = TraefikRetry(attempts: min(attempts, 1000))
        retry.initialInterval = body.duration("initialInterval", &log) ?? .zero
        retry.timeout = body.duration("timeout", &log) ?? .zero
        retry.maxRequestBodyBytes = body.integer("maxRequestBodyBytes", &log)
        retry.retryNonIdempotentMethod = body.bool("retryNonIdempotentMethod", &log) ?? false
        return .retry(retry)
    }

    /// `sourceCriterion`, with Traefik's errors for two criteria at once and for a bad ipv6Subnet; `fallback`
    /// when none is given (an ipStrategy for rateLimit, the host for inFlightReq).
    private static func decodeSourceCriterion(_ body: TraefikSection, default fallback: TraefikSourceCriterion,
                                              log: inout TraefikIssueLog) -> TraefikSourceCriterion? {
        guard body.node("sourceCriterion") != nil else { return fallback }
        guard let criterion = body.section("sourceCriterion", &log) else { return nil }
        criterion.warnUnknownKeys(allowed: ["ipStrategy", "requestHeaderName", "requestHost"], log: &log)
        let header = criterion.string("requestHeaderName", &log) ?? ""
        let host = criterion.bool("requestHost", &log) ?? false
        let strategySection = criterion.section("ipStrategy", &log)
        var chosen: [String] = []
        if strategySection != nil { chosen.append("ipStrategy") }
        if !header.isEmpty { chosen.append("requestHeaderName") }
        if host { chosen.append("requestHost") }
        if chosen.count > 1 {
            log.error(criterion.location, criterion.path, "\(chosen.joined(separator: " and ")) are mutually exclusive")
            return nil
        }
        if let s = strategySection {
            guard let strategy = decodeIPStrategy(s, log: &log) else { return nil }
            return .ip(strategy)
        }
        if !header.isEmpty { return .requestHeader(header) }
        if host { return .requestHost }
        return fallback
    }

    /// `ipStrategy`: depth, excludedIPs (IPs or CIDRs), ipv6Subnet in 1...128 (Traefik's IPStrategy.Get).
    static func decodeIPStrategy(_ s: TraefikSection, log: inout TraefikIssueLog) -> TraefikIPStrategy? {
        s.warnUnknownKeys(allowed: ["depth", "excludedIPs", "ipv6Subnet"], log: &log)
        var strategy = TraefikIPStrategy(depth: s.integer("depth", in: 0...1024, &log) ?? 0,
                                         excludedIPs: s.strings("excludedIPs", &log) ?? [])
        for (index, ip) in strategy.excludedIPs.enumerated() where !isAddressOrCIDR(ip) {
            log.error(s.node("excludedIPs")?.location ?? s.location, "\(s.path(s.writtenKey("excludedIPs")))[\(index)]",
                      "expected an IP or CIDR, found \"\(ip)\"")
            return nil
        }
        // With excludedIPs (and no depth) Traefik uses its pool strategy, which neither checks nor uses ipv6Subnet.
        if let subnet = s.integer("ipv6Subnet", &log), strategy.depth > 0 || strategy.excludedIPs.isEmpty {
            guard subnet > 0 && subnet <= 128 else {
                log.error(s.node("ipv6Subnet")?.location ?? s.location, s.path(s.writtenKey("ipv6Subnet")),
                          "invalid IPv6 subnet \(subnet) value, should be greater to 0 and lower or equal to 128")
                return nil
            }
            strategy.ipv6Subnet = subnet
        }
        return strategy
    }
}

/// `errors`: which answers are replaced by a page from another service.
public struct TraefikErrorPage: Sendable, Hashable {
    /// Inclusive status ranges ("500-599" → 500...599, "404" → 404...404), as types.NewHTTPCodeRanges reads them.
    public var status: [ClosedRange<Int>]
    /// (ranges, status to send instead) in the order written; the first that contains the status wins.
    public var statusRewrites: [StatusRewrite]
    /// The qualified name of the service that serves the pages.
    public var service: String
    /// The page's path and query, with {status}, {originalStatus} and {url}; "" asks for "/".
    public var query: String
    /// nil: every request header goes to the error page service; else only these.
    public var errorRequestHeaders: [String]?

    public struct StatusRewrite: Sendable, Hashable {
        public var from: ClosedRange<Int>
        public var to: Int
        public init(from: ClosedRange<Int>, to: Int) {
            self.from = from
            self.to = to
        }
    }

    public init(status: [ClosedRange<Int>], statusRewrites: [StatusRewrite] = [], service: String, query: String = "",
                errorRequestHeaders: [String]? = nil) {
        self.status = status
        self.statusRewrites = statusRewrites
        self.service = service
        self.query = query
        self.errorRequestHeaders = errorRequestHeaders
    }

    /// Go's NewHTTPCodeRanges for one entry: "N" or "N-M" (a third part is ignored, as Go ignores it).
    static func codeRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard let low = Int(parts[0]), let high = Int(parts.count > 1 ? parts[1] : parts[0]) else { return nil }
        return low <= high ? low...high : nil
    }
}

extension TraefikMiddleware {
    static func decodeErrorPage(_ body: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> Kind? {
        body.warnUnknownKeys(allowed: ["status", "statusRewrites", "service", "query", "errorRequestHeaders"], log: &log)
        var ranges: [ClosedRange<Int>] = []
        for (index, text) in (body.strings("status", &log) ?? []).enumerated() {
            guard let range = TraefikErrorPage.codeRange(text) else {
                log.error(body.node("status")?.location ?? body.location, "\(body.path(body.writtenKey("status")))[\(index)]",
                          "expected a status or a range like \"500-599\", found \"\(text)\"")
                return nil
            }
            ranges.append(range)
        }
        guard let service = body.string("service", &log), !service.isEmpty else {
            log.error(body.location, body.path("service"), "missing service; expected the service that serves the error pages")
            return nil
        }
        var rewrites: [TraefikErrorPage.StatusRewrite] = []
        if let map = body.section("statusRewrites", &log) {
            for entry in map.entries {
                guard let range = TraefikErrorPage.codeRange(entry.key) else {
                    log.error(entry.node.location, map.path(entry.key), "expected a status or a range like \"418\" or \"410-418\" as the key")
                    return nil
                }
                guard let to = map.integer(entry.key, in: 100...599, &log) else { return nil }
                rewrites.append(.init(from: range, to: Int(to)))
            }
        }
        return .errors(TraefikErrorPage(status: ranges, statusRewrites: rewrites, service: scope.qualify(service),
                                        query: body.string("query", &log) ?? "",
                                        errorRequestHeaders: body.strings("errorRequestHeaders", &log)))
    }
}
