// Entry point `transport.keepAliveMaxRequests` / `transport.keepAliveMaxTime`: how long one client
// connection is kept alive. Traefik (pkg/server/keep_alive_middleware.go) counts the requests of a
// connection and notes when it was accepted; a request that is the Nth, or that arrives after the time,
// gets `Connection: close` on its response, so Go's server closes the connection after it (HTTP/1.1) or
// shuts it down gracefully with GOAWAY (HTTP/2). Nothing closes an idle connection on its own: the limits
// are checked when a request arrives.

public struct KeepAliveLimit: Sendable, Equatable {
    /// The request that reaches this count is the connection's last; 0 = no limit.
    public var maxRequests: Int
    /// A request arriving this long (ns) after the connection was accepted is its last; 0 = no limit.
    public var maxTime: UInt64

    public init(maxRequests: Int = 0, maxTime: UInt64 = 0) {
        self.maxRequests = maxRequests
        self.maxTime = maxTime
    }

    public var isLimited: Bool { maxRequests > 0 || maxTime > 0 }

    /// Whether the request numbered `count` (1 = the first), arriving at `now` on a connection accepted
    /// at `start`, must be the connection's last (keep_alive_middleware.go: `>=` for the count, strictly
    /// after for the time).
    func ends(count: Int, start: UInt64, now: UInt64) -> Bool {
        (maxRequests > 0 && count >= maxRequests) || (maxTime > 0 && now > start &+ maxTime)
    }
}
