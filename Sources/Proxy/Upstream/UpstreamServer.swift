// A backend server of an HTTP service: its address, its pool of idle keep-alive connections (and its
// HTTP/2 connections, each carrying many requests), its counters, and its health — passive (a server that refused a connection is skipped for a while) and
// active (set by the health check).
import Reactor

public final class UpstreamServer {
    /// Whether requests go to the server in HTTP/2.
    public enum HTTP2Use: Sendable {
        /// http://, or https:// with serversTransport.disableHTTP2: HTTP/1.1 only.
        case never
        /// https://: ALPN offers h2 then http/1.1; the server's choice decides per connection.
        case negotiated
        /// h2c://: HTTP/2 cleartext with prior knowledge.
        case priorKnowledge
    }

    public let url: String
    public let hostHeader: String   // host[:port] as in the URL, for passHostHeader=false
    let address: SocketAddress
    public let weight: Int
    /// HTTPS backends: the client context and the name sent as SNI (and verified).
    let tls: (context: TLSClientContext, serverName: String)?
    /// Idle keep-alive connections to this server, reused before a new one is opened.
    var pool: UpstreamPool
    /// Timeouts and pool size from the service's serversTransport.
    public let transport: UpstreamTransport
    public let http2: HTTP2Use
    /// The server's HTTP/2 connections that take new streams (a GOAWAY'd or closed one leaves the list).
    private(set) var http2Connections: [HTTP2UpstreamConnection] = []
    /// Monotonic time until which the server is skipped after a refused connection.
    var downUntil: UInt64 = 0
    /// Set by the active health check while the server fails it.
    var activeDown = false
    public var requests: UInt64 = 0
    public var failures: UInt64 = 0
    public var reused: UInt64 = 0
    public var opened: UInt64 = 0
    /// Requests in flight and times to first byte (the p2c and leasttime strategies).
    var load = UpstreamLoad()

    /// Passive health: how long a server that refused a connection is skipped.
    static let downFor: UInt64 = 5_000_000_000

    init(url: String, hostHeader: String, address: SocketAddress, weight: Int,
         tls: (context: TLSClientContext, serverName: String)? = nil, http2: HTTP2Use = .never,
         transport: UpstreamTransport = UpstreamTransport()) {
        self.transport = transport
        pool = UpstreamPool(capacity: transport.maxIdleConns)
        self.tls = tls
        self.http2 = http2
        self.url = url
        self.hostHeader = hostHeader
        self.address = address
        self.weight = max(1, weight)
    }

    public var idleCount: Int { pool.count }
    /// HTTP/2 connections open to the server, and the streams they carry.
    public var http2ConnectionCount: Int { http2Connections.count }
    public var http2StreamCount: Int { http2Connections.reduce(0) { $0 + $1.openStreams } }

    public func isUp(_ now: UInt64) -> Bool { !activeDown && now >= downUntil }

    /// An idle connection to reuse (counted as reused), or nil: open a new one.
    func takeIdle() -> UpstreamConnection? {
        guard let c = pool.take() else { return nil }
        reused &+= 1
        return c
    }

    /// A connection with a free stream slot, or nil: open a new one (`addHTTP2`).
    func http2WithRoom() -> HTTP2UpstreamConnection? {
        http2Connections.first { $0.hasRoom }
    }

    func addHTTP2(_ c: HTTP2UpstreamConnection) {
        http2Connections.append(c)
    }

    /// `c` takes no new streams (GOAWAY, idle end, its close).
    func http2Ended(_ c: HTTP2UpstreamConnection) {
        http2Connections.removeAll { $0 === c }
    }

    /// The server left the configuration: its idle connections close, busy HTTP/2 ones once their streams end.
    func closeConnections() {
        pool.closeAll()
        for c in http2Connections { c.retire() }
        http2Connections = []
    }
}

// What the p2c and leasttime strategies read (pkg/server/service/loadbalancer/p2c, leasttime): the
// requests in flight to the server (an HTTPExchange counts from the moment it is given the server until
// it goes away or back to the ExchangePool) and the last 100 times to first byte, in whole milliseconds as Traefik truncates them.
extension UpstreamServer {
    /// Requests in flight to the server.
    public var inFlight: Int { load.inFlight }

    /// leasttime.go sampleSize.
    static let responseTimeSamples = 100

    /// leasttime.go getAvgResponseTime: 0 until a sample is in.
    var averageResponseTime: Double {
        load.sampleCount == 0 ? 0 : load.sampleSum / Double(load.sampleCount)
    }

    /// leasttime.go updateResponseTime, for a response head that came `elapsed` ns after the pick.
    func recordResponseTime(_ elapsed: UInt64) {
        let ms = Double(elapsed / 1_000_000)
        if load.samples.count < Self.responseTimeSamples {
            load.samples.append(ms)
            load.sampleSum += ms
            load.sampleCount += 1
        } else {
            load.sampleSum += ms - load.samples[load.next]
            load.samples[load.next] = ms
        }
        load.next = (load.next + 1) % Self.responseTimeSamples
    }
}

/// The counters of a server's load (UpstreamServer.load).
struct UpstreamLoad {
    var inFlight = 0
    var samples: [Double] = []
    var sampleSum: Double = 0
    var sampleCount = 0
    var next = 0
}
