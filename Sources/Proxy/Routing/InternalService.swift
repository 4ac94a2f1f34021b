// Traefik's internal services (`NAME@internal`): answered by stoep itself instead of a backend. Routers
// reach them like any service, through the route table: a configured router may name one
// (`service: api@internal` behind basicAuth, as the fixtures do), and the static configuration adds
// Traefik's own routers for them (InternalRouters: `/metrics` with metrics.prometheus, the API and the
// dashboard on the `traefik` entry point with api.insecure).
import Rules

public enum InternalService: String, Sendable, CaseIterable {
    /// The read-only JSON API and (with `api.dashboard`) the dashboard page.
    case api = "api@internal"
    case dashboard = "dashboard@internal"
    /// The Prometheus exposition.
    case prometheus = "prometheus@internal"
    /// Answers 418 to everything (Traefik's noop handler; used by redirect-only routers).
    case noop = "noop@internal"
}

/// What an internal service is asked: the request after the router's middlewares (stripPrefix…).
public struct InternalRequest: Sendable {
    public let method: String
    public let path: String
    public let query: String
    public let host: String
    /// True when answered by one of Traefik's own routers (InternalRouters), not a configured one.
    public let direct: Bool
}

/// What answers the internal services; set by the appliance from the static configuration. A service
/// without its handler answers 404, as an unconfigured one would.
public struct InternalHandlers {
    /// api@internal and dashboard@internal.
    public var api: ((InternalRequest) -> LocalResponse)?
    /// prometheus@internal: the exposition text.
    public var prometheus: (() -> [UInt8])?

    public init() {}

    func answer(_ service: InternalService, _ request: InternalRequest) -> LocalResponse {
        switch service {
        case .prometheus:
            guard let render = prometheus else { return .notFound }
            return LocalResponse(status: 200, fields: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: render())
        case .noop:
            return .empty(418)
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

    public init(metricsEntryPoint: String? = nil, apiEntryPoint: String? = nil, dashboard: Bool = false) {
        self.metricsEntryPoint = metricsEntryPoint
        self.apiEntryPoint = apiEntryPoint
        self.dashboard = dashboard
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
        if let ep = metricsEntryPoint { add(.prometheus, rule: "Path(`/metrics`)", priority: .max, on: ep) }
        if let ep = apiEntryPoint {
            add(.api, rule: "PathPrefix(`/api`)", priority: .max - 1, on: ep)
            if dashboard { add(.dashboard, rule: "PathRegexp(`^`)", priority: .max - 2, on: ep) }
        }
        return out
    }
}
