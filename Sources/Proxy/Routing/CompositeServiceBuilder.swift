// Services that name other services — `weighted`, `highestRandomWeight`, `failover`, `mirroring` — to HTTPServices, once every
// provider's load balancers are built: they name others by qualified name, possibly from another
// provider and possibly composite themselves (nested). Traefik builds them depth first
// (pkg/server/service/service.go, BuildHTTP) and fails a service whose child is missing, part of a
// cycle, or — where the parent follows its health — cannot report it (the child "not a
// healthcheck.StatusUpdater" / "healthCheck not enabled in config for this … service"):
// - weighted or highestRandomWeight with healthCheck: every child must report;
// - failover: its service must report (failover.errors, which would lift that, is refused); with
//   failover.healthCheck its fallback must report too;
// - mirroring: mirrors need not report; with mirroring.healthCheck the service must.
import Config

enum CompositeServiceBuilder {
    /// Adds every composite service of `configs` that can be built to `services` (load balancers already
    /// there); a refused one is reported in `problems` and left out, so its routers are skipped.
    static func build(_ configs: [TraefikDynamicConfig], into services: inout [String: HTTPService], problems: inout [String]) {
        var declared: [String: TraefikHTTPService] = [:]
        for c in configs {
            for (name, s) in c.httpServices {
                switch s.kind {
                case .weighted, .failover, .mirroring, .highestRandomWeight: declared[name] = s
                case .loadBalancer: break
                }
            }
        }
        var failed: Set<String> = []
        for name in declared.keys.sorted() {
            var visiting: [String] = []
            _ = resolve(name, declared, &services, &failed, &visiting, &problems)
        }
    }

    /// The HTTPService for `name`, building composite ones depth first. `visiting`: the chain being built
    /// (a name met again is a cycle). Depth is bounded by the number of declared services.
    private static func resolve(_ name: String, _ declared: [String: TraefikHTTPService], _ services: inout [String: HTTPService],
                                _ failed: inout Set<String>, _ visiting: inout [String], _ problems: inout [String]) -> HTTPService? {
        if let built = services[name] { return built }
        guard let config = declared[name], !failed.contains(name) else { return nil }
        func refuse(_ why: String) -> HTTPService? {
            problems.append("\(config.location): service \(name): \(why); skipped")
            failed.insert(name)
            return nil
        }
        if visiting.contains(name) { return refuse("services form a cycle (\((visiting + [name]).joined(separator: " → ")))") }
        visiting.append(name)
        defer { visiting.removeLast() }
        func child(_ childName: String) -> HTTPService? {
            if let c = resolve(childName, declared, &services, &failed, &visiting, &problems) { return c }
            if !failed.contains(name) { _ = refuse("child service \(childName) not found or not served") }
            return nil
        }
        let service: HTTPService
        switch config.kind {
        case .loadBalancer:
            return nil
        case .weighted(let entries), .highestRandomWeight(let entries):
            var hrw = false
            if case .highestRandomWeight = config.kind { hrw = true }
            let key = hrw ? "highestRandomWeight" : "weighted"
            var children: [(service: HTTPService, weight: Int, key: String)] = []
            for entry in entries {
                guard let c = child(entry.name) else { return nil }
                if config.weightedHealthCheck && !c.reportsHealth {
                    return refuse("\(key).healthCheck needs a healthCheck on child service \(entry.name) (Traefik: healthCheck not enabled in config for this service)")
                }
                children.append((c, Int(entry.weight), entry.written))
            }
            service = HTTPService(name: name, children: children, followsHealth: config.weightedHealthCheck, sticky: hrw ? nil : config.weightedSticky,
                                  strategy: hrw ? .hrw : .wrr)
        case .failover(let f):
            guard let main = child(f.service) else { return nil }
            if !main.reportsHealth {
                return refuse("failover needs service \(f.service) to report its health: a healthCheck on it (Traefik: child service not a healthcheck.StatusUpdater / healthCheck not enabled)")
            }
            guard let fallback = child(f.fallback) else { return nil }
            if f.healthCheck && !fallback.reportsHealth {
                return refuse("failover.healthCheck needs fallback \(f.fallback) to report its health: a healthCheck on it (Traefik: healthCheck not enabled in config for this service)")
            }
            service = HTTPService(name: name, failover: .init(service: main, fallback: fallback, fallbackFollowsHealth: f.healthCheck), healthCheck: f.healthCheck)
        case .mirroring(let m):
            guard let main = child(m.service) else { return nil }
            var mirrors: [(service: HTTPService, percent: UInt64)] = []
            for mirror in m.mirrors {
                guard let c = child(mirror.name) else { return nil }
                mirrors.append((c, UInt64(mirror.percent)))
            }
            service = HTTPService(name: name, mirroring: .init(service: main, mirrors: mirrors, mirrorBody: m.mirrorBody, maxBodySize: m.maxBodySize),
                                  healthCheck: m.healthCheck)
        }
        services[name] = service
        return service
    }
}
