// A new connection until it is known where it goes: a TCP router's relay, an HTTP session, or nowhere.
// On an entry point with `proxyProtocol`, a PROXY header is read first (ConnectionOpening+ProxyProtocol).
// Then its first bytes are peeked (ConnectionOpening+Peek: TLS or not, and for passthrough routers the
// ClientHello's SNI and ALPN); then, for TLS terminated here, the handshake runs on the loop
// (ConnectionOpening+TLS). It holds the socket's registration from the accept until the HTTP session takes
// it over, and asks the TCP routes it was accepted with, so one connection meets one table. Each phase is
// bounded by its own deadline: garbage or a stalled client costs one timer and a socket, never the thread.
import Reactor

final class ConnectionOpening: IOHandler {
    enum Phase {
        /// Reading a PROXY protocol header (`trusted`: its addresses replace the peer's; else it is consumed
        /// and ignored, as go-proxyproto's IGNORE policy does for Traefik).
        case proxyHeader(trusted: Bool)
        /// Reading the first bytes. `wholeClientHello`: a passthrough router routes by SNI/ALPN, so the
        /// whole ClientHello is read; otherwise one byte tells TLS from the rest.
        case peeking(wholeClientHello: Bool)
        /// Terminating TLS.
        case handshaking(TLSTransport, TLSStats)
    }

    /// The accepted socket, read only by peeking until the connection goes somewhere.
    let client: PlainTransport
    var fd: FileDescriptor { client.fd }
    /// The client: the socket's peer, or the one a trusted PROXY header named.
    var peer: PeerAddress
    /// This entry point's TCP routers when the connection came, asked at most once per phase.
    let tcpRoutes: EntryPointTCPRoutes
    unowned let entryPoint: HTTPEntryPoint
    var phase: Phase
    private var token: Token?
    private var timer: Timer?
    /// Some bytes were seen (a connection that never sent one is closed without a word).
    var peekedAny = false
    private(set) var done = false

    init(fd: FileDescriptor, peer: PeerAddress, tcpRoutes: EntryPointTCPRoutes, entryPoint: HTTPEntryPoint,
         proxyHeader trusted: Bool? = nil) {
        client = PlainTransport(fd: fd)
        self.peer = peer
        self.tcpRoutes = tcpRoutes
        self.entryPoint = entryPoint
        phase = trusted.map { .proxyHeader(trusted: $0) } ?? .peeking(wholeClientHello: tcpRoutes.needsClientHello)
    }

    var loop: EventLoop { entryPoint.proxy.loop }

    /// Registers the socket and starts the first phase's deadline.
    func start() throws {
        token = try loop.register(fd: fd, handler: self)
        if case .proxyHeader = phase {
            arm(after: ConnectionOpening.proxyHeaderDeadline(readTimeout: entryPoint.readTimeout)) { $0.proxyHeaderTimedOut() }
        } else {
            arm(after: min(ConnectionOpening.peekDeadline, entryPoint.readTimeout)) { $0.peeked(.needMore) }
        }
    }

    /// Starts peeking at the first bytes (after a PROXY header): at once, as the bytes after the header may
    /// already wait and no new readiness report would announce them.
    func beginPeek() {
        phase = .peeking(wholeClientHello: tcpRoutes.needsClientHello)
        arm(after: min(ConnectionOpening.peekDeadline, entryPoint.readTimeout)) { $0.peeked(.needMore) }
        peek(wholeClientHello: tcpRoutes.needsClientHello)
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard !done else { return }
        switch phase {
        case .proxyHeader(let trusted): readProxyHeader(trusted: trusted, hungUp: !events.isDisjoint(with: [.readHangup, .error]))
        case .peeking(let whole): peek(wholeClientHello: whole)
        case .handshaking(let transport, let stats): handshake(transport, stats)
        }
    }

    /// (Re)starts the current phase's deadline: `expired` runs when it passes first.
    func arm(after nanos: UInt64, _ expired: @escaping (ConnectionOpening) -> Void) {
        if let t = timer { loop.cancel(t) }
        let t = Timer { [unowned self] _ in if !self.done { expired(self) } }
        timer = t
        loop.schedule(t, after: nanos)
    }

    /// Where the connection goes is known: the entry point serves it there, taking over the registration.
    func hand(to destination: ConnectionDestination) {
        let kept = token
        token = nil
        finish()
        entryPoint.serve(self, at: destination, token: kept)
    }

    /// Closes the connection before it goes anywhere (nothing to route, a failed handshake, shutdown).
    func abort() {
        guard !done else { return }
        finish()
        switch phase {
        case .proxyHeader, .peeking: client.close()
        case .handshaking(let transport, _): transport.close()
        }
        entryPoint.ended(self)
    }

    private func finish() {
        done = true
        if let t = timer { loop.cancel(t) }
        timer = nil
        if let t = token { loop.deregister(t) }
        token = nil
    }
}

/// Where an opening connection goes once its first bytes (and, for TLS terminated here, its handshake) said.
enum ConnectionDestination {
    /// Served as HTTP over `transport` (plain, or TLS terminated here).
    case http(Transport, isTLS: Bool)
    /// Served as HTTP/2 over TLS terminated here (ALPN h2).
    case http2(TLSTransport)
    /// Relayed raw to a server of the route's service (the peeked bytes are still in the socket).
    case tcp(Transport, TCPRoute)
}
