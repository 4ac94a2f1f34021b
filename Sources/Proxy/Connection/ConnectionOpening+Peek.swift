// The peek: a connection's first bytes are read without being consumed (MSG_PEEK), so they stay in the socket
// for whoever takes the connection, and say where it goes: a passthrough TCP router (by SNI/ALPN), TLS
// termination here, a non-TLS TCP router, or HTTP. Each new segment is a new readiness report, so an
// incomplete ClientHello waits for the next one.
import Glibc
import Reactor

extension ConnectionOpening {
    /// A client that sends nothing for this long is closed (Traefik's TCP read deadline for SNI is 1 s…
    /// but an HTTP client may wait longer before its first byte): 10 s.
    static let peekDeadline: UInt64 = 10_000_000_000

    /// Peeks at everything received so far.
    func peek(wholeClientHello: Bool) {
        let n: Int
        if wholeClientHello {
            var buf = [UInt8](repeating: 0, count: ClientHello.maximumPeekBytes)
            n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_PEEK)) }
            if n > 0 {
                peekedAny = true
                let r = ClientHello.peek(Array(buf[0..<n]))
                if r != .needMore || n >= ClientHello.maximumPeekBytes { peeked(r) }
                return
            }
        } else {
            // Only TLS or not matters here (no router reads SNI before termination): one byte says it.
            var first: UInt8 = 0
            n = recv(fd, &first, 1, Int32(MSG_PEEK))
            if n == 1 {
                peekedAny = true
                return peeked(first == 0x16 ? .hello(serverName: nil, alpn: []) : .notTLS)
            }
        }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
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
        if let route = passthrough { return hand(to: .tcp(PlainTransport(fd: fd), route)) }
        switch result {
        case .hello, .malformed:
            startHandshake()
        case .needMore:
            // The deadline passed before a whole ClientHello arrived: a stalled client.
            entryPoint.proxy.tls?.stats.failed("handshake timeout")
            abort()
        case .notTLS:
            if let route = tcpRoutes.match(serverName: nil, alpn: [], clientIP: peer.ip, isTLS: false) {
                hand(to: .tcp(PlainTransport(fd: fd), route))
            } else {
                hand(to: .http(PlainTransport(fd: fd), isTLS: false))
            }
        }
    }
}
