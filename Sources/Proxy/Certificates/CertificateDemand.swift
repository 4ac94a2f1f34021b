// Which certificates each resolver must hold, as Traefik's ACME provider finds them (watchNewDomains):
// every TCP router terminating TLS whose tls names the resolver (its domains, else its HostSNI names), and
// every HTTP router whose TLS names the resolver — its own `tls`, or its entry point's `http.tls` when the
// router has none (Traefik's entry-point model) — wants one certificate per `tls.domains` entry (main +
// sans), or, without domains, one certificate for the exact host names of its rule (Host, several in v2
// syntax; none under a negation). Duplicates are merged; wildcards stay (only DNS-01 can order them).
import Config
import Rules

public struct CertificateDemand: Hashable, Sendable, CustomStringConvertible {
    /// The names, main first, lower-cased, without duplicates.
    public let names: [String]
    /// The routers that want it (for the log and `show info`).
    public var routers: [String]

    public init(names: [String], routers: [String] = []) {
        var seen = Set<String>()
        self.names = names.map { $0.lowercased() }.filter { !$0.isEmpty && seen.insert($0).inserted }
        self.routers = routers
    }

    public var main: String { names.first ?? "" }
    public var description: String { names.joined(separator: ", ") }

    public static func == (a: CertificateDemand, b: CertificateDemand) -> Bool { a.names == b.names }
    public func hash(into h: inout Hasher) { h.combine(names) }

    /// By resolver name, in a stable order.
    public static func collect(_ configs: [TraefikDynamicConfig], entryPointTLS: [String: TraefikRouterTLS],
                               entryPoints: [String], defaultSyntax: TraefikRuleSyntax) -> [String: [CertificateDemand]] {
        var byResolver: [String: [CertificateDemand]] = [:]
        func add(_ resolver: String, _ names: [String], router: String) {
            let d = CertificateDemand(names: names, routers: [router])
            guard !d.names.isEmpty else { return }
            if let i = byResolver[resolver]?.firstIndex(of: d) {
                if !byResolver[resolver]![i].routers.contains(router) { byResolver[resolver]![i].routers.append(router) }
            } else {
                byResolver[resolver, default: []].append(d)
            }
        }
        for config in configs {
            for (name, router) in config.httpRouters.sorted(by: { $0.key < $1.key }) {
                let qualified = name.contains("@") ? name : "\(name)@\(config.provider)"
                // The router's own tls, or on each entry point without it, that entry point's http.tls.
                var settings: [TraefikRouterTLS] = []
                if let tls = router.tls {
                    settings = [tls]
                } else {
                    for ep in router.entryPoints.isEmpty ? entryPoints : router.entryPoints {
                        if let tls = entryPointTLS[ep] { settings.append(tls) }
                    }
                }
                for tls in settings {
                    guard let resolver = tls.certResolver, !resolver.isEmpty else { continue }
                    if !tls.domains.isEmpty {
                        for d in tls.domains { add(resolver, [d.main] + d.sans, router: qualified) }
                    } else if let rule = router.rule {
                        add(resolver, hostNames(rule: rule, syntax: router.ruleSyntax ?? defaultSyntax), router: qualified)
                    }
                }
            }
            // tls.stores.default.defaultGeneratedCert (ignored when a defaultCertificate is set, as Traefik).
            if let store = config.tls.stores["default"], store.defaultCertificate == nil, let g = store.defaultGeneratedCert {
                add(g.resolver, [g.domain.main] + g.domain.sans, router: "tls.stores.default@\(config.provider)")
            }
            // TCP routers terminating TLS with a resolver: their domains, else their HostSNI names (Traefik too).
            for (name, router) in config.tcpRouters.sorted(by: { $0.key < $1.key }) {
                guard let tls = router.tls, !tls.passthrough, let resolver = tls.certResolver, !resolver.isEmpty else { continue }
                let qualified = name.contains("@") ? name : "\(name)@\(config.provider)"
                if !tls.domains.isEmpty {
                    for d in tls.domains { add(resolver, [d.main] + d.sans, router: qualified) }
                } else if let parsed = try? RuleParser.parseTCP(router.rule, syntax: (router.ruleSyntax ?? defaultSyntax) == .v2 ? .v2 : .v3) {
                    add(resolver, parsed.serverNames, router: qualified)
                }
            }
        }
        return byResolver
    }

    /// The exact host names `rule` routes, read from the Rules module's tree in the router's syntax (with
    /// the route table's v2 fallback): names under a negation are not included. None when the rule does
    /// not parse: such a router serves nothing. Auto-DNS publishes the same names.
    public static func hostNames(rule: String, syntax: TraefikRuleSyntax) -> [String] {
        guard let parsed = try? RuleParser.parseAuto(rule, default: syntax == .v2 ? .v2 : .v3) else { return [] }
        return parsed.expression.exactHostNames
    }
}
