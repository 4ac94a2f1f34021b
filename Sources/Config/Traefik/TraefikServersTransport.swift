// How the proxy talks to upstream servers: TLS verification and timeouts. The static `serversTransport`
// is the default for every service; dynamic `http.serversTransports.NAME` entries are chosen per service
// with `loadBalancer.serversTransport`. Defaults are Traefik's (reference §3).

public struct TraefikForwardingTimeouts: Sendable, Hashable {
    /// Connecting to the server; Traefik default 30s.
    public var dialTimeout: TraefikDuration
    /// Waiting for response headers after the request is sent; 0 = no limit.
    public var responseHeaderTimeout: TraefikDuration
    /// How long an idle keep-alive connection is kept; Traefik default 90s.
    public var idleConnTimeout: TraefikDuration
    /// HTTP/2: a PING after this long without a frame received; 0 = none (dynamic transports only).
    public var readIdleTimeout: TraefikDuration
    /// HTTP/2: the connection is closed when the PING is unanswered this long; Traefik default 15s.
    public var pingTimeout: TraefikDuration

    public init(dialTimeout: TraefikDuration = .seconds(30), responseHeaderTimeout: TraefikDuration = .zero, idleConnTimeout: TraefikDuration = .seconds(90),
                readIdleTimeout: TraefikDuration = .zero, pingTimeout: TraefikDuration = .seconds(15)) {
        self.dialTimeout = dialTimeout
        self.responseHeaderTimeout = responseHeaderTimeout
        self.idleConnTimeout = idleConnTimeout
        self.readIdleTimeout = readIdleTimeout
        self.pingTimeout = pingTimeout
    }
}

public struct TraefikServersTransport: Sendable, Hashable {
    /// Default for the static `serversTransport` (Traefik cmd/configuration.go); per-transport Traefik
    /// default is 0, meaning Go's 2.
    public static let staticMaxIdleConnsPerHost: Int64 = 200

    /// Qualified for dynamic transports; "" for the static one.
    public var name: String
    /// Accept any upstream certificate (self-signed backends, as iNethi's unifi).
    public var insecureSkipVerify: Bool
    /// PEM files (or inline PEM) to trust in addition to the system roots.
    public var rootCAs: [String]
    /// SNI / verification name; nil = the server URL's host.
    public var serverName: String?
    public var maxIdleConnsPerHost: Int64
    public var disableHTTP2: Bool
    public var forwardingTimeouts: TraefikForwardingTimeouts
    public var location: SourceLocation?

    public init(name: String, insecureSkipVerify: Bool = false, rootCAs: [String] = [], serverName: String? = nil, maxIdleConnsPerHost: Int64 = 0,
                disableHTTP2: Bool = false, forwardingTimeouts: TraefikForwardingTimeouts = TraefikForwardingTimeouts(), location: SourceLocation? = nil) {
        self.name = name
        self.insecureSkipVerify = insecureSkipVerify
        self.rootCAs = rootCAs
        self.serverName = serverName
        self.maxIdleConnsPerHost = maxIdleConnsPerHost
        self.disableHTTP2 = disableHTTP2
        self.forwardingTimeouts = forwardingTimeouts
        self.location = location
    }
}

extension TraefikServersTransport {
    static let keys = ["insecureSkipVerify", "rootCAs", "serverName", "maxIdleConnsPerHost", "disableHTTP2", "forwardingTimeouts",
                       "certificates", "peerCertURI", "spiffe", "cipherSuites", "minVersion", "maxVersion"]

    /// Reads one transport; `name` is "" for the static one (whose maxIdleConnsPerHost default is 200).
    static func decode(name: String, _ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikServersTransport {
        section.warnUnknownKeys(allowed: keys, log: &log)
        var transport = TraefikServersTransport(name: name, location: section.location)
        transport.insecureSkipVerify = section.bool("insecureSkipVerify", &log) ?? false
        transport.rootCAs = section.strings("rootCAs", &log) ?? []
        transport.serverName = section.string("serverName", &log)
        transport.maxIdleConnsPerHost = section.integer("maxIdleConnsPerHost", in: -1...1_000_000, &log) ?? (name.isEmpty ? staticMaxIdleConnsPerHost : 0)
        transport.disableHTTP2 = section.bool("disableHTTP2", &log) ?? false
        if let timeouts = section.section("forwardingTimeouts", &log) {
            // The static serversTransport's forwardingTimeouts has no HTTP/2 health check (static_config.go).
            let h2Keys = name.isEmpty ? [] : ["readIdleTimeout", "pingTimeout"]
            timeouts.warnUnknownKeys(allowed: ["dialTimeout", "responseHeaderTimeout", "idleConnTimeout"] + h2Keys, log: &log)
            var forwarding = TraefikForwardingTimeouts()
            forwarding.dialTimeout = timeouts.duration("dialTimeout", &log) ?? forwarding.dialTimeout
            forwarding.responseHeaderTimeout = timeouts.duration("responseHeaderTimeout", &log) ?? forwarding.responseHeaderTimeout
            forwarding.idleConnTimeout = timeouts.duration("idleConnTimeout", &log) ?? forwarding.idleConnTimeout
            if !name.isEmpty {
                forwarding.readIdleTimeout = timeouts.duration("readIdleTimeout", &log) ?? forwarding.readIdleTimeout
                forwarding.pingTimeout = timeouts.duration("pingTimeout", &log) ?? forwarding.pingTimeout
            }
            transport.forwardingTimeouts = forwarding
        }
        for key in ["certificates", "spiffe"] where section.has(key) {
            // The upstream expects a client certificate we would not present: fail visibly.
            log.error(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)), "client certificates towards servers are not supported by stoep yet")
        }
        if let uri = section.node("peerCertURI") {
            log.error(uri.location, section.path(section.writtenKey("peerCertURI")), "peerCertURI is not supported by stoep (the server's certificate URI would not be checked)")
        }
        // OpenSSL's defaults towards servers are kept; a configured set or range would not be applied.
        for key in ["cipherSuites", "minVersion", "maxVersion"] where section.has(key) {
            log.error(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)),
                      "not supported by stoep (TLS to servers uses OpenSSL's default versions and ciphers)")
        }
        return transport
    }
}
