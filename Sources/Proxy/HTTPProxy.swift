// The HTTP proxy's shared state on the loop: the current route tables (swapped whole on reconfiguration),
// the pipe pool, timeouts, TLS termination, the internal services' handlers, the observers, and what every
// session needs to rewrite heads.
import Glibc
import Reactor

public final class HTTPProxy {
    public struct Timeouts {
        /// serversTransport forwardingTimeouts: dialTimeout 30 s, responseHeaderTimeout 0 (none).
        public var connect: UInt64 = 30_000_000_000
        public var responseHeader: UInt64 = 0
        public init() {}
    }

    let loop: EventLoop
    let pool: PipePool
    /// Head buffers lent to sessions for an exchange (no allocation per keep-alive request).
    let heads = HeadBufferPool()
    /// Finished exchanges kept for the next requests (no allocation per keep-alive request).
    let exchanges = ExchangePool()
    public private(set) var table: RouteTable = .empty
    /// TCP routers (HostSNI, passthrough), tried before the HTTP ones on an entry point.
    public var tcpTable: TCPRouteTable = .empty
    /// Which service each UDP entry point's datagrams go to (read when a client's session opens).
    public var udpTable: UDPRouteTable = .empty
    public var timeouts = Timeouts()
    /// TLS termination for HTTPS routers; nil when no TLS is configured (OpenSSL is then never set up).
    public var tls: TLSServerContext?
    /// Failed handshakes with HTTPS backends, by OpenSSL's reason.
    public var backendTLSFailures: [String: UInt64] = [:]
    /// X-Forwarded-Server: the host name, as Traefik sets it.
    public let serverName: String
    public var reloads: UInt64 = 0
    /// Attempts the retry middleware made again after a connection failure.
    public var retries: UInt64 = 0
    /// Mirroring services' copies (HTTPSession+Mirroring).
    public var mirrors = MirrorCounters()
    /// Told about every finished request (metrics, access log).
    public var observers: [RequestObserver] = []
    /// An observer writes header fields (access log `fields.headers`): requests collect them for it.
    public var observersWantHeaders = false
    /// An observer reads the request's target, User-Agent and Referer (the access log; the stats socket's
    /// figures and Prometheus do not): reports make these Strings only then (no allocation per request for them).
    public var observersWantRequestText = true
    /// What answers api@internal, prometheus@internal & co (the routes to them are in `table`).
    public var internalHandlers = InternalHandlers()

    public init(loop: EventLoop, pool: PipePool) {
        self.loop = loop
        self.pool = pool
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count)
        serverName = String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Swaps in a new table; requests in flight finish with the table they started with.
    public func install(_ next: RouteTable) {
        let old = table
        table = next
        old.retire(keeping: next)
        reloads &+= 1
        healthChecker?.stop()
        let checker = HealthChecker(loop: loop)
        checker.start(next.services)
        healthChecker = checker
    }

    private var healthChecker: HealthChecker?
}
