// Prometheus metrics (Traefik's names, served at /metrics on the `traefik` entry point) and the access
// log, from the Traefik static configuration; both are observers of the proxy.
import Config
import DNS
import Proxy
import Reactor

extension Appliance {
    func applyObservability(_ setup: ProxySetup) {
        proxy.observers.removeAll()
        proxy.internalHandlers.prometheus = nil
        proxyStats.retain(routers: Set(proxy.table.routes.map(\.name)), services: Set(proxy.table.services.map(\.name)),
                          servers: Set(proxy.table.services.flatMap { $0.servers.map(\.url) }))
        proxy.observers.append(proxyStats)
        if let config = setup.prometheus {
            let m = PrometheusMetrics(config: config)
            m.openConnections = { [unowned self] in
                self.httpEntryPoints.values.map { (entryPoint: $0.name, count: $0.openSessions) }
            }
            m.configReloads = { [unowned self] in
                PrometheusMetrics.ConfigReloads(total: self.reloads, lastSucceeded: self.lastReloadSucceeded,
                                                lastSuccessTime: Double(self.lastSuccessfulLoad))
            }
            m.serverUp = { [unowned self] in
                let now = self.loop.now
                return self.proxy.table.services.flatMap { svc in
                    svc.servers.map { (service: svc.name, url: $0.url, up: $0.isUp(now)) }
                }
            }
            m.certificates = { [unowned self] in
                guard let set = self.proxy.tls?.certificates else { return [] }
                return (set.all + [set.defaultCertificate]).map {
                    (cn: $0.commonName, serial: $0.serial, sans: $0.names.filter { !$0.isEmpty }.joined(separator: ","), notAfter: Double($0.notAfter))
                }
            }
            m.extraLines = { [unowned self] in self.dnsPrometheusLines() }
            m.configurationChanged(entryPoints: Set(setup.entryPoints.map(\.name)),
                                   routers: Set(proxy.table.routes.map(\.name)),
                                   services: Set(proxy.table.services.map(\.name)))
            proxy.observers.append(m)
            proxy.internalHandlers.prometheus = { [unowned m] in m.render() }
            metrics = m
        }
        if let config = setup.accessLog {
            if accessLog == nil || accessLogConfig != config {
                accessLog?.flush()
                let log = AccessLog(path: config.filePath, format: config.format)
                if log.openError != 0 { self.log.warning("accessLog \(config.filePath ?? "stdout"): cannot open: \(SystemError.text(log.openError))") }
                accessLog = log
                accessLogConfig = config
            }
            if let a = accessLog { proxy.observers.append(a) }
        } else {
            accessLog?.flush()
            accessLog = nil
            accessLogConfig = nil
        }
    }

    /// `stoep_dns_*` series for /metrics.
    func dnsPrometheusLines() -> [String] {
        guard let dns else { return [] }
        let c = dns.counters
        let f = dns.forwarder.counters
        var out = ["# HELP stoep_dns_queries_total DNS queries received.", "# TYPE stoep_dns_queries_total counter",
                   "stoep_dns_queries_total{transport=\"udp\"} \(c.queriesUDP)",
                   "stoep_dns_queries_total{transport=\"tcp\"} \(c.queriesTCP)",
                   "# HELP stoep_dns_answers_total DNS answers by source.", "# TYPE stoep_dns_answers_total counter",
                   "stoep_dns_answers_total{source=\"local\"} \(c.local)",
                   "stoep_dns_answers_total{source=\"cache\"} \(f.cacheAnswers)",
                   "stoep_dns_answers_total{source=\"forwarded\"} \(f.forwarded)",
                   "# HELP stoep_dns_cache_entries Entries in the DNS cache.", "# TYPE stoep_dns_cache_entries gauge",
                   "stoep_dns_cache_entries \(dns.forwarder.cache.count)"]
        out.append("# HELP stoep_dns_upstream_failures_total Upstream timeouts and failures.")
        out.append("# TYPE stoep_dns_upstream_failures_total counter")
        for u in dns.forwarder.upstreams.all {
            out.append("stoep_dns_upstream_failures_total{upstream=\"\(u.text)\"} \(u.timeouts + u.failures)")
        }
        return out
    }
}
