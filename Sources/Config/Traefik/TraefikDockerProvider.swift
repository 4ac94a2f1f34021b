// `providers.docker` of Traefik's static configuration (v3.7.9 pkg/provider/docker/pdocker.go Provider and
// shared.go ClientConfig): where the Engine API is, which containers are served and how. What stoep cannot
// do the same way is an error, never a silent difference: an endpoint by host name (stoep resolves no name
// with a blocking call at start), client certificates to a TLS endpoint, basic authentication.
// The same type describes `providers.swarm` (v3.7 pkg/provider/docker/pswarm.go SwarmProvider: the shared
// keys plus refreshSeconds) and v2's `providers.docker.swarmMode` (swarmModeRefreshSeconds): the Engine
// API's services and tasks instead of its containers, polled (Swarm has no service events).
import Rules

public struct TraefikDockerProvider: Sendable, Hashable {
    public static let defaultEndpoint = "unix:///var/run/docker.sock"
    public static let defaultRuleTemplate = "Host(`{{ normalize .Name }}`)"

    /// `unix:///path`, or `tcp://HOST:port` (a socket proxy such as tecnativa/docker-socket-proxy).
    public var endpoint: String = defaultEndpoint
    /// false = only containers labelled `traefik.enable=true`.
    public var exposedByDefault = true
    /// Default network to reach containers on; overridden by `traefik.docker.network`.
    public var network: String?
    /// Go template for routers without a rule.
    public var defaultRule: String = defaultRuleTemplate
    /// false: the containers are listed once at start and never again (Traefik reads them once too).
    public var watch = true
    /// Reach a container at the host address and port its port is published on instead of its own address.
    public var useBindPortIP = false
    public var allowEmptyServices = false
    /// Label expression (`Label("k","v") && !LabelRegex(...)`); "" keeps every container.
    public var constraints = ""
    /// Bound on each list and inspect request (Traefik: the HTTP client's timeout; 0 = none).
    public var httpClientTimeout = TraefikDuration.zero
    /// TLS to a tcp:// endpoint: nil for plain TCP.
    public var tls: TLS?

    public struct TLS: Sendable, Hashable {
        /// PEM file of the CA that signed the endpoint's certificate; nil = the system's roots.
        public var ca: String?
        public var insecureSkipVerify = false
    }

    /// Swarm: services and their running tasks, listed every `refreshSeconds` (providers.swarm, or v2's
    /// providers.docker.swarmMode).
    public var swarmMode = false
    /// Polling interval in Swarm mode (Traefik's default 15 s).
    public var refreshSeconds = TraefikDuration.seconds(15)
    /// The provider's name in router and service names (`@swarm`; `@docker` for v2's swarmMode).
    public var name = "docker"

    public init() {}

    /// The endpoint's TCP host and port, nil for a unix socket.
    public var tcpAddress: (host: String, port: UInt16)? {
        Self.tcpAddress(endpoint)
    }

    static func tcpAddress(_ endpoint: String) -> (host: String, port: UInt16)? {
        guard endpoint.hasPrefix("tcp://") else { return nil }
        var rest = Substring(endpoint.dropFirst("tcp://".count))
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]), port > 0 else { return nil }
        var host = rest[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), port)
    }

    /// `providers.swarm`: the shared keys and refreshSeconds.
    static func decodeSwarm(_ swarm: TraefikSection, log: inout TraefikIssueLog) -> TraefikDockerProvider {
        var provider = decode(swarm, swarmSection: true, log: &log)
        provider.swarmMode = true
        provider.name = "swarm"
        provider.refreshSeconds = refresh(swarm, "refreshSeconds", &log) ?? provider.refreshSeconds
        return provider
    }

    /// The polling interval: positive (Go's time.NewTicker panics on 0 or less; stoep refuses it).
    private static func refresh(_ section: TraefikSection, _ key: String, _ log: inout TraefikIssueLog) -> TraefikDuration? {
        guard let d = section.duration(key, &log) else { return nil }
        if d.nanoseconds <= 0 {
            log.error(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)), "must be a positive duration (Traefik's ticker panics on \(d.seconds) s)")
            return nil
        }
        return d
    }

    static func decode(_ docker: TraefikSection, swarmSection: Bool = false, log: inout TraefikIssueLog) -> TraefikDockerProvider {
        let shared = ["endpoint", "exposedByDefault", "network", "defaultRule", "watch", "useBindPortIP", "allowEmptyServices",
                      "constraints", "httpClientTimeout", "tls", "username", "password"]
        docker.warnUnknownKeys(allowed: shared + (swarmSection ? ["refreshSeconds"] : ["swarmMode", "swarmModeRefreshSeconds"]), log: &log)
        var provider = TraefikDockerProvider()
        provider.endpoint = docker.string("endpoint", &log) ?? provider.endpoint
        let endpointAt = docker.node("endpoint")?.location ?? docker.location
        if provider.endpoint.hasPrefix("tcp://") {
            if let (host, _) = provider.tcpAddress {
                // A name (a socket-proxy container's) is resolved when the provider starts, as servers' host
                // names are when a configuration loads: getaddrinfo blocks, so never again on the loop.
                if !isIPLiteral(host) && host != "localhost" {
                    log.warning(endpointAt, docker.path("endpoint"), "host \"\(host)\" is resolved once when the provider starts (Traefik resolves it on every connection); restart stoep if its address changes")
                }
            } else {
                log.error(endpointAt, docker.path("endpoint"), "expected tcp://HOST:PORT, found \"\(provider.endpoint)\"")
            }
        } else if !provider.endpoint.hasPrefix("unix://") {
            log.error(endpointAt, docker.path("endpoint"), "stoep supports unix:// and tcp:// Docker endpoints, found \"\(provider.endpoint)\"")
        }
        provider.exposedByDefault = docker.bool("exposedByDefault", &log) ?? true
        provider.network = docker.string("network", &log)
        provider.defaultRule = docker.string("defaultRule", &log) ?? provider.defaultRule
        provider.watch = docker.bool("watch", &log) ?? true
        provider.useBindPortIP = docker.bool("useBindPortIP", &log) ?? false
        provider.allowEmptyServices = docker.bool("allowEmptyServices", &log) ?? false
        provider.httpClientTimeout = docker.duration("httpClientTimeout", &log) ?? .zero
        if let constraints = docker.string("constraints", &log) {
            do {
                _ = try LabelConstraint.parse(constraints)
                provider.constraints = constraints
            } catch {
                // Ignoring constraints would expose containers the configuration meant to hide.
                log.error(docker.node("constraints")?.location ?? docker.location, docker.path(docker.writtenKey("constraints")), "\(error)")
            }
        }
        if let tls = docker.section("tls", &log) {
            tls.warnUnknownKeys(allowed: ["ca", "cert", "key", "insecureSkipVerify", "caOptional"], log: &log)
            provider.tls = TLS(ca: tls.string("ca", &log), insecureSkipVerify: tls.bool("insecureSkipVerify", &log) ?? false)
            for key in ["cert", "key", "caOptional"] where tls.has(key) {
                log.error(tls.node(key)?.location ?? tls.location, tls.path(tls.writtenKey(key)), "client certificates to the Docker endpoint are not supported by stoep")
            }
            if provider.tcpAddress == nil {
                log.error(tls.location, tls.path, "tls applies to a tcp:// endpoint only")
            }
        }
        for key in ["username", "password"] where docker.has(key) {
            log.error(docker.node(key)?.location ?? docker.location, docker.path(docker.writtenKey(key)), "basic authentication to the Docker endpoint is not supported by stoep")
        }
        guard !swarmSection else { return provider }
        // Traefik v2's Swarm mode (v3 moved it to providers.swarm and refuses these keys): read as v2 did,
        // routers named @docker, with a warning so that the move is made before a Traefik 3 swap.
        if docker.bool("swarmMode", &log) == true {
            provider.swarmMode = true
            log.warning(docker.node("swarmMode")?.location ?? docker.location, docker.path(docker.writtenKey("swarmMode")),
                        "Traefik v2 key (Traefik 3.7 refuses it; its place is providers.swarm); read as v2 did, routers named @docker")
            provider.refreshSeconds = refresh(docker, "swarmModeRefreshSeconds", &log) ?? provider.refreshSeconds
        } else if docker.has("swarmModeRefreshSeconds") {
            log.warning(docker.node("swarmModeRefreshSeconds")?.location ?? docker.location, docker.path(docker.writtenKey("swarmModeRefreshSeconds")),
                        "applies only with swarmMode: true; ignored")
        }
        return provider
    }

    /// An IPv4 dotted quad or an IPv6 literal (it has a colon; SocketAddress validates it when connecting).
    static func isIPLiteral(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
