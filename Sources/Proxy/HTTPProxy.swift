// The HTTP proxy's shared state on the loop: the current route table (swapped whole on reconfiguration),
// the pipe pool, timeouts, and what every session needs to rewrite heads.
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
    public private(set) var table: RouteTable = .empty
    /// TCP routers (HostSNI, passthrough), tried before the HTTP ones on an entry point.
    public var tcpTable: TCPRouteTable = .empty
    public var timeouts = Timeouts()
    /// TLS termination for HTTPS routers; nil when no TLS is configured (OpenSSL is then never set up).
    public var tls: TLSServerContext?
    /// Failed handshakes with HTTPS backends, by OpenSSL's reason.
    public var backendTLSFailures: [String: UInt64] = [:]
    /// X-Forwarded-Server: the host name, as Traefik sets it.
    let serverName: String
    public var reloads: UInt64 = 0
    /// Told about every finished request (metrics, access log).
    public var observers: [RequestObserver] = []
    /// `/metrics` on this entry point answers the Prometheus exposition (Traefik's prometheus@internal).
    public var metricsEndpoint: (entryPoint: String, render: () -> [UInt8])?
    /// prometheus@internal for routers that name it (set whenever metrics.prometheus is configured).
    public var prometheusRender: (() -> [UInt8])?
    /// api@internal (the JSON API and the dashboard page).
    public var apiHandler: ((InternalRequest) -> InternalResponse)?
    /// `api.insecure`: this entry point answers with api@internal without a router (`/api…`, and with the
    /// dashboard every other path), after /metrics.
    public var apiEntryPoint: (name: String, dashboard: Bool)?

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
