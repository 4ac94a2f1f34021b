// The running appliance: one event loop and everything on it, built from a StoepConfig and rebuilt in place
// on SIGHUP. It owns its parts and says who owns what:
// - ForwarderSet: the raw TCP forwards;
// - EntryPointSet: the HTTP entry points and status pages, with the HTTPProxy they share;
// - TLSTermination: the server context, certificates and their watch;
// - DynamicConfiguration: the providers' snapshots, the route tables built from them, their problems, the
//   API's view and the names auto-DNS published;
// - ProxyObservability: metrics, access log and per-router figures;
// - the DNS service, the stats socket, signals, and the record of reloads (here).
import Cluster
import Config
import DNS
import Discovery
import Glibc
import Proxy
import Reactor
import Stats

final class Appliance {
    let loop: EventLoop
    let log: Logger
    let pool: PipePool
    let source: ConfigSource
    let startedAt = monotonicNanos()
    let startedAtWall = wallClockSeconds()
    let statsPath: String
    let systemd = SystemdNotifier(environment: ProcessFacts.environment())
    private(set) var config: StoepConfig
    let proxy: HTTPProxy
    let files: SharedFileWatcher
    let forwarders: ForwarderSet
    let entryPoints: EntryPointSet
    let tls: TLSTermination
    let dynamic: DynamicConfiguration
    let observability: ProxyObservability
    private(set) var dns: DNSService?
    private(set) var stats: StatsServer?
    /// `[cluster]`: the channel to the other nodes' stoeps (Appliance+Cluster.swift); set once, at start.
    var cluster: ClusterChannel?
    /// The last swarm view (`show swarm`'s document) and when it was made, for the dashboard.
    var swarmView: (bytes: [UInt8], at: UInt64)?
    var swarmViewPending = false
    private var signals: SignalSource?
    var reloadRecord = ReloadRecord()
    private(set) var shuttingDown = false
    private var drainTimer: Timer?
    static let drainTimeout: UInt64 = 10_000_000_000  // Traefik's lifeCycle.graceTimeOut default
    /// The user `user =` dropped to (nil: no drop, or started as that user already).
    var droppedTo: ProcessIdentity?
    /// The stats socket's owner: the user and group stoep drops to after binding.
    let statsOwner: (uid: uid_t, gid: gid_t)?
    /// Which worker of `workers = N` this process is (nil: the only process). Set before `start()`:
    /// only worker 0 (or the only process) runs the certificate resolvers.
    var workerIndex: Int? {
        didSet { dynamic.issuesCertificates = (workerIndex ?? 0) == 0 }
    }
    /// The configuration read before start-up, applied by `start()`.
    private var pending: LoadedConfig?

    init(loaded: LoadedConfig, source: ConfigSource, backend: BackendKind?, statsPath: String,
         statsOwner: (uid: uid_t, gid: gid_t)? = nil, log: Logger) throws {
        self.config = loaded.config
        self.statsOwner = statsOwner
        self.pending = loaded
        pool = PipePool(size: loaded.profile?.pipeSize ?? 1 << 20, limit: loaded.profile?.pipeLimit ?? 1024)
        self.source = source
        self.log = log
        self.statsPath = statsPath
        loop = try EventLoop(backend: backend, log: log)
        proxy = HTTPProxy(loop: loop, pool: pool)
        files = SharedFileWatcher(loop: loop, log: log)
        forwarders = ForwarderSet(loop: loop, pool: pool)
        tls = TLSTermination(proxy: proxy, log: log, files: files)
        dynamic = DynamicConfiguration(loop: loop, log: log, proxy: proxy, tls: tls, files: files, startedAtWall: startedAtWall)
        entryPoints = EntryPointSet(loop: loop, proxy: proxy)
        observability = ProxyObservability(loop: loop, log: log, proxy: proxy)
        // What the parts read from the rest of the appliance.
        entryPoints.statusBodies = { [unowned self] in self.statusBodies() }
        dynamic.dns = { [unowned self] in self.dns }
        dynamic.api.liveFacts = { [unowned self] w in self.writeDashboardFacts(into: &w) }
        dynamic.shuttingDown = { [unowned self] in self.shuttingDown }
        dynamic.clusterChannel = { [unowned self] in self.cluster }
        dynamic.providerChanged = { [unowned self] change in
            if change == .fileProvider { self.reloadRecord.applied(clearingErrors: false) }
            self.observability.tablesChanged(entryPoints: self.dynamic.setup.entryPoints)
        }
        observability.sources = ProxyObservability.Sources(
            openConnections: { [unowned self] in self.entryPoints.http.values.map { (entryPoint: $0.name, count: $0.openSessions) } },
            configReloads: { [unowned self] in
                PrometheusMetrics.ConfigReloads(total: self.reloadRecord.reloads, lastSucceeded: self.reloadRecord.lastSucceeded,
                                                lastSuccessTime: Double(self.reloadRecord.lastSuccess))
            },
            extraLines: { [unowned self] in (self.dns?.prometheusLines ?? []) + self.entryPoints.http2PrometheusLines },
            certificates: { [unowned self] in self.tls.certificates })
    }

    /// Binds everything the configuration names. Any failure stops start-up with the reason.
    func start() throws {
        let stats = StatsServer(path: statsPath, owner: statsOwner, loop: loop, provider: self)
        try stats.start()
        self.stats = stats
        signals = try SignalSource(loop: loop, signals: [SIGTERM, SIGINT, SIGHUP, SIGUSR1]) { [unowned self] sig in
            self.signal(sig)
        }
        if let loaded = pending {
            // Certificate sharing waits for the channel, which starts after the first configuration.
            dynamic.clusterWanted = loaded.cluster != nil
            try apply(loaded)
            try startCluster(loaded)
            dynamic.clusterStarted()
        }
        pending = nil
        loop.addTurnHook { [unowned self] in
            self.log.flush()
            self.observability.flushAccessLog()
            self.dns?.flushQueryLog()
        }
        systemd.startWatchdog(on: loop)
    }

    func run() throws {
        try loop.run()
        stats?.stop()
        cluster?.stop()
        dynamic.docker?.stop()
        dynamic.swarm?.stop()
        dynamic.certificateSharing?.stop()
        observability.flushAccessLog()
        entryPoints.stopAccepting(closingIdle: false)
        dns?.stop()
        loop.settle()
    }

    private func signal(_ sig: Int32) {
        switch sig {
        case SIGHUP: reload()
        case SIGUSR1:
            observability.reopenAccessLog()
            log.info("SIGUSR1: access log reopened")
        default: beginShutdown(reason: sig == SIGINT ? "SIGINT" : "SIGTERM")
        }
    }

    // MARK: configuration

    /// Makes the running set match `config`. Listeners whose address is unchanged are kept; new ones are
    /// bound before old ones are closed, so a failed bind leaves the running set as it was.
    func apply(_ loaded: LoadedConfig) throws {
        let new = loaded.config
        for w in loaded.warnings { log.warning(w) }
        let forwards = try forwarders.prepare(new.forwards)
        let endpoints: EntryPointSet.Prepared
        do {
            endpoints = try entryPoints.prepare(loaded.proxy)
        } catch {
            forwards.rollback()
            throw error
        }
        let newDNS: DNSService?
        do {
            newDNS = try DNSService.reconfigure(dns, setup: loaded.dns, loop: loop, watcher: self.files.watcher(for: "[dns] blocklists and hostsdir"))
        } catch {
            forwards.rollback()
            endpoints.rollback()
            throw error
        }
        // Commit: nothing below can fail.
        forwarders.commit(forwards, new.forwards)
        entryPoints.commit(endpoints, loaded.proxy)
        entryPoints.communityCARoot = Self.communityCARoot(loaded.proxy.certificatesResolvers)
        dynamic.communityCARoot = entryPoints.communityCARoot
        proxy.timeouts.connect = loaded.proxy.connectTimeout
        proxy.timeouts.responseHeader = loaded.proxy.responseHeaderTimeout
        dynamic.install(loaded.proxy)
        observability.apply(loaded.proxy)
        dynamic.watchFileProvider(loaded.proxy)
        dns = newDNS
        config = new
        dynamic.autoDNS = loaded.autoDNS
        dynamic.applyDiscovery(loaded.proxy)
        dynamic.publishedNames = [:]  // a reloaded zone starts without them
        dynamic.publishNames()
    }

    /// The status pages' root download: the first localCA resolver's (by name) root, read from its
    /// storage at each request, so the page offers it as soon as the resolver has created the CA. The
    /// file is small and the status page an administrator's page, not a client path.
    static func communityCARoot(_ resolvers: [String: TraefikCertificatesResolver]) -> () -> CommunityCARoot? {
        guard let storage = resolvers.sorted(by: { $0.key < $1.key }).lazy.compactMap({ $0.value.localCA?.storage }).first else {
            return { nil }
        }
        return { try? CommunityCAStore.rootCertificate(directory: storage).get() }
    }

    /// SIGHUP: read every file again; an invalid set keeps the running configuration and says why.
    func reload() {
        systemd.reloading()
        defer { systemd.ready(status: "serving (\(source.description))") }
        switch source.load() {
        case .failure(let e):
            reloadRecord.failed(e.errors)
            log.error("reload failed, keeping the running configuration:")
            for err in e.errors { log.error("  \(err)") }
        case .success(let c):
            if c.config.user != config.user || c.config.group != config.group || c.config.groups != config.groups {
                log.warning("reload: user, group and groups take effect at the next start (privileges were dropped once, at start)")
            }
            if c.cluster != cluster?.settings {
                log.warning("reload: [cluster] takes effect at the next start (the channel is bound and its certificate issued once, at start)")
            }
            do {
                try apply(c)
                reloadRecord.applied(clearingErrors: true)
                log.info("reloaded \(source.description)")
            } catch {
                reloadRecord.failed([ConfigError(location: nil, message: "\(error)")])
                log.error("reload failed, keeping the running configuration: \(error)")
            }
        }
    }

    // MARK: shutdown

    /// Stops accepting, lets established connections finish, and ends the loop when they have, or when
    /// the drain deadline passes.
    func beginShutdown(reason: String) {
        if shuttingDown {
            log.info("\(reason) again: closing now")
            finishShutdown()
            return
        }
        shuttingDown = true
        systemd.stopping()
        log.info("\(reason): shutting down, draining \(openConnections) connections")
        forwarders.stopAccepting()
        entryPoints.stopAccepting(closingIdle: true)
        dns?.stop()
        let deadline = loop.now &+ Appliance.drainTimeout
        let t = Timer { [unowned self] now in
            if self.openConnections == 0 || now >= deadline {
                self.finishShutdown()
            } else if let t = self.drainTimer {
                self.loop.schedule(t, after: 50_000_000)
            }
        }
        drainTimer = t
        loop.schedule(t, after: 0)
    }

    private func finishShutdown() {
        forwarders.abortAll()
        entryPoints.closeAll()
        loop.stop()
    }

    var openConnections: Int { forwarders.openRelays + entryPoints.openConnections }
}
