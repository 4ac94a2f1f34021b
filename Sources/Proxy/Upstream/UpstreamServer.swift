// A backend server of an HTTP service: its address, its pool of idle keep-alive connections, its
// counters, and its health — passive (a server that refused a connection is skipped for a while) and
// active (set by the health check).
import Reactor

public final class UpstreamServer {
    public let url: String
    public let hostHeader: String   // host[:port] as in the URL, for passHostHeader=false
    let address: SocketAddress
    public let weight: Int
    /// HTTPS backends: the client context and the name sent as SNI (and verified).
    let tls: (context: TLSClientContext, serverName: String)?
    /// Idle keep-alive connections to this server, reused before a new one is opened.
    var pool = UpstreamPool()
    /// Monotonic time until which the server is skipped after a refused connection.
    var downUntil: UInt64 = 0
    /// Set by the active health check while the server fails it.
    var activeDown = false
    public var requests: UInt64 = 0
    public var failures: UInt64 = 0
    public var reused: UInt64 = 0
    public var opened: UInt64 = 0

    /// Passive health: how long a server that refused a connection is skipped.
    static let downFor: UInt64 = 5_000_000_000

    init(url: String, hostHeader: String, address: SocketAddress, weight: Int,
         tls: (context: TLSClientContext, serverName: String)? = nil) {
        self.tls = tls
        self.url = url
        self.hostHeader = hostHeader
        self.address = address
        self.weight = max(1, weight)
    }

    public var idleCount: Int { pool.count }

    public func isUp(_ now: UInt64) -> Bool { !activeDown && now >= downUntil }

    /// An idle connection to reuse (counted as reused), or nil: open a new one.
    func takeIdle() -> UpstreamConnection? {
        guard let c = pool.take() else { return nil }
        reused &+= 1
        return c
    }
}
