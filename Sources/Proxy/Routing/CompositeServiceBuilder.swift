// `weighted` services to HTTPServices, once every provider's load balancers are built: a weighted
// service names others by qualified name, possibly from another provider and possibly weighted
// themselves (nested). Traefik builds them depth first (pkg/server/service/service.go,
// getWRRServiceHandler) and fails a service whose child is missing, part of a cycle, or — with
// `weighted.healthCheck` — has no health check of its own to report (its child "not a
// healthcheck.StatusUpdater" / "healthCheck not enabled in config for this WRR service").
import Config

enum WeightedServiceBuilder {
    /// Adds every weighted service of `configs` that can be built to `services` (load balancers already
    /// there); a refused one is reported in `problems` and left out, so its routers are skipped.
    static func build(_ configs: [TraefikDynamicConfig], into services: inout [String: HTTPService], problems: inout [String]) {
        var declared: [String: TraefikHTTPService] = [:]
        for c in configs {
            for (name, s) in c.httpServices { if case .weighted = s.kind { declared[name] = s } }
        }
        var failed: Set<String> = []
        for name in declared.keys.sorted() {
            var visiting: [String] = []
            _ = resolve(name, declared, &services, &failed, &visiting, &problems)
        }
    }

    /// The HTTPService for `name`, building weighted ones depth first. `visiting`: the chain being built
    /// (a name met again is a cycle). Depth is bounded by the number of declared services.
    private static func resolve(_ name: String, _ declared: [String: TraefikHTTPService], _ services: inout [String: HTTPService],
                                _ failed: inout Set<String>, _ visiting: inout [String], _ problems: inout [String]) -> HTTPService? {
        if let built = services[name] { return built }
        guard let config = declared[name], case .weighted(let entries) = config.kind, !failed.contains(name) else { return nil }
        func refuse(_ why: String) -> HTTPService? {
            problems.append("\(config.location): service \(name): \(why); skipped")
            failed.insert(name)
            return nil
        }
        if visiting.contains(name) { return refuse("weighted services form a cycle (\((visiting + [name]).joined(separator: " → ")))") }
        visiting.append(name)
        defer { visiting.removeLast() }
        var children: [(service: HTTPService, weight: Int, key: String)] = []
        for entry in entries {
            guard let child = resolve(entry.name, declared, &services, &failed, &visiting, &problems) else {
                if failed.contains(name) { return nil }
                return refuse("child service \(entry.name) not found or not served")
            }
            if config.weightedHealthCheck && !reportsHealth(child, declared) {
                return refuse("weighted.healthCheck needs a healthCheck on child service \(entry.name) (Traefik: healthCheck not enabled in config for this service)")
            }
            children.append((child, Int(entry.weight), entry.written))
        }
        let service = HTTPService(name: name, children: children, followsHealth: config.weightedHealthCheck, sticky: config.weightedSticky)
        services[name] = service
        return service
    }

    /// Whether a child can tell its parent it is down: a load balancer with a healthCheck, or a weighted
    /// service with its own `healthCheck`.
    private static func reportsHealth(_ child: HTTPService, _ declared: [String: TraefikHTTPService]) -> Bool {
        child.weighted == nil ? child.healthCheck != nil : declared[child.name]?.weightedHealthCheck == true
    }
}
