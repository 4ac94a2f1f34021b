// Traefik 3's Prometheus metrics for stoep's HTTP proxy (reference §5; Traefik
// pkg/observability/metrics/prometheus.go): the same family names, label sets, HELP texts, default buckets
// and label values, so dashboards and alerts written for Traefik work unchanged.
//
// Single-threaded: `requestCompleted` and `render` run on the loop. Request families are aggregated here;
// gauges the proxy already knows (open connections, reloads, server health) are asked for through closures
// when /metrics is rendered, so nothing is counted twice.
//
// Difference from Traefik: a request counts at its service whenever a router with a service took it, even
// when a middleware answered before the upstream was asked (Traefik's service metrics wrap only the
// service handler); CompletedRequest does not say which of the two happened.
import Config

public final class PrometheusMetrics: RequestObserver {
    /// What the configuration loader reports; rendered as traefik_config_*.
    public struct ConfigReloads {
        public var total: UInt64
        public var lastSucceeded: Bool
        /// Unix time (seconds) of the last successful load.
        public var lastSuccessTime: Double

        public init(total: UInt64, lastSucceeded: Bool, lastSuccessTime: Double) {
            self.total = total
            self.lastSucceeded = lastSucceeded
            self.lastSuccessTime = lastSuccessTime
        }
    }

    /// Open client connections per entry point, rendered as v3 `traefik_open_connections{entrypoint,
    /// protocol="TCP"}` and v2 `traefik_entrypoint_open_connections{entrypoint,method="",protocol="TCP"}`
    /// (v2 partitioned by request method; a connection has no method, so stoep writes "").
    public var openConnections: (() -> [(entryPoint: String, count: Int)])?
    public var configReloads: (() -> ConfigReloads)?
    /// Health of each load-balancer server: `traefik_service_server_up{service,url}` 1/0.
    public var serverUp: (() -> [(service: String, url: String, up: Bool)])?
    /// Loaded TLS certificates for traefik_tls_certs_not_after.
    public var certificates: (() -> [(cn: String, serial: String, sans: String, notAfter: Double)])?
    /// Lines appended verbatim after Traefik's families (the appliance's `stoep_dns_*` with their own
    /// HELP/TYPE lines); each without its trailing newline.
    public var extraLines: () -> [String] = { [] }

    /// Requests not recorded because a level already held `seriesLimit` label tuples.
    public var overflowed: UInt64 { entry.overflowed &+ service.overflowed &+ router.overflowed }

    public let config: TraefikPrometheus
    /// Finite histogram bounds, ascending, without duplicates; `+Inf` is implicit (as in client_golang).
    let bounds: [Double]
    let boundLabels: [String]
    private var entry: RequestSeriesGroup
    private var service: RequestSeriesGroup
    private var router: RequestSeriesGroup
    private var pendingRetain: (entryPoints: Set<String>, routers: Set<String>, services: Set<String>)?

    /// `seriesLimit` caps the label tuples kept per level (entry point, service, router): far above what a
    /// configuration produces (routers × methods × codes), it only bounds memory against odd methods.
    public init(config: TraefikPrometheus, seriesLimit: Int = 10_000) {
        self.config = config
        var sorted: [Double] = []
        for b in config.buckets.filter({ $0.isFinite }).sorted() where sorted.last != b { sorted.append(b) }
        bounds = sorted
        boundLabels = sorted.map(PrometheusText.format)
        entry = RequestSeriesGroup(prefix: "traefik_entrypoint_", labels: ["code", "entrypoint", "method", "protocol"],
                                   helps: PrometheusMetrics.entryPointHelps,
                                   limit: seriesLimit)
        service = RequestSeriesGroup(prefix: "traefik_service_", labels: ["code", "method", "protocol", "service"],
                                     helps: PrometheusMetrics.serviceHelps, limit: seriesLimit)
        router = RequestSeriesGroup(prefix: "traefik_router_",
                                    labels: ["code", "method", "protocol", "router", "service"],
                                    helps: PrometheusMetrics.routerHelps, limit: seriesLimit)
    }

    /// Counts one finished request at its entry point, and at its service and router when one matched
    /// (a request no router took, the 404, counts only at the entry point, as in Traefik).
    public func requestCompleted(_ r: CompletedRequest) {
        // Traefik's shouldMeter: requests to its own services (…@internal) only with metrics.addInternals.
        if r.internalService && !config.addInternals { return }
        let code = String(r.status)
        let seconds = Double(r.duration) / 1e9
        if config.addEntryPointsLabels {
            entry.observe([code, r.entryPoint, r.method, r.protocolName], seconds: seconds, bounds: bounds,
                          requestBytes: r.requestBytes, responseBytes: r.responseBytes)
        }
        guard let routerName = r.router else { return }
        if config.addServicesLabels, let serviceName = r.service {
            service.observe([code, r.method, r.protocolName, serviceName], seconds: seconds, bounds: bounds,
                            requestBytes: r.requestBytes, responseBytes: r.responseBytes)
        }
        if config.addRoutersLabels {
            router.observe([code, r.method, r.protocolName, routerName, r.service ?? ""], seconds: seconds,
                           bounds: bounds, requestBytes: r.requestBytes, responseBytes: r.responseBytes)
        }
    }

    /// After a configuration change: series of entry points, routers and services no longer present are
    /// dropped after the next `render`, so their last values are scraped once (Traefik's promState does the
    /// same). Keeps memory bounded across reloads.
    public func configurationChanged(entryPoints: Set<String>, routers: Set<String>, services: Set<String>) {
        pendingRetain = (entryPoints, routers, services)
    }

    /// The whole exposition (text format 0.0.4): families sorted by name, series by label values, then
    /// `extraLines`. Serve with `Content-Type: text/plain; version=0.0.4; charset=utf-8`.
    public func render() -> [UInt8] {
        var families: [(name: String, text: [UInt8])] = []
        if config.addEntryPointsLabels { families += entry.render(bounds: bounds, boundLabels: boundLabels) }
        if config.addServicesLabels { families += service.render(bounds: bounds, boundLabels: boundLabels) }
        if config.addRoutersLabels { families += router.render(bounds: bounds, boundLabels: boundLabels) }
        families += gaugeFamilies()
        families.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(families.reduce(0) { $0 + $1.text.count } + 256)
        for f in families { out += f.text }
        for line in extraLines() {
            out.append(contentsOf: line.utf8)
            out.append(0x0A)
        }
        applyPendingRetain()
        return out
    }

    private func applyPendingRetain() {
        guard let keep = pendingRetain else { return }
        pendingRetain = nil
        entry.retain(label: "entrypoint", in: keep.entryPoints)
        service.retain(label: "service", in: keep.services)
        router.retain(label: "router", in: keep.routers)
    }
}
