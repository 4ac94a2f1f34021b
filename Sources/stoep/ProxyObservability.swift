// What watches the proxy's requests in the running appliance: Prometheus metrics (Traefik's names, served by
// prometheus@internal), the access log, and the per router/service/server figures of the stats socket —
// all observers of the proxy, set up from the Traefik static configuration.
import Config
import DNS
import Proxy
import Reactor

final class ProxyObservability {
    /// What the metrics read live from the rest of the appliance.
    struct Sources {
        var openConnections: () -> [(entryPoint: String, count: Int)]
        var configReloads: () -> PrometheusMetrics.ConfigReloads
        /// Extra exposition lines (`stoep_dns_*`).
        var extraLines: () -> [String]
        /// The certificates TLS entry points present (nil: TLS off), for traefik_tls_certs_not_after.
        var certificates: () -> TLSCertificateSet?
    }

    private let loop: EventLoop
    private let log: Logger
    private let proxy: HTTPProxy
    /// Set by the appliance before the first `apply`.
    var sources = Sources(openConnections: { [] }, configReloads: { PrometheusMetrics.ConfigReloads(total: 0, lastSucceeded: true, lastSuccessTime: 0) },
                          extraLines: { [] }, certificates: { nil })
    private(set) var metrics: PrometheusMetrics?
    /// In a worker of `workers = N`: the file the supervisor writes the workers' summed metrics to.
    var totalsFile: String?
    private var accessLog: AccessLog?
    private var accessLogConfig: TraefikAccessLog?
    /// Per router, service and server figures for `show stats`.
    let figures = ProxyStatsObserver()

    init(loop: EventLoop, log: Logger, proxy: HTTPProxy) {
        self.loop = loop
        self.log = log
        self.proxy = proxy
    }

    /// Makes the proxy's observers match `setup`: the figures always, metrics with metrics.prometheus, the
    /// access log with accessLog (kept open across reloads while its settings are unchanged).
    func apply(_ setup: ProxySetup) {
        proxy.observers.removeAll()
        proxy.internalHandlers.prometheus = nil
        figures.retain(routers: Set(proxy.table.routes.map(\.name)), services: Set(proxy.table.services.map(\.name)),
                       servers: Set(proxy.table.services.flatMap { $0.servers.map(\.url) }))
        proxy.observers.append(figures)
        if let config = setup.prometheus {
            let m = PrometheusMetrics(config: config)
            m.openConnections = sources.openConnections
            m.configReloads = sources.configReloads
            m.serverUp = { [unowned self] in
                let now = self.loop.now
                return self.proxy.table.services.flatMap { svc in
                    svc.servers.map { (service: svc.name, url: $0.url, up: $0.isUp(now)) }
                }
            }
            m.certificates = { [unowned self] in
                guard let set = self.sources.certificates() else { return [] }
                return (set.all + [set.defaultCertificate]).map {
                    (cn: $0.commonName, serial: $0.serial, sans: $0.names.filter { !$0.isEmpty }.joined(separator: ","), notAfter: Double($0.notAfter))
                }
            }
            m.extraLines = sources.extraLines
            m.configurationChanged(entryPoints: Set(setup.entryPoints.map(\.name)),
                                   routers: Set(proxy.table.routes.map(\.name)),
                                   services: Set(proxy.table.services.map(\.name)))
            proxy.observers.append(m)
            // A worker of N serves the supervisor's sum of every worker (WorkerMetricsTotals), its own
            // figures only until the first sum is written.
            proxy.internalHandlers.prometheus = { [unowned m, totalsFile] in
                if let path = totalsFile, case .success(let bytes) = readWholeFile(path, limit: 16 << 20), !bytes.isEmpty { return bytes }
                return m.render()
            }
            metrics = m
        }
        if let config = setup.accessLog {
            if accessLog == nil || accessLogConfig != config {
                accessLog?.flush()
                let file = AccessLog(path: config.filePath, format: config.format)
                file.fields = config.fields
                file.filters = config.filters
                file.addInternals = config.addInternals
                if let e = file.openError { log.warning("accessLog \(config.filePath ?? "stdout"): cannot open: \(e)") }
                accessLog = file
                accessLogConfig = config
            }
            if let a = accessLog { proxy.observers.append(a) }
            proxy.observersWantHeaders = config.fields.logsHeaders
            proxy.observersWantRequestText = true
        } else {
            accessLog?.flush()
            accessLog = nil
            accessLogConfig = nil
            proxy.observersWantHeaders = false
            proxy.observersWantRequestText = false
        }
    }

    /// A provider rebuilt the route tables: figures and series of routers, services and servers that are
    /// gone are dropped.
    func tablesChanged(entryPoints: [ProxyEntryPointSetup]) {
        figures.retain(routers: Set(proxy.table.routes.map(\.name)), services: Set(proxy.table.services.map(\.name)),
                       servers: Set(proxy.table.services.flatMap { $0.servers.map(\.url) }))
        metrics?.configurationChanged(entryPoints: Set(entryPoints.map(\.name)), routers: Set(proxy.table.routes.map(\.name)),
                                      services: Set(proxy.table.services.map(\.name)))
    }

    func flushAccessLog() { accessLog?.flush() }

    /// SIGUSR1 (logrotate).
    func reopenAccessLog() { accessLog?.reopen() }
}

extension DNSService {
    /// `stoep_dns_*` series for /metrics.
    var prometheusLines: [String] {
        let c = counters
        let f = forwarder.counters
        var out = ["# HELP stoep_dns_queries_total DNS queries received.", "# TYPE stoep_dns_queries_total counter",
                   "stoep_dns_queries_total{transport=\"udp\"} \(c.queriesUDP)",
                   "stoep_dns_queries_total{transport=\"tcp\"} \(c.queriesTCP)",
                   "# HELP stoep_dns_answers_total DNS answers by source.", "# TYPE stoep_dns_answers_total counter",
                   "stoep_dns_answers_total{source=\"local\"} \(c.local)",
                   "stoep_dns_answers_total{source=\"cache\"} \(f.cacheAnswers)",
                   "stoep_dns_answers_total{source=\"forwarded\"} \(f.forwarded)",
                   "stoep_dns_answers_total{source=\"blocked\"} \(c.blocked)",
                   "# HELP stoep_dns_cache_entries Entries in the DNS cache.", "# TYPE stoep_dns_cache_entries gauge",
                   "stoep_dns_cache_entries \(forwarder.cache.count)"]
        out.append("# HELP stoep_dns_upstream_failures_total Upstream timeouts and failures.")
        out.append("# TYPE stoep_dns_upstream_failures_total counter")
        for u in forwarder.upstreams.all {
            out.append("stoep_dns_upstream_failures_total{upstream=\"\(u.text)\"} \(u.timeouts + u.failures)")
        }
        return out
    }
}

extension EntryPointSet {
    /// `stoep_http2_*` series for /metrics: HTTP/2 connections, streams, resets and GOAWAYs per entry point
    /// (Traefik has no such families; its request series count h2 requests like the others, and so do stoep's).
    var http2PrometheusLines: [String] {
        let eps = http.values.sorted { $0.name < $1.name }
        var out: [String] = []
        func family(_ name: String, _ type: String, _ help: String, _ value: (HTTPEntryPoint.Counters) -> [(String, String)]) {
            out.append("# HELP \(name) \(help)")
            out.append("# TYPE \(name) \(type)")
            for e in eps {
                for (labels, v) in value(e.counters) { out.append("\(name){entrypoint=\"\(e.name)\"\(labels)} \(v)") }
            }
        }
        family("stoep_http2_connections_total", "counter", "HTTP/2 client connections.") { [("", "\($0.h2Connections)")] }
        family("stoep_http2_streams_total", "counter", "HTTP/2 streams (requests).") { [("", "\($0.h2Streams)")] }
        family("stoep_http2_streams_open", "gauge", "HTTP/2 streams open now.") { [("", "\($0.h2StreamsOpen)")] }
        family("stoep_http2_resets_total", "counter", "RST_STREAM frames by direction.") {
            [(",direction=\"sent\"", "\($0.h2ResetsSent)"), (",direction=\"received\"", "\($0.h2ResetsReceived)")]
        }
        family("stoep_http2_goaways_total", "counter", "GOAWAY frames by direction.") {
            [(",direction=\"sent\"", "\($0.h2GoawaysSent)"), (",direction=\"received\"", "\($0.h2GoawaysReceived)")]
        }
        return out
    }
}
