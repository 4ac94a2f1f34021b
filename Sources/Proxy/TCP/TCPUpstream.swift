// A TCP service: the upstream servers a TCP router relays to, taken in turn (Traefik's TCP load balancer
// is weighted round-robin; stoep's TCP servers carry no weight, so plain round-robin is the same order),
// or a `weighted` service: other TCP services taken by weight in Traefik's interleaved order
// (pkg/tcp/wrr_load_balancer.go nextServer: the GCD of the weights is taken off a current weight on
// each lap; an entry whose weight reaches it is next).
import Reactor

/// One upstream of a TCP service, its address resolved to numbers when the table was built.
public struct TCPUpstream: CustomStringConvertible {
    /// As configured ("db.lan:5432"), for logs and the status page.
    public let configured: String
    public let address: SocketAddress

    public var description: String { configured }
}

public final class TCPService {
    /// Qualified ("db@file").
    public let name: String
    public let servers: [TCPUpstream]
    /// PROXY protocol version sent to the servers before the client's bytes (1 or 2); nil = none.
    public let proxyProtocolVersion: Int?
    /// The transport's dialTimeout in nanoseconds; nil = the proxy's default.
    public let dialTimeout: UInt64?
    /// After one side half-closed, how long (ns) the other direction may go on before both close
    /// (pkg/tcp/proxy.go); nil = until it ends too.
    public let terminationDelay: UInt64?
    /// TCP keep-alive probe idle time in seconds on the server's connection; nil = no probes.
    public let keepAliveSeconds: Int32?
    private var cursor = 0

    /// A weighted service's children (its `servers` is empty).
    public let children: [(service: TCPService, weight: Int)]
    private var index = -1
    private var currentWeight = 0

    init(name: String, servers: [TCPUpstream], proxyProtocolVersion: Int? = nil, dialTimeout: UInt64? = nil,
         terminationDelay: UInt64? = nil, keepAliveSeconds: Int32? = nil) {
        self.name = name
        self.servers = servers
        self.proxyProtocolVersion = proxyProtocolVersion
        self.dialTimeout = dialTimeout
        self.terminationDelay = terminationDelay
        self.keepAliveSeconds = keepAliveSeconds
        children = []
    }

    init(name: String, children: [(service: TCPService, weight: Int)]) {
        self.name = name
        servers = []
        proxyProtocolVersion = nil
        dialTimeout = nil
        terminationDelay = nil
        keepAliveSeconds = nil
        self.children = children
    }

    /// The next server in turn and the load balancer it belongs to (its PROXY protocol and dial timeout
    /// apply); nil when there is none (the engine then closes the connection, as Traefik does for an
    /// empty TCP load balancer or weights all 0).
    public func next() -> (upstream: TCPUpstream, service: TCPService)? {
        if !children.isEmpty {
            guard let i = nextChild() else { return nil }
            return children[i].service.next()
        }
        guard !servers.isEmpty else { return nil }
        let server = servers[cursor % servers.count]
        cursor = (cursor + 1) % servers.count
        return (server, self)
    }

    /// wrr_load_balancer.go nextServer. Bounded: within max/gcd laps an entry of the maximum weight is due.
    private func nextChild() -> Int? {
        let maximum = children.map(\.weight).max() ?? 0
        guard maximum > 0 else { return nil }
        let divisor = children.map(\.weight).reduce(0) { Self.gcd($0, $1) }
        for _ in 0..<(children.count * (maximum / divisor + 1)) {
            index = (index + 1) % children.count
            if index == 0 {
                currentWeight -= divisor
                if currentWeight <= 0 { currentWeight = maximum }
            }
            if children[index].weight >= currentWeight { return index }
        }
        return nil
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
