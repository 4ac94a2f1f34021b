// `providers.docker` of Traefik's static configuration (v3.7.9 pkg/provider/docker/pdocker.go Provider and
// shared.go ClientConfig): where the Engine API is, which containers are served and how. What stoep cannot
// do the same way is an error, never a silent difference: an endpoint by host name (stoep resolves no name
// with a blocking call at start), client certificates to a TLS endpoint, basic authentication, Swarm.
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

    static func decode(_ docker: TraefikSection, log: inout TraefikIssueLog) -> TraefikDockerProvider {
        docker.warnUnknownKeys(allowed: ["endpoint", "exposedByDefault", "network", "defaultRule", "watch", "useBindPortIP", "allowEmptyServices",
                                         "constraints", "httpClientTimeout", "tls", "username", "password", "swarmMode", "swarmModeRefreshSeconds"],
                               log: &log)
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
        if let swarm = docker.node("swarmMode") {
            log.error(swarm.location, docker.path(docker.writtenKey("swarmMode")), "Swarm mode is not supported by stoep (in Traefik v3 it moved to providers.swarm)")
        }
        if docker.has("swarmModeRefreshSeconds") {
            log.warning(docker.node("swarmModeRefreshSeconds")?.location ?? docker.location, docker.path(docker.writtenKey("swarmModeRefreshSeconds")),
                        "Swarm mode is not supported by stoep; ignored")
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
