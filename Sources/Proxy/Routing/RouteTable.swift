// The immutable routing table: every HTTP router with its compiled rule, middlewares and service, in
// match order (priority descending), and Traefik's own routers of the static configuration. A
// configuration change builds a new table and swaps it in at once; sessions keep the table their request
// was routed with.
import Rules

public final class RouteTable {
    /// The configured routers (and the entry points' redirection routers), in match order.
    public let routes: [HTTPRoute]
    /// Traefik's own routers (InternalRouters), tried before `routes` on their entry point.
    let internalRoutes: [HTTPRoute]
    public let services: [HTTPService]
    /// Problems found while building (router name and what was wrong); those routers were skipped.
    public let problems: [String]

    init(routes: [HTTPRoute], internalRoutes: [HTTPRoute] = [], services: [HTTPService], problems: [String]) {
        self.routes = RouteOrder.sorted(routes)
        self.internalRoutes = internalRoutes
        self.services = services
        self.problems = problems
    }

    public static var empty: RouteTable { RouteTable(routes: [], services: [], problems: []) }

    /// The routers of `entryPoint`, split by the kind of connection they serve. An entry point asks once
    /// per table, not per request.
    func routes(on entryPoint: String) -> EntryPointRoutes {
        let own = internalRoutes.filter { $0.attaches(to: entryPoint) }
        let attached = routes.filter { $0.attaches(to: entryPoint) }
        let tls = attached.filter { $0.isTLS(on: entryPoint) }
        return EntryPointRoutes(table: self, plain: own + attached.filter { !$0.isTLS(on: entryPoint) }, tls: own + tls,
                                servesTLS: !tls.isEmpty)
    }

    /// Idle upstream connections of services a newer table no longer has are closed.
    func retire(keeping next: RouteTable) {
        let kept = Set(next.services.flatMap { $0.servers.map { ObjectIdentifier($0) } })
        for s in services.flatMap(\.servers) where !kept.contains(ObjectIdentifier(s)) { s.closeConnections() }
    }
}

/// One entry point's routers of one table, in match order: plain connections' and TLS connections' (Traefik
/// keeps separate HTTP and HTTPS router sets per entry point), Traefik's own routers first in both.
struct EntryPointRoutes {
    /// The table these were taken from (the entry point makes them anew when the proxy's table changes).
    let table: RouteTable
    let plain: [HTTPRoute]
    let tls: [HTTPRoute]
    /// Some configured router serves TLS connections here: each connection's first byte tells TLS from HTTP.
    let servesTLS: Bool

    /// The first route for this kind of connection whose rule accepts the request.
    func match(tls isTLS: Bool, _ request: RequestView) -> HTTPRoute? {
        for r in isTLS ? tls : plain where r.rule.matches(request) { return r }
        return nil
    }
}
