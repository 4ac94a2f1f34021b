// An HTTP service and the choice of a server for each request. A service is one of:
// - a `loadBalancer`: its servers, how the Host field is passed, its active health check, and its
//   strategy (BalancerStrategy: wrr, p2c, hrw, leasttime as Traefik 3.7 picks);
// - a `weighted` service: a share of traffic for each of other services, nested to any depth, in
//   Traefik's weighted round robin order (EarliestDeadlineSchedule, as loadbalancer/wrr/wrr.go);
// - a `failover`: its service while that one is up as its health checks say, else its fallback
//   (loadbalancer/failover/failover.go);
// - a `highestRandomWeight` service: other services, the one scoring highest for the client IP
//   (loadbalancer/hrw/hrw.go, as the hrw strategy scores servers);
// - a `mirroring` service: requests go to its service, and a share of them is copied to each mirror
//   (loadbalancer/mirror/mirror.go; the copies are sent by the session, MirrorCopy).
// Sticky cookies (StickyCookie: an entry the client's cookie names is taken while it is up) come first
// on load balancers (but hrw) and weighted services.

import Config
import Glibc

/// One pick: the server, the passHostHeader of the load balancer it belongs to, the Set-Cookie values
/// sticky balancers on the way ask the response to carry (outermost first), and the mirroring services
/// on the way with the mirrors this request is copied to.
struct ServicePick {
    let server: UpstreamServer
    let passHostHeader: Bool
    var setCookies: [String] = []
    var mirrors: [(mirroring: HTTPService.Mirroring, to: [HTTPService])] = []
}

/// Why no server could be had: the answer Traefik gives.
enum ServiceMiss {
    /// A load balancer with no server up: 503 "no available server".
    case noServer
    /// A failover whose service and fallback are both down: http.Error 503 "Service Unavailable".
    case failoverDown
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

    /// A `failover`: `service` while it reports up, else `fallback` — while it reports up when
    /// `failover.healthCheck` is set, whatever its health otherwise (it then answers 503 itself).
    struct Failover {
        let service: HTTPService
        let fallback: HTTPService
        let fallbackFollowsHealth: Bool
    }

    /// A `mirroring` service's settings and mirror.go's counters: of `total` requests, a mirror with
    /// `percent` got a copy of the request whenever its count × 100 was below total × percent.
    final class Mirroring {
        let service: HTTPService
        let mirrors: [(service: HTTPService, percent: UInt64)]
        let mirrorBody: Bool
        /// -1: no limit of Traefik's (stoep's own cap applies, MirrorCopy.bodyCap).
        let maxBodySize: Int64
        var total: UInt64 = 0
        var counts: [UInt64]

        init(service: HTTPService, mirrors: [(service: HTTPService, percent: UInt64)], mirrorBody: Bool, maxBodySize: Int64) {
            self.service = service
            self.mirrors = mirrors
            self.mirrorBody = mirrorBody
            self.maxBodySize = maxBodySize
            counts = Array(repeating: 0, count: mirrors.count)
        }

        /// mirror.go getActiveMirrors: counts this request, and the mirrors it goes to.
        func activeMirrors() -> [HTTPService] {
            total &+= 1
            var active: [HTTPService] = []
            for (i, m) in mirrors.enumerated() where counts[i] &* 100 < total &* m.percent {
                counts[i] &+= 1
                active.append(m.service)
            }
            return active
        }
    }

    public let name: String
    public let servers: [UpstreamServer]
    let passHostHeader: Bool
    let healthCheck: HealthCheckSettings?
    let strategy: TraefikBalancerStrategy
    let weighted: Weighted?
    let failover: Failover?
    let mirroring: Mirroring?
    /// Whether the service tells a parent (weighted or failover with a healthCheck) when it goes down:
    /// Traefik's RegisterStatusUpdater succeeds.
    let reportsHealth: Bool
    /// `sticky.cookie`: entries are servers (keyed by URL) or children (keyed by service name).
    let sticky: StickyTable?
    /// A sticky cookie on this service or any service below it: only then does a pick need the request's
    /// Cookie fields (the session skips that header scan otherwise).
    let readsCookies: Bool
    /// An hrw strategy on this service or below it: only then does a pick need the client's address as text.
    let readsClientIP: Bool
    private var schedule: EarliestDeadlineSchedule
    /// leasttime's tie-break deadlines (leasttime.go selectWRR), staggered by 1/weight as Add sets them.
    private var tieDeadlines: [Double] = []
    private var random = SplitMix64(seed: UInt64.random(in: 1...UInt64.max))
    /// What hrw scores per entry: the server URL or the child's name as written, and its weight.
    private var hrwEntries: [(key: String, weight: Int)] = []

    init(name: String, servers: [UpstreamServer], passHostHeader: Bool, healthCheck: HealthCheckSettings? = nil,
         sticky: TraefikStickyCookie? = nil, strategy: TraefikBalancerStrategy = .wrr) {
        self.name = name
        self.servers = servers
        self.passHostHeader = passHostHeader
        self.healthCheck = healthCheck
        self.strategy = strategy
        weighted = nil
        failover = nil
        mirroring = nil
        reportsHealth = healthCheck != nil
        self.sticky = strategy == .hrw ? nil : sticky.map { StickyTable(cookie: StickyCookie($0, service: name), keys: servers.map(\.url)) }
        readsCookies = self.sticky != nil
        readsClientIP = strategy == .hrw
        schedule = EarliestDeadlineSchedule(weights: servers.map(\.weight))
        hrwEntries = servers.map { ($0.url, $0.weight) }
        var deadline = 0.0
        tieDeadlines = servers.map { deadline += 1 / Double($0.weight); return deadline }
    }

    /// A `weighted` service over `children` (weights as configured; ≤ 0 never picked, as in Traefik).
    /// `key`: the child's name as written in the configuration, which Traefik's sticky value hashes.
    /// `strategy` .hrw: a `highestRandomWeight` service (children scored by client IP and `key`).
    init(name: String, children: [(service: HTTPService, weight: Int, key: String)], followsHealth: Bool, sticky: TraefikStickyCookie? = nil,
         strategy: TraefikBalancerStrategy = .wrr) {
        self.name = name
        servers = []
        passHostHeader = true
        healthCheck = nil
        self.strategy = strategy
        hrwEntries = children.map { ($0.key, $0.weight) }
        weighted = Weighted(children: children.map(\.service), followsHealth: followsHealth)
        failover = nil
        mirroring = nil
        reportsHealth = followsHealth
        self.sticky = sticky.map { StickyTable(cookie: StickyCookie($0, service: name), keys: children.map(\.key)) }
        readsCookies = sticky != nil || children.contains { $0.service.readsCookies }
        readsClientIP = strategy == .hrw || children.contains { $0.service.readsClientIP }
        schedule = EarliestDeadlineSchedule(weights: children.map(\.weight))
    }

    /// A `failover`; `healthCheck`: `failover.healthCheck` is set.
    init(name: String, failover: Failover, healthCheck: Bool) {
        self.name = name
        servers = []
        passHostHeader = true
        self.healthCheck = nil
        strategy = .wrr
        weighted = nil
        self.failover = failover
        mirroring = nil
        reportsHealth = healthCheck
        sticky = nil
        readsCookies = failover.service.readsCookies || failover.fallback.readsCookies
        readsClientIP = failover.service.readsClientIP || failover.fallback.readsClientIP
        schedule = EarliestDeadlineSchedule(weights: [])
    }

    /// A `mirroring` service; it reports its service's health when `mirroring.healthCheck` is set.
    init(name: String, mirroring: Mirroring, healthCheck: Bool) {
        self.name = name
        servers = []
        passHostHeader = true
        self.healthCheck = nil
        strategy = .wrr
        weighted = nil
        failover = nil
        self.mirroring = mirroring
        reportsHealth = healthCheck && mirroring.service.reportsHealth
        sticky = nil
        readsCookies = mirroring.service.readsCookies
        readsClientIP = mirroring.service.readsClientIP
        schedule = EarliestDeadlineSchedule(weights: [])
    }

    /// The next server that is up, or nil when none can be had (see `choose`).
    func pick(now: UInt64, cookies: [String] = [], clientIP: String = "") -> ServicePick? {
        if case .success(let p) = choose(now: now, cookies: cookies, clientIP: clientIP) { return p }
        return nil
    }

    /// The next server that is up, with the passHostHeader of the load balancer it belongs to, or why
    /// none can be had. `cookies`: the request's Cookie fields; `clientIP`: the peer's address as text
    /// (hrw hashes it; read only when `readsClientIP`, "" otherwise). Cookie fields likewise only when
    /// `readsCookies`. Without sticky cookies or hrw on the way a pick allocates nothing (issue 18).
    func choose(now: UInt64, cookies: [String], clientIP: String) -> Result<ServicePick, ServiceMissError> {
        if let failover {
            if failover.service.hasServerUp(now) { return failover.service.choose(now: now, cookies: cookies, clientIP: clientIP) }
            if !failover.fallbackFollowsHealth || failover.fallback.hasServerUp(now) {
                return failover.fallback.choose(now: now, cookies: cookies, clientIP: clientIP)
            }
            return .failure(ServiceMissError(miss: .failoverDown))
        }
        if let mirroring {
            // getActiveMirrors runs before the service is asked: a request answered 503 still counts.
            let to = mirroring.activeMirrors()
            var result = mirroring.service.choose(now: now, cookies: cookies, clientIP: clientIP)
            if !to.isEmpty, case .success(var p) = result {
                p.mirrors.insert((mirroring, to), at: 0)
                result = .success(p)
            }
            return result
        }
        // wrr.go ServeHTTP (p2c and leasttime alike): a pinned entry that is up is taken without a
        // cookie written, unless the value was an older form; otherwise the strategy picks and the
        // cookie names its choice.
        var index: Int
        var write = true
        if let sticky, let pinned = sticky.pinned(cookies), allows(pinned.index, now) {
            index = pinned.index
            write = pinned.rewrite
        } else {
            guard let next = nextIndex(now, clientIP: clientIP) else { return .failure(ServiceMissError(miss: .noServer)) }
            index = next
        }
        var result: ServicePick
        if let weighted {
            switch weighted.children[index].choose(now: now, cookies: cookies, clientIP: clientIP) {
            case .success(let inner): result = inner
            case .failure(let miss): return .failure(miss)
            }
        } else {
            result = ServicePick(server: servers[index], passHostHeader: passHostHeader)
        }
        if write, let sticky { result.setCookies.insert(sticky.cookie.setCookie(sticky.values[index]), at: 0) }
        return .success(result)
    }

    /// The strategy's choice among the entries `allowed` (up), nil when none is.
    private func nextIndex(_ now: UInt64, clientIP: String) -> Int? {
        switch strategy {
        case .wrr:
            return schedule.next { allows($0, now) }
        case .p2c:
            // p2c.go nextServer: two distinct random picks among the healthy, fewer in flight wins
            // (the first on a tie); weights are not used.
            let healthy = servers.indices.filter { allows($0, now) }
            guard healthy.count > 1 else { return healthy.first }
            let n1 = Int(random.next() % UInt64(healthy.count))
            var n2 = Int(random.next() % UInt64(healthy.count))
            if n2 == n1 { n2 = (n2 + 1) % healthy.count }
            let h1 = healthy[n1], h2 = healthy[n2]
            return servers[h2].load.inFlight < servers[h1].load.inFlight ? h2 : h1
        case .hrw:
            // hrw.go getNodeScore: FNV-1a 64 of client IP + server URL as a fraction of 2^64, scored
            // 1/-ln(fraction) × weight; the highest wins (the first on a tie).
            // highestRandomWeight services score their children by name; a weight ≤ 0 is left out (Add).
            var best: Int?
            var bestScore = 0.0
            for (i, e) in hrwEntries.enumerated() where e.weight > 0 && allows(i, now) {
                let s = Self.hrwScore(key: clientIP, name: e.key, weight: e.weight)
                if s > bestScore { best = i; bestScore = s }
            }
            return best
        case .leasttime:
            // leasttime.go nextServer: score = average time to first byte × (1 + in flight) / weight;
            // the lowest wins, equal ones go by earliest deadline.
            let healthy = servers.indices.filter { allows($0, now) }
            guard healthy.count > 1 else { return healthy.first }
            var minScore = Double.greatestFiniteMagnitude
            var candidates: [Int] = []
            for i in healthy {
                let s = servers[i]
                let score = s.averageResponseTime * Double(1 + s.load.inFlight) / Double(s.weight)
                if score < minScore { minScore = score; candidates = [i] } else if score == minScore { candidates.append(i) }
            }
            guard candidates.count > 1 else { return candidates.first }
            var selected = candidates[0]
            var minDeadline = Double.greatestFiniteMagnitude
            for i in candidates where tieDeadlines[i] < minDeadline {
                minDeadline = tieDeadlines[i]
                selected = i
            }
            tieDeadlines[selected] = minDeadline + 1 / Double(servers[selected].weight)
            return selected
        }
    }

    /// hrw.go getNodeScore.
    static func hrwScore(key: String, name: String, weight: Int) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let score = Double(hash) / 18_446_744_073_709_551_616.0
        return 1.0 / -log(score) * Double(weight)
    }

    /// Whether a mirroring service on the way copies request bodies (the session then reads a short
    /// body whole before picking).
    var mirrorsBody: Bool {
        if let mirroring { return mirroring.mirrorBody || mirroring.service.mirrorsBody }
        if let failover { return failover.service.mirrorsBody || failover.fallback.mirrorsBody }
        if let weighted { return weighted.children.contains { $0.mirrorsBody } }
        return false
    }

    /// Whether entry `index` (a server, or a weighted child) may be picked now.
    private func allows(_ index: Int, _ now: UInt64) -> Bool {
        if let weighted {
            return !weighted.followsHealth || weighted.children[index].hasServerUp(now)
        }
        return servers[index].isUp(now)
    }

    /// Whether a pick could find a server now (the status as Traefik propagates it to a parent).
    func hasServerUp(_ now: UInt64) -> Bool {
        if let failover {
            return failover.service.hasServerUp(now) || (!failover.fallbackFollowsHealth || failover.fallback.hasServerUp(now))
        }
        if let mirroring { return mirroring.service.hasServerUp(now) }
        if let weighted {
            return weighted.children.contains { $0.hasServerUp(now) }
        }
        return servers.contains { $0.isUp(now) }
    }
}

/// `ServiceMiss` as an Error for Result.
struct ServiceMissError: Error {
    let miss: ServiceMiss
}

/// A small fast generator for p2c's random choices (SplitMix64): not for secrets.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
