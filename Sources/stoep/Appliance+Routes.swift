// The dynamic half of a configuration: route tables built from every provider's dynamic configuration and
// swapped in at once (connections in flight finish with the table they started with), the API's view of
// them, and the file provider's watch, which rebuilds only this half when a file changes.
import Config
import Glibc
import Proxy
import Reactor

extension Appliance {
    /// Builds and installs the HTTP and TCP route tables of `setup` joined with the Docker provider's
    /// latest snapshot, and the API state describing them. Problems new since the last build are logged.
    /// `reconfigureTLS` false (a Docker change): TLS is only turned on when a container's router is the
    /// first to need it, so no certificate file is read on the loop for it.
    func installRoutes(_ setup: ProxySetup, reconfigureTLS: Bool = true) {
        var setup = setup
        setup.discovered = dockerSnapshot.map { [$0.config] } ?? []
        proxySetup = setup
        guard setup.routing else {
            dynamicProblems = []
            tlsProblems = []
            if reconfigureTLS { _ = configureTLS(ProxySetup()) }
            proxy.internalHandlers.api = nil
            return
        }
        let names = setup.entryPoints.map(\.name)
        var internals: Set<InternalService> = [.noop]
        if setup.api != nil { internals.formUnion([.api, .dashboard]) }
        if setup.prometheus != nil { internals.insert(.prometheus) }
        // Traefik's own routers: /metrics (unless manualRouting), and api.insecure's on `traefik`.
        let ownRouters = InternalRouters(metricsEntryPoint: setup.prometheus.flatMap { $0.manualRouting ? nil : $0.entryPoint },
                                         apiEntryPoint: setup.api?.insecure == true ? "traefik" : nil,
                                         dashboard: setup.api?.dashboard ?? false)
        let dynamic = setup.allDynamic
        if reconfigureTLS || (setup.needsTLS && proxy.tls == nil) { tlsProblems = configureTLS(setup) }
        let result = RouteTableBuilder.build(dynamic, defaultSyntax: setup.defaultSyntax, entryPointNames: names,
                                             tlsEntryPoints: setup.tlsEntryPoints, redirections: setup.redirections,
                                             transports: setup.serversTransports, internalServices: internals,
                                             internalRouters: ownRouters, previous: proxy.table)
        proxy.install(result.table)
        let tcp = TCPRouteTableBuilder.build(dynamic, defaultSyntax: setup.defaultSyntax, entryPointNames: names)
        proxy.tcpTable = tcp.table
        dynamicProblems = setup.allIssues + tlsProblems + (dockerSnapshot?.problems.map(\.description) ?? []) + result.problems + tcp.problems
        for p in dynamicProblems where !reportedProblems.contains(p) { log.warning(p) }
        reportedProblems = Set(dynamicProblems)
        apiHandler.state = APIStateBuilder.build(configs: dynamic, table: result.table, tcpTable: tcp.table,
                                                 problems: dynamicProblems, facts: apiFacts(setup))
        proxy.internalHandlers.api = setup.api == nil ? nil : { [unowned self] in self.apiHandler.answer($0) }
    }

    private func apiFacts(_ setup: ProxySetup) -> APIStaticFacts {
        var facts = APIStaticFacts()
        facts.entryPoints = setup.entryPoints.map {
            APIEntryPoint(name: $0.name, address: $0.address.description, readTimeout: $0.readTimeout, idleTimeout: $0.idleTimeout,
                          trustedIPs: $0.trustedIPs, insecure: $0.insecure)
        }.sorted { $0.name < $1.name }
        if setup.fileProvider != nil || !setup.dynamic.isEmpty { facts.providers.append("File") }
        if setup.docker != nil { facts.providers.append("Docker") }
        facts.api = setup.api
        facts.prometheus = setup.prometheus
        facts.accessLog = setup.accessLog != nil
        facts.startDate = Appliance.rfc3339(startedAtWall)
        facts.version = Version.text
        return facts
    }

    /// The one inotify watcher of the appliance (file provider, certificates), made on first use; nil,
    /// with a warning naming `what` (which SIGHUP then reloads), when inotify is not available.
    func sharedFileWatcher(for what: String) -> FileWatcher? {
        if fileWatcher == nil {
            do {
                fileWatcher = try FileWatcher(loop: loop, log: log)
            } catch {
                log.warning("\(what): cannot watch for changes (\(error)); SIGHUP reads it again")
            }
        }
        return fileWatcher
    }

    /// Starts, keeps or stops the inotify watch of `providers.file` (when `watch`, Traefik's default).
    func watchFileProvider(_ setup: ProxySetup) {
        let wanted = setup.fileProvider.flatMap { $0.watch ? $0 : nil }
        if let current = fileProviderWatch, current.provider == wanted { return }
        if let current = fileProviderWatch { fileWatcher?.unwatch(current.id) }
        fileProviderWatch = nil
        guard let provider = wanted, let watcher = sharedFileWatcher(for: "providers.file") else { return }
        // A directory is watched as one ("dir/" even before it exists); a file through its directory.
        let path = provider.filename ?? ((provider.directory ?? ".") + "/")
        let id = watcher.watch(path: path) { [unowned self] in self.fileProviderChanged() }
        fileProviderWatch = (provider, id)
    }

    /// A file of the provider changed: re-read the provider's files and rebuild only the route tables.
    func fileProviderChanged() {
        guard !shuttingDown, let provider = proxySetup.fileProvider else { return }
        let snapshot = FileProviderReader.read(provider, previous: proxySetup.files)
        guard snapshot != proxySetup.files else { return }
        var setup = proxySetup
        setup.files = snapshot
        let started = monotonicNanos()
        installRoutes(setup)
        reloads &+= 1
        lastSuccessfulLoad = wallClockSeconds()
        proxyStats.retain(routers: Set(proxy.table.routes.map(\.name)), services: Set(proxy.table.services.map(\.name)),
                          servers: Set(proxy.table.services.flatMap { $0.servers.map(\.url) }))
        metrics?.configurationChanged(entryPoints: Set(setup.entryPoints.map(\.name)), routers: Set(proxy.table.routes.map(\.name)),
                                      services: Set(proxy.table.services.map(\.name)))
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
