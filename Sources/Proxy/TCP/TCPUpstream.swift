// A TCP service: the upstream servers a TCP router relays to, taken in turn (Traefik's TCP load balancer
// is weighted round-robin; stoep's TCP servers carry no weight, so plain round-robin is the same order).
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

    init(name: String, servers: [TCPUpstream], proxyProtocolVersion: Int? = nil, dialTimeout: UInt64? = nil,
         terminationDelay: UInt64? = nil, keepAliveSeconds: Int32? = nil) {
        self.name = name
        self.servers = servers
        self.proxyProtocolVersion = proxyProtocolVersion
        self.dialTimeout = dialTimeout
        self.terminationDelay = terminationDelay
        self.keepAliveSeconds = keepAliveSeconds
    }

    /// The next server in turn; nil when the service has none (the engine then closes the connection,
    /// as Traefik does for an empty TCP load balancer).
    public func next() -> TCPUpstream? {
        guard !servers.isEmpty else { return nil }
        let server = servers[cursor % servers.count]
        cursor = (cursor + 1) % servers.count
        return server
    }
}
