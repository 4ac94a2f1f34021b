// An HTTP service (Traefik's `loadBalancer` service): its servers, how the Host field is passed, its
// active health check, and the choice of a server for each request — smooth weighted round-robin
// (nginx's algorithm: evenly interleaved), skipping servers that are down.

public final class HTTPService {
    public let name: String
    public let servers: [UpstreamServer]
    let passHostHeader: Bool
    let healthCheck: HealthCheckSettings?
    private var current: [Int]

    init(name: String, servers: [UpstreamServer], passHostHeader: Bool, healthCheck: HealthCheckSettings? = nil) {
        self.name = name
        self.servers = servers
        self.passHostHeader = passHostHeader
        self.healthCheck = healthCheck
        current = Array(repeating: 0, count: servers.count)
    }

    /// The next server that is up, or nil when every server is down (Traefik: 503 no available server).
    func pick(now: UInt64) -> UpstreamServer? {
        var best = -1, total = 0
        for (i, s) in servers.enumerated() where s.isUp(now) {
            current[i] += s.weight
            total += s.weight
            if best < 0 || current[i] > current[best] { best = i }
        }
        guard best >= 0 else { return nil }
        current[best] -= total
        return servers[best]
    }
}
