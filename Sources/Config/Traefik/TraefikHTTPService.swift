// `http.services.NAME`: where routers send requests. `loadBalancer` (its servers picked by wrr, p2c, hrw
// or leasttime as in Traefik 3.7), `weighted` (split between other services, nested), `failover` (a
// service, and another while the first is down) and `mirroring` (a service, with copies of requests sent
// to others) and `highestRandomWeight` (other services chosen by client IP) are served. `failover.errors`
// is refused with an error naming the key. A refused service drops its routers (they answer 404, as in Traefik for a missing service) rather
// than serving traffic differently from what was configured.

public struct TraefikHTTPService: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case loadBalancer(TraefikLoadBalancer)
        case weighted([TraefikWeightedService])
        case failover(TraefikFailover)
        case mirroring(TraefikMirroring)
        /// `highestRandomWeight.services`: children scored by client IP as the hrw strategy scores servers.
        case highestRandomWeight([TraefikWeightedService])
    }

    /// Qualified ("app@file").
    public var name: String
    public var kind: Kind
    public var location: SourceLocation
    /// `weighted.healthCheck` (or `highestRandomWeight.healthCheck`) was set (its body is empty in
    /// Traefik): a child's health counts.
    public var weightedHealthCheck: Bool
    /// `weighted.sticky.cookie`: a client stays with the child it was sent to.
    public var weightedSticky: TraefikStickyCookie?

    public init(name: String, kind: Kind, location: SourceLocation, weightedHealthCheck: Bool = false, weightedSticky: TraefikStickyCookie? = nil) {
        self.name = name
        self.kind = kind
        self.location = location
        self.weightedHealthCheck = weightedHealthCheck
        self.weightedSticky = weightedSticky
    }
}

/// `loadBalancer`: servers and how to talk to them.
public struct TraefikLoadBalancer: Sendable, Hashable {
    public static let defaultFlushInterval = TraefikDuration.milliseconds(100)

    public var servers: [TraefikServer]
    /// Send the client's Host header upstream (default true) rather than the server URL's host.
    public var passHostHeader: Bool
    public var healthCheck: TraefikHealthCheck?
    /// Qualified `http.serversTransports` name; nil = the static `serversTransport`.
    public var serversTransport: String?
    /// `responseForwarding.flushInterval` (default 100ms; negative in Traefik = flush every write,
    /// refused here as durations are non-negative).
    public var flushInterval: TraefikDuration
    /// `sticky.cookie`: a client stays with the server it was sent to.
    public var sticky: TraefikStickyCookie?
    public var strategy: TraefikBalancerStrategy

    public init(servers: [TraefikServer], passHostHeader: Bool = true, healthCheck: TraefikHealthCheck? = nil, serversTransport: String? = nil,
                flushInterval: TraefikDuration = defaultFlushInterval, sticky: TraefikStickyCookie? = nil, strategy: TraefikBalancerStrategy = .wrr) {
        self.sticky = sticky
        self.strategy = strategy
        self.servers = servers
        self.passHostHeader = passHostHeader
        self.healthCheck = healthCheck
        self.serversTransport = serversTransport
        self.flushInterval = flushInterval
    }
}

/// `loadBalancer.strategy` (Traefik 3.7, pkg/config/dynamic/http_config.go BalancerStrategy).
public enum TraefikBalancerStrategy: String, Sendable, Hashable, CaseIterable {
    /// Weighted round robin, earliest deadline first (the default).
    case wrr
    /// Power of two random choices: the one with fewer requests in flight (weights unused).
    case p2c
    /// Highest random weight: the client IP hashed with each server URL, the highest score × weight wins.
    case hrw
    /// Least time: lowest average time to first byte × (1 + in flight) / weight, wrr among equals.
    case leasttime
}

/// `failover`: `service` while it is up (its health as its health checks report it), else `fallback`.
public struct TraefikFailover: Sendable, Hashable {
    /// Qualified names.
    public var service: String
    public var fallback: String
    /// `failover.healthCheck` set: the fallback's health counts too, and this service reports its own.
    public var healthCheck: Bool
    /// The names as written (the API shows them so).
    public var writtenService: String
    public var writtenFallback: String

    public init(service: String, fallback: String, healthCheck: Bool = false, written: (service: String, fallback: String)? = nil) {
        self.service = service
        self.fallback = fallback
        self.healthCheck = healthCheck
        writtenService = written?.service ?? service
        writtenFallback = written?.fallback ?? fallback
    }
}

/// `mirroring`: requests go to `service`; a share of them is copied to each mirror.
public struct TraefikMirroring: Sendable, Hashable {
    public struct Mirror: Sendable, Hashable {
        /// Qualified.
        public var name: String
        /// 0...100.
        public var percent: Int64
        /// The name as written (the API shows it so).
        public var written: String
        public init(name: String, percent: Int64, written: String? = nil) {
            self.name = name
            self.percent = percent
            self.written = written ?? name
        }
    }
    /// Qualified.
    public var service: String
    public var mirrors: [Mirror]
    /// `mirrorBody` (default true): the request body is read whole before the request goes on, and copied.
    public var mirrorBody: Bool
    /// `maxBodySize` (default -1, no limit): a longer body is not mirrored (the request still goes on).
    public var maxBodySize: Int64
    /// `mirroring.healthCheck` set: the service's health is reported to a parent.
    public var healthCheck: Bool
    /// `service` as written.
    public var writtenService: String

    public init(service: String, mirrors: [Mirror], mirrorBody: Bool = true, maxBodySize: Int64 = -1, healthCheck: Bool = false,
                writtenService: String? = nil) {
        self.service = service
        self.writtenService = writtenService ?? service
        self.mirrors = mirrors
        self.mirrorBody = mirrorBody
        self.maxBodySize = maxBodySize
        self.healthCheck = healthCheck
    }
}

/// One upstream: `url` ("http://10.0.0.5:8080"), weight default 1. Label providers build the URL from
/// the container address, `server.port` and `server.scheme` before decoding.
public struct TraefikServer: Sendable, Hashable {
    public var url: String
    public var weight: Int64

    public init(url: String, weight: Int64 = 1) {
        self.url = url
        self.weight = weight
    }
}

/// `healthCheck`: active HTTP checks. Defaults as Traefik's: interval 30s, timeout 5s, method GET.
public struct TraefikHealthCheck: Sendable, Hashable {
    public var path: String
    public var interval: TraefikDuration
    public var timeout: TraefikDuration
    /// Override of the server URL's scheme / host header / port for the check.
    public var scheme: String?
    public var hostname: String?
    public var port: Int64?
    public var method: String
    /// Expected status; nil = any 2xx/3xx.
    public var status: Int64?
    public var followRedirects: Bool
    public var headers: [TraefikKeyValue]

    public init(path: String, interval: TraefikDuration = .seconds(30), timeout: TraefikDuration = .seconds(5), scheme: String? = nil,
                hostname: String? = nil, port: Int64? = nil, method: String = "GET", status: Int64? = nil, followRedirects: Bool = true,
                headers: [TraefikKeyValue] = []) {
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.scheme = scheme
        self.hostname = hostname
        self.port = port
        self.method = method
        self.status = status
        self.followRedirects = followRedirects
        self.headers = headers
    }
}

extension TraefikHTTPService {
    static let kinds = ["loadBalancer", "weighted", "mirroring", "failover", "highestRandomWeight"]
    static let loadBalancerKeys = ["servers", "passHostHeader", "healthCheck", "serversTransport", "responseForwarding", "sticky", "strategy",
                                   "passiveHealthCheck"]
    static let healthCheckKeys = ["path", "interval", "timeout", "scheme", "hostname", "port", "method", "status", "followRedirects", "headers", "mode", "unhealthyInterval"]

    static func decode(name: String, _ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikHTTPService? {
        log.decodeEntry { log in
            scope.checkName(name, section, &log)
            section.warnUnknownKeys(allowed: kinds, log: &log)
            let present = kinds.filter(section.has)
            guard present.count == 1, let kind = present.first else {
                let message = present.isEmpty ? "service has no type; expected one of: loadBalancer, weighted, failover, mirroring, highestRandomWeight"
                                              : "service has several types (\(present.joined(separator: ", "))); expected exactly one"
                log.error(section.location, section.path, message)
                return nil
            }
            switch kind {
            case "loadBalancer":
                guard let body = section.section(kind, &log) else { return nil }
                return decodeLoadBalancer(body, scope: scope, log: &log).map { TraefikHTTPService(name: scope.qualify(name), kind: .loadBalancer($0), location: section.location) }
            case "weighted":
                guard let body = section.section(kind, &log) else { return nil }
                return TraefikHTTPService(name: scope.qualify(name), kind: .weighted(decodeWeighted(body, scope: scope, log: &log)), location: section.location,
                                          weightedHealthCheck: body.has("healthCheck"), weightedSticky: TraefikStickyCookie.decode(in: body, &log))
            case "failover":
                guard let body = section.section(kind, &log) else { return nil }
                return decodeFailover(body, scope: scope, log: &log).map { TraefikHTTPService(name: scope.qualify(name), kind: .failover($0), location: section.location) }
            case "highestRandomWeight":
                guard let body = section.section(kind, &log) else { return nil }
                body.warnUnknownKeys(allowed: ["services", "healthCheck"], log: &log)
                let entries = decodeWeighted(body, scope: scope, log: &log, checkKeys: false)
                if entries.isEmpty { return nil }
                return TraefikHTTPService(name: scope.qualify(name), kind: .highestRandomWeight(entries), location: section.location,
                                          weightedHealthCheck: body.has("healthCheck"))
            case "mirroring":
                guard let body = section.section(kind, &log) else { return nil }
                return decodeMirroring(body, scope: scope, log: &log).map { TraefikHTTPService(name: scope.qualify(name), kind: .mirroring($0), location: section.location) }
            default:
                log.error(section.node(kind)?.location ?? section.location, section.path(section.writtenKey(kind)), "\(kind) services are not supported by stoep yet")
                return nil
            }
        }
    }

    static func decodeLoadBalancer(_ body: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikLoadBalancer? {
        body.warnUnknownKeys(allowed: loadBalancerKeys, log: &log)
        var balancer = TraefikLoadBalancer(servers: [])
        for server in body.sections("servers", &log) ?? [] {
            server.warnUnknownKeys(allowed: ["url", "weight", "preservePath"], log: &log)
            let weight = server.integer("weight", in: 0...Int64(Int32.max), &log) ?? 1
            // stoep sends the request's path alone, as Traefik does without preservePath.
            if server.bool("preservePath", &log) == true {
                log.error(server.node("preservePath")?.location ?? server.location, server.path(server.writtenKey("preservePath")),
                          "not supported by stoep (the server URL's path is not put before the request's)")
            }
            guard let url = server.string("url", &log), !url.isEmpty else {
                log.error(server.location, server.path("url"), "server has no url; expected url = \"http://host:port\"")
                continue
            }
            if !url.hasPrefix("http://") && !url.hasPrefix("https://") && !url.hasPrefix("h2c://") {
                log.error(server.node("url")?.location ?? server.location, server.path("url"), "expected an http://, https:// or h2c:// URL, found \"\(url)\"")
            }
            balancer.servers.append(TraefikServer(url: url, weight: weight))
        }
        balancer.passHostHeader = body.bool("passHostHeader", &log) ?? true
        if let passive = body.node("passiveHealthCheck") {
            log.error(passive.location, body.path(body.writtenKey("passiveHealthCheck")),
                      "not supported by stoep (its passive check is fixed: a server that refused a connection is skipped for 5 s)")
        }
        balancer.serversTransport = body.string("serversTransport", &log).map(scope.qualify)
        if let forwarding = body.section("responseForwarding", &log) {
            forwarding.warnUnknownKeys(allowed: ["flushInterval"], log: &log)
            balancer.flushInterval = forwarding.duration("flushInterval", &log) ?? TraefikLoadBalancer.defaultFlushInterval
        }
        if let check = body.section("healthCheck", &log) {
            balancer.healthCheck = decodeHealthCheck(check, log: &log)
        }
        balancer.sticky = TraefikStickyCookie.decode(in: body, &log)
        // Traefik 3.7 (pkg/server/service/service.go): wrr (default, also when empty), p2c, hrw, leasttime,
        // compared as written; anything else fails the service ("unsupported load-balancer strategy").
        if let strategy = body.string("strategy", &log), !strategy.isEmpty {
            if let known = TraefikBalancerStrategy(rawValue: strategy) {
                balancer.strategy = known
            } else {
                log.error(body.node("strategy")?.location ?? body.location, body.path("strategy"),
                          "unsupported load-balancer strategy \"\(strategy)\"; expected wrr, p2c, hrw or leasttime")
                return nil
            }
        }
        // hrw.New takes no sticky configuration: Traefik ignores sticky on an hrw balancer, and so does
        // stoep (hrw sends a client to the same server anyway), saying so.
        if balancer.strategy == .hrw && balancer.sticky != nil {
            log.warning(body.node("sticky")?.location ?? body.location, body.path("sticky"),
                        "sticky is ignored with the hrw strategy, as in Traefik (a client IP always goes to the same server while it is up)")
            balancer.sticky = nil
        }
        return balancer
    }

    static func decodeHealthCheck(_ check: TraefikSection, log: inout TraefikIssueLog) -> TraefikHealthCheck? {
        check.warnUnknownKeys(allowed: healthCheckKeys, log: &log)
        guard let path = check.string("path", &log), !path.isEmpty else {
            log.error(check.location, check.path("path"), "healthCheck has no path; expected path = \"/health\"")
            return nil
        }
        var health = TraefikHealthCheck(path: path)
        health.interval = check.duration("interval", &log) ?? health.interval
        health.timeout = check.duration("timeout", &log) ?? health.timeout
        health.scheme = check.string("scheme", &log)
        health.hostname = check.string("hostname", &log)
        health.port = check.integer("port", in: 1...65535, &log)
        health.method = check.string("method", &log) ?? health.method
        health.status = check.integer("status", in: 100...599, &log)
        health.followRedirects = check.bool("followRedirects", &log) ?? true
        health.headers = check.stringMap("headers", &log) ?? []
        if let mode = check.string("mode", &log), mode.lowercased() != "http" {
            log.error(check.node("mode")?.location ?? check.location, check.path("mode"), "only \"http\" health checks are supported, found \"\(mode)\"")
        }
        // The probe speaks plain HTTP/1.1 (Proxy/Upstream/HealthCheck.swift): an https probe would be a
        // different check, so it is refused rather than sent in clear.
        if let scheme = health.scheme, scheme.lowercased() != "http" {
            log.error(check.node("scheme")?.location ?? check.location, check.path("scheme"), "only \"http\" health-check probes are supported by stoep, found \"\(scheme)\"")
        }
        // Go's http.NewRequest takes any token as a method; the probe writes it into the request line.
        if !health.method.isEmpty, !health.method.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }) {
            log.error(check.node("method")?.location ?? check.location, check.path("method"), "not an HTTP method: \"\(health.method)\"")
        }
        for field in health.headers where (field.key + field.value + (health.hostname ?? "")).utf8.contains(where: { $0 == 10 || $0 == 13 }) {
            log.error(check.node("headers")?.location ?? check.location, check.path("headers"), "line break in a health-check header or hostname")
        }
        return health
    }

    static func decodeFailover(_ body: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikFailover? {
        body.warnUnknownKeys(allowed: ["service", "fallback", "healthCheck", "errors"], log: &log)
        if body.has("errors") {
            // Failing over on the main service's answer needs the request kept to send it twice.
            log.error(body.node("errors")?.location ?? body.location, body.path("errors"),
                      "failover.errors (fail over on the answer's status) is not supported by stoep yet; failover on health checks is")
            return nil
        }
        guard let service = body.string("service", &log), !service.isEmpty else {
            log.error(body.location, body.path("service"), "failover has no service; expected service = \"SERVICE\"")
            return nil
        }
        guard let fallback = body.string("fallback", &log), !fallback.isEmpty else {
            log.error(body.location, body.path("fallback"), "failover has no fallback; expected fallback = \"SERVICE\"")
            return nil
        }
        return TraefikFailover(service: scope.qualify(service), fallback: scope.qualify(fallback), healthCheck: body.has("healthCheck"),
                               written: (service, fallback))
    }

    static func decodeMirroring(_ body: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikMirroring? {
        body.warnUnknownKeys(allowed: ["service", "mirrors", "mirrorBody", "maxBodySize", "healthCheck"], log: &log)
        guard let service = body.string("service", &log), !service.isEmpty else {
            log.error(body.location, body.path("service"), "mirroring has no service; expected service = \"SERVICE\"")
            return nil
        }
        var mirrors: [TraefikMirroring.Mirror] = []
        var bad = false
        for entry in body.sections("mirrors", &log) ?? [] {
            entry.warnUnknownKeys(allowed: ["name", "percent"], log: &log)
            guard let name = entry.string("name", &log), !name.isEmpty else {
                log.error(entry.location, entry.path("name"), "mirror has no service name; expected name = \"SERVICE\"")
                bad = true
                continue
            }
            // mirror.go AddMirror: "percent must be between 0 and 100" fails the service.
            let percent = entry.integer("percent", &log) ?? 0
            if percent < 0 || percent > 100 {
                log.error(entry.node("percent")?.location ?? entry.location, entry.path("percent"), "percent must be between 0 and 100, found \(percent)")
                bad = true
                continue
            }
            mirrors.append(.init(name: scope.qualify(name), percent: percent, written: name))
        }
        if bad { return nil }
        return TraefikMirroring(service: scope.qualify(service), mirrors: mirrors, mirrorBody: body.bool("mirrorBody", &log) ?? true,
                                maxBodySize: body.integer("maxBodySize", &log) ?? -1, healthCheck: body.has("healthCheck"), writtenService: service)
    }

    static func decodeWeighted(_ body: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog, checkKeys: Bool = true) -> [TraefikWeightedService] {
        if checkKeys { body.warnUnknownKeys(allowed: ["services", "sticky", "healthCheck"], log: &log) }
        let services = TraefikWeightedService.decodeList(body, scope: scope, log: &log)
        if services.isEmpty {
            log.error(body.location, body.path("services"), "weighted service lists no services")
        }
        return services
    }
}
