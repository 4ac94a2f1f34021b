// The running appliance: one event loop and everything on it (forwarders, DNS, entry points, stats
// socket), built from a StoepConfig and rebuilt in place on SIGHUP.
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
    let ids = ConnectionIDs()
    let source: ConfigSource
    let startedAt = monotonicNanos()
    let statsPath: String
    private(set) var config: StoepConfig
    var forwarders: [HostPort: Forwarder] = [:]
    /// Forwarders removed by a reload, kept until their last relay ends.
    var retired: [Forwarder] = []
    var statusPages: [HostPort: StatusPage] = [:]
    var httpEntryPoints: [HostPort: HTTPEntryPoint] = [:]
    /// Entry points' setups, to tell an unchanged listener (kept on reload) from a changed one.
    var entryPointSetups: [HostPort: ProxyEntryPointSetup] = [:]
    lazy var proxy = HTTPProxy(loop: loop, pool: pool)
    /// Entry points removed by a reload whose connections are still open.
    var retiredEntryPoints: [HTTPEntryPoint] = []
    /// Problems of the dynamic configuration (skipped routers, services…), for `show config-errors`.
    var dynamicProblems: [String] = []
    var metrics: PrometheusMetrics?
    /// The proxy set-up last applied; the file provider's part is replaced when its files change.
    var proxySetup = ProxySetup()
    var fileWatcher: FileWatcher?
    /// The file provider being watched and the watcher's id.
    var fileProviderWatch: (provider: TraefikFileProvider, id: Int)?
    lazy var apiHandler = TraefikAPIHandler(loop: loop)
    let startedAtWall = wallClockSeconds()
    /// TLS termination (Appliance+TLS.swift): counters, the settings the context was made with, and a
    /// generated default certificate kept across reloads.
    let tlsStats = TLSStats()
    var tlsSettings: TLSSettings?
    var generatedDefaultCertificate: TLSCertificate?
    /// The certificate files watched, and their watch ids; how often they were read again.
    var certificateWatch: (files: [String], ids: [Int]) = ([], [])
    var certificateReloads: UInt64 = 0
    /// What each certificate file gave at the last read (kept when a renewal leaves one broken).
    var certificatesBySource: [String: [TLSCertificate]] = [:]
    let proxyStats = ProxyStatsObserver()
    /// For traefik_config_last_reload_success(_timestamp_seconds).
    var lastReloadSucceeded = true
    var lastSuccessfulLoad = wallClockSeconds()
    var accessLog: AccessLog?
    var accessLogConfig: TraefikAccessLog?
    var dns: DNSService?
    var stats: StatsServer?
    var signals: SignalSource?
    var reloads: UInt64 = 0
    var reloadFailures: UInt64 = 0
    /// Errors of the last failed reload (and, later, of dynamic configuration), for `show config-errors`.
    var configErrors: [ConfigError] = []
    var shuttingDown = false
    let systemd = SystemdNotifier(environment: ProcessFacts.environment())
    private var drainTimer: Timer?
    static let drainTimeout: UInt64 = 10_000_000_000  // Traefik's lifeCycle.graceTimeOut default

    private var pending: LoadedConfig?
    /// The Docker provider (Appliance+Discovery) and what it last reported.
    var autoDNS = AutoDNSSettings()
    var docker: DockerProvider?
    var dockerSnapshot: DockerProvider.Snapshot?
    /// Certificate problems of the last TLS configuration (listed with the dynamic ones).
    var tlsProblems: [String] = []
    /// Dynamic problems already logged (each is logged once while it lasts).
    var reportedProblems: Set<String> = []
    /// What auto-DNS last put in the zone.
    var publishedNames: [DNSName: [IPAddress]] = [:]

    init(loaded: LoadedConfig, source: ConfigSource, backend: BackendKind?, statsPath: String, log: Logger) throws {
        self.config = loaded.config
        self.pending = loaded
        pool = PipePool(size: loaded.profile?.pipeSize ?? 1 << 20, limit: loaded.profile?.pipeLimit ?? 1024)
        self.source = source
        self.log = log
        self.statsPath = statsPath
        loop = try EventLoop(backend: backend, log: log)
    }

    /// Binds everything the configuration names. Any failure stops start-up with the reason.
    func start() throws {
        let stats = StatsServer(path: statsPath, loop: loop, provider: self)
        try stats.start()
        self.stats = stats
        signals = try SignalSource(loop: loop, signals: [SIGTERM, SIGINT, SIGHUP, SIGUSR1]) { [unowned self] sig in
            self.signal(sig)
        }
        if let loaded = pending { try apply(loaded) }
        pending = nil
        loop.addTurnHook { [unowned self] in
            self.log.flush()
            self.accessLog?.flush()
            self.dns?.flushQueryLog()
        }
        systemd.startWatchdog(on: loop)
    }

    func run() throws {
        try loop.run()
        stats?.stop()
        docker?.stop()
        accessLog?.flush()
        for p in statusPages.values { p.stopAccepting() }
        for e in httpEntryPoints.values { e.stopAccepting() }
        dns?.stop()
        loop.settle()
    }

    private func signal(_ sig: Int32) {
        switch sig {
        case SIGHUP: reload()
        case SIGUSR1:
            accessLog?.reopen()
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
        var started: [HostPort: Forwarder] = [:]
        var updates: [(Forwarder, Forwarder.Settings, SocketAddress)] = []
        do {
            for f in new.forwards {
                guard let listen = SocketAddress(host: f.listen.host, port: f.listen.port),
                      let upstream = SocketAddress(host: f.upstream.host, port: f.upstream.port) else {
                    throw ArgumentError(description: "\(f.location): forward \(f.name): bad address")
                }
                let settings = Forwarder.Settings(name: f.name, listen: f.listen.description, upstream: f.upstream.description,
                                                  connectTimeout: UInt64(f.connectTimeout * 1e9), idleTimeout: UInt64(f.idleTimeout * 1e9))
                if let existing = forwarders[f.listen] {
                    updates.append((existing, settings, upstream))
                } else {
                    let fw = Forwarder(settings, loop: loop, pool: pool, ids: ids, listenAddress: listen, upstreamAddress: upstream)
                    try fw.start()
                    started[f.listen] = fw
                }
            }
        } catch {
            for fw in started.values { fw.stopAccepting() }
            throw error
        }
        let endpoints = try prepareEntryPoints(loaded.proxy)
        let newDNS: DNSService?
        do {
            newDNS = try DNSService.reconfigure(dns, setup: loaded.dns, loop: loop)
        } catch {
            for fw in started.values { fw.stopAccepting() }
            endpoints.rollback()
            throw error
        }
        // Commit: nothing below can fail.
        for (fw, s, up) in updates { fw.update(s, upstreamAddress: up) }
        let keep = Set(new.forwards.map(\.listen))
        for (addr, fw) in forwarders where !keep.contains(addr) {
            fw.stopAccepting()
            forwarders[addr] = nil
            if !fw.relays.isEmpty { retired.append(fw) }
        }
        forwarders.merge(started) { a, _ in a }
        commitEntryPoints(endpoints, loaded.proxy)
        applyObservability(loaded.proxy)
        watchFileProvider(loaded.proxy)
        dns = newDNS
        config = new
        autoDNS = loaded.autoDNS
        applyDiscovery(loaded.proxy)
        publishedNames = [:]  // a reloaded zone starts without them
        publishNames()
        retired.removeAll { $0.relays.isEmpty }
    }

    /// SIGHUP: read every file again; an invalid set keeps the running configuration and says why.
    func reload() {
        systemd.reloading()
        defer { systemd.ready(status: "serving (\(source.description))") }
        switch source.load() {
        case .failure(let e):
            reloadFailures &+= 1
            lastReloadSucceeded = false
            configErrors = e.errors
            log.error("reload failed, keeping the running configuration:")
            for err in e.errors { log.error("  \(err)") }
        case .success(let c):
            do {
                try apply(c)
                reloads &+= 1
                configErrors = []
                lastReloadSucceeded = true
                lastSuccessfulLoad = wallClockSeconds()
                log.info("reloaded \(source.description)")
            } catch {
                reloadFailures &+= 1
                lastReloadSucceeded = false
                configErrors = [ConfigError(location: nil, message: "\(error)")]
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
        for fw in forwarders.values { fw.stopAccepting() }
        for p in statusPages.values { p.stopAccepting(); p.closeIdle() }
        for e in httpEntryPoints.values { e.stopAccepting(); e.closeIdle() }
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
        for fw in forwarders.values { fw.abortAll() }
        for fw in retired { fw.abortAll() }
        for p in statusPages.values { p.closeIdle() }
        for e in httpEntryPoints.values { e.closeAll() }
        loop.stop()
    }

    var openConnections: Int {
        forwarders.values.reduce(0) { $0 + $1.relays.count } + retired.reduce(0) { $0 + $1.relays.count }
            + statusPages.values.reduce(0) { $0 + $1.openSessions }
            + httpEntryPoints.values.reduce(0) { $0 + $1.openSessions }
    }
}
