// One entry point's TCP routers of one table, by the kind of connection each takes, and the questions a
// new connection asks of them (Traefik's pkg/server/router/tcp/router.go ServeTCP decides the shape):
// - TCP routers are tried before HTTP routers on a shared entry point; when none matches, HTTP takes over.
// - A router without `tls` sees only non-TLS connections and no SNI (HostSNI(`*`) and ClientIP make sense).
// - A `tls.passthrough` router sees only TLS connections, by the ClientHello's SNI and ALPN.
// - A `tls` router without passthrough sees the connection after stoep terminated TLS.
// - When an entry point has no TLS router, a non-TLS connection is matched at once, before a byte is read:
//   server-speaks-first protocols (SMTP, MySQL) would otherwise wait for a peek that never comes.
import Rules

public struct EntryPointTCPRoutes {
    /// The table these were taken from (the entry point takes them anew when the proxy's table changes).
    let table: TCPRouteTable
    /// Non-TLS routers, in match order.
    let plain: [TCPRoute]
    /// `tls.passthrough` routers, in match order.
    let passthrough: [TCPRoute]
    /// Routers of TLS terminated here, in match order.
    let terminated: [TCPRoute]

    /// True when no TCP router attaches to the entry point.
    public var isEmpty: Bool { plain.isEmpty && passthrough.isEmpty && terminated.isEmpty }

    /// True when connections must be peeked (`ClientHello.peek`) before routing: some TLS router routes by
    /// SNI/ALPN, or at least needs to know the connection is TLS.
    public var needsPeek: Bool { !passthrough.isEmpty || !terminated.isEmpty }

    /// True when a router routes TLS by SNI/ALPN before termination: the whole ClientHello must be peeked,
    /// not just its first byte.
    public var needsClientHello: Bool { !passthrough.isEmpty }

    /// True when a router terminates TLS here (the entry point then needs a TLS context).
    public var terminatesTLS: Bool { !terminated.isEmpty }

    /// A non-TLS HostSNI(`*`) router, if any: every non-TLS connection ends in a TCP router here, so the
    /// entry point's HTTP routers are unreachable (as in Traefik).
    public var catchAll: TCPRoute? { plain.first { $0.isCatchAll } }

    /// Traefik's early path: the route for a new connection chosen from the peer address alone, before
    /// reading. nil when the entry point needs a peek (or nothing matches: then read, and hand the connection
    /// to HTTP). Caller's duty: skip this when the entry point terminates TLS for HTTPS routers (that needs
    /// the ClientHello too).
    public func matchBeforeReading(clientIP: ClientIP?) -> TCPRoute? {
        guard !needsPeek else { return nil }
        return match(serverName: nil, alpn: [], clientIP: clientIP, isTLS: false)
    }

    /// The first router (by priority) whose rule accepts the connection, before any TLS is terminated.
    /// `isTLS` picks the router family: TLS connections go to passthrough routers with their SNI
    /// (`serverName`, nil = none) and ALPN; other connections to non-TLS routers, which see no SNI and no
    /// ALPN. nil: no TCP router wants it — HTTP routers take over (non-TLS), or TLS is terminated here.
    public func match(serverName: String?, alpn: [String], clientIP: ClientIP?, isTLS: Bool) -> TCPRoute? {
        let connection = TCPRuleRequest(serverName: isTLS ? serverName ?? "" : "", alpnProtocols: isTLS ? alpn : [], clientIP: clientIP)
        for route in isTLS ? passthrough : plain where route.rule.matches(connection) { return route }
        return nil
    }

    /// After a handshake: the TLS-terminating router for the connection's SNI and ALPN, if any (tried before
    /// the HTTPS routers, as TCP routers come first in Traefik).
    public func matchTerminated(serverName: String?, alpn: [String], clientIP: ClientIP?) -> TCPRoute? {
        let connection = TCPRuleRequest(serverName: serverName ?? "", alpnProtocols: alpn, clientIP: clientIP)
        for route in terminated where route.rule.matches(connection) { return route }
        return nil
    }
}
