// What a configuration will do, worked out without binding a socket: the route tables built from a proxy
// set-up with every problem found on the way, and the full list `stoep run` reports before it serves.
// Start-up and reload (DynamicConfiguration.install) and `stoep check` both go through `RouteBuild.make`
// and `ConfigValidation.problems`, so check lists exactly what run will log (a test holds them to it).
import Config
import Discovery
import Proxy
import Reactor

/// The HTTP, TCP and UDP route tables of a set-up, and the problems of the whole dynamic configuration.
struct RouteBuild {
    var table: RouteTable
    var tcpTable: TCPRouteTable
    var udpTable: UDPRouteTable
    /// Every problem, in the order start-up logs them: the providers' decoding, certificates, the Docker
    /// provider's, the HTTP, TCP and UDP routers', the certificate resolvers'.
    var problems: [String]

    /// `acmeHTTPEntryPoints`: where acme-http@internal answers HTTP-01 tokens; `communityCA`: whether the
    /// community CA's root is offered; `tlsProblems`, `dockerProblems`, `resolverProblems`: what those parts
    /// found (the running appliance's live ones, or check's static reading); `previous`: the table whose
    /// unchanged servers (pooled connections, health) are kept.
    static func make(_ setup: ProxySetup, acmeHTTPEntryPoints: [String], communityCA: Bool, tlsProblems: [String],
                     dockerProblems: [String], resolverProblems: [String], previous: RouteTable?) -> RouteBuild {
        let names = setup.entryPoints.map(\.name)
        var internals: Set<InternalService> = [.noop]
        if setup.api != nil { internals.formUnion([.api, .dashboard]) }
        if setup.prometheus != nil { internals.insert(.prometheus) }
        // Traefik's own routers: /metrics (unless manualRouting), and api.insecure's on `traefik`.
        if !acmeHTTPEntryPoints.isEmpty { internals.insert(.acmeHTTP) }
        var ownRouters = InternalRouters(metricsEntryPoint: setup.prometheus.flatMap { $0.manualRouting ? nil : $0.entryPoint },
                                         apiEntryPoint: setup.api?.insecure == true ? "traefik" : nil,
                                         dashboard: setup.api?.dashboard ?? false,
                                         acmeHTTPEntryPoints: acmeHTTPEntryPoints)
        if let ping = setup.ping {
            internals.insert(.ping)
            if !ping.manualRouting { ownRouters.pingEntryPoint = ping.entryPoint }
        }
        if communityCA {
            internals.insert(.communityCA)
            ownRouters.communityCAEntryPoints = names
        }
        let dynamic = setup.allDynamic
        let result = RouteTableBuilder.build(dynamic, defaultSyntax: setup.defaultSyntax, entryPointNames: names,
                                             tlsEntryPoints: setup.tlsEntryPoints, redirections: setup.redirections,
                                             entryPointMiddlewares: setup.entryPointModels.middlewares,
                                             transports: setup.serversTransports, internalServices: internals,
                                             internalRouters: ownRouters, previous: previous)
        let tcp = TCPRouteTableBuilder.build(dynamic, defaultSyntax: setup.defaultSyntax, entryPointNames: names)
        let udp = UDPRouteTableBuilder.build(dynamic, entryPointNames: setup.udpEntryPoints.map(\.name))
        let problems = setup.allIssues + tlsProblems + dockerProblems + result.problems + tcp.problems + udp.problems
            + resolverProblems
        return RouteBuild(table: result.table, tcpTable: tcp.table, udpTable: udp.table, problems: problems)
    }
}

enum ConfigValidation {
    /// Whether a problem line is an error: a decoding issue of severity error (ConfigIssue's ": error: "),
    /// or an entry the route builders leave out ("…; skipped", "… not served"). Start-up logs these at
    /// error level and `stoep check` exits non-zero on them; the rest are warnings.
    static func isError(_ problem: String) -> Bool {
        problem.contains(": error: ") || problem.hasSuffix("skipped") || problem.contains("not served")
    }

    /// "error: …" or "warning: …", as start-up logs the line.
    static func labelled(_ problem: String) -> String { (isError(problem) ? "error: " : "warning: ") + problem }

    /// Every line `stoep run` logs about `loaded` when it starts, labelled as it logs them ("warning: …",
    /// "error: …"), in its order: the static configuration's warnings (LoadedConfig.warnings), then the
    /// dynamic configuration's problems (RouteBuild). Nothing is bound, no certificate is ordered and no CA
    /// is created: the certificate resolvers are judged by their settings (CertificateResolvers
    /// .settingsProblems), the certificate files are read as start-up reads them.
    static func report(_ loaded: LoadedConfig) -> [String] {
        let staticLines = loaded.warnings.map { "warning: " + $0 }
        let setup = loaded.proxy
        guard setup.routing else { return staticLines }
        let names = setup.entryPoints.map(\.name)
        let resolvers = CertificateResolvers.settingsProblems(setup.certificatesResolvers, entryPoints: names)
        var tlsProblems: [String] = []
        if setup.needsTLS {
            let settings = setup.tlsSettings
            if let read = TLSCertificateLoader.load(settings, previousGenerated: nil, lastGood: [:], issued: []) {
                tlsProblems = read.problems
                do {
                    _ = try settings.serverContext(certificates: read.set, stats: TLSStats())
                } catch {
                    tlsProblems.append("TLS: \(error)")
                }
            } else {
                tlsProblems = ["TLS: cannot create a default certificate: \(TLSError.lastError()); TLS entry points refuse handshakes"]
            }
        }
        let build = RouteBuild.make(setup, acmeHTTPEntryPoints: resolvers.httpChallengeEntryPoints, communityCA: false,
                                    tlsProblems: tlsProblems, dockerProblems: [], resolverProblems: resolvers.problems, previous: nil)
        return staticLines + build.problems.map(labelled)
    }

    /// A file-provider file checked on its own (`stoep check dyn.yml`): its decoding issues and its routers'
    /// problems, as start-up reports them for this file. The static configuration that would name it is
    /// unknown, so every entry point a router names is taken to exist.
    /// Labelled as `report`'s lines.
    static func dynamicFileReport(_ path: String) -> [String] {
        var setup = ProxySetup()
        setup.files = FileProviderReader.read(TraefikFileProvider(filename: path, watch: false), environment: ProcessFacts.environment())
        setup.routing = true
        var names: [String] = []
        for config in setup.files.configs {
            for name in config.httpRouters.values.flatMap(\.entryPoints) + config.tcpRouters.values.flatMap(\.entryPoints) where !names.contains(name) {
                names.append(name)
            }
        }
        if let any = HostPort.parse(":1") {
            setup.entryPoints = names.map { ProxyEntryPointSetup(name: $0, address: any, trustedIPs: [], insecure: false) }
        }
        return RouteBuild.make(setup, acmeHTTPEntryPoints: [], communityCA: false, tlsProblems: [], dockerProblems: [],
                               resolverProblems: [], previous: nil).problems.map(labelled)
    }
}
