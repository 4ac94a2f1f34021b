// The immutable TCP routing table: every usable TCP router, in match order (priority descending). A new
// connection's questions (peek or not, which router) are asked of one entry point's share of it,
// EntryPointTCPRoutes, which also states Traefik's rules for TCP routers beside HTTP ones.
import Rules

public final class TCPRoute: PrioritizedRoute {
    public let name: String
    public let priority: Int
    public let rule: TCPRuleExpression
    /// nil: the router attaches to every entry point.
    public let entryPoints: Set<String>?
    /// true: TLS connections only, relayed byte for byte (`tls.passthrough`); false: non-TLS only.
    public let tlsPassthrough: Bool
    /// TLS connections only, terminated here; the decrypted stream is relayed (`tls` without passthrough).
    public let tlsTerminated: Bool
    /// The rule is exactly HostSNI(`*`) (Traefik's catchAll: on TLS, a specific HTTPS router beats it).
    public let isCatchAll: Bool
    public let service: TCPService
    /// `middlewares`, in order (each inFlightConn with its own counter, as Traefik builds one per router).
    public let middlewares: [TCPMiddleware]
    public var connections: UInt64 = 0
    /// Connections a middleware closed before any server was dialled.
    public var refused: UInt64 = 0

    init(name: String, priority: Int, rule: TCPRuleExpression, entryPoints: Set<String>?, tlsPassthrough: Bool,
         tlsTerminated: Bool = false, isCatchAll: Bool, service: TCPService, middlewares: [TCPMiddleware] = []) {
        self.middlewares = middlewares
        self.tlsTerminated = tlsTerminated
        self.name = name
        self.priority = priority
        self.rule = rule
        self.entryPoints = entryPoints
        self.tlsPassthrough = tlsPassthrough
        self.isCatchAll = isCatchAll
        self.service = service
    }

    func serves(_ entryPoint: String) -> Bool {
        entryPoints?.contains(entryPoint) ?? true
    }
}

public final class TCPRouteTable {
    public let routes: [TCPRoute]
    public let services: [TCPService]
    /// Problems found while building (router or service name and why); skipped entries are named here.
    public let problems: [String]

    init(routes: [TCPRoute], services: [TCPService], problems: [String]) {
        self.routes = RouteOrder.sorted(routes)
        self.services = services
        self.problems = problems
    }

    public static var empty: TCPRouteTable { TCPRouteTable(routes: [], services: [], problems: []) }

    /// The routers of `entryPoint`, by the kind of connection they take. An entry point asks once per
    /// table, not per connection.
    public func on(_ entryPoint: String) -> EntryPointTCPRoutes {
        let attached = routes.filter { $0.serves(entryPoint) }
        return EntryPointTCPRoutes(table: self, plain: attached.filter { !$0.tlsPassthrough && !$0.tlsTerminated },
                                   passthrough: attached.filter { $0.tlsPassthrough && !$0.tlsTerminated },
                                   terminated: attached.filter { $0.tlsTerminated })
    }
}
