// Traefik's dynamic configuration (routers, services, middlewares, TLS) decoded from the generic tree,
// whichever syntax produced it: TOML, YAML or Docker labels. Traefik 3 semantics, v2 names accepted.
// Never fails as a whole: a broken entry is reported and skipped, the rest is served (see ConfigIssue).

public struct TraefikDynamicConfig: Sendable, Hashable {
    /// Provider namespace every name here is qualified with ("file", "docker").
    public var provider: String
    /// Every map is keyed by the entry's qualified name ("web@file").
    public var httpRouters: [String: TraefikHTTPRouter] = [:]
    public var httpServices: [String: TraefikHTTPService] = [:]
    public var httpMiddlewares: [String: TraefikMiddleware] = [:]
    public var serversTransports: [String: TraefikServersTransport] = [:]
    public var tcpRouters: [String: TraefikTCPRouter] = [:]
    public var tcpServices: [String: TraefikTCPService] = [:]
    public var tcpMiddlewares: [String: TraefikMiddleware] = [:]
    public var tcpServersTransports: [String: TraefikTCPServersTransport] = [:]
    public var udpRouters: [String: TraefikUDPRouter] = [:]
    public var udpServices: [String: TraefikUDPService] = [:]
    public var tls = TraefikTLSConfig()

    public init(provider: String) {
        self.provider = provider
    }

    /// Traefik's provider namespace rule: a reference with '@' names its provider and is kept as given
    /// ("auth@file", "api@internal"); an unqualified one lives in the referring entry's provider.
    public static func qualify(_ reference: String, provider: String) -> String {
        reference.contains("@") ? reference : reference + "@" + provider
    }

    /// The inverse as Traefik's API shows a reference: without the referring entry's own provider suffix
    /// ("auth@file" in provider file → "auth"); another provider's suffix stays.
    public static func unqualify(_ qualified: String, provider: String) -> String {
        qualified.hasSuffix("@" + provider) ? String(qualified.dropLast(provider.count + 1)) : qualified
    }

    /// Decodes `table` (the document root: `http`, `tcp`, `udp`, `tls`) for `provider`. Label providers
    /// ("docker", "swarm") may leave a router's rule and service to be defaulted from the container.
    public static func decode(_ table: TOMLTable, provider: String) -> (TraefikDynamicConfig, [ConfigIssue]) {
        var log = TraefikIssueLog()
        let scope = TraefikScope(provider: provider)
        let root = TraefikSection(table, path: "", log: &log)
        var config = TraefikDynamicConfig(provider: provider)
        root.warnUnknownKeys(allowed: ["http", "tcp", "udp", "tls"], log: &log)

        if let http = root.section("http", &log) {
            http.warnUnknownKeys(allowed: ["routers", "services", "middlewares", "serversTransports"], log: &log)
            config.httpRouters = entries(http, "routers", &log) { TraefikHTTPRouter.decode(name: $0, $1, scope: scope, log: &$2) }
            config.httpServices = entries(http, "services", &log) { TraefikHTTPService.decode(name: $0, $1, scope: scope, log: &$2) }
            config.httpMiddlewares = entries(http, "middlewares", &log) { TraefikMiddleware.decode(name: $0, $1, scope: scope, log: &$2) }
            config.serversTransports = entries(http, "serversTransports", &log) { name, section, log in
                log.decodeEntry { log in
                    scope.checkName(name, section, &log)
                    return TraefikServersTransport.decode(name: scope.qualify(name), section, log: &log)
                }
            }
        }
        if let tcp = root.section("tcp", &log) {
            tcp.warnUnknownKeys(allowed: ["routers", "services", "middlewares", "serversTransports"], log: &log)
            config.tcpRouters = entries(tcp, "routers", &log) { TraefikTCPRouter.decode(name: $0, $1, scope: scope, log: &$2) }
            config.tcpServices = entries(tcp, "services", &log) { TraefikTCPService.decode(name: $0, $1, scope: scope, log: &$2) }
            config.tcpMiddlewares = entries(tcp, "middlewares", &log) { TraefikMiddleware.decode(name: $0, $1, scope: scope, tcp: true, log: &$2) }
            config.tcpServersTransports = entries(tcp, "serversTransports", &log) { TraefikTCPServersTransport.decode(name: $0, $1, scope: scope, log: &$2) }
        }
        if let udp = root.section("udp", &log) {
            udp.warnUnknownKeys(allowed: ["routers", "services"], log: &log)
            config.udpRouters = entries(udp, "routers", &log) { TraefikUDPRouter.decode(name: $0, $1, scope: scope, log: &$2) }
            config.udpServices = entries(udp, "services", &log) { TraefikUDPService.decode(name: $0, $1, scope: scope, log: &$2) }
        }
        if let tls = root.section("tls", &log) {
            config.tls = TraefikTLSConfig.decode(tls, scope: scope, log: &log)
        }
        return (config, log.issues)
    }

    /// Decodes each named entry of `parent.key`, keyed by the qualified name of what `decode` returns.
    private static func entries<T>(_ parent: TraefikSection, _ key: String, _ log: inout TraefikIssueLog,
                                   _ decode: (String, TraefikSection, inout TraefikIssueLog) -> T?) -> [String: T] where T: TraefikNamedEntry {
        var result: [String: T] = [:]
        for (name, section) in parent.section(key, &log)?.namedSections(&log) ?? [] {
            if let entry = decode(name, section, &log) { result[entry.name] = entry }
        }
        return result
    }
}

/// Anything stored under its qualified name.
protocol TraefikNamedEntry {
    var name: String { get }
}

extension TraefikHTTPRouter: TraefikNamedEntry {}
extension TraefikHTTPService: TraefikNamedEntry {}
extension TraefikMiddleware: TraefikNamedEntry {}
extension TraefikServersTransport: TraefikNamedEntry {}
extension TraefikTCPRouter: TraefikNamedEntry {}
extension TraefikTCPService: TraefikNamedEntry {}
