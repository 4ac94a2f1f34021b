// `udp.routers` and `udp.services` (Traefik 3.7 pkg/config/dynamic/udp_config.go). A UDP router has no
// rule: it takes every datagram of its entry points (one router per entry point; Traefik keeps the one
// whose name sorts last, pkg/server/router/udp/router.go). A service is a load balancer over servers'
// "host:port" addresses, or `weighted` over other UDP services.

public struct TraefikUDPRouter: Sendable, Hashable {
    /// Qualified ("dns@file").
    public var name: String
    /// Empty = every UDP entry point.
    public var entryPoints: [String]
    /// Qualified; nil only from label providers (linked to the container's single service) or when missing.
    public var service: String?
    public var location: SourceLocation

    public init(name: String, entryPoints: [String] = [], service: String?, location: SourceLocation) {
        self.name = name
        self.entryPoints = entryPoints
        self.service = service
        self.location = location
    }
}

public struct TraefikUDPService: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `loadBalancer.servers[].address`: "host:port" each.
        case loadBalancer(servers: [String])
        /// `weighted.services`: qualified service names and weights (Traefik's default weight 1).
        case weighted([TraefikUDPWeightedService])
    }

    public var name: String
    public var kind: Kind
    public var location: SourceLocation

    public init(name: String, kind: Kind, location: SourceLocation) {
        self.name = name
        self.kind = kind
        self.location = location
    }
}

public struct TraefikUDPWeightedService: Sendable, Hashable {
    public var name: String
    public var weight: Int

    public init(name: String, weight: Int = 1) {
        self.name = name
        self.weight = weight
    }
}

extension TraefikUDPRouter: TraefikNamedEntry {}
extension TraefikUDPService: TraefikNamedEntry {}

extension TraefikUDPRouter {
    static func decode(name: String, _ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikUDPRouter? {
        log.decodeEntry { log in
            scope.checkName(name, section, &log)
            section.warnUnknownKeys(allowed: ["entryPoints", "service"], log: &log)
            var router = TraefikUDPRouter(name: scope.qualify(name), service: nil, location: section.location)
            router.entryPoints = section.strings("entryPoints", &log) ?? []
            router.service = scope.routerService(section, router: "UDP router", log: &log)
            return router
        }
    }
}

extension TraefikUDPService {
    static func decode(name: String, _ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikUDPService? {
        log.decodeEntry { log in
            scope.checkName(name, section, &log)
            section.warnUnknownKeys(allowed: ["loadBalancer", "weighted"], log: &log)
            if section.has("loadBalancer") && section.has("weighted") {
                // Traefik: "cannot create service: multi-types service not supported".
                log.error(section.location, section.path, "a UDP service is either loadBalancer or weighted, not both")
                return nil
            }
            if let weighted = section.section("weighted", &log) {
                weighted.warnUnknownKeys(allowed: ["services"], log: &log)
                let services: [TraefikUDPWeightedService] = (weighted.sections("services", &log) ?? []).compactMap { entry in
                    entry.warnUnknownKeys(allowed: ["name", "weight"], log: &log)
                    guard let target = entry.string("name", &log), !target.isEmpty else {
                        log.error(entry.location, entry.path("name"), "weighted service entry has no name")
                        return nil
                    }
                    let weight = entry.integer("weight", in: 0...Int64(Int32.max), &log) ?? 1
                    return TraefikUDPWeightedService(name: scope.qualify(target), weight: Int(weight))
                }
                return TraefikUDPService(name: scope.qualify(name), kind: .weighted(services), location: section.location)
            }
            guard let body = section.section("loadBalancer", &log) else {
                if section.node("loadBalancer") == nil {
                    log.error(section.location, section.path("loadBalancer"), "UDP service has no loadBalancer or weighted")
                }
                return nil
            }
            body.warnUnknownKeys(allowed: ["servers"], log: &log)
            let servers: [String] = (body.sections("servers", &log) ?? []).compactMap { server in
                server.warnUnknownKeys(allowed: ["address"], log: &log)
                guard let address = server.string("address", &log), !address.isEmpty else {
                    log.error(server.location, server.path("address"), "server has no address; expected address = \"host:port\"")
                    return nil
                }
                return address
            }
            return TraefikUDPService(name: scope.qualify(name), kind: .loadBalancer(servers: servers), location: section.location)
        }
    }
}
