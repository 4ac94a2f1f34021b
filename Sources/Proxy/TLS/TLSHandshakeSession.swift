// TLS termination on an HTTP entry point: the handshake runs on the loop (WANT_READ/WANT_WRITE are
// readiness waits), bounded by a deadline so garbage or a stalled client costs one timer and a socket,
// never the thread. A finished handshake hands the connection to an HTTPSession over the TLS transport.
import Glibc
import Reactor

extension HTTPEntryPoint {
    /// Starts TLS on `fd` with the proxy's server context (closes it when there is none).
    func terminateTLS(fd: Int32, peer: ClientIP?) {
        guard let context = proxy.tls, let transport = context.transport(fd: fd) else {
            closeDescriptor(fd)
            return
        }
        let h = TLSHandshakeSession(transport: transport, entryPoint: self, stats: context.stats, peer: peer)
        // Listed before it starts: the first step may already end it (bytes are waiting after the peek).
        handshaking[ObjectIdentifier(h)] = h
        do {
            try h.start()
        } catch {
            handshaking[ObjectIdentifier(h)] = nil
            transport.close()
        }
    }

    /// A finished handshake goes to a TLS-terminating TCP router that matches its SNI, else to HTTP.
    func handshakeEnded(_ h: TLSHandshakeSession, transport: TLSTransport?) {
        handshaking[ObjectIdentifier(h)] = nil
        guard let transport else { return }
        if let route = proxy.tcpTable.matchTerminated(entryPoint: name, serverName: transport.serverName,
                                                      alpn: transport.alpn.map { [$0] } ?? [], clientIP: h.peer) {
            relayTCP(transport, route: route)
            return
        }
        startHTTP(transport, tls: true, readable: true)
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

    func start() throws {
        token = try entryPoint.proxy.loop.register(fd: transport.fd, handler: self)
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
            finish()
            entryPoint.handshakeEnded(self, transport: transport)
        }
    }

    private func fail(_ reason: String) {
        guard !done else { return }
        stats.failed(reason)
        finish()
        transport.close()
        entryPoint.handshakeEnded(self, transport: nil)
    }

    /// Closes the connection mid-handshake (shutdown).
    func abort() {
        guard !done else { return }
        finish()
        transport.close()
        entryPoint.handshakeEnded(self, transport: nil)
    }

    private func finish() {
        done = true
        if let t = timer { entryPoint.proxy.loop.cancel(t) }
        timer = nil
        if let t = token { entryPoint.proxy.loop.deregister(t) }
        token = nil
    }
}
