// `tcp.routers` and `tcp.services`: SNI/ClientIP-routed TCP, optionally TLS-terminated or passed through.
// Traefik reference: routing-configuration/tcp/*. Unlike HTTP, a TCP router always needs a rule (for
// non-TLS routers ``HostSNI(`*`)``), even from label providers.

public struct TraefikTCPRouter: Sendable, Hashable {
    /// Qualified ("db@docker").
    public var name: String
    public var rule: String
    public var ruleSyntax: TraefikRuleSyntax?
    /// Empty = every TCP entry point (or the `asDefault` ones).
    public var entryPoints: [String]
    /// Qualified `tcp.middlewares` names.
    public var middlewares: [String]
    /// Qualified; nil only from label providers (linked to the container's single service later).
    public var service: String?
    public var priority: Int64
    public var tls: TraefikRouterTLS?
    public var location: SourceLocation

    public init(name: String, rule: String, ruleSyntax: TraefikRuleSyntax? = nil, entryPoints: [String] = [], middlewares: [String] = [],
                service: String?, priority: Int64 = 0, tls: TraefikRouterTLS? = nil, location: SourceLocation) {
        self.name = name
        self.rule = rule
        self.ruleSyntax = ruleSyntax
        self.entryPoints = entryPoints
        self.middlewares = middlewares
        self.service = service
        self.priority = priority
        self.tls = tls
        self.location = location
    }
}

public struct TraefikTCPService: Sendable, Hashable {
    public var name: String
    public var servers: [TraefikTCPServer]
    /// Qualified `tcp.serversTransports` name.
    public var serversTransport: String?
    /// The deprecated `loadBalancer.proxyProtocol.version`, used only without a serversTransport.
    public var proxyProtocolVersion: Int?
    /// Deprecated `loadBalancer.terminationDelay` (milliseconds; negative = no limit), used only when the
    /// service names no serversTransport (pkg/tcp/dialer.go Build).
    public var terminationDelayMilliseconds: Int64?
    public var location: SourceLocation
    /// `weighted.services`: a share of connections for each of other TCP services (no `loadBalancer` then).
    public var weighted: [TraefikWeightedService]?

    public init(name: String, servers: [TraefikTCPServer], serversTransport: String? = nil, location: SourceLocation,
                weighted: [TraefikWeightedService]? = nil) {
        self.name = name
        self.servers = servers
        self.serversTransport = serversTransport
        self.location = location
        self.weighted = weighted
    }
}

/// `address` is "host:port"; `tls` = connect to it with TLS.
public struct TraefikTCPServer: Sendable, Hashable {
    public var address: String
    public var tls: Bool

    public init(address: String, tls: Bool = false) {
        self.address = address
        self.tls = tls
    }
}

extension TraefikTCPRouter {
    static let keys = ["rule", "ruleSyntax", "entryPoints", "middlewares", "service", "priority", "tls"]

    static func decode(name: String, _ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikTCPRouter? {
        log.decodeEntry { log in
            scope.checkName(name, section, &log)
            section.warnUnknownKeys(allowed: keys, log: &log)
            let rule = section.string("rule", &log)
            if rule?.isEmpty ?? (section.node("rule") == nil) {
                log.error(section.location, section.path("rule"), "TCP router has no rule; expected rule = \"HostSNI(`example.com`)\" (or HostSNI(`*`) without TLS)")
            }
            var router = TraefikTCPRouter(name: scope.qualify(name), rule: rule ?? "", service: nil, location: section.location)
            router.ruleSyntax = TraefikRuleSyntax.decode(section, log: &log)
            router.entryPoints = section.strings("entryPoints", &log) ?? []
            router.middlewares = (section.strings("middlewares", &log) ?? []).map(scope.qualify)
            router.service = scope.routerService(section, router: "TCP router", log: &log)
            router.priority = section.integer("priority", in: Int64.min...TraefikHTTPRouter.maximumPriority, &log) ?? 0
            router.tls = TraefikRouterTLS.decode(section, key: "tls", scope: scope, allowsPassthrough: true, log: &log)
            return router
        }
    }
}

extension TraefikTCPService {
    static func decode(name: String, _ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikTCPService? {
        log.decodeEntry { log in
            scope.checkName(name, section, &log)
            section.warnUnknownKeys(allowed: ["loadBalancer", "weighted"], log: &log)
            if section.has("weighted") {
                if section.has("loadBalancer") {
                    log.error(section.location, section.path, "TCP service has both loadBalancer and weighted; expected one")
                    return nil
                }
                guard let body = section.section("weighted", &log) else { return nil }
                body.warnUnknownKeys(allowed: ["services", "healthCheck"], log: &log)
                // tcp.WRRLoadBalancer follows its children's health only through their health checks,
                // which stoep's TCP load balancers do not run: a healthCheck here could never act.
                if let hc = body.node("healthCheck") {
                    log.error(hc.location, body.path(body.writtenKey("healthCheck")),
                              "weighted.healthCheck needs TCP health checks on the children, which stoep does not run yet")
                    return nil
                }
                let entries = TraefikWeightedService.decodeList(body, scope: scope, log: &log)
                if entries.isEmpty {
                    log.error(body.location, body.path("services"), "weighted TCP service lists no services")
                    return nil
                }
                return TraefikTCPService(name: scope.qualify(name), servers: [], location: section.location, weighted: entries)
            }
            guard let body = section.section("loadBalancer", &log) else {
                if section.node("loadBalancer") == nil {
                    log.error(section.location, section.path("loadBalancer"), "TCP service has no loadBalancer")
                }
                return nil
            }
            body.warnUnknownKeys(allowed: ["servers", "serversTransport", "proxyProtocol", "terminationDelay"], log: &log)
            var proxyProtocolVersion: Int? = nil
            if let proxy = body.node("proxyProtocol") {
                // Traefik 3.7 still reads it (pkg/tcp/dialer.go Build) and logs it as deprecated.
                proxyProtocolVersion = TraefikTCPServersTransport.proxyProtocolVersion(body, &log)
                log.warning(proxy.location, body.path(body.writtenKey("proxyProtocol")),
                            "deprecated in Traefik 3 (use tcp.serversTransports.NAME.proxyProtocol); applied unless the service names a serversTransport")
            }
            var terminationDelay: Int64? = nil
            if let delay = body.node("terminationDelay") {
                // Traefik 3.7 still reads it as milliseconds (TCPServersLoadBalancer.TerminationDelay *int).
                terminationDelay = body.integer("terminationDelay", &log)
                log.warning(delay.location, body.path(body.writtenKey("terminationDelay")),
                            "deprecated in Traefik 3 (use tcp.serversTransports.NAME.terminationDelay); applied unless the service names a serversTransport")
            }
            let servers: [TraefikTCPServer] = (body.sections("servers", &log) ?? []).compactMap { server in
                server.warnUnknownKeys(allowed: ["address", "tls"], log: &log)
                let tls = server.bool("tls", &log) ?? false
                guard let address = server.string("address", &log), !address.isEmpty else {
                    log.error(server.location, server.path("address"), "server has no address; expected address = \"host:port\"")
                    return nil
                }
                return TraefikTCPServer(address: address, tls: tls)
            }
            var service = TraefikTCPService(name: scope.qualify(name), servers: servers,
                                            serversTransport: body.string("serversTransport", &log).map(scope.qualify), location: section.location)
            service.proxyProtocolVersion = proxyProtocolVersion
            service.terminationDelayMilliseconds = terminationDelay
            return service
        }
    }
}
