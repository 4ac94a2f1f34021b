// The peek: a connection's first bytes are read without being consumed (MSG_PEEK), so they stay in the socket
// for whoever takes the connection, and say where it goes: a passthrough TCP router (by SNI/ALPN), TLS
// termination here, a non-TLS TCP router, or HTTP. Each new segment is a new readiness report, so an
// incomplete ClientHello waits for the next one.
import Reactor

extension ConnectionOpening {
    /// A client that sends nothing for this long is closed (Traefik's TCP read deadline for SNI is 1 s…
    /// but an HTTP client may wait longer before its first byte): 10 s.
    static let peekDeadline: UInt64 = 10_000_000_000

    /// Peeks (Transport.peek) at everything received so far.
    func peek(wholeClientHello: Bool) {
        let r: IOResult
        if wholeClientHello {
            var buf = [UInt8](repeating: 0, count: ClientHello.maximumPeekBytes)
            r = buf.withUnsafeMutableBytes { client.peek(into: $0) }
            if case .bytes(let n) = r {
                peekedAny = true
                let hello = ClientHello.peek(Array(buf[0..<n]))
                if hello != .needMore || n >= ClientHello.maximumPeekBytes { peeked(hello) }
                return
            }
        } else {
            // Only TLS or not matters here (no router reads SNI before termination): one byte says it.
            var first: UInt8 = 0
            r = withUnsafeMutableBytes(of: &first) { client.peek(into: $0) }
            if case .bytes = r {
                peekedAny = true
                return peeked(first == 0x16 ? .hello(serverName: nil, alpn: []) : .notTLS)
            }
        }
        if r == .wouldBlock { return }
        // EOF or error before a decision: nothing to route.
        abort()
    }

    /// The peek decided (or its deadline passed: `.needMore`). TLS: a passthrough router, else TLS
    /// termination (OpenSSL answers garbage with an alert). Not TLS: a TCP router, else HTTP.
    func peeked(_ result: ClientHelloPeek) {
        guard !done, case .peeking = phase else { return }
        guard peekedAny else { return abort() }
        let passthrough: TCPRoute?
        switch result {
        case .hello(let sni, let alpn): passthrough = tcpRoutes.match(serverName: sni, alpn: alpn, clientIP: peer.ip, isTLS: true)
        case .malformed, .needMore: passthrough = tcpRoutes.match(serverName: nil, alpn: [], clientIP: peer.ip, isTLS: true)
        case .notTLS: passthrough = nil
        }
        if let route = passthrough { return hand(to: .tcp(client, route)) }
        switch result {
        case .hello, .malformed:
            startHandshake()
        case .needMore:
            // The deadline passed before a whole ClientHello arrived: a stalled client.
            entryPoint.proxy.tls?.stats.failed("handshake timeout")
            abort()
        case .notTLS:
            if let route = tcpRoutes.match(serverName: nil, alpn: [], clientIP: peer.ip, isTLS: false) {
                hand(to: .tcp(client, route))
            } else {
                hand(to: .http(client, isTLS: false))
            }
        }
    }
}
