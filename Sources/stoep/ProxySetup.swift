// What the HTTP proxy runs, read from stoep's own TOML ([entryPoints.*], [http], [tcp]) and from
// Traefik's static configuration (`--traefik-config`, TOML or YAML) with its file provider's dynamic
// files. Static problems are errors (stoep refuses to start, or a reload is refused); dynamic problems
// skip the entry they concern and are reported (`show config-errors`), as Traefik does.
import Config
import Discovery
import Glibc
import Proxy

struct ProxyEntryPointSetup: Equatable {
    var name: String
    var address: HostPort
    var trustedIPs: [String]
    var insecure: Bool
    var idleTimeout: UInt64 = 180_000_000_000
    var readTimeout: UInt64 = 60_000_000_000
    var targetPolicy = RequestTargetPolicy()
    var http2 = HTTP2Settings()
    /// `proxyProtocol`: whose PROXY header is believed; nil = none is read.
    var proxyProtocol: ProxyProtocolTrust? = nil
    /// transport.keepAliveMaxRequests / keepAliveMaxTime.
    var keepAlive = KeepAliveLimit()
}

/// A UDP entry point: its address and `udp.timeout` (Traefik's default 3 s), in nanoseconds.
struct UDPEntryPointSetup: Equatable {
    var name: String
    var address: HostPort
    var timeout: UInt64 = 3_000_000_000
}

struct ProxySetup {
    var entryPoints: [ProxyEntryPointSetup] = []
    /// Entry points with a `/udp` address.
    var udpEntryPoints: [UDPEntryPointSetup] = []
    /// Dynamic configuration from stoep's own TOML ([http], [tcp]); the file provider's is in `files`.
    var dynamic: [TraefikDynamicConfig] = []
    /// Dynamic-configuration problems: each skipped one entry (or is a warning).
    var issues: [String] = []
    /// `providers.file` and what its files held when last read (re-read on change when it watches).
    var fileProvider: TraefikFileProvider?
    var files = FileProviderSnapshot()
    /// Every provider's dynamic configuration, and every problem found reading it.
    /// with the static entry points' `asDefault` and `http.middlewares` applied, as Traefik's aggregator does.
    var allDynamic: [TraefikDynamicConfig] { entryPointModels.apply(dynamic + files.configs + discovered) }
    /// Entry points' `asDefault` and `http.middlewares` (TraefikEntryPointModels).
    var entryPointModels = TraefikEntryPointModels()
    /// The Docker provider's latest configuration (set by the appliance before each build).
    var discovered: [TraefikDynamicConfig] = []
    var allIssues: [String] { issues + files.issues }
    /// `[api]` of the Traefik static configuration (api@internal, dashboard, insecure).
    var api: TraefikAPI?
    var defaultSyntax = TraefikRuleSyntax.v3
    /// True when any HTTP routing source is configured; otherwise entry points serve the status page.
    var routing = false
    /// `metrics.prometheus` and `accessLog` of the Traefik static configuration.
    var prometheus: TraefikPrometheus?
    /// serversTransport.forwardingTimeouts: dialTimeout (30 s), responseHeaderTimeout (0 = none).
    var connectTimeout: UInt64 = 30_000_000_000
    var responseHeaderTimeout: UInt64 = 0
    var accessLog: TraefikAccessLog?
    /// `[ping]` of the Traefik static configuration (ping@internal).
    var ping: TraefikPing?
    /// providers.docker (Traefik static configuration, or stoep's own `[providers.docker]`): watched by
    /// the Docker provider, its routes joined to the file provider's (DynamicConfiguration+Docker).
    var docker: TraefikDockerProvider?
    /// providers.swarm: Swarm services' labels, polled (the same label rules, DynamicConfiguration+Docker).
    var swarm: TraefikDockerProvider?
    /// Entry points with `http.tls`: their routers serve HTTPS.
    var tlsEntryPoints: Set<String> = []
    /// Their `http.tls` (certResolver, domains): routers there without their own tls take it, as in Traefik.
    var entryPointTLS: [String: TraefikRouterTLS] = [:]
    /// Entry point name → `http.redirections.entryPoint` (target name and the redirect it makes).
    var redirections: [String: (to: String, redirect: TraefikRedirectScheme)] = [:]
    /// The static serversTransport (HTTPS backends' verification).
    var serversTransport: TraefikServersTransport?
    /// certificatesResolvers by name, from Traefik's static file and stoep's own TOML (stoep's wins a name).
    var certificatesResolvers: [String: TraefikCertificatesResolver] = [:]

    /// Reads everything; returns fatal (static) errors separately from dynamic issues and warnings.
    /// `traefik`: Traefik's static configuration, from a file, flags or the environment (TraefikStaticSource).
    static func load(_ config: StoepConfig, traefik: TraefikStaticSource?) -> (ProxySetup, errors: [ConfigError], warnings: [String]) {
        var setup = ProxySetup()
        var errors: [ConfigError] = []
        var warnings: [String] = []
        for ep in config.entryPoints where ep.transport == .tcp {
            setup.entryPoints.append(ProxyEntryPointSetup(name: ep.name, address: ep.address, trustedIPs: [], insecure: false))
        }
        for ep in config.entryPoints where ep.transport == .udp {
            setup.udpEntryPoints.append(UDPEntryPointSetup(name: ep.name, address: ep.address))
        }
        if config.http != nil || config.tcp != nil || config.udp != nil {
            var root = TOMLTable(location: config.raw.location)
            if let http = config.http { root.set("http", TOMLNode(value: .table(http), location: http.location)) }
            if let tcp = config.tcp { root.set("tcp", TOMLNode(value: .table(tcp), location: tcp.location)) }
            if let udp = config.udp { root.set("udp", TOMLNode(value: .table(udp), location: udp.location)) }
            setup.addDynamic(root)
        }
        // stoep's own [providers] (docker, swarm, file) and [certificatesResolvers] take Traefik's keys: decoded
        // by the same static decoder, so a provider stoep does not have is refused there as in Traefik's file.
        let ownStatic = [("providers", config.providers), ("certificatesResolvers", config.certificatesResolvers)]
            .filter { $0.1 != nil }
        if !ownStatic.isEmpty {
            var root = TOMLTable(location: config.raw.location)
            for (key, table) in ownStatic { root.set(key, TOMLNode(value: .table(table!), location: table!.location)) }
            let (stat, issues) = TraefikStaticConfig.decode(root)
            for i in issues where i.path.hasPrefix("providers") || i.path.hasPrefix("certificatesResolvers") {
                if i.severity == .error {
                    errors.append(ConfigError(location: i.location, message: "\(i.path): \(i.message)"))
                } else {
                    warnings.append(i.description)
                }
            }
            if let file = stat.providers.file {
                setup.useFileProvider(file, path: config.raw.location.file, warnings: &warnings)
            }
            if let docker = stat.providers.docker {
                setup.docker = docker
                setup.routing = true
            }
            if let swarm = stat.providers.swarm {
                setup.swarm = swarm
                setup.routing = true
            }
            setup.certificatesResolvers.merge(stat.certificatesResolvers) { _, new in new }
        }
        if let traefik {
            let path: String
            if case .file(let file) = traefik { path = file } else { path = traefik.description }
            let (tree, parseErrors, strict) = traefik.read()
            errors += parseErrors
            if parseErrors.isEmpty {
                let (stat, issues) = TraefikStaticConfig.decode(tree, unknownKeysAreErrors: strict)
                for i in issues {
                    if i.severity == .error {
                        errors.append(ConfigError(location: i.location, message: "\(i.path): \(i.message)"))
                    } else {
                        warnings.append(i.description)
                    }
                }
                setup.defaultSyntax = stat.defaultRuleSyntax
                let ft = stat.serversTransport.forwardingTimeouts
                setup.connectTimeout = UpstreamTransport.limit(UInt64(max(0, ft.dialTimeout.nanoseconds)))
                setup.responseHeaderTimeout = UInt64(max(0, ft.responseHeaderTimeout.nanoseconds))
                setup.prometheus = stat.prometheus
                setup.ping = stat.ping
                setup.api = stat.api
                // Traefik's own routers (ping, the API, /metrics) route even without a provider (`--ping` alone).
                if stat.ping != nil || stat.api != nil || stat.prometheus != nil { setup.routing = true }
                setup.accessLog = stat.accessLog
                setup.serversTransport = stat.serversTransport
                setup.certificatesResolvers.merge(stat.certificatesResolvers) { own, _ in own }
                setup.readTLS(stat, warnings: &warnings, path: path)
                for ep in stat.entryPoints where ep.transport == .tcp {
                    setup.entryPoints.removeAll { $0.name == ep.name }
                    let t = ep.respondingTimeouts
                    setup.entryPoints.append(ProxyEntryPointSetup(
                        name: ep.name, address: ep.address, trustedIPs: ep.forwardedHeaders.trustedIPs,
                        insecure: ep.forwardedHeaders.insecure,
                        idleTimeout: t.idleTimeout.nanoseconds > 0 ? UInt64(t.idleTimeout.nanoseconds) : UInt64.max / 4,
                        readTimeout: t.readTimeout.nanoseconds > 0 ? UInt64(t.readTimeout.nanoseconds) : UInt64.max / 4,
                        targetPolicy: RequestTargetPolicy(
                            sanitizePath: ep.sanitizePath, encodeQuerySemicolons: ep.encodeQuerySemicolons,
                            deniedEscapes: RequestTargetPolicy.escapesByOption.filter { ep.deniedEncodedCharacters.contains($0.option) }.map(\.escape)),
                        http2: HTTP2Settings(maxConcurrentStreams: ep.maxConcurrentStreams),
                        proxyProtocol: ep.proxyProtocol.map { ProxyProtocolTrust(trustedIPs: $0.trustedIPs, insecure: $0.insecure) },
                        keepAlive: KeepAliveLimit(maxRequests: Int(clamping: max(0, ep.keepAliveMaxRequests)),
                                                  maxTime: UInt64(max(0, ep.keepAliveMaxTime.nanoseconds)))))
                }
                for ep in stat.entryPoints where ep.transport == .udp {
                    setup.udpEntryPoints.removeAll { $0.name == ep.name }
                    setup.udpEntryPoints.append(UDPEntryPointSetup(name: ep.name, address: ep.address,
                                                                   timeout: UInt64(max(1, ep.udpTimeout.nanoseconds))))
                }
                // Traefik creates its `traefik` entry point on :8080 when the API or metrics need one.
                if (stat.api != nil || stat.prometheus != nil) && !setup.entryPoints.contains(where: { $0.name == "traefik" }),
                   let addr = HostPort.parse(":8080") {
                    setup.entryPoints.append(ProxyEntryPointSetup(name: "traefik", address: addr, trustedIPs: [], insecure: false))
                }
                setup.entryPointModels = TraefikEntryPointModels(stat.entryPoints, extraNames: setup.entryPoints.map(\.name))
                if let file = stat.providers.file {
                    setup.useFileProvider(file, path: path, warnings: &warnings)
                }
                if let docker = stat.providers.docker {
                    setup.docker = docker
                    setup.routing = true
                }
                if let swarm = stat.providers.swarm {
                    setup.swarm = swarm
                    setup.routing = true
                }
            }
        }
        return (setup, errors, warnings)
    }

    /// providers.file from Traefik's static configuration or stoep's own `[providers.file]`: its files are
    /// read now and watched (DynamicConfiguration). `path`: the configuration file that names it.
    private mutating func useFileProvider(_ file: TraefikFileProvider, path: String, warnings: inout [String]) {
        if let dir = file.directory, !FileProviderReader.isDirectory(dir) {
            warnings.append("\(path): providers.file.directory \(dir): cannot be read; no file-provider routes from it")
        }
        fileProvider = file
        files = FileProviderReader.read(file, environment: ProcessFacts.environment())
        routing = true
    }

    /// Entry points' `http.tls` and `http.redirections.entryPoint` (Traefik 3: permanent by default,
    /// the target's port in Location unless 443).
    private mutating func readTLS(_ stat: TraefikStaticConfig, warnings: inout [String], path: String) {
        for ep in stat.entryPoints {
            if let tls = ep.tls {
                tlsEntryPoints.insert(ep.name)
                entryPointTLS[ep.name] = tls
            }
            guard let r = ep.redirection else { continue }
            var port: UInt16? = nil
            if r.to.hasPrefix(":") {
                port = UInt16(r.to.dropFirst())
            } else if let target = stat.entryPoint(named: r.to) {
                port = target.address.port
            }
            guard let port else {
                warnings.append("\(path): entryPoints.\(ep.name).http.redirections.entryPoint.to \(r.to): no such entry point; no redirection")
                continue
            }
            redirections[ep.name] = (r.to, TraefikRedirectScheme(scheme: r.scheme, port: String(port), permanent: r.permanent))
        }
    }

    /// What TLS termination needs from every dynamic configuration: certificates, the default store's
    /// certificate, the default options; plus the resolvers' acme.json files.
    var tlsSettings: TLSSettings {
        var t = TLSSettings()
        for d in allDynamic {
            t.certificates += d.tls.certificates
            if let c = d.tls.stores["default"]?.defaultCertificate { t.defaultCertificate = c }
            if let g = d.tls.stores["default"]?.defaultGeneratedCert { t.defaultGeneratedNames = [g.domain.main] + g.domain.sans }
            if let o = d.tls.options["default"] {
                t.minVersion = o.minVersion
                t.maxVersion = o.maxVersion
                t.sniStrict = o.sniStrict
            }
        }
        t.acmeStorages = certificatesResolvers.compactMapValues { $0.acme?.storage }
        return t
    }

    /// TLS is needed when an entry point or a router asks for it (OpenSSL stays untouched otherwise).
    var needsTLS: Bool {
        !tlsEntryPoints.isEmpty || allDynamic.contains { d in
            d.httpRouters.values.contains { $0.tls != nil } || d.tcpRouters.values.contains { $0.tls.map { !$0.passthrough } ?? false }
        }
    }

    /// Named serversTransports of every dynamic configuration, with the static one as default.
    var serversTransports: ServersTransports {
        var named: [String: TraefikServersTransport] = [:]
        for d in allDynamic { named.merge(d.serversTransports) { _, b in b } }
        return ServersTransports(default: serversTransport, named: named)
    }

    private mutating func addDynamic(_ table: TOMLTable) {
        let (dyn, issues) = TraefikDynamicConfig.decode(table, provider: "file")
        dynamic.append(dyn)
        self.issues += issues.map(\.description)
        routing = true
    }
}
