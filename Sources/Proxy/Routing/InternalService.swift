// Traefik's internal services (`NAME@internal`): answered by stoep itself instead of a backend. Routers
// reach them like any service, through the route table: a configured router may name one
// (`service: api@internal` behind basicAuth, as the fixtures do), and the static configuration adds
// Traefik's own routers for them (InternalRouters: `/metrics` with metrics.prometheus, the API and the
// dashboard on the `traefik` entry point with api.insecure).
import HTTP
import Rules

public enum InternalService: String, Sendable, CaseIterable {
    /// The read-only JSON API and (with `api.dashboard`) the dashboard page.
    case api = "api@internal"
    case dashboard = "dashboard@internal"
    /// The Prometheus exposition.
    case prometheus = "prometheus@internal"
    /// Answers 418 to everything (Traefik's noop handler; used by redirect-only routers).
    case noop = "noop@internal"
    /// ACME HTTP-01 answers (`/.well-known/acme-challenge/TOKEN`) on a resolver's httpChallenge entry point.
    case acmeHTTP = "acme-http@internal"
    /// stoep's community CA root (`/stoep-ca.pem`, `/stoep-ca.crt`) on every entry point, plain HTTP included:
    /// a phone fetches it before it can trust anything served over TLS.
    case communityCA = "stoep-ca@internal"
    /// `[ping]`: 200 "OK", or the terminating status once shutdown has begun (Traefik's pkg/ping).
    case ping = "ping@internal"
}

/// What an internal service is asked: the request after the router's middlewares (stripPrefix…).
public struct InternalRequest: Sendable {
    public let method: String
    public let path: String
    public let query: String
    public let host: String
    /// True when answered by one of Traefik's own routers (InternalRouters), not a configured one.
    public let direct: Bool
    /// The request's Accept-Encoding field lines (the dashboard's page is sent compressed when they allow).
    public var acceptEncoding: [String] = []
}

/// What answers the internal services; set by the appliance from the static configuration. A service
/// without its handler answers 404, as an unconfigured one would.
public struct InternalHandlers {
    /// api@internal and dashboard@internal.
    public var api: ((InternalRequest) -> LocalResponse)?
    /// prometheus@internal: the exposition text.
    public var prometheus: (() -> [UInt8])?
    /// acme-http@internal: the key authorization for (token, host), nil when none is live.
    public var acmeHTTP: ((_ token: String, _ host: String) -> [UInt8]?)?
    /// stoep-ca@internal: the root's download for a path, nil when none (404).
    public var communityCA: ((_ path: String) -> LocalResponse?)?
    /// ping@internal: the status to answer now (200, or the terminating status during shutdown).
    public var ping: (() -> Int)?

    public init() {}

    /// "host:port" → "host" (Go's net.SplitHostPort, falling back to the whole value), lower-cased.
    static func withoutPort(_ host: String) -> String {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") { return host[host.index(after: host.startIndex)..<close].lowercased() }
        let colons = host.filter { $0 == ":" }.count
        if colons == 1, let c = host.firstIndex(of: ":") { return host[..<c].lowercased() }
        return host.lowercased()
    }

    func answer(_ service: InternalService, _ request: InternalRequest) -> LocalResponse {
        switch service {
        case .prometheus:
            guard let render = prometheus else { return .notFound }
            return LocalResponse(status: 200, fields: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: render())
        case .noop:
            return .empty(418)
        case .ping:
            // Traefik: WriteHeader(code) then the status text, any method, any path below; no Content-Type
            // reaches the client (compared side by side in test_ping).
            guard let ping else { return .notFound }
            let status = ping()
            return LocalResponse(status: status, fields: [], body: Array((HTTPStatus.reasonPhrase(status) ?? "").utf8))
        case .communityCA:
            return communityCA?(request.path) ?? .notFound
        case .acmeHTTP:
            // Traefik: the token is the one path segment after the prefix (a trailing "/" allowed); the
            // host's port is dropped; anything unknown is an empty 404. The 200's type is Go's sniff of the
            // key authorization (ASCII text).
            let prefix = "/.well-known/acme-challenge/"
            var token = request.path.hasPrefix(prefix) ? Substring(request.path.dropFirst(prefix.count)) : ""
            if token.hasSuffix("/") { token = token.dropLast() }
            guard !token.isEmpty, !token.contains("/"), let value = acmeHTTP?(String(token), Self.withoutPort(request.host)) else {
                return .empty(404)
            }
            return LocalResponse(status: 200, fields: [("Content-Type", "text/plain; charset=utf-8")], body: value)
        case .api, .dashboard:
            return api?(request) ?? .notFound
        }
    }
}

/// Traefik's own routers, made from the static configuration and served before every configured router of
/// their entry point, on plain and TLS connections alike. They are not configured routers: they are not
/// counted, reported to the observers or listed with the table's routes (the API lists them itself, as
/// Traefik shows them), and the entry point's encodedCharacters policy does not apply to them.
public struct InternalRouters: Equatable {
    /// `metrics.prometheus` without `manualRouting`: `/metrics` on this entry point (Traefik's
    /// prometheus@internal router, priority MaxInt).
    public var metricsEntryPoint: String?
    /// `api.insecure`: `/api…` on the `traefik` entry point (api@internal, MaxInt-1) and, with
    /// `api.dashboard`, every other path there too (dashboard@internal, MaxInt-2).
    public var apiEntryPoint: String?
    public var dashboard = false
    /// The certificate resolvers' `httpChallenge.entryPoint`s: `/.well-known/acme-challenge/` there goes to
    /// acme-http@internal (Traefik's acme-http router, priority MaxInt: before the entry point's
    /// redirection to HTTPS and every configured router).
    public var acmeHTTPEntryPoints: [String] = []
    /// Entry points that offer the community CA's root (every HTTP one, when a localCA resolver exists).
    public var communityCAEntryPoints: [String] = []
    /// `[ping]` without manualRouting: `/ping…` on this entry point (Traefik's ping router, priority MaxInt).
    public var pingEntryPoint: String?

    public init(metricsEntryPoint: String? = nil, apiEntryPoint: String? = nil, dashboard: Bool = false, acmeHTTPEntryPoints: [String] = []) {
        self.metricsEntryPoint = metricsEntryPoint
        self.apiEntryPoint = apiEntryPoint
        self.dashboard = dashboard
        self.acmeHTTPEntryPoints = acmeHTTPEntryPoints
    }

    /// The routes, in the order they are tried. `Path`/`PathPrefix` match the path as today's exact
    /// `/metrics` and `/api` prefix checks did; the dashboard takes every request (`PathRegexp(`^`)`,
    /// where Traefik writes PathPrefix(`/`): asterisk- and authority-form targets too).
    func routes() -> [HTTPRoute] {
        var out: [HTTPRoute] = []
        func add(_ service: InternalService, rule: String, priority: Int, on entryPoint: String) {
            guard let expression = try? RuleParser.parseAuto(rule, default: .v3).expression else { return }
            out.append(HTTPRoute(name: service.rawValue, priority: priority, rule: expression, entryPoints: [entryPoint],
                                 middlewares: [], service: HTTPService(name: service.rawValue, servers: [], passHostHeader: true),
                                 internalService: service, isInternalRouter: true))
        }
        for ep in acmeHTTPEntryPoints { add(.acmeHTTP, rule: "PathPrefix(`/.well-known/acme-challenge/`)", priority: .max, on: ep) }
        if let ep = pingEntryPoint { add(.ping, rule: "PathPrefix(`/ping`)", priority: .max, on: ep) }
        for ep in communityCAEntryPoints {
            add(.communityCA, rule: "Path(`\(CommunityCARoot.pemPath)`) || Path(`\(CommunityCARoot.derPath)`)", priority: .max, on: ep)
        }
        if let ep = metricsEntryPoint { add(.prometheus, rule: "Path(`/metrics`)", priority: .max, on: ep) }
        if let ep = apiEntryPoint {
            add(.api, rule: "PathPrefix(`/api`)", priority: .max - 1, on: ep)
            if dashboard { add(.dashboard, rule: "PathRegexp(`^`)", priority: .max - 2, on: ep) }
        }
        return out
    }
}
