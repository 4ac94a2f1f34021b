// `http.routers.NAME`: which requests a router takes (rule, entry points), what it runs them through
// (middlewares) and where it sends them (service). Traefik reference: routing-configuration/http/routing.

/// Which rule grammar a router's rule is written in (Traefik 3 default `v3`; `v2` re-enables the v2
/// matchers such as `Headers` and variadic `Host`).
public enum TraefikRuleSyntax: String, Sendable, Hashable {
    case v2, v3
}

/// A router's or entry point's `tls` settings. `tls = true` (or an empty table) means TLS with the
/// default certificate store and options.
public struct TraefikRouterTLS: Sendable, Hashable {
    /// Static `certificatesResolvers` name; not provider-qualified (it lives in the static config).
    public var certResolver: String?
    /// TLS options name, qualified ("modern@file"); nil = the `default` options.
    public var options: String?
    public var domains: [TraefikDomain]
    /// TCP routers only: hand the TLS bytes to the service untouched.
    public var passthrough: Bool

    public init(certResolver: String? = nil, options: String? = nil, domains: [TraefikDomain] = [], passthrough: Bool = false) {
        self.certResolver = certResolver
        self.options = options
        self.domains = domains
        self.passthrough = passthrough
    }
}

/// `domains[n]`: a certificate's main name and its subject alternative names.
public struct TraefikDomain: Sendable, Hashable {
    public var main: String
    public var sans: [String]

    public init(main: String, sans: [String] = []) {
        self.main = main
        self.sans = sans
    }
}

/// One HTTP router. Names and references are provider-qualified ("web@file").
public struct TraefikHTTPRouter: Sendable, Hashable {
    public var name: String
    /// nil only from label providers (docker): the provider's `defaultRule` applies.
    public var rule: String?
    /// Per-router override of `core.defaultRuleSyntax` (deprecated in Traefik 3, still honoured).
    public var ruleSyntax: TraefikRuleSyntax?
    /// Empty = every entry point (or the `asDefault` ones).
    public var entryPoints: [String]
    /// Qualified middleware names, in the order they run.
    public var middlewares: [String]
    /// Qualified service name ("api@internal" as given); nil only from label providers, where the
    /// container's single service is linked later.
    public var service: String?
    /// 0 = Traefik's default, the rule's length.
    public var priority: Int64
    /// nil = plain HTTP router.
    public var tls: TraefikRouterTLS?
    public var location: SourceLocation

    public init(name: String, rule: String?, ruleSyntax: TraefikRuleSyntax? = nil, entryPoints: [String] = [], middlewares: [String] = [],
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

extension TraefikRuleSyntax {
    /// A router's `ruleSyntax` (HTTP and TCP alike): nil when absent, or when it is neither "v3" nor "v2"
    /// (then an error names the value).
    static func decode(_ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikRuleSyntax? {
        guard let written = section.string("ruleSyntax", &log) else { return nil }
        guard let syntax = TraefikRuleSyntax(rawValue: written.lowercased()) else {
            log.error(section.node("ruleSyntax")?.location ?? section.location, section.path("ruleSyntax"), "expected \"v3\" or \"v2\", found \"\(written)\"")
            return nil
        }
        return syntax
    }
}

extension TraefikHTTPRouter {
    static let keys = ["rule", "ruleSyntax", "entryPoints", "middlewares", "service", "priority", "tls", "observability"]
    /// Highest user priority: Traefik keeps the top 1000 values for its internal routers.
    static let maximumPriority = Int64.max - 1000

    static func decode(name: String, _ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikHTTPRouter? {
        log.decodeEntry { log in
            scope.checkName(name, section, &log)
            section.warnUnknownKeys(allowed: keys, log: &log)
            let rule = requiredRule(section, scope: scope, log: &log)
            var router = TraefikHTTPRouter(name: scope.qualify(name), rule: rule, service: nil, location: section.location)
            router.ruleSyntax = TraefikRuleSyntax.decode(section, log: &log)
            router.entryPoints = section.strings("entryPoints", &log) ?? []
            router.middlewares = (section.strings("middlewares", &log) ?? []).map(scope.qualify)
            router.service = scope.routerService(section, router: "router", log: &log)
            router.priority = section.integer("priority", in: Int64.min...maximumPriority, &log) ?? 0
            router.tls = TraefikRouterTLS.decode(section, key: "tls", scope: scope, allowsPassthrough: false, log: &log)
            if let observability = section.section("observability", &log) {
                TraefikObservabilityOptions.check(observability, log: &log)
            }
            return router
        }
    }

    /// The rule, which the file provider requires and label providers may leave to `defaultRule`.
    static func requiredRule(_ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> String? {
        let rule = section.string("rule", &log)
        if let rule, rule.isEmpty {
            log.error(section.node("rule")?.location ?? section.location, section.path("rule"), "empty rule; expected a rule like Host(`example.com`)")
        } else if rule == nil && section.node("rule") == nil && !scope.allowsImplicitRuleAndService {
            log.error(section.location, section.path("rule"), "router has no rule; expected rule = \"Host(`example.com`)\" or similar")
        }
        return rule
    }
}

extension TraefikRouterTLS {
    static let keys = ["certResolver", "options", "domains", "passthrough"]

    /// `tls` under `parent`: true / "true" / a table → TLS settings; false or absent → nil.
    static func decode(_ parent: TraefikSection, key: String, scope: TraefikScope?, allowsPassthrough: Bool, log: inout TraefikIssueLog) -> TraefikRouterTLS? {
        guard let node = parent.node(key) else { return nil }
        if case .table = node.value {} else {
            return parent.bool(key, &log) == true ? TraefikRouterTLS() : nil
        }
        guard let section = parent.section(key, &log) else { return nil }
        section.warnUnknownKeys(allowed: allowsPassthrough ? keys : keys.filter { $0 != "passthrough" }, log: &log)
        var tls = TraefikRouterTLS()
        tls.certResolver = section.string("certResolver", &log)
        if let options = section.string("options", &log) {
            // `default` is global in Traefik, never provider-qualified.
            tls.options = options == "default" ? nil : (scope?.qualify(options) ?? options)
        }
        tls.domains = decodeDomains(section, log: &log)
        if allowsPassthrough { tls.passthrough = section.bool("passthrough", &log) ?? false }
        return tls
    }

    static func decodeDomains(_ section: TraefikSection, log: inout TraefikIssueLog) -> [TraefikDomain] {
        (section.sections("domains", &log) ?? []).compactMap { domain in
            domain.warnUnknownKeys(allowed: ["main", "sans"], log: &log)
            let sans = domain.strings("sans", &log) ?? []
            guard let main = domain.string("main", &log), !main.isEmpty else {
                log.error(domain.location, domain.path("main"), "domain has no main name; expected main = \"example.com\"")
                return nil
            }
            return TraefikDomain(main: main, sans: sans)
        }
    }
}
