// From Traefik's dynamic configuration (every provider's, merged) to a TCPRouteTable: rules compiled,
// services turned into round-robin server lists with their transport (PROXY protocol, dial timeout),
// middlewares resolved. A router Traefik would reject (no rule or service, a rule that does not parse,
// HostSNI of a name without `tls`, a missing middleware), or that needs what stoep does not do yet, is
// reported — file:line, router name, why — and skipped; the rest serve.
import Config
import Rules

public enum TCPRouteTableBuilder {
    public static func build(_ configs: [TraefikDynamicConfig], defaultSyntax: TraefikRuleSyntax = .v3,
                             entryPointNames: [String]) -> (table: TCPRouteTable, problems: [String]) {
        var problems: [String] = []
        var services: [String: TCPService] = [:]
        var transports: [String: TraefikTCPServersTransport] = [:]
        var middlewares: [String: TraefikMiddleware] = [:]
        for config in configs {
            transports.merge(config.tcpServersTransports) { _, b in b }
            middlewares.merge(config.tcpMiddlewares) { _, b in b }
        }
        var weighted: [String: TraefikTCPService] = [:]
        for config in configs {
            for (name, s) in config.tcpServices.sorted(by: { $0.key < $1.key }) {
                if s.weighted != nil { weighted[name] = s; continue }
                if let service = service(name, s, transports: transports, &problems) { services[name] = service }
            }
        }
        var failed: Set<String> = []
        for name in weighted.keys.sorted() {
            var visiting: [String] = []
            _ = weightedService(name, weighted, &services, &failed, &visiting, &problems)
        }
        var routes: [TCPRoute] = []
        for config in configs {
            for (name, r) in config.tcpRouters.sorted(by: { $0.key < $1.key }) {
                if let route = route(name, r, provider: config.provider, defaultSyntax: defaultSyntax,
                                     services: services, middlewares: middlewares, entryPointNames: entryPointNames, &problems) {
                    routes.append(route)
                }
            }
        }
        let table = TCPRouteTable(routes: routes, services: services.sorted { $0.key < $1.key }.map(\.value),
                                  problems: problems)
        return (table, problems)
    }

    /// A weighted TCP service, its children built first (nested to any depth; a missing child or a cycle
    /// fails it, as Traefik's BuildTCP does).
    private static func weightedService(_ name: String, _ declared: [String: TraefikTCPService], _ services: inout [String: TCPService],
                                        _ failed: inout Set<String>, _ visiting: inout [String], _ problems: inout [String]) -> TCPService? {
        if let built = services[name] { return built }
        guard let config = declared[name], let entries = config.weighted, !failed.contains(name) else { return nil }
        func refuse(_ why: String) -> TCPService? {
            problems.append("\(config.location): TCP service \(name): \(why); skipped")
            failed.insert(name)
            return nil
        }
        if visiting.contains(name) { return refuse("weighted services form a cycle (\((visiting + [name]).joined(separator: " → ")))") }
        visiting.append(name)
        defer { visiting.removeLast() }
        var children: [(service: TCPService, weight: Int)] = []
        for entry in entries {
            guard let child = weightedService(entry.name, declared, &services, &failed, &visiting, &problems) else {
                if failed.contains(name) { return nil }
                return refuse("child service \(entry.name) not found or not served")
            }
            children.append((child, Int(entry.weight)))
        }
        let service = TCPService(name: name, children: children)
        services[name] = service
        return service
    }

    /// The service's usable servers; nil (reported) when every configured server is unusable.
    private static func service(_ name: String, _ s: TraefikTCPService, transports: [String: TraefikTCPServersTransport],
                                _ problems: inout [String]) -> TCPService? {
        // Traefik's DialerManager.Build: a named transport's proxyProtocol wins (even when it has none); the
        // deprecated load-balancer one counts only without a transport.
        var proxyProtocolVersion = s.proxyProtocolVersion
        // Without a named transport, Traefik's default@internal (TCPServersTransport defaults: dialTimeout
        // 30s, dialKeepAlive 15s) with the load balancer's deprecated terminationDelay, 0 when absent.
        var dialTimeout: UInt64? = 30_000_000_000
        var terminationDelay: UInt64? = s.terminationDelayMilliseconds.map { $0 < 0 ? nil : UInt64($0) * 1_000_000 } ?? 0
        var keepAlive = TraefikDuration.seconds(15)
        if let transportName = s.serversTransport {
            guard let transport = transports[transportName] else {
                problems.append("\(s.location): TCP service \(name): serversTransport \(transportName) not found (or refused); skipped")
                return nil
            }
            proxyProtocolVersion = transport.proxyProtocolVersion
            // Traefik: "If zero, no timeout exists" (a transport's default is 30s, as the proxy's).
            dialTimeout = (transport.dialTimeout ?? .seconds(30)).nanoseconds > 0 ? UInt64((transport.dialTimeout ?? .seconds(30)).nanoseconds) : UInt64.max / 4
            terminationDelay = transport.terminationDelay.nanoseconds < 0 ? nil : UInt64(transport.terminationDelay.nanoseconds)
            keepAlive = transport.dialKeepAlive
        }
        // net.Dialer.KeepAlive: 0 → 15s, negative → none; whole seconds, as the kernel takes them.
        let keepAliveSeconds: Int32? = keepAlive.nanoseconds < 0 ? nil
            : keepAlive.nanoseconds == 0 ? 15 : Int32(clamping: max(1, (keepAlive.nanoseconds + 999_999_999) / 1_000_000_000))
        var servers: [TCPUpstream] = []
        for server in s.servers {
            let prefix = "\(s.location): TCP service \(name): server \(server.address)"
            if server.tls {
                problems.append("\(prefix): TLS to a TCP server is not supported yet; skipped")
                continue
            }
            switch TCPUpstreamAddress.resolve(server.address) {
            case .success(let resolved):
                servers.append(resolved.upstream)
                if let ip = resolved.resolvedFrom {
                    problems.append("\(prefix): warning: host name resolved once, at load time, to \(ip)")
                }
            case .failure(let why):
                problems.append("\(prefix): \(why); skipped")
            }
        }
        if servers.isEmpty && !s.servers.isEmpty {
            problems.append("\(s.location): TCP service \(name): no usable server; skipped")
            return nil
        }
        return TCPService(name: name, servers: servers, proxyProtocolVersion: proxyProtocolVersion, dialTimeout: dialTimeout,
                          terminationDelay: terminationDelay, keepAliveSeconds: keepAliveSeconds)
    }

    private static func route(_ name: String, _ r: TraefikTCPRouter, provider: String,
                              defaultSyntax: TraefikRuleSyntax, services: [String: TCPService],
                              middlewares configured: [String: TraefikMiddleware],
                              entryPointNames: [String], _ problems: inout [String]) -> TCPRoute? {
        let prefix = "\(r.location): TCP router \(name)"
        guard let serviceName = r.service.map({ TraefikDynamicConfig.qualify($0, provider: provider) }) else {
            problems.append("\(prefix): the service is missing on the router; skipped")
            return nil
        }
        guard !r.rule.isEmpty else {
            problems.append("\(prefix): router has no rule; skipped")
            return nil
        }
        let syntax: RuleSyntax = (r.ruleSyntax ?? defaultSyntax) == .v2 ? .v2 : .v3
        let rule: TCPRuleExpression
        do {
            let parsed = try parseAuto(r.rule, default: syntax)
            rule = parsed.expression
            if parsed.usedV2Fallback {
                problems.append("\(prefix): rule only parses as Traefik v2 syntax; accepted as v2 (set ruleSyntax: v2 to silence)")
            }
        } catch {
            problems.append("\(prefix): \(error); skipped")
            return nil
        }
        // Traefik: "has HostSNI matcher, but no TLS on router" — without TLS there is no SNI to compare;
        // only HostSNI(`*`) is allowed (Traefik checks the first HostSNI value).
        let firstHostSNI = rule.leaves.first { $0.name == "HostSNI" }?.arguments.first
        if r.tls == nil, let host = firstHostSNI, host != "*" {
            problems.append("\(prefix): invalid rule \(r.rule): has HostSNI matcher, but no TLS on router "
                + "(use HostSNI(`*`), or add tls with passthrough); skipped")
            return nil
        }
        var middlewares: [TCPMiddleware] = []
        for reference in r.middlewares {
            let qualified = TraefikDynamicConfig.qualify(reference, provider: provider)
            guard let m = configured[qualified] else {
                problems.append("\(prefix): TCP middleware \(qualified) not found; skipped")
                return nil
            }
            switch m.kind {
            case .ipAllowList(let a):
                middlewares.append(.ipAllowList(name: qualified, ranges: a.sourceRange.compactMap { ClientIPRange($0) }))
            case .inFlightConn(let amount):
                middlewares.append(.inFlightConn(InFlightConnections(name: qualified, amount: Int(amount))))
            default:
                problems.append("\(prefix): \(qualified) is not a TCP middleware; skipped")
                return nil
            }
        }
        guard let service = services[serviceName] else {
            problems.append("\(prefix): service \(serviceName) not found; skipped")
            return nil
        }
        let unknownEntryPoints = r.entryPoints.filter { !entryPointNames.contains($0) }
        if !unknownEntryPoints.isEmpty {
            problems.append("\(prefix): entry point \(unknownEntryPoints.joined(separator: ", ")) does not exist")
        }
        let catchAll = isCatchAll(rule)
        return TCPRoute(name: name, priority: priority(configured: r.priority, rule: r.rule, catchAll: catchAll),
                        rule: rule, entryPoints: r.entryPoints.isEmpty ? nil : Set(r.entryPoints),
                        tlsPassthrough: r.tls?.passthrough == true, tlsTerminated: r.tls != nil && r.tls?.passthrough != true,
                        isCatchAll: catchAll, service: service, middlewares: middlewares)
    }

    /// Traefik's TCP muxer: an explicit priority wins; else a catchAll gets -1 (so it is tried last),
    /// any other rule its byte length.
    static func priority(configured: Int64, rule: String, catchAll: Bool) -> Int {
        if configured != 0 { return Int(configured) }
        return catchAll ? -1 : RulePriority.defaultPriority(rule: rule)
    }

    /// The rule is one HostSNI matcher with the single value `*`, nothing else (Traefik's catchAll).
    static func isCatchAll(_ rule: TCPRuleExpression) -> Bool {
        guard case .matcher(let matcher) = rule else { return false }
        return matcher.name == "HostSNI" && matcher.arguments == ["*"]
    }

    /// As RuleParser.parseAuto for HTTP: a v3 rule that fails but reads as v2 is accepted, flagged.
    private static func parseAuto(_ rule: String, default syntax: RuleSyntax) throws(RuleParseError)
        -> (expression: TCPRuleExpression, usedV2Fallback: Bool)
    {
        do {
            return (try RuleParser.parseTCP(rule, syntax: syntax), false)
        } catch {
            guard syntax == .v3, let v2 = try? RuleParser.parseTCP(rule, syntax: .v2) else { throw error }
            return (v2, true)
        }
    }
}
