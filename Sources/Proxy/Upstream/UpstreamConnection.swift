// A backend server of a service: its address, its pool of idle keep-alive connections, and passive
// health (a server that refused a connection is skipped for a while).
import Glibc
import Reactor

public final class UpstreamServer {
    public let url: String
    public let hostHeader: String   // host[:port] as in the URL, for passHostHeader=false
    let address: SocketAddress
    public let weight: Int
    /// Monotonic time until which the server is skipped after a refused connection.
    var downUntil: UInt64 = 0
    var idle: [UpstreamConnection] = []
    public var idleCount: Int { idle.count }
    public var requests: UInt64 = 0
    public var failures: UInt64 = 0
    public var reused: UInt64 = 0
    public var opened: UInt64 = 0

    /// Passive health: how long a server that refused a connection is skipped.
    static let downFor: UInt64 = 5_000_000_000
    /// Idle connections kept per server (Traefik's maxIdleConnsPerHost default is 200).
    static let maxIdle = 200

    /// HTTPS backends: the client context and the name sent as SNI (and verified).
    let tls: (context: TLSClientContext, serverName: String)?

    init(url: String, hostHeader: String, address: SocketAddress, weight: Int,
         tls: (context: TLSClientContext, serverName: String)? = nil) {
        self.tls = tls
        self.url = url
        self.hostHeader = hostHeader
        self.address = address
        self.weight = max(1, weight)
    }

    /// Set by the active health check while the server fails it.
    var activeDown = false

    public func isUp(_ now: UInt64) -> Bool { !activeDown && now >= downUntil }

    /// An idle connection to reuse, or nil (open a new one).
    func takeIdle() -> UpstreamConnection? {
        while let c = idle.popLast() {
            if c.isUsable { reused &+= 1; return c }
            c.close()
        }
        return nil
    }

    func giveBack(_ c: UpstreamConnection) {
        guard idle.count < UpstreamServer.maxIdle, c.isUsable else {
            c.close()
            return
        }
        c.owner = nil
        idle.append(c)
    }

    func closeIdle() {
        for c in idle { c.close() }
        idle = []
    }
}

/// Receives readiness for an upstream connection while a session owns it.
protocol UpstreamOwner: AnyObject {
    func upstreamReady(_ events: Readiness)
}

/// One connection to a backend. Registered with the loop once for its whole life; readiness goes to the
/// session that owns it, or, while idle in the pool, closes it when the server hangs up.
final class UpstreamConnection: IOHandler {
    let transport: Transport
    /// Set for HTTPS backends: the handshake runs after the TCP connect, before the request is sent.
    let tls: TLSTransport?
    unowned let server: UpstreamServer
    weak var owner: UpstreamOwner?
    private let loop: EventLoop
    private var token: Token?
    private(set) var closed = false
    var connected = false
    var readable = false, writable = false
    var buffer = ByteBuffer()
    var lastUsed: UInt64

    init(fd: Int32, server: UpstreamServer, loop: EventLoop) throws {
        if let (context, name) = server.tls {
            guard let t = context.transport(fd: fd, serverName: name) else {
                closeDescriptor(fd)
                throw TLSError("cannot start TLS to \(server.url)")
            }
            tls = t
            transport = t
        } else {
            tls = nil
            transport = PlainTransport(fd: fd)
        }
        self.server = server
        self.loop = loop
        lastUsed = loop.now
        token = try loop.register(fd: fd, handler: self)
    }

    var isUsable: Bool { !closed && connected && buffer.isEmpty }

    func ready(fd: Int32, _ events: Readiness) {
        if events.contains(.readable) { readable = true }
        if events.contains(.writable) { writable = true }
        if let o = owner {
            o.upstreamReady(events)
        } else if events.contains(.error) || (events.contains(.readable) && !quietWhileIdle(fd)) {
            close()  // idle: the server closed it (or sent something unasked): not reusable
        }
    }

    /// A readiness report for an idle connection can be stale: it was queued for bytes the last exchange
    /// already read (edge reports are delivered after the handler may have drained the socket). Only an
    /// EOF or unasked bytes really waiting make the connection unusable.
    private func quietWhileIdle(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let t = token { loop.deregister(t) }
        token = nil
        transport.close()
        owner = nil
    }

    /// Stops watching the socket without closing it: a relay takes it over (after an upgrade).
    func detachForRelay() {
        if let t = token { loop.deregister(t) }
        token = nil
        closed = true
        owner = nil
    }
}

/// Smooth weighted round-robin over a service's servers (nginx's algorithm: evenly interleaved).
public final class LoadBalancer {
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
