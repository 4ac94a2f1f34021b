// Static `entryPoints.NAME`: where stoep listens and what every router on it inherits (redirect to
// HTTPS, default TLS, middlewares), plus client-facing timeouts and forwarded-header trust.
// Traefik reference: install-configuration/entrypoints.md (defaults in reference §3).

public struct TraefikEntryPoint: Sendable, Hashable {
    public var name: String
    public var address: HostPort
    public var transport: EntryPointConfig.Transport
    /// Routers without `entryPoints` attach only to `asDefault` entry points when any exists.
    public var asDefault: Bool
    /// `http.redirections.entryPoint`.
    public var redirection: TraefikEntryPointRedirection?
    /// `http.tls`: TLS for every router on this entry point.
    public var tls: TraefikRouterTLS?
    /// `http.middlewares`: qualified names (as written; unqualified ones are looked up by the proxy).
    public var middlewares: [String]
    public var forwardedHeaders: TraefikForwardedHeaders
    /// `http.sanitizePath` (default true): dot segments and duplicate slashes removed before routing.
    public var sanitizePath = true
    /// `http.encodeQuerySemicolons` (default false).
    public var encodeQuerySemicolons = false
    /// `http.encodedCharacters.allowEncoded*` options set to false (each refuses its escapes with 400).
    public var deniedEncodedCharacters: [String] = []
    public var respondingTimeouts: TraefikRespondingTimeouts
    /// `transport.lifeCycle.graceTimeOut`: how long connections may finish on shutdown (default 10s).
    public var graceTimeOut: TraefikDuration
    /// `http2.maxConcurrentStreams` (Traefik's default 250): streams one HTTP/2 connection may have open
    /// (0: Go's default, 250).
    public var maxConcurrentStreams: UInt32 = 250
    /// `proxyProtocol`: PROXY protocol headers read from connecting peers (TCP entry points only).
    public var proxyProtocol: TraefikEntryPointProxyProtocol?
    /// `udp.timeout` (Traefik's default 3s): how long a UDP session may stay idle before it is closed.
    public var udpTimeout: TraefikDuration = .seconds(3)
    /// `transport.keepAliveMaxRequests` / `keepAliveMaxTime` (0 = no limit): the request that reaches
    /// either is the connection's last (pkg/server/keep_alive_middleware.go).
    public var keepAliveMaxRequests: Int64 = 0
    public var keepAliveMaxTime: TraefikDuration = .zero
    public var location: SourceLocation

    public init(name: String, address: HostPort, transport: EntryPointConfig.Transport = .tcp, asDefault: Bool = false,
                redirection: TraefikEntryPointRedirection? = nil, tls: TraefikRouterTLS? = nil, middlewares: [String] = [],
                forwardedHeaders: TraefikForwardedHeaders = TraefikForwardedHeaders(), respondingTimeouts: TraefikRespondingTimeouts = TraefikRespondingTimeouts(),
                graceTimeOut: TraefikDuration = .seconds(10), location: SourceLocation) {
        self.name = name
        self.address = address
        self.transport = transport
        self.asDefault = asDefault
        self.redirection = redirection
        self.tls = tls
        self.middlewares = middlewares
        self.forwardedHeaders = forwardedHeaders
        self.respondingTimeouts = respondingTimeouts
        self.graceTimeOut = graceTimeOut
        self.location = location
    }
}

/// Redirect everything arriving here to entry point `to` (a name, or ":443"), as Traefik's internal
/// `web-to-websecure@internal` router does.
public struct TraefikEntryPointRedirection: Sendable, Hashable {
    public var to: String
    public var scheme: String
    public var permanent: Bool
    /// Priority of the generated router; Traefik default MaxInt-1 (wins over every user router).
    public var priority: Int64

    public static let defaultPriority = Int64.max - 1

    public init(to: String, scheme: String = "https", permanent: Bool = true, priority: Int64 = defaultPriority) {
        self.to = to
        self.scheme = scheme
        self.permanent = permanent
        self.priority = priority
    }
}

/// Which peers may supply X-Forwarded-* headers; others' are removed.
public struct TraefikForwardedHeaders: Sendable, Hashable {
    public var trustedIPs: [String]
    public var insecure: Bool

    public init(trustedIPs: [String] = [], insecure: Bool = false) {
        self.trustedIPs = trustedIPs
        self.insecure = insecure
    }
}

/// `entryPoints.NAME.proxyProtocol`: every connection's first bytes are read for a PROXY protocol header
/// (v1 or v2); a header from a peer in `trustedIPs` (any peer with `insecure`) replaces the peer address,
/// one from another peer is consumed and ignored (Traefik's server_entrypoint_tcp.go
/// buildProxyProtocolListener: go-proxyproto's USE and IGNORE policies).
public struct TraefikEntryPointProxyProtocol: Sendable, Hashable {
    public var trustedIPs: [String]
    public var insecure: Bool

    public init(trustedIPs: [String] = [], insecure: Bool = false) {
        self.trustedIPs = trustedIPs
        self.insecure = insecure
    }
}

/// Client-side timeouts. Defaults Traefik v3: read 60s, write 0 (none), idle 180s.
public struct TraefikRespondingTimeouts: Sendable, Hashable {
    public var readTimeout: TraefikDuration
    public var writeTimeout: TraefikDuration
    public var idleTimeout: TraefikDuration

    public init(readTimeout: TraefikDuration = .seconds(60), writeTimeout: TraefikDuration = .zero, idleTimeout: TraefikDuration = .seconds(180)) {
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.idleTimeout = idleTimeout
    }
}

extension TraefikEntryPoint {
    static let keys = ["address", "asDefault", "http", "http2", "http3", "forwardedHeaders", "proxyProtocol", "transport", "udp",
                       "allowACMEByPass", "reusePort", "observability"]

    static func decode(name: String, _ section: TraefikSection, log: inout TraefikIssueLog) -> TraefikEntryPoint? {
        log.decodeEntry { log in
            section.warnUnknownKeys(allowed: keys, log: &log)
            guard let text = section.string("address", &log) else {
                if section.node("address") == nil {
                    log.error(section.location, section.path("address"), "entry point has no address; expected address = \":80\"")
                }
                return nil
            }
            guard let (address, transport) = EntryPointConfig.parseAddress(text) else {
                log.error(section.node("address")?.location ?? section.location, section.path(section.writtenKey("address")),
                          "expected \":port\", \"IPv4:port\" or \"[IPv6]:port\" with port 1-65535, optionally followed by /tcp or /udp (host names are not resolved), found \"\(text)\"")
                return nil
            }
            var entryPoint = TraefikEntryPoint(name: name, address: address, transport: transport, location: section.location)
            entryPoint.asDefault = section.bool("asDefault", &log) ?? false
            if let http = section.section("http", &log) {
                decodeHTTP(http, into: &entryPoint, log: &log)
            }
            if let forwarded = section.section("forwardedHeaders", &log) {
                forwarded.warnUnknownKeys(allowed: ["trustedIPs", "insecure", "connection", "notAppendXForwardedFor"], log: &log)
                // Neither is applied: stoep removes every Connection-named field and always appends the peer.
                if forwarded.has("connection") {
                    log.error(forwarded.node("connection")?.location ?? forwarded.location, forwarded.path(forwarded.writtenKey("connection")),
                              "not supported by stoep (fields named in Connection are always removed before the middlewares)")
                }
                if forwarded.bool("notAppendXForwardedFor", &log) == true {
                    log.error(forwarded.node("notAppendXForwardedFor")?.location ?? forwarded.location, forwarded.path(forwarded.writtenKey("notAppendXForwardedFor")),
                              "not supported by stoep (it always appends the client's address to X-Forwarded-For)")
                }
                entryPoint.forwardedHeaders.trustedIPs = forwarded.strings("trustedIPs", &log) ?? []
                for (index, ip) in entryPoint.forwardedHeaders.trustedIPs.enumerated() where !TraefikMiddleware.isAddressOrCIDR(ip) {
                    log.error(forwarded.node("trustedIPs")?.location ?? forwarded.location, "\(forwarded.path("trustedIPs"))[\(index)]", "expected an IP or CIDR, found \"\(ip)\"")
                }
                entryPoint.forwardedHeaders.insecure = forwarded.bool("insecure", &log) ?? false
            }
            if let proxy = section.section("proxyProtocol", &log) {
                proxy.warnUnknownKeys(allowed: ["trustedIPs", "insecure"], log: &log)
                var proxyProtocol = TraefikEntryPointProxyProtocol()
                proxyProtocol.trustedIPs = proxy.strings("trustedIPs", &log) ?? []
                for (index, ip) in proxyProtocol.trustedIPs.enumerated() where !TraefikMiddleware.isAddressOrCIDR(ip) {
                    log.error(proxy.node("trustedIPs")?.location ?? proxy.location, "\(proxy.path("trustedIPs"))[\(index)]", "expected an IP or CIDR, found \"\(ip)\"")
                }
                proxyProtocol.insecure = proxy.bool("insecure", &log) ?? false
                if transport == .udp {
                    // Traefik wraps only TCP listeners (buildProxyProtocolListener): a UDP entry point never reads one.
                    log.warning(proxy.location, section.path(section.writtenKey("proxyProtocol")), "PROXY protocol applies to TCP entry points only; ignored on a UDP entry point, as Traefik does")
                } else {
                    entryPoint.proxyProtocol = proxyProtocol
                }
            }
            if let udp = section.section("udp", &log) {
                udp.warnUnknownKeys(allowed: ["timeout"], log: &log)
                if let timeout = udp.duration("timeout", &log) {
                    // Traefik refuses a timeout of 0 or less ("timeout should be greater than zero", pkg/udp/conn.go).
                    if timeout.nanoseconds <= 0 {
                        log.error(udp.node("timeout")?.location ?? udp.location, udp.path(udp.writtenKey("timeout")), "expected a duration greater than zero")
                    } else {
                        entryPoint.udpTimeout = timeout
                    }
                }
            }
            if let transportSection = section.section("transport", &log) {
                decodeTransport(transportSection, into: &entryPoint, log: &log)
            }
            if let http2 = section.section("http2", &log) {
                http2.warnUnknownKeys(allowed: ["maxConcurrentStreams", "maxDecoderHeaderTableSize", "maxEncoderHeaderTableSize"], log: &log)
                // Traefik refuses a negative value; 0 is Go's default (250 announced, the key left out of
                // /api/entrypoints), kept as 0 here for the API (HTTP2Settings.announcedMaxConcurrentStreams).
                if let n = http2.integer("maxConcurrentStreams", in: 0...Int64(Int32.max), &log) {
                    entryPoint.maxConcurrentStreams = UInt32(n)
                }
                for key in ["maxDecoderHeaderTableSize", "maxEncoderHeaderTableSize"] where http2.has(key) {
                    log.warning(http2.node(key)?.location ?? http2.location, http2.path(http2.writtenKey(key)), "not supported by stoep; ignored (4096, HPACK's default)")
                }
            }
            // reusePort only lets another process bind the same port: nothing a client sees. HTTP/3 (an
            // Alt-Svc answer and a UDP listener) and allowACMEByPass (routing of challenge paths) would differ.
            if section.has("reusePort") {
                log.warning(section.node("reusePort")?.location ?? section.location, section.path(section.writtenKey("reusePort")), "not supported by stoep; ignored")
            }
            for key in ["http3", "allowACMEByPass"] where section.has(key) {
                log.error(section.node(key)?.location ?? section.location, section.path(section.writtenKey(key)), "not supported by stoep")
            }
            if let observability = section.section("observability", &log) {
                TraefikObservabilityOptions.check(observability, log: &log)
            }
            return entryPoint
        }
    }

    /// Traefik's `http.encodedCharacters` options (all true by default since 3.6.7).
    public static let encodedCharacterOptions = ["allowEncodedSlash", "allowEncodedBackSlash", "allowEncodedNullCharacter",
                                                 "allowEncodedSemicolon", "allowEncodedPercent", "allowEncodedQuestionMark",
                                                 "allowEncodedHash"]

    private static func decodeHTTP(_ http: TraefikSection, into entryPoint: inout TraefikEntryPoint, log: inout TraefikIssueLog) {
        http.warnUnknownKeys(allowed: ["redirections", "tls", "middlewares", "encodeQuerySemicolons", "sanitizePath", "maxHeaderBytes",
                                        "encodedCharacters", "underscoreHeadersStrategy"], log: &log)
        // Traefik's default, keep, is what stoep does: fields with underscores pass as they came.
        if let strategy = http.string("underscoreHeadersStrategy", &log), strategy.lowercased() != "keep" {
            log.error(http.node("underscoreHeadersStrategy")?.location ?? http.location, http.path(http.writtenKey("underscoreHeadersStrategy")),
                      "only \"keep\" is supported by stoep (header fields with underscores are passed as they came), found \"\(strategy)\"")
        }
        if let redirections = http.section("redirections", &log) {
            redirections.warnUnknownKeys(allowed: ["entryPoint"], log: &log)
            if let target = redirections.section("entryPoint", &log) {
                target.warnUnknownKeys(allowed: ["to", "scheme", "permanent", "priority"], log: &log)
                if let to = target.string("to", &log), !to.isEmpty {
                    var redirection = TraefikEntryPointRedirection(to: to)
                    redirection.scheme = target.string("scheme", &log) ?? redirection.scheme
                    redirection.permanent = target.bool("permanent", &log) ?? true
                    redirection.priority = target.integer("priority", &log) ?? TraefikEntryPointRedirection.defaultPriority
                    entryPoint.redirection = redirection
                } else {
                    log.error(target.location, target.path("to"), "redirection has no target; expected to = \"websecure\" or \":443\"")
                }
            }
        }
        entryPoint.tls = TraefikRouterTLS.decode(http, key: "tls", scope: nil, allowsPassthrough: false, log: &log)
        entryPoint.middlewares = http.strings("middlewares", &log) ?? []
        entryPoint.sanitizePath = http.bool("sanitizePath", &log) ?? true
        entryPoint.encodeQuerySemicolons = http.bool("encodeQuerySemicolons", &log) ?? false
        if let encoded = http.section("encodedCharacters", &log) {
            encoded.warnUnknownKeys(allowed: encodedCharacterOptions, log: &log)
            entryPoint.deniedEncodedCharacters = encodedCharacterOptions.filter { encoded.bool($0, &log) == false }
        }
        for key in ["maxHeaderBytes"] where http.has(key) {
            log.error(http.node(key)?.location ?? http.location, http.path(http.writtenKey(key)),
                      "not supported by stoep (its request head limit is fixed; docs/proxy.md)")
        }
    }

    private static func decodeTransport(_ transport: TraefikSection, into entryPoint: inout TraefikEntryPoint, log: inout TraefikIssueLog) {
        transport.warnUnknownKeys(allowed: ["respondingTimeouts", "lifeCycle", "keepAliveMaxRequests", "keepAliveMaxTime"], log: &log)
        if let timeouts = transport.section("respondingTimeouts", &log) {
            timeouts.warnUnknownKeys(allowed: ["readTimeout", "writeTimeout", "idleTimeout"], log: &log)
            var responding = TraefikRespondingTimeouts()
            responding.readTimeout = timeouts.duration("readTimeout", &log) ?? responding.readTimeout
            responding.writeTimeout = timeouts.duration("writeTimeout", &log) ?? responding.writeTimeout
            responding.idleTimeout = timeouts.duration("idleTimeout", &log) ?? responding.idleTimeout
            entryPoint.respondingTimeouts = responding
        }
        if let lifeCycle = transport.section("lifeCycle", &log) {
            lifeCycle.warnUnknownKeys(allowed: ["graceTimeOut", "requestAcceptGraceTimeout"], log: &log)
            entryPoint.graceTimeOut = lifeCycle.duration("graceTimeOut", &log) ?? entryPoint.graceTimeOut
            if lifeCycle.has("requestAcceptGraceTimeout") {
                _ = lifeCycle.duration("requestAcceptGraceTimeout", &log)
                log.error(lifeCycle.node("requestAcceptGraceTimeout")?.location ?? lifeCycle.location, lifeCycle.path("requestAcceptGraceTimeout"),
                          "not supported by stoep (it stops accepting at once on SIGTERM, then waits graceTimeOut)")
            }
        }
        entryPoint.keepAliveMaxRequests = transport.integer("keepAliveMaxRequests", &log) ?? 0
        entryPoint.keepAliveMaxTime = transport.duration("keepAliveMaxTime", &log) ?? .zero
    }
}
