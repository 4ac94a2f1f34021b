// The gauge and reload families of PrometheusMetrics (values asked from the proxy at render time) and
// Traefik's HELP texts, kept word for word so the exposition matches Traefik's.

extension PrometheusMetrics {
    static let entryPointHelps = [
        "How many HTTP requests processed on an entrypoint, partitioned by status code, protocol, and method.",
        "How long it took to process the request on an entrypoint, partitioned by status code, protocol, and method.",
        "The total size of requests in bytes handled by an entrypoint, partitioned by status code, protocol, and method.",
        "The total size of responses in bytes handled by an entrypoint, partitioned by status code, protocol, and method.",
    ]
    static let serviceHelps = [
        "How many HTTP requests processed on a service, partitioned by status code, protocol, and method.",
        "How long it took to process the request on a service, partitioned by status code, protocol, and method.",
        "The total size of requests in bytes received by a service, partitioned by status code, protocol, and method.",
        "The total size of responses in bytes returned by a service, partitioned by status code, protocol, and method.",
    ]
    static let routerHelps = [
        "How many HTTP requests are processed on a router, partitioned by service, status code, protocol, and method.",
        "How long it took to process the request on a router, partitioned by service, status code, protocol, and method.",
        "The total size of requests in bytes handled by a router, partitioned by service, status code, protocol, and method.",
        "The total size of responses in bytes handled by a router, partitioned by service, status code, protocol, and method.",
    ]

    /// The families whose values come from the closures; a family whose closure is unset is left out.
    func gaugeFamilies() -> [(name: String, text: [UInt8])] {
        var families: [(name: String, text: [UInt8])] = []
        if let openConnections {
            var perEntryPoint: [String: Int] = [:]
            for c in openConnections() { perEntryPoint[c.entryPoint, default: 0] += c.count }
            let rows = perEntryPoint.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            families.append(family("traefik_open_connections", "gauge",
                                   "How many open connections exist, by entryPoint and protocol",
                                   labels: ["entrypoint", "protocol"],
                                   rows.map { ([$0.key, "TCP"], Double($0.value)) }))
            if config.addEntryPointsLabels {
                families.append(family("traefik_entrypoint_open_connections", "gauge",
                                       "How many open connections exist on an entrypoint, partitioned by method and protocol.",
                                       labels: ["entrypoint", "method", "protocol"],
                                       rows.map { ([$0.key, "", "TCP"], Double($0.value)) }))
            }
        }
        if let configReloads {
            let r = configReloads()
            families.append(family("traefik_config_reloads_total", "counter", "Config reloads",
                                   labels: [], [([], Double(r.total))]))
            families.append(family("traefik_config_last_reload_success", "gauge", "Last config reload success",
                                   labels: [], [([], r.lastSucceeded ? 1 : 0)]))
            families.append(family("traefik_config_last_reload_success_timestamp_seconds", "gauge",
                                   "Last config reload success timestamp in seconds since the epoch",
                                   labels: [], [([], r.lastSuccessTime)]))
        }
        if config.addServicesLabels, let serverUp {
            var health: [[String]: Double] = [:]
            for s in serverUp() { health[[s.service, s.url]] = s.up ? 1 : 0 }
            let rows = health.sorted { RequestSeriesGroup.precedes($0.key, $1.key) }
            families.append(family("traefik_service_server_up", "gauge",
                                   "service server is up, described by gauge value of 0 or 1.",
                                   labels: ["service", "url"], rows.map { ($0.key, $0.value) }))
        }
        if let certificates {
            let rows = certificates().map { ([$0.cn, $0.serial, $0.sans], $0.notAfter) }
                .sorted { RequestSeriesGroup.precedes($0.0, $1.0) }
            if !rows.isEmpty {
                families.append(family("traefik_tls_certs_not_after", "gauge", "Certificate expiration timestamp",
                                       labels: ["cn", "serial", "sans"], rows))
            }
        }
        return families
    }

    private func family(_ name: String, _ kind: String, _ help: String, labels: [String],
                        _ rows: [([String], Double)]) -> (name: String, text: [UInt8]) {
        var out: [UInt8] = []
        PrometheusText.header(&out, name: name, help: help, kind: kind)
        for (values, value) in rows {
            PrometheusText.sample(&out, name: name, labels: labels, values: values, value: value)
        }
        return (name, out)
    }
}
