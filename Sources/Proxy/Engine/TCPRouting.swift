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
            relayTCP(fd: fd, route: route, seed: [])
            return true
        }
        let p = ClientHelloPeekSession(fd: fd, entryPoint: self, peer: peer)
        do {
            try p.start()
            peeking[ObjectIdentifier(p)] = p
        } catch {
            closeDescriptor(fd)
        }
        return true
    }

    /// Relays `fd` to the route's next server; `seed` (peeked bytes) goes first.
    func relayTCP(fd: Int32, route: TCPRoute, seed: [UInt8]) {
        guard let upstream = route.service.next(), let up = try? Socket.connectTCP(upstream.address) else {
            closeDescriptor(fd)
            return
        }
        route.connections &+= 1
        let relay = Relay(id: 0, loop: proxy.loop, pool: proxy.pool, counters: counters.bytes,
                          a: PlainTransport(fd: fd), b: PlainTransport(fd: up), connecting: true,
                          connectTimeout: proxy.timeouts.connect, idleTimeout: idleTimeout, seedUp: seed)
        relay.kind = "tcp"
        tunnels[ObjectIdentifier(relay)] = relay
        relay.onEnd = { [unowned self] r, _ in self.tunnels[ObjectIdentifier(r)] = nil }
        relay.start(connectTimeout: proxy.timeouts.connect)
    }

    /// The peek decided: TLS → a passthrough router or close (no TLS termination yet); not TLS → a TCP
    /// router, else HTTP with the bytes read so far.
    func peeked(_ p: ClientHelloPeekSession, fd: Int32, bytes: [UInt8], result: ClientHelloPeek) {
        peeking[ObjectIdentifier(p)] = nil
        let tcp = proxy.tcpTable
        switch result {
        case .hello(let sni, let alpn):
            if let r = tcp.match(entryPoint: name, serverName: sni, alpn: alpn, clientIP: p.peer, isTLS: true) {
                relayTCP(fd: fd, route: r, seed: bytes)
            } else {
                closeDescriptor(fd)
            }
        case .malformed, .needMore:
            if let r = tcp.match(entryPoint: name, serverName: nil, alpn: [], clientIP: p.peer, isTLS: true) {
                relayTCP(fd: fd, route: r, seed: bytes)
            } else {
                closeDescriptor(fd)
            }
        case .notTLS:
            if let r = tcp.match(entryPoint: name, serverName: nil, alpn: [], clientIP: p.peer, isTLS: false) {
                relayTCP(fd: fd, route: r, seed: bytes)
            } else {
                startHTTP(fd: fd, initial: bytes)
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
    private var bytes: [UInt8] = []
    private var done = false
    /// A client that sends nothing for this long is closed (Traefik's TCP read deadline for SNI is 1 s...
    /// but an HTTP client may wait longer before its first byte): 10 s.
    private static let deadline: UInt64 = 10_000_000_000

    init(fd: Int32, entryPoint: HTTPEntryPoint, peer: ClientIP?) {
        self.fd = fd
        self.entryPoint = entryPoint
        self.peer = peer
    }

    func start() throws {
        token = try entryPoint.proxy.loop.register(fd: fd, handler: self)
        let t = Timer { [unowned self] _ in self.decide(.needMore) }
        timer = t
        entryPoint.proxy.loop.schedule(t, after: ClientHelloPeekSession.deadline)
    }

    func ready(fd: Int32, _ events: Readiness) {
        var buf = [UInt8](repeating: 0, count: 4096)
        while !done {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                bytes += buf[0..<n]
                let r = ClientHello.peek(bytes)
                if r != .needMore || bytes.count >= ClientHello.maximumPeekBytes { return decide(r) }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            // EOF or error before a decision: nothing to route.
            finish()
            closeDescriptor(fd)
            return
        }
    }

    private func decide(_ r: ClientHelloPeek) {
        guard !done else { return }
        finish()
        if bytes.isEmpty {
            closeDescriptor(fd)
            return
        }
        entryPoint.peeked(self, fd: fd, bytes: bytes, result: r)
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
