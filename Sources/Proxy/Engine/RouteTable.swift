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
    let service: LoadBalancer
    /// Set when the router names `api@internal` & co: stoep answers, `service` is an empty placeholder.
    public let internalService: InternalService?
    public var requests: UInt64 = 0

    init(name: String, priority: Int, rule: RuleExpression, entryPoints: Set<String>?, middlewares: [HTTPMiddleware],
         service: LoadBalancer, internalService: InternalService? = nil) {
        self.internalService = internalService
        self.name = name
        self.priority = priority
        self.rule = rule
        self.entryPoints = entryPoints
        self.middlewares = middlewares
        self.service = service
    }
}

public final class RouteTable {
    public let routes: [HTTPRoute]
    public let services: [LoadBalancer]
    /// Problems found while building (router name and what was wrong); those routers were skipped.
    public let problems: [String]

    init(routes: [HTTPRoute], services: [LoadBalancer], problems: [String]) {
        self.routes = RouteOrder.sorted(routes)
        self.services = services
        self.problems = problems
    }

    public static var empty: RouteTable { RouteTable(routes: [], services: [], problems: []) }

    func match(entryPoint: String, _ request: RequestView) -> HTTPRoute? {
        for r in routes where r.entryPoints?.contains(entryPoint) ?? true {
            if r.rule.matches(request) { return r }
        }
        return nil
    }

    /// Idle upstream connections of services a newer table no longer has are closed.
    func retire(keeping next: RouteTable) {
        let kept = Set(next.services.flatMap { $0.servers.map { ObjectIdentifier($0) } })
        for s in services.flatMap(\.servers) where !kept.contains(ObjectIdentifier(s)) { s.closeIdle() }
    }
}
