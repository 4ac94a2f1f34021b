// The immutable TCP routing table: every usable TCP router, in match order (priority descending), with the
// questions the engine asks of a new connection on an entry point. Traefik's rules (pkg/server/router/tcp/
// router.go ServeTCP) decide the shape:
// - TCP routers are tried before HTTP routers on a shared entry point; when none matches, HTTP takes over.
// - A router without `tls` sees only non-TLS connections; it cannot read SNI, so only HostSNI(`*`) (and
//   ClientIP) rules make sense there. A `tls.passthrough` router sees only TLS connections, by SNI/ALPN.
// - When an entry point has no TLS router, a non-TLS connection is matched at once, before a byte is read:
//   server-speaks-first protocols (SMTP, MySQL) would otherwise wait for a peek that never comes.
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
    public var connections: UInt64 = 0

    init(name: String, priority: Int, rule: TCPRuleExpression, entryPoints: Set<String>?, tlsPassthrough: Bool,
         tlsTerminated: Bool = false, isCatchAll: Bool, service: TCPService) {
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

    /// True when any TCP router attaches to `entryPoint`.
    public func hasRoutes(entryPoint: String) -> Bool {
        routes.contains { $0.serves(entryPoint) }
    }

    /// True when connections on `entryPoint` must be peeked (`ClientHello.peek`) before routing: some TLS
    /// router there routes by SNI/ALPN, or at least needs to know the connection is TLS.
    public func needsPeek(entryPoint: String) -> Bool {
        routes.contains { ($0.tlsPassthrough || $0.tlsTerminated) && $0.serves(entryPoint) }
    }

    /// True when a router on `entryPoint` routes TLS by SNI/ALPN before termination (passthrough): the
    /// whole ClientHello must be peeked, not just its first byte.
    public func needsClientHello(entryPoint: String) -> Bool {
        routes.contains { $0.tlsPassthrough && $0.serves(entryPoint) }
    }

    /// A non-TLS HostSNI(`*`) router on `entryPoint`, if any: every non-TLS connection ends in a TCP router
    /// there, so the entry point's HTTP routers are unreachable (as in Traefik). The engine may warn.
    public func catchAll(entryPoint: String) -> TCPRoute? {
        routes.first { !$0.tlsPassthrough && !$0.tlsTerminated && $0.isCatchAll && $0.serves(entryPoint) }
    }

    /// Traefik's early path: the route for a new connection on an entry point without TLS routers, chosen
    /// from the peer address alone, before reading. nil when the entry point needs a peek (or nothing
    /// matches: then read, and hand the connection to HTTP). Caller's duty: skip this when the entry point
    /// terminates TLS for HTTPS routers (that needs the ClientHello too).
    public func matchBeforeReading(entryPoint: String, clientIP: ClientIP?) -> TCPRoute? {
        guard !needsPeek(entryPoint: entryPoint) else { return nil }
        return match(entryPoint: entryPoint, serverName: nil, alpn: [], clientIP: clientIP, isTLS: false)
    }

    /// The first router (by priority) on `entryPoint` whose rule accepts the connection. `isTLS` picks the
    /// router family: TLS connections go to passthrough routers with their SNI (`serverName`, nil = none)
    /// and ALPN; other connections to non-TLS routers, which see no SNI and no ALPN. nil: no TCP router
    /// wants it — HTTP routers take over (non-TLS), or the connection is closed (TLS, until termination).
    public func match(entryPoint: String, serverName: String?, alpn: [String], clientIP: ClientIP?,
                      isTLS: Bool) -> TCPRoute? {
        let connection = TCPRuleRequest(serverName: isTLS ? serverName ?? "" : "",
                                        alpnProtocols: isTLS ? alpn : [], clientIP: clientIP)
        for route in routes where route.tlsPassthrough == isTLS && !route.tlsTerminated && route.serves(entryPoint) {
            if route.rule.matches(connection) { return route }
        }
        return nil
    }

    /// True when a router terminates TLS on `entryPoint` (the entry point then needs a TLS context).
    public func hasTerminatedTLS(entryPoint: String) -> Bool {
        routes.contains { $0.tlsTerminated && $0.serves(entryPoint) }
    }

    /// After a handshake: the TLS-terminating router for the connection's SNI and ALPN, if any (tried
    /// before the HTTPS routers, as TCP routers come first in Traefik).
    public func matchTerminated(entryPoint: String, serverName: String?, alpn: [String], clientIP: ClientIP?) -> TCPRoute? {
        let connection = TCPRuleRequest(serverName: serverName ?? "", alpnProtocols: alpn, clientIP: clientIP)
        for route in routes where route.tlsTerminated && route.serves(entryPoint) {
            if route.rule.matches(connection) { return route }
        }
        return nil
    }
}
