// An HTTP service: a `loadBalancer` (its servers, how the Host field is passed, its active health check)
// or a `weighted` service (a share of traffic for each of other services, nested to any depth), and the
// choice of a server for each request. Both pick in Traefik's weighted round robin order
// (EarliestDeadlineSchedule, as pkg/server/service/loadbalancer/wrr/wrr.go).

public final class HTTPService {
    /// A `weighted` service's children and how their health counts.
    struct Weighted {
        let children: [HTTPService]
        /// `weighted.healthCheck` set: a child whose servers are all down is skipped (Traefik propagates
        /// the child's status up); without it, a child is picked whatever its health and answers 503
        /// itself when it has no server up, as in Traefik.
        let followsHealth: Bool
    }

    public let name: String
    public let servers: [UpstreamServer]
    let passHostHeader: Bool
    let healthCheck: HealthCheckSettings?
    let weighted: Weighted?
    private var schedule: EarliestDeadlineSchedule

    init(name: String, servers: [UpstreamServer], passHostHeader: Bool, healthCheck: HealthCheckSettings? = nil) {
        self.name = name
        self.servers = servers
        self.passHostHeader = passHostHeader
        self.healthCheck = healthCheck
        weighted = nil
        schedule = EarliestDeadlineSchedule(weights: servers.map(\.weight))
    }

    /// A `weighted` service over `children` (weights as configured; ≤ 0 never picked, as in Traefik).
    init(name: String, children: [(service: HTTPService, weight: Int)], followsHealth: Bool) {
        self.name = name
        servers = []
        passHostHeader = true
        healthCheck = nil
        weighted = Weighted(children: children.map(\.service), followsHealth: followsHealth)
        schedule = EarliestDeadlineSchedule(weights: children.map(\.weight))
    }

    /// The next server that is up, with the passHostHeader of the load balancer it belongs to; nil when
    /// none can be had (Traefik: 503 no available server).
    func pick(now: UInt64) -> (server: UpstreamServer, passHostHeader: Bool)? {
        if let weighted {
            let children = weighted.children
            guard let i = schedule.next({ !weighted.followsHealth || children[$0].hasServerUp(now) }) else { return nil }
            return children[i].pick(now: now)
        }
        guard let i = schedule.next({ self.servers[$0].isUp(now) }) else { return nil }
        return (servers[i], passHostHeader)
    }

    /// Whether a pick could find a server now (a weighted child's status as Traefik propagates it).
    func hasServerUp(_ now: UInt64) -> Bool {
        if let weighted {
            return weighted.children.contains { $0.hasServerUp(now) }
        }
        return servers.contains { $0.isUp(now) }
    }
}
