// TLS termination of an opening connection: the handshake runs on the loop (WANT_READ/WANT_WRITE are
// readiness waits) with the proxy's server context, bounded by its own deadline. A finished handshake goes
// to a TLS-terminating TCP router that matches its SNI and ALPN, else to an HTTP session over the TLS
// transport.
import Reactor

extension ConnectionOpening {
    /// Long enough for a slow radio link, short enough that idle garbage does not pile up. Traefik
    /// leaves this to the entry point's readTimeout (60 s); a handshake needs far less.
    static let handshakeDeadline: UInt64 = 10_000_000_000

    /// Starts TLS with the proxy's server context (closes the connection when there is none).
    func startHandshake() {
        guard let context = entryPoint.proxy.tls, let transport = context.transport(fd: fd) else { return abort() }
        phase = .handshaking(transport, context.stats)
        arm(after: min(ConnectionOpening.handshakeDeadline, entryPoint.readTimeout)) { $0.handshakeFailed("handshake timeout") }
        // Bytes are waiting already (the peek saw them).
        handshake(transport, context.stats)
    }

    func handshake(_ transport: TLSTransport, _ stats: TLSStats) {
        switch transport.handshake() {
        case .wantRead, .wantWrite: return
        case .failed(let reason): handshakeFailed(reason)
        case .done:
            stats.completed(transport)
            // An ACME TLS-ALPN-01 validation: the handshake itself was the answer (RFC 8737 §3); nothing follows.
            if transport.alpn == "acme-tls/1" { return abort() }
            if let route = tcpRoutes.matchTerminated(serverName: transport.serverName, alpn: transport.alpn.map { [$0] } ?? [],
                                                     clientIP: peer.ip) {
                hand(to: .tcp(transport, route))
            } else {
                hand(to: .http(transport, isTLS: true))
            }
        }
    }

    func handshakeFailed(_ reason: String) {
        guard !done, case .handshaking(_, let stats) = phase else { return }
        stats.failed(reason)
        abort()
    }
}
