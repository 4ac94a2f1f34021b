// An HTTP service: a `loadBalancer` (its servers, how the Host field is passed, its active health check)
// or a `weighted` service (a share of traffic for each of other services, nested to any depth), and the
// choice of a server for each request. Both pick in Traefik's weighted round robin order
// (EarliestDeadlineSchedule, as pkg/server/service/loadbalancer/wrr/wrr.go), after the sticky cookie
// when the balancer has one (StickyCookie: an entry the client's cookie names is taken while it is up).

import Config

/// One pick: the server, the passHostHeader of the load balancer it belongs to, and the Set-Cookie
/// values sticky balancers on the way ask the response to carry (outermost first).
struct ServicePick {
    let server: UpstreamServer
    let passHostHeader: Bool
    var setCookies: [String] = []
}

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
    /// `sticky.cookie`: entries are servers (keyed by URL) or children (keyed by service name).
    let sticky: StickyTable?
    /// A sticky cookie on this service or any service below it: only then does a pick need the request's
    /// Cookie fields (the session skips that header scan otherwise).
    let readsCookies: Bool
    private var schedule: EarliestDeadlineSchedule

    init(name: String, servers: [UpstreamServer], passHostHeader: Bool, healthCheck: HealthCheckSettings? = nil,
         sticky: TraefikStickyCookie? = nil) {
        self.name = name
        self.servers = servers
        self.passHostHeader = passHostHeader
        self.healthCheck = healthCheck
        weighted = nil
        self.sticky = sticky.map { StickyTable(cookie: StickyCookie($0, service: name), keys: servers.map(\.url)) }
        readsCookies = sticky != nil
        schedule = EarliestDeadlineSchedule(weights: servers.map(\.weight))
    }

    /// A `weighted` service over `children` (weights as configured; ≤ 0 never picked, as in Traefik).
    /// `key`: the child's name as written in the configuration, which Traefik's sticky value hashes.
    init(name: String, children: [(service: HTTPService, weight: Int, key: String)], followsHealth: Bool, sticky: TraefikStickyCookie? = nil) {
        self.name = name
        servers = []
        passHostHeader = true
        healthCheck = nil
        weighted = Weighted(children: children.map(\.service), followsHealth: followsHealth)
        self.sticky = sticky.map { StickyTable(cookie: StickyCookie($0, service: name), keys: children.map(\.key)) }
        readsCookies = sticky != nil || children.contains { $0.service.readsCookies }
        schedule = EarliestDeadlineSchedule(weights: children.map(\.weight))
    }

    /// The next server that is up, with the passHostHeader of the load balancer it belongs to; nil when
    /// none can be had (Traefik: 503 no available server). `cookies`: the request's Cookie fields (read
    /// only when `readsCookies`; callers pass [] otherwise).
    /// Without a sticky cookie on the way this allocates nothing: no closure context, no array (issue 18).
    func pick(now: UInt64, cookies: [String] = []) -> ServicePick? {
        // wrr.go ServeHTTP: a pinned entry that is up is taken without a cookie written, unless the
        // value was an older form; otherwise the schedule picks and the cookie names its choice.
        var index: Int
        var write = true
        if let sticky, let pinned = sticky.pinned(cookies), allows(pinned.index, now) {
            index = pinned.index
            write = pinned.rewrite
        } else {
            guard let next = schedule.next({ allows($0, now) }) else { return nil }
            index = next
        }
        var result: ServicePick
        if let weighted {
            guard let inner = weighted.children[index].pick(now: now, cookies: cookies) else { return nil }
            result = inner
        } else {
            result = ServicePick(server: servers[index], passHostHeader: passHostHeader)
        }
        if write, let sticky { result.setCookies.insert(sticky.cookie.setCookie(sticky.values[index]), at: 0) }
        return result
    }

    /// Whether entry `index` (a server, or a weighted child) may be picked now.
    private func allows(_ index: Int, _ now: UInt64) -> Bool {
        if let weighted {
            return !weighted.followsHealth || weighted.children[index].hasServerUp(now)
        }
        return servers[index].isUp(now)
    }

    /// Whether a pick could find a server now (a weighted child's status as Traefik propagates it).
    func hasServerUp(_ now: UInt64) -> Bool {
        if let weighted {
            return weighted.children.contains { $0.hasServerUp(now) }
        }
        return servers.contains { $0.isUp(now) }
    }
}
