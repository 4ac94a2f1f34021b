// From Traefik's dynamic configuration (every provider's, merged) to a RouteTable: rules compiled,
// middleware chains resolved by their qualified names, services turned into HTTPServices. A router
// whose rule does not parse, or that names a missing or unsupported service or middleware, is reported
// (router name and why) and skipped — the others serve, as in Traefik, where such a router gives 404.
import Config
import Reactor
import Rules

public enum RouteTableBuilder {
    public struct Result {
        public let table: RouteTable
        /// One line per skipped entry or warning, naming the router/service and the reason.
        public let problems: [String]
    }

    /// `tlsEntryPoints`: entry points with `http.tls` (their routers serve HTTPS); `redirections`: entry
    /// point name → the redirect its `http.redirections.entryPoint` asks for; `transports`: HTTPS backends'
    /// TLS client settings (serversTransport). `internalServices`: the `NAME@internal` services the static
    /// configuration provides (api@internal with `[api]`, prometheus@internal with `metrics.prometheus`); a
    /// router naming another is skipped. `internalRouters`: Traefik's own routers the static configuration
    /// adds (`/metrics`, and the API on the `traefik` entry point). `entryPointMiddlewares`: entry points'
    /// `http.middlewares`, put before a redirection's (routers have them already: TraefikEntryPointModels).
    public static func build(_ configs: [TraefikDynamicConfig], defaultSyntax: TraefikRuleSyntax = .v3,
                             entryPointNames: [String], tlsEntryPoints: Set<String> = [],
                             redirections: [String: (to: String, redirect: TraefikRedirectScheme)] = [:],
                             entryPointMiddlewares: [String: [String]] = [:],
                             transports: ServersTransports = ServersTransports(),
                             internalServices: Set<InternalService> = [.noop], internalRouters: InternalRouters = InternalRouters(),
                             previous: RouteTable? = nil) -> Result {
        var problems: [String] = []
        // Plain servers of the previous table, by service and URL: an unchanged server is kept (the
        // same object), so its pooled connections and its health survive a reconfiguration — with the
        // Docker provider, every container event builds a new table.
        var kept: [String: UpstreamServer] = [:]
        for svc in previous?.services ?? [] {
            for server in svc.servers where server.tls == nil { kept[svc.name + "\u{0}" + server.url] = server }
        }
        var services: [String: HTTPService] = [:]
        var middlewareConfigs: [String: TraefikMiddleware] = [:]
        for c in configs {
            for (name, m) in c.httpMiddlewares { middlewareConfigs[name] = m }
            for (name, s) in c.httpServices {
                switch s.kind {
                case .loadBalancer(let lb):
                    var servers: [UpstreamServer] = []
                    for server in lb.servers {
                        switch upstream(server.url, weight: Int(server.weight), transport: lb.serversTransport, transports) {
                        case .success(let fresh):
                            var u = fresh
                            if fresh.tls == nil, let old = kept[name + "\u{0}" + fresh.url], old.weight == fresh.weight,
                               old.hostHeader == fresh.hostHeader, old.address.description == fresh.address.description {
                                u = old
                            }
                            servers.append(u)
                            if !u.hostHeader.hasPrefix("["), SocketAddress(host: String(u.hostHeader.split(separator: ":").first ?? ""), port: 1) == nil {
                                problems.append("\(s.location): service \(name): server \(server.url): host name resolved once at load time to \(u.address) (the loop never waits for DNS); reload to resolve again")
                            }
                        case .failure(let why): problems.append("\(s.location): service \(name): server \(server.url): \(why)")
                        }
                    }
                    if servers.isEmpty && !lb.servers.isEmpty { continue }
                    if lb.healthCheck != nil && servers.contains(where: { $0.tls != nil }) {
                        problems.append("\(s.location): service \(name): active health checks of HTTPS servers are not supported yet; those servers count as up (passive health still applies)")
                    }
                    if lb.healthCheck != nil && servers.contains(where: { $0.http2 == .priorKnowledge }) {
                        problems.append("\(s.location): service \(name): active health checks of h2c servers are not supported yet (the probe speaks HTTP/1.1); those servers count as up (passive health still applies)")
                    }
                    let hc = lb.healthCheck.map {
                        HealthCheckSettings(path: $0.path.isEmpty ? "/" : $0.path,
                                            interval: UInt64(max($0.interval.nanoseconds, 100_000_000)),
                                            timeout: UInt64(max($0.timeout.nanoseconds, 10_000_000)), hostname: $0.hostname,
                                            method: $0.method.isEmpty ? "GET" : $0.method, expectedStatus: $0.status.map { Int($0) },
                                            port: $0.port.map { UInt16($0) }, headers: $0.headers.map { ($0.key, $0.value) },
                                            followRedirects: $0.followRedirects)
                    }
                    services[name] = HTTPService(name: name, servers: servers, passHostHeader: lb.passHostHeader, healthCheck: hc, sticky: lb.sticky,
                                                 strategy: lb.strategy)
                case .weighted, .failover, .mirroring, .highestRandomWeight:
                    continue   // CompositeServiceBuilder, once every load balancer is known
                }
            }
        }
        CompositeServiceBuilder.build(configs, into: &services, problems: &problems)
        var routes: [HTTPRoute] = []
        var claims: [HostClaim] = []
        for c in configs {
            for (name, r) in c.httpRouters.sorted(by: { $0.key < $1.key }) {
                guard let ruleText = r.rule else {
                    problems.append("\(r.location): router \(name): no rule; skipped")
                    continue
                }
                let syntax: RuleSyntax = (r.ruleSyntax ?? defaultSyntax) == .v2 ? .v2 : .v3
                let expression: RuleExpression
                do {
                    let parsed = try RuleParser.parseAuto(ruleText, default: syntax)
                    expression = parsed.expression
                    if parsed.usedV2Fallback {
                        problems.append("\(r.location): router \(name): rule only parses as Traefik v2 syntax; accepted as v2 (set ruleSyntax: v2 to silence)")
                    }
                } catch {
                    problems.append("\(r.location): router \(name): \(error); skipped")
                    continue
                }
                let serviceName = r.service.map { TraefikDynamicConfig.qualify($0, provider: c.provider) }
                let internalTarget = serviceName.flatMap { InternalService(rawValue: $0) }.flatMap { internalServices.contains($0) ? $0 : nil }
                guard let serviceName, let service = internalTarget.map({ HTTPService(name: $0.rawValue, servers: [], passHostHeader: true) })
                        ?? services[serviceName] else {
                    problems.append("\(r.location): router \(name): service \(r.service ?? "(none)") not found; skipped")
                    continue
                }
                var chain: [HTTPMiddleware] = []
                var ok = true
                for ref in r.middlewares {
                    let qualified = TraefikDynamicConfig.qualify(ref, provider: c.provider)
                    switch MiddlewareBuilder.chain(qualified, middlewareConfigs, services: services) {
                    case .success(let list): chain += list
                    case .failure(let why):
                        problems.append("\(r.location): router \(name): middleware \(qualified): \(why); skipped")
                        ok = false
                    }
                }
                guard ok else { continue }
                let unknownEntryPoints = r.entryPoints.filter { !entryPointNames.contains($0) }
                if !unknownEntryPoints.isEmpty {
                    problems.append("\(r.location): router \(name): entry point \(unknownEntryPoints.joined(separator: ", ")) does not exist")
                }
                let priority = r.priority != 0 ? Int(r.priority) : RulePriority.defaultPriority(rule: ruleText)
                claims.append(HostClaim(router: name, location: r.location, priority: priority, hosts: expression.exactHostNames,
                                        entryPoints: r.entryPoints.isEmpty ? nil : Set(r.entryPoints)))
                routes.append(HTTPRoute(name: name, priority: priority, rule: expression,
                                        entryPoints: r.entryPoints.isEmpty ? nil : Set(r.entryPoints),
                                        middlewares: chain, service: service, tls: r.tls != nil, tlsEntryPoints: tlsEntryPoints,
                                        internalService: internalTarget))
            }
        }
        routes += redirectionRoutes(redirections, entryPointMiddlewares: entryPointMiddlewares,
                                    middlewareConfigs: middlewareConfigs, services: services, problems: &problems)
        problems += HostClaims.problems(claims)
        problems += transports.problems
        let table = RouteTable(routes: routes, internalRoutes: internalRouters.routes(), services: Array(services.values), problems: problems)
        return Result(table: table, problems: problems)
    }

    /// Traefik's `NAME-to-TARGET@internal` routers: every plain request on the entry point is redirected
    /// (priority MaxInt-1, above every user router). The entry point's `http.middlewares` come first, as
    /// Traefik's applyModel gives them to its internal router too; names resolve in the `internal`
    /// provider when unqualified, and a missing one leaves the entry point without its redirection.
    private static func redirectionRoutes(_ redirections: [String: (to: String, redirect: TraefikRedirectScheme)],
                                          entryPointMiddlewares: [String: [String]], middlewareConfigs: [String: TraefikMiddleware],
                                          services: [String: HTTPService], problems: inout [String]) -> [HTTPRoute] {
        // Traefik's rule: any non-empty Host (a request without one is not redirected).
        guard let everything = try? RuleParser.parseAuto("HostRegexp(`^.+$`)", default: .v3).expression else { return [] }
        let noop = HTTPService(name: InternalService.noop.rawValue, servers: [], passHostHeader: true)
        return redirections.sorted { $0.key < $1.key }.compactMap { entryPoint, r in
            let name = "\(entryPoint)-to-\(r.to)@internal"
            var chain: [HTTPMiddleware] = []
            for ref in entryPointMiddlewares[entryPoint] ?? [] {
                let qualified = TraefikDynamicConfig.qualify(ref, provider: "internal")
                switch MiddlewareBuilder.chain(qualified, middlewareConfigs, services: services) {
                case .success(let list): chain += list
                case .failure(let why):
                    problems.append("entryPoints.\(entryPoint): router \(name): middleware \(qualified): \(why); skipped")
                    return nil
                }
            }
            return HTTPRoute(name: name, priority: Int.max - 1, rule: everything, entryPoints: [entryPoint],
                             middlewares: chain + [RedirectSchemeMiddleware(name: "redirect-\(entryPoint)-to-\(r.to)@internal", config: r.redirect)],
                             service: noop, internalService: .noop)
        }
    }

    struct Why: Error, CustomStringConvertible { let description: String }

    /// "http://host:port", "https://host:port" or "h2c://host:port" to a server. Host names are resolved
    /// here, at load time (a warning names them: the loop never blocks on a resolution). HTTPS servers get
    /// the TLS client context of their serversTransport (`transport`: qualified name; nil = the static one)
    /// and offer h2 in ALPN unless it sets disableHTTP2; h2c servers are spoken to in HTTP/2 with prior
    /// knowledge (Traefik's h2c transport).
    static func upstream(_ url: String, weight: Int, transport: String? = nil,
                         _ transports: ServersTransports = ServersTransports()) -> Swift.Result<UpstreamServer, Why> {
        var rest = Substring(url)
        let https = rest.hasPrefix("https://"), h2c = rest.hasPrefix("h2c://")
        guard https || h2c || rest.hasPrefix("http://") else { return .failure(Why(description: "scheme not supported")) }
        rest = rest.dropFirst(https ? 8 : h2c ? 6 : 7)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let authority = String(rest)
        var host = authority, port: UInt16 = https ? 443 : 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = UInt16(after.dropFirst()) ?? 0 }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = UInt16(authority[authority.index(after: colon)...]) ?? 0
        }
        guard port != 0 else { return .failure(Why(description: "bad port")) }
        var tls: (context: TLSClientContext, serverName: String)? = nil
        var offersHTTP2 = false
        if https {
            switch transports.client(named: transport) {
            case .success(let c):
                tls = (c.context, c.serverName ?? host)
                offersHTTP2 = !c.disableHTTP2
            case .failure(let why): return .failure(Why(description: why.description))
            }
        } else if h2c {
            switch transports.settings(named: transport) {
            case .success(let t) where t?.disableHTTP2 == true:
                // Traefik's HTTP/1-only transport then has no h2c: every request to the server fails.
                return .failure(Why(description: "h2c:// needs HTTP/2, which its serversTransport disables (disableHTTP2)"))
            case .success: break
            case .failure(let why): return .failure(Why(description: why.description))
            }
        }
        guard let address = SocketAddress(host: host, port: port) ?? SocketAddress.resolving(host: host, port: port) else { return .failure(Why(description: "cannot resolve \(host)")) }
        let settings: UpstreamTransport
        switch transports.settings(named: transport) {
        case .success(let t): settings = UpstreamTransport(t)
        case .failure(let why): return .failure(Why(description: why.description))
        }
        return .success(UpstreamServer(url: url, hostHeader: authority, address: address, weight: weight, tls: tls,
                                       http2: h2c ? .priorKnowledge : offersHTTP2 ? .negotiated : .never, transport: settings))
    }

}
