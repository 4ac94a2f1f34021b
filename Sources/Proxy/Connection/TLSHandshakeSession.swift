// TLS termination on an HTTP entry point: the handshake runs on the loop (WANT_READ/WANT_WRITE are
// readiness waits), bounded by a deadline so garbage or a stalled client costs one timer and a socket,
// never the thread. A finished handshake hands the connection to an HTTPSession over the TLS transport.
import Glibc
import Reactor

extension HTTPEntryPoint {
    /// Starts TLS on `fd` with the proxy's server context (closes it when there is none). `token`: the
    /// peek's registration, taken over.
    func terminateTLS(fd: Int32, peer: ClientIP?, token: Token) {
        guard let context = proxy.tls, let transport = context.transport(fd: fd) else {
            proxy.loop.deregister(token)
            closeDescriptor(fd)
            return
        }
        let h = TLSHandshakeSession(transport: transport, entryPoint: self, stats: context.stats, peer: peer)
        // Listed before it starts: the first step may already end it (bytes are waiting after the peek).
        handshaking[ObjectIdentifier(h)] = h
        h.start(adopting: token)
    }

    /// A finished handshake goes to a TLS-terminating TCP router that matches its SNI, else to HTTP.
    /// `token` still watches the socket: the HTTP session takes it over; a relay makes its own.
    func handshakeEnded(_ h: TLSHandshakeSession, transport: TLSTransport?, token: Token?) {
        handshaking[ObjectIdentifier(h)] = nil
        guard let transport, let token else { return }
        if let route = proxy.tcpTable.matchTerminated(entryPoint: name, serverName: transport.serverName,
                                                      alpn: transport.alpn.map { [$0] } ?? [], clientIP: h.peer) {
            proxy.loop.deregister(token)
            relayTCP(transport, route: route)
            return
        }
        startHTTP(transport, tls: true, readable: true, token: token)
    }
}

final class TLSHandshakeSession: IOHandler {
    private let transport: TLSTransport
    private unowned let entryPoint: HTTPEntryPoint
    private let stats: TLSStats
    let peer: ClientIP?
    private var token: Token?
    private var timer: Timer?
    private var done = false
    /// Long enough for a slow radio link, short enough that idle garbage does not pile up. Traefik
    /// leaves this to the entry point's readTimeout (60 s); a handshake needs far less.
    static let deadline: UInt64 = 10_000_000_000

    init(transport: TLSTransport, entryPoint: HTTPEntryPoint, stats: TLSStats, peer: ClientIP?) {
        self.peer = peer
        self.transport = transport
        self.entryPoint = entryPoint
        self.stats = stats
    }

    func start(adopting token: Token) {
        self.token = token
        entryPoint.proxy.loop.handOver(token, to: self)
        let t = Timer { [unowned self] _ in self.fail("handshake timeout") }
        timer = t
        entryPoint.proxy.loop.schedule(t, after: min(TLSHandshakeSession.deadline, entryPoint.readTimeout))
        step()
    }

    func ready(fd: Int32, _ events: Readiness) { step() }

    private func step() {
        guard !done else { return }
        switch transport.handshake() {
        case .wantRead, .wantWrite: return
        case .failed(let reason): fail(reason)
        case .done:
            stats.completed(transport)
            let kept = token
            token = nil
            finish()
            entryPoint.handshakeEnded(self, transport: transport, token: kept)
        }
    }

    private func fail(_ reason: String) {
        guard !done else { return }
        stats.failed(reason)
        finish()
        transport.close()
        entryPoint.handshakeEnded(self, transport: nil, token: nil)
    }

    /// Closes the connection mid-handshake (shutdown).
    func abort() {
        guard !done else { return }
        finish()
        transport.close()
        entryPoint.handshakeEnded(self, transport: nil, token: nil)
    }

    private func finish() {
        done = true
        if let t = timer { entryPoint.proxy.loop.cancel(t) }
        timer = nil
        if let t = token { entryPoint.proxy.loop.deregister(t) }
        token = nil
    }
}
