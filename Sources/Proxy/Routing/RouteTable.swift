// The immutable routing table: every HTTP router with its compiled rule, middlewares and service, in
// match order (priority descending). A configuration change builds a new table and swaps it in at once;
// sessions keep the table their request was routed with.

public final class HTTPRoute: PrioritizedRoute {
    public let name: String
    public let priority: Int
    let rule: RuleExpression
    /// nil: the router attaches to every entry point.
    let entryPoints: Set<String>?
    let middlewares: [HTTPMiddleware]
    let service: HTTPService
    /// The router has `tls`: it serves TLS connections only, on every entry point it attaches to.
    let tls: Bool
    /// Entry points with `http.tls`, where this router serves TLS connections even without its own `tls`.
    let tlsEntryPoints: Set<String>
    /// Set when the router names `api@internal` & co: stoep answers, `service` is an empty placeholder.
    public let internalService: InternalService?
    public var requests: UInt64 = 0

    init(name: String, priority: Int, rule: RuleExpression, entryPoints: Set<String>?, middlewares: [HTTPMiddleware],
         service: HTTPService, tls: Bool = false, tlsEntryPoints: Set<String> = [], internalService: InternalService? = nil) {
        self.internalService = internalService
        self.tls = tls
        self.tlsEntryPoints = tlsEntryPoints
        self.name = name
        self.priority = priority
        self.rule = rule
        self.entryPoints = entryPoints
        self.middlewares = middlewares
        self.service = service
    }
}

extension HTTPRoute {
    @inline(__always)
    func isTLS(on entryPoint: String) -> Bool { tls || tlsEntryPoints.contains(entryPoint) }
}

public final class RouteTable {
    public let routes: [HTTPRoute]
    public let services: [HTTPService]
    /// Problems found while building (router name and what was wrong); those routers were skipped.
    public let problems: [String]

    init(routes: [HTTPRoute], services: [HTTPService], problems: [String]) {
        self.routes = RouteOrder.sorted(routes)
        self.services = services
        self.problems = problems
    }

    public static var empty: RouteTable { RouteTable(routes: [], services: [], problems: []) }

    /// The first route on `entryPoint` for this kind of connection (Traefik keeps separate HTTP and
    /// HTTPS router sets per entry point) whose rule accepts the request.
    func match(entryPoint: String, tls: Bool, _ request: RequestView) -> HTTPRoute? {
        for r in routes where r.entryPoints?.contains(entryPoint) ?? true {
            if r.isTLS(on: entryPoint) == tls && r.rule.matches(request) { return r }
        }
        return nil
    }

    /// Whether some router serves TLS connections on `entryPoint` (then its connections are peeked).
    public func hasTLS(entryPoint: String) -> Bool {
        if let known = tlsByEntryPoint[entryPoint] { return known }
        let any = routes.contains { ($0.entryPoints?.contains(entryPoint) ?? true) && $0.isTLS(on: entryPoint) }
        tlsByEntryPoint[entryPoint] = any
        return any
    }
    /// hasTLS answers, filled on first use (asked on every accept).
    private var tlsByEntryPoint: [String: Bool] = [:]

    /// Idle upstream connections of services a newer table no longer has are closed.
    func retire(keeping next: RouteTable) {
        let kept = Set(next.services.flatMap { $0.servers.map { ObjectIdentifier($0) } })
        for s in services.flatMap(\.servers) where !kept.contains(ObjectIdentifier(s)) { s.pool.closeAll() }
    }
}
