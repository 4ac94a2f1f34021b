// How the proxy talks to one server, from its service's serversTransport (the static `serversTransport`
// when the service names none, as Traefik's default@internal): Go's http.Transport fields that Traefik
// sets from the configuration (pkg/server/service/transport.go createRoundTripper), in nanoseconds.
import Config

public struct UpstreamTransport: Sendable, Equatable {
    /// forwardingTimeouts.dialTimeout: connecting (0 = no limit; Traefik's default 30 s).
    public var dialTimeout: UInt64 = 30_000_000_000
    /// forwardingTimeouts.responseHeaderTimeout: from the request fully sent to the response head (0 = none).
    public var responseHeaderTimeout: UInt64 = 0
    /// forwardingTimeouts.idleConnTimeout: an idle keep-alive connection (HTTP/1.1 in the pool, HTTP/2
    /// without streams) is closed after this (0 = kept until the server closes it; default 90 s).
    public var idleConnTimeout: UInt64 = 90_000_000_000
    /// maxIdleConnsPerHost as Go applies it: 0 → Go's DefaultMaxIdleConnsPerHost (2), negative → none
    /// kept (every connection closed after its exchange).
    public var maxIdleConns: Int = 200
    /// forwardingTimeouts.readIdleTimeout (HTTP/2): no frame received for this long → a PING is sent
    /// (0 = no health check; Go's HTTP2Config.SendPingTimeout).
    public var h2ReadIdleTimeout: UInt64 = 0
    /// forwardingTimeouts.pingTimeout (HTTP/2): the PING unanswered for this long → the connection is
    /// closed (Go: 0 means 15 s).
    public var h2PingTimeout: UInt64 = 15_000_000_000

    public init() {}

    /// The settings of `t`; nil (no static `serversTransport` written) is Traefik's static default.
    public init(_ t: TraefikServersTransport?) {
        guard let t else { return }
        let f = t.forwardingTimeouts
        dialTimeout = UInt64(max(0, f.dialTimeout.nanoseconds))
        responseHeaderTimeout = UInt64(max(0, f.responseHeaderTimeout.nanoseconds))
        idleConnTimeout = UInt64(max(0, f.idleConnTimeout.nanoseconds))
        h2ReadIdleTimeout = UInt64(max(0, f.readIdleTimeout.nanoseconds))
        h2PingTimeout = f.pingTimeout.nanoseconds > 0 ? UInt64(f.pingTimeout.nanoseconds) : 15_000_000_000
        maxIdleConns = t.maxIdleConnsPerHost == 0 ? 2 : t.maxIdleConnsPerHost < 0 ? 0 : Int(clamping: t.maxIdleConnsPerHost)
    }

    /// A limit of 0 ("none") as a deadline offset the loop can hold.
    public static func limit(_ ns: UInt64) -> UInt64 { ns == 0 ? UInt64.max / 4 : ns }
}
