// The dynamic half of the running configuration: what each provider last gave (stoep's own [http]/[tcp],
// the file provider's files, the Docker provider's snapshot), the HTTP and TCP route tables built from all of
// it and swapped in at once (connections in flight finish with the table they started with), the problems
// found (logged once while they last, listed by `show config-errors`), the API's view, and the names
// auto-DNS published from the routers' Host rules. The file provider's watch and the Docker provider
// rebuild only this half (DynamicConfiguration+Docker).
import Config
import DNS
import Discovery
import Glibc
import Proxy
import Reactor

final class DynamicConfiguration {
    /// A rebuild that came from a provider, not from a reload of every file.
    enum ProviderChange { case fileProvider, docker }

    let loop: EventLoop
    let log: Logger
    let proxy: HTTPProxy
    let tls: TLSTermination
    let files: SharedFileWatcher
    /// The DNS service auto-DNS publishes into (nil: DNS off).
    var dns: () -> DNSService? = { nil }
    private let startedAtWall: Int
    /// The proxy set-up last applied; each provider's part is replaced when it changes.
    private(set) var setup = ProxySetup()
    /// The Docker provider and what it last reported.
    var docker: DockerProvider?
    var dockerSnapshot: DockerProvider.Snapshot?
    /// The Swarm provider (providers.swarm) and what it last reported.
    var swarm: DockerProvider?
    var swarmSnapshot: DockerProvider.Snapshot?
    /// The file provider being watched and the watcher's id.
    private var fileProviderWatch: (provider: TraefikFileProvider, id: Int)?
    /// Problems of the dynamic configuration (skipped routers, services…, certificate problems included).
    private(set) var problems: [String] = []
    /// Problems already logged (each is logged once while it lasts).
    private var reportedProblems: Set<String> = []
    /// Which router hosts auto-DNS publishes, and what it last put in the zone.
    var autoDNS = AutoDNSSettings()
    var publishedNames: [DNSName: [IPAddress]] = [:]
    /// The certificate resolvers and the settings they were made from (DynamicConfiguration+Certificates).
    var certificates: (settings: [String: TraefikCertificatesResolver], resolvers: CertificateResolvers)?
    /// False in workers 1…N-1 of `workers = N`: only worker 0 runs the certificate resolvers (one issuer).
    var issuesCertificates = true
    /// With `workers = N`: the directory where worker 0 publishes its ACME challenge answers and the
    /// others read them (SharedChallenges).
    var sharedChallenges: SharedChallenges?
    /// Where the acme-http@internal router goes: the resolvers' httpChallenge entry points, in every worker.
    var acmeHTTPEntryPoints: [String] = []
    /// Workers 1…N-1: what worker 0's community CAs keep, and the watches of their `issued/` folders.
    var communityCAFollowers: (storages: [String], followers: [CommunityCAFollower], watches: [Int]) = ([], [], [])
    /// The community CA's root, when a localCA resolver has made one (set by the appliance).
    var communityCARoot: () -> CommunityCARoot? = { nil }
    /// api@internal's handler and the state it serves.
    let api: TraefikAPIHandler
    /// Told after a provider's change was installed (before its log line).
    var providerChanged: (ProviderChange) -> Void = { _ in }
    /// Whether the appliance is shutting down (a file change is then ignored).
    var shuttingDown: () -> Bool = { false }

    init(loop: EventLoop, log: Logger, proxy: HTTPProxy, tls: TLSTermination, files: SharedFileWatcher,
         startedAtWall: Int) {
        self.loop = loop
        self.log = log
        self.proxy = proxy
        self.tls = tls
        self.files = files
        self.startedAtWall = startedAtWall
        api = TraefikAPIHandler(loop: loop)
        tls.problemsChanged = { [unowned self] old, new in self.certificateProblemsChanged(old, new) }
    }

    /// Builds and installs the HTTP and TCP route tables of `setup` joined with the Docker provider's
    /// latest snapshot, and the API state describing them. Problems new since the last build are logged.
    /// `reconfigureTLS` false (a Docker change): TLS is only turned on when a container's router is the
    /// first to need it, so no certificate file is read on the loop for it.
    func install(_ setup: ProxySetup, reconfigureTLS: Bool = true) {
        var setup = setup
        setup.discovered = [dockerSnapshot, swarmSnapshot].compactMap { $0?.config }
        self.setup = setup
        guard setup.routing else {
            problems = []
            tls.problems = []
            if reconfigureTLS { tls.configure(ProxySetup()) }
            proxy.internalHandlers.api = nil
            proxy.udpTable = .empty  // UDP entry points stay bound; without routers their datagrams are dropped
            return
        }
        let names = setup.entryPoints.map(\.name)
        let resolvers = certificateResolvers(for: setup)
        let dynamic = setup.allDynamic
        if reconfigureTLS || (setup.needsTLS && proxy.tls == nil) { tls.configure(setup) }
        let build = RouteBuild.make(setup, acmeHTTPEntryPoints: acmeHTTPEntryPoints,
                                    communityCA: communityCARoot() != nil || !communityCAFollowers.followers.isEmpty, tlsProblems: tls.problems,
                                    dockerProblems: [dockerSnapshot, swarmSnapshot].flatMap { $0?.problems.map(\.description) ?? [] },
                                    resolverProblems: resolvers?.problems ?? [], previous: proxy.table)
        proxy.install(build.table)
        proxy.tcpTable = build.tcpTable
        proxy.udpTable = build.udpTable
        problems = build.problems
        resolvers?.update(demands: CertificateDemand.collect(dynamic, entryPointTLS: setup.entryPointTLS, entryPoints: names,
                                                             defaultSyntax: setup.defaultSyntax))
        for p in problems where !reportedProblems.contains(p) {
            if ConfigValidation.isError(p) { log.error(p) } else { log.warning(p) }
        }
        reportedProblems = Set(problems)
        api.state = APIStateBuilder.build(configs: dynamic, table: build.table, tcpTable: build.tcpTable,
                                          problems: problems, facts: apiFacts(setup))
        proxy.internalHandlers.api = setup.api == nil ? nil : { [unowned self] in self.api.answer($0) }
        proxy.internalHandlers.ping = setup.ping.map { ping in { [unowned self] in pingStatus(ping) } }
        proxy.internalHandlers.communityCA = { [unowned self] path in communityCARoot()?.response(for: Substring(path)) }
        api.communityCASection = { [unowned self] in communityCARoot()?.htmlSection }
    }

    /// ping@internal's status: the terminating status once shutdown began; 503 while an enabled provider
    /// has not delivered its first configuration (the Docker provider: its first snapshot), so a balancer
    /// or an orchestrator does not send traffic to routes that do not exist yet — what Traefik users ask
    /// for in traefik #10458 (Traefik answers 200 at once); then 200.
    func pingStatus(_ ping: TraefikPing) -> Int {
        if shuttingDown() { return ping.terminatingStatusCode }
        if docker != nil && dockerSnapshot == nil { return 503 }
        if swarm != nil && swarmSnapshot == nil { return 503 }
        return 200
    }

    /// A watched certificate file was read again: its problems replace the old ones in the list; only new
    /// lines are logged.
    private func certificateProblemsChanged(_ old: [String], _ new: [String]) {
        let gone = Set(old)
        problems = new + problems.filter { !gone.contains($0) }
        for p in new where !reportedProblems.contains(p) { log.warning(p) }
        reportedProblems.formUnion(new)
    }

    private func apiFacts(_ setup: ProxySetup) -> APIStaticFacts {
        var facts = APIStaticFacts()
        facts.entryPoints = setup.entryPoints.map {
            APIEntryPoint(name: $0.name, address: $0.address.description, readTimeout: $0.readTimeout, idleTimeout: $0.idleTimeout,
                          trustedIPs: $0.trustedIPs, insecure: $0.insecure, maxConcurrentStreams: $0.http2.maxConcurrentStreams)
        }.sorted { $0.name < $1.name }
        facts.udpEntryPoints = setup.udpEntryPoints.map {
            var e = APIEntryPoint(name: $0.name, address: $0.address.description + "/udp", readTimeout: 60_000_000_000,
                                  idleTimeout: 180_000_000_000, trustedIPs: [], insecure: false)
            e.udpTimeout = $0.timeout
            return e
        }
        if setup.fileProvider != nil || !setup.dynamic.isEmpty { facts.providers.append("File") }
        if setup.docker != nil { facts.providers.append("Docker") }
        if setup.swarm != nil { facts.providers.append("Swarm") }
        facts.api = setup.api
        facts.prometheus = setup.prometheus
        facts.ping = setup.ping
        facts.acmeHTTPEntryPoints = acmeHTTPEntryPoints
        facts.accessLog = setup.accessLog != nil
        facts.startDate = DynamicConfiguration.rfc3339(startedAtWall)
        facts.version = Version.text
        return facts
    }

    /// Starts, keeps or stops the inotify watch of `providers.file` (when `watch`, Traefik's default).
    func watchFileProvider(_ setup: ProxySetup) {
        let wanted = setup.fileProvider.flatMap { $0.watch ? $0 : nil }
        if let current = fileProviderWatch, current.provider == wanted { return }
        if let current = fileProviderWatch { files.watcher?.unwatch(current.id) }
        fileProviderWatch = nil
        guard let provider = wanted, let watcher = files.watcher(for: "providers.file") else { return }
        // A directory is watched as one ("dir/" even before it exists); a file through its directory.
        let path = provider.filename ?? ((provider.directory ?? ".") + "/")
        let id = watcher.watch(path: path) { [unowned self] in self.fileProviderChanged() }
        fileProviderWatch = (provider, id)
    }

    /// A file of the provider changed: re-read the provider's files and rebuild only the route tables.
    func fileProviderChanged() {
        guard !shuttingDown(), let provider = setup.fileProvider else { return }
        let snapshot = FileProviderReader.read(provider, previous: setup.files, environment: ProcessFacts.environment())
        guard snapshot != setup.files else { return }
        var changed = setup
        changed.files = snapshot
        let started = monotonicNanos()
        install(changed)
        publishNames()  // a router added or removed by the file changes the auto-DNS names too
        providerChanged(.fileProvider)
        log.info("providers.file: \(provider.filename ?? provider.directory ?? "") changed; \(proxy.table.routes.count) HTTP and "
                 + "\(proxy.tcpTable.routes.count) TCP routers installed in \((monotonicNanos() - started) / 1000) µs")
    }

    /// "2026-11-27T02:23:05Z".
    static func rfc3339(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var tm = Glibc.tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
    }
}
