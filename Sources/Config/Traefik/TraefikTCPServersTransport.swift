// `tcp.serversTransports.NAME`: how stoep dials a TCP service's servers, chosen per service with
// `loadBalancer.serversTransport` (Traefik 3.7 pkg/config/dynamic/tcp_config.go TCPServersTransport, read by
// pkg/tcp/dialer.go DialerManager.Build). `proxyProtocol` sends a PROXY protocol header before the client's
// bytes; `dialTimeout` bounds the connect; `dialKeepAlive` sets TCP keep-alive probes on the server's
// connection; `terminationDelay` is how long the other direction may go on once one side half-closed
// (pkg/tcp/proxy.go connCopy). Defaults are TCPServersTransport.SetDefaults' (30s, 15s, 100ms). The
// deprecated `loadBalancer.proxyProtocol`/`terminationDelay` of a service are used only when the service
// names no transport, as Traefik's Build does.

public struct TraefikTCPServersTransport: Sendable, Hashable {
    /// Qualified ("pp@file").
    public var name: String
    /// PROXY protocol version sent to the servers (1 or 2); nil = none.
    public var proxyProtocolVersion: Int?
    /// Connect deadline; nil = the static serversTransport's dialTimeout (Traefik: 30s).
    public var dialTimeout: TraefikDuration?
    /// Keep-alive probe idle time; 0 = Go's 15s, negative = no probes. Traefik default 15s.
    public var dialKeepAlive: TraefikDuration = .seconds(15)
    /// After one side half-closed, the other may send this long; negative = no limit. Traefik default 100ms.
    public var terminationDelay: TraefikDuration = .milliseconds(100)
    public var location: SourceLocation

    public init(name: String, proxyProtocolVersion: Int? = nil, dialTimeout: TraefikDuration? = nil, location: SourceLocation) {
        self.name = name
        self.proxyProtocolVersion = proxyProtocolVersion
        self.dialTimeout = dialTimeout
        self.location = location
    }
}

extension TraefikTCPServersTransport: TraefikNamedEntry {}

extension TraefikTCPServersTransport {
    static let keys = ["dialKeepAlive", "dialTimeout", "proxyProtocol", "terminationDelay", "tls"]

    static func decode(name: String, _ section: TraefikSection, scope: TraefikScope, log: inout TraefikIssueLog) -> TraefikTCPServersTransport? {
        log.decodeEntry { log in
            scope.checkName(name, section, &log)
            section.warnUnknownKeys(allowed: keys, log: &log)
            var transport = TraefikTCPServersTransport(name: scope.qualify(name), location: section.location)
            transport.proxyProtocolVersion = proxyProtocolVersion(section, &log)
            transport.dialTimeout = section.duration("dialTimeout", &log)
            if let tls = section.node("tls") {
                // Servers reached through it expect TLS stoep would not speak: refuse rather than send plain bytes.
                log.error(tls.location, section.path(section.writtenKey("tls")), "TLS to TCP servers is not supported by stoep yet")
            }
            transport.dialKeepAlive = section.signedDuration("dialKeepAlive", &log) ?? transport.dialKeepAlive
            transport.terminationDelay = section.signedDuration("terminationDelay", &log) ?? transport.terminationDelay
            return transport
        }
    }

    /// `proxyProtocol.version` of `section` (a servers transport or a deprecated load balancer): nil without
    /// the key; 2 when the table is empty (Traefik's ProxyProtocol.SetDefaults); only 1 and 2 are valid
    /// (Traefik refuses the service: "unknown proxyProtocol version").
    static func proxyProtocolVersion(_ section: TraefikSection, _ log: inout TraefikIssueLog) -> Int? {
        guard let proxy = section.section("proxyProtocol", &log) else { return nil }
        proxy.warnUnknownKeys(allowed: ["version"], log: &log)
        guard proxy.has("version") else { return 2 }
        guard let version = proxy.integer("version", &log) else { return nil }
        guard version == 1 || version == 2 else {
            log.error(proxy.node("version")?.location ?? proxy.location, proxy.path(proxy.writtenKey("version")),
                      "unknown proxyProtocol version \(version); expected 1 or 2")
            return nil
        }
        return Int(version)
    }
}
