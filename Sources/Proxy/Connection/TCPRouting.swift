// TCP routers on an HTTP entry point (Traefik: TCP routers are tried first; no match falls back to
// HTTP). A connection is relayed raw (splice) to the TCP service's next server: at once for a
// `HostSNI(`*`)` router when no router on the entry point needs the TLS ClientHello, else after the
// first bytes were peeked (SNI and ALPN for `tls.passthrough` routers).
import Glibc
import Reactor

extension HTTPEntryPoint {
    /// Takes the connection when a TCP router wants it; false leaves it to HTTP.
    func acceptTCP(fd: Int32) -> Bool {
        let tcp = proxy.tcpTable
        guard tcp.hasRoutes(entryPoint: name) else { return false }
        let peer = HTTPSession.peerIP(of: fd)
        if !tcp.needsPeek(entryPoint: name) {
            guard let route = tcp.matchBeforeReading(entryPoint: name, clientIP: peer) else { return false }
            relayTCP(fd: fd, route: route)
            return true
        }
        peek(fd: fd, peer: peer)
        return true
    }

    /// Reads the connection's first bytes (without consuming them) to route it by its ClientHello.
    func peek(fd: Int32, peer: ClientIP?) {
        let p = ClientHelloPeekSession(fd: fd, entryPoint: self, peer: peer)
        do {
            try p.start()
            peeking[ObjectIdentifier(p)] = p
        } catch {
            closeDescriptor(fd)
        }
    }

    /// Relays `fd` to the route's next server (peeked bytes are still in the socket).
    func relayTCP(fd: Int32, route: TCPRoute) {
        relayTCP(PlainTransport(fd: fd), route: route)
    }

    /// Relays a client connection (plain, or TLS terminated here) to the route's next server.
    func relayTCP(_ client: Transport, route: TCPRoute) {
        guard let upstream = route.service.next(), let up = try? Socket.connectTCP(upstream.address) else {
            client.close()
            return
        }
        route.connections &+= 1
        let relay = Relay(id: 0, loop: proxy.loop, pool: proxy.pool, counters: counters.bytes,
                          a: client, b: PlainTransport(fd: up), connecting: true,
                          connectTimeout: proxy.timeouts.connect, idleTimeout: idleTimeout)
        relay.kind = "tcp"
        tunnels[ObjectIdentifier(relay)] = relay
        relay.onEnd = { [unowned self] r, _ in self.tunnels[ObjectIdentifier(r)] = nil }
        relay.start(connectTimeout: proxy.timeouts.connect)
    }

    /// The peek decided. TLS: a passthrough router, else TLS termination for the HTTPS routers, else
    /// close. Not TLS: a TCP router, else HTTP. The peeked bytes are still in the socket, and `token`
    /// still watches it: HTTP and TLS take it over, relays and closes end it.
    func peeked(_ p: ClientHelloPeekSession, fd: Int32, result: ClientHelloPeek, token: Token) {
        peeking[ObjectIdentifier(p)] = nil
        let tcp = proxy.tcpTable
        let tlsRoute: TCPRoute?
        switch result {
        case .hello(let sni, let alpn): tlsRoute = tcp.match(entryPoint: name, serverName: sni, alpn: alpn, clientIP: p.peer, isTLS: true)
        case .malformed, .needMore: tlsRoute = tcp.match(entryPoint: name, serverName: nil, alpn: [], clientIP: p.peer, isTLS: true)
        case .notTLS: tlsRoute = nil
        }
        if let r = tlsRoute {
            proxy.loop.deregister(token)
            relayTCP(fd: fd, route: r)
            return
        }
        switch result {
        case .hello, .malformed:
            terminateTLS(fd: fd, peer: p.peer, token: token)  // for garbage, OpenSSL answers with an alert
        case .needMore:
            // The deadline passed before a whole ClientHello arrived: a stalled client.
            proxy.tls?.stats.failed("handshake timeout")
            proxy.loop.deregister(token)
            closeDescriptor(fd)
        case .notTLS:
            if let r = tcp.match(entryPoint: name, serverName: nil, alpn: [], clientIP: p.peer, isTLS: false) {
                proxy.loop.deregister(token)
                relayTCP(fd: fd, route: r)
            } else {
                startHTTP(PlainTransport(fd: fd), tls: false, readable: true, token: token)
            }
        }
    }
}

/// Reads the first bytes of a connection until the ClientHello (or its absence) is known.
final class ClientHelloPeekSession: IOHandler {
    private let fd: Int32
    private unowned let entryPoint: HTTPEntryPoint
    let peer: ClientIP?
    private var token: Token?
    private var timer: Timer?
    private var peekedAny = false
    private var done = false
    /// Some TCP router routes TLS by SNI/ALPN before termination: read the whole ClientHello.
    private let needsClientHello: Bool
    /// A client that sends nothing for this long is closed (Traefik's TCP read deadline for SNI is 1 s...
    /// but an HTTP client may wait longer before its first byte): 10 s.
    private static let deadline: UInt64 = 10_000_000_000

    init(fd: Int32, entryPoint: HTTPEntryPoint, peer: ClientIP?) {
        needsClientHello = entryPoint.proxy.tcpTable.needsClientHello(entryPoint: entryPoint.name)
        self.fd = fd
        self.entryPoint = entryPoint
        self.peer = peer
    }

    func start() throws {
        token = try entryPoint.proxy.loop.register(fd: fd, handler: self)
        let t = Timer { [unowned self] _ in self.decide(.needMore) }
        timer = t
        entryPoint.proxy.loop.schedule(t, after: min(ClientHelloPeekSession.deadline, entryPoint.readTimeout))
    }

    /// Peeks (MSG_PEEK) at everything received so far: the bytes stay in the socket for whoever takes
    /// the connection. Each new segment is a new readiness report, so an incomplete ClientHello waits.
    func ready(fd: Int32, _ events: Readiness) {
        guard !done else { return }
        let n: Int
        if needsClientHello {
            var buf = [UInt8](repeating: 0, count: ClientHello.maximumPeekBytes)
            n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_PEEK)) }
            if n > 0 {
                peekedAny = true
                let r = ClientHello.peek(Array(buf[0..<n]))
                if r != .needMore || n >= ClientHello.maximumPeekBytes { decide(r) }
                return
            }
        } else {
            // Only TLS or not matters here (no router reads SNI before termination): one byte says it.
            var first: UInt8 = 0
            n = recv(fd, &first, 1, Int32(MSG_PEEK))
            if n == 1 {
                peekedAny = true
                return decide(first == 0x16 ? .hello(serverName: nil, alpn: []) : .notTLS)
            }
        }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        // EOF or error before a decision: nothing to route.
        abort()
    }

    /// Closes the connection before any decision (shutdown).
    func abort() {
        guard !done else { return }
        finish()
        closeDescriptor(fd)
    }

    private func decide(_ r: ClientHelloPeek) {
        guard !done else { return }
        let kept = token
        token = nil
        finish()
        guard peekedAny, let kept else {
            if let kept { entryPoint.proxy.loop.deregister(kept) }
            closeDescriptor(fd)
            return
        }
        entryPoint.peeked(self, fd: fd, result: r, token: kept)
    }

    private func finish() {
        done = true
        if let t = timer { entryPoint.proxy.loop.cancel(t) }
        timer = nil
        if let t = token { entryPoint.proxy.loop.deregister(t) }
        token = nil
        entryPoint.peeking[ObjectIdentifier(self)] = nil
    }
}
