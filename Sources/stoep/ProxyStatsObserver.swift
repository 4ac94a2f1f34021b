// Per router, service and server figures for the stats socket: requests by status class, bytes both
// ways and a latency histogram, from the proxy's finished-request reports.
import Proxy
import Stats

final class ProxyStatsObserver: RequestObserver {
    final class Figures {
        var byClass = [UInt64](repeating: 0, count: 6)  // index = status / 100
        var bytesIn: UInt64 = 0
        var bytesOut: UInt64 = 0
        let latency: Histogram
        init(_ name: String, _ labels: [StatsLabel]) { latency = Histogram(name: name, labels: labels) }
    }

    private(set) var routers: [String: Figures] = [:]
    private(set) var services: [String: Figures] = [:]
    private(set) var servers: [String: Figures] = [:]
    /// The figures found last in each table: a request on the same router, service and server as the one
    /// before (a keep-alive connection's next request, a busy service) skips hashing three names, which
    /// was 2 % of a proxied request's instructions (issue 18). The names are the route's own Strings, so
    /// the comparison is usually of the same storage.
    private var lastRouter: (name: String, figures: Figures)?
    private var lastService: (name: String, figures: Figures)?
    private var lastServer: (name: String, figures: Figures)?

    func requestCompleted(_ r: CompletedRequest) {
        if let n = r.router { add(r, to: figures(&routers, &lastRouter, n, "router")) }
        if let n = r.service { add(r, to: figures(&services, &lastService, n, "service")) }
        if let n = r.serverURL { add(r, to: figures(&servers, &lastServer, n, "server")) }
    }

    private func figures(_ table: inout [String: Figures], _ last: inout (name: String, figures: Figures)?,
                         _ name: String, _ kind: String) -> Figures {
        if let last, last.name == name { return last.figures }
        let f: Figures
        if let found = table[name] {
            f = found
        } else {
            f = Figures("\(kind)_latency_us", [StatsLabel(kind, name)])
            table[name] = f
        }
        last = (name, f)
        return f
    }

    private func add(_ r: CompletedRequest, to f: Figures) {
        f.byClass[min(max(r.status / 100, 0), 5)] &+= 1
        f.bytesIn &+= r.requestBytes
        f.bytesOut &+= r.responseBytes
        f.latency.record(nanoseconds: r.duration)
    }

    /// Writes every figure into a `show stats` registry snapshot.
    func collect(into reg: StatsRegistry) {
        for (kind, table) in [("router", routers), ("service", services), ("server", servers)] {
            for (name, f) in table {
                for (i, n) in f.byClass.enumerated() where i > 0 && n > 0 {
                    reg.counter("\(kind)_responses", labels: [(kind, name), ("code_class", "\(i)xx")]).value = n
                }
                reg.counter("\(kind)_bytes", labels: [(kind, name), ("direction", "in")]).value = f.bytesIn
                reg.counter("\(kind)_bytes", labels: [(kind, name), ("direction", "out")]).value = f.bytesOut
                reg.add(f.latency)
            }
        }
    }

    /// Drops figures of routers, services and servers the configuration no longer has.
    func retain(routers r: Set<String>, services s: Set<String>, servers v: Set<String>) {
        routers = routers.filter { r.contains($0.key) }
        services = services.filter { s.contains($0.key) }
        servers = servers.filter { v.contains($0.key) }
        lastRouter = nil
        lastService = nil
        lastServer = nil
    }
}
