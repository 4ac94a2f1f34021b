// An HTTP entry point (Traefik's `entryPoints.NAME`): a listener, its open connections in one table, and
// where each new connection goes — a TCP router's relay, TLS termination, or an HTTP session — decided from
// this entry point's share of the route tables (EntryPointRoutes, EntryPointTCPRoutes), taken once per
// table, not per connection or request. A connection whose first bytes decide goes through a
// ConnectionOpening first, which hands it back with its destination (`serve`); every connection that ends
// leaves the table through `ended`.
import Glibc
import Reactor
import Rules

public final class HTTPEntryPoint: AcceptHandler {
    public final class Counters {
        public var connections: UInt64 = 0
        /// HTTP sessions open now.
        public var open: Int64 = 0
        public var requests: UInt64 = 0
        public var responsesByClass: [UInt64] = [0, 0, 0, 0, 0, 0]  // index = status / 100
        public var badRequests: UInt64 = 0
        public let bytes = RelayCounters()
        /// HTTP/2: connections served (ALPN h2 or h2c), streams (requests) in total and open now, RST_STREAMs
        /// and GOAWAYs each way, connections ended for rapid reset, connections nghttp2 gave up on.
        public var h2Connections: UInt64 = 0
        public var h2Streams: UInt64 = 0
        public var h2StreamsOpen: Int64 = 0
        public var h2ResetsSent: UInt64 = 0
        public var h2ResetsReceived: UInt64 = 0
        public var h2GoawaysSent: UInt64 = 0
        public var h2GoawaysReceived: UInt64 = 0
        public var h2RapidResets: UInt64 = 0
        public var h2ProtocolErrors: UInt64 = 0
        /// PROXY protocol (`proxyProtocol`): headers whose client was used, headers from untrusted peers
        /// consumed and ignored, connections without a header, connections dropped for a malformed one.
        public var proxyProtocolUsed: UInt64 = 0
        public var proxyProtocolIgnored: UInt64 = 0
        public var proxyProtocolAbsent: UInt64 = 0
        public var proxyProtocolMalformed: UInt64 = 0
    }

    public let name: String
    public let address: String
    public let counters = Counters()
    let proxy: HTTPProxy
    let trustedForwarders: [ClientIPRange]
    let insecureForwarded: Bool
    /// What the entry point makes of request targets before routing (http.sanitizePath, encodedCharacters…).
    let targetPolicy: RequestTargetPolicy
    /// `http2.*` of the entry point.
    let http2: HTTP2Settings
    /// `proxyProtocol`: nil = no PROXY header is read.
    public let proxyProtocol: ProxyProtocolTrust?
    private let bindAddress: SocketAddress
    private var listener: Listener?
    /// Every open connection: opening, HTTP, relayed.
    var clients = ClientConnectionTable()
    /// This entry point's share of the proxy's current tables (made anew when a table is swapped).
    private var httpRoutes: EntryPointRoutes?
    private var tcpRouteShare: EntryPointTCPRoutes?

    /// respondingTimeouts: idleTimeout (180 s) between requests, readTimeout (60 s) for a request head.
    let idleTimeout: UInt64
    let readTimeout: UInt64
    /// transport.keepAliveMaxRequests / keepAliveMaxTime.
    let keepAlive: KeepAliveLimit

    public init(name: String, address: SocketAddress, proxy: HTTPProxy, trustedIPs: [String] = [], insecure: Bool = false,
                idleTimeout: UInt64 = 180_000_000_000, readTimeout: UInt64 = 60_000_000_000,
                targetPolicy: RequestTargetPolicy = RequestTargetPolicy(), http2: HTTP2Settings = HTTP2Settings(),
                proxyProtocol: ProxyProtocolTrust? = nil, keepAlive: KeepAliveLimit = KeepAliveLimit()) {
        self.proxyProtocol = proxyProtocol
        self.keepAlive = keepAlive
        self.targetPolicy = targetPolicy
        self.http2 = http2
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.name = name
        self.address = address.description
        self.bindAddress = address
        self.proxy = proxy
        trustedForwarders = trustedIPs.compactMap { ClientIPRange($0) ?? ClientIP($0).flatMap { ClientIPRange($0.description) } }
        insecureForwarded = insecure
    }

    public func start() throws {
        listener = try Listener.tcp(bindAddress, loop: proxy.loop, handler: self)
    }

    public func stopAccepting() {
        listener?.close()
        listener = nil
    }

    public var openSessions: Int { clients.count }

    /// Closes sessions that are between requests (graceful shutdown); HTTP/2 connections get GOAWAY with
    /// the last stream id and close once their streams finished.
    public func closeIdle() {
        for s in clients.sessions where s.isIdle { s.close() }
        for c in clients.http2 { c.goAway() }
    }

    public func closeAll() {
        for c in clients.all { c.abort() }
    }

    /// The HTTP routers of this entry point in the proxy's current table.
    var routes: EntryPointRoutes {
        if httpRoutes?.table !== proxy.table { httpRoutes = proxy.table.routes(on: name) }
        return httpRoutes!
    }

    /// The route for a request on this entry point (per request: no copy of the route lists).
    func route(for request: RequestView, tls: Bool) -> HTTPRoute? {
        if httpRoutes?.table !== proxy.table { httpRoutes = proxy.table.routes(on: name) }
        return httpRoutes!.match(tls: tls, request)
    }

    /// The TCP routers of this entry point in the proxy's current TCP table.
    var tcpRoutes: EntryPointTCPRoutes {
        if let r = tcpRouteShare, r.table === proxy.tcpTable { return r }
        let r = proxy.tcpTable.on(name)
        tcpRouteShare = r
        return r
    }

    public func accepted(fd: FileDescriptor) {
        counters.connections &+= 1
        Socket.setNoDelay(fd)
        let tcp = tcpRoutes
        // A PROXY header comes before anything else, from every peer (an untrusted one's is dropped).
        if let proxyProtocol {
            let peer = PeerAddress(of: fd)
            beginOpening(fd: fd, peer: peer, tcp, proxyHeader: proxyProtocol.trusts(peer.ip))
            return
        }
        // Some router serves HTTPS here, or a TCP router needs the first bytes: they decide.
        if needsFirstBytes(tcp) {
            beginOpening(fd: fd, peer: PeerAddress(of: fd), tcp)
            return
        }
        let peer = PeerAddress(of: fd)
        if !tcp.isEmpty, let route = tcp.matchBeforeReading(clientIP: peer.ip) {
            // Only non-TLS TCP routers: chosen from the peer address alone, before a byte is read.
            relay(PlainTransport(fd: fd), peer: peer, to: route)
            return
        }
        startHTTP(PlainTransport(fd: fd), isTLS: false, peer: peer, readable: false, token: nil)
    }

    /// True when a connection's first bytes decide where it goes: some router serves HTTPS here, or a TCP
    /// router routes by TLS.
    func needsFirstBytes(_ tcp: EntryPointTCPRoutes) -> Bool {
        (proxy.tls != nil && (routes.servesTLS || tcp.terminatesTLS)) || tcp.needsPeek
    }

    /// Reads the connection's PROXY header and first bytes (and terminates TLS when they say so) before deciding.
    private func beginOpening(fd: FileDescriptor, peer: PeerAddress, _ tcp: EntryPointTCPRoutes, proxyHeader trusted: Bool? = nil) {
        let o = ConnectionOpening(fd: fd, peer: peer, tcpRoutes: tcp, entryPoint: self, proxyHeader: trusted)
        do {
            try o.start()
            clients.insert(.opening(o))
        } catch {
            fd.close()
        }
    }

    /// An opening connection's destination is known. `token` still watches the socket: the HTTP session or
    /// the relay takes it over (EventLoop.handOver), nothing is registered anew.
    func serve(_ o: ConnectionOpening, at destination: ConnectionDestination, token: Token?) {
        clients.remove(o)
        switch destination {
        case .http2(let transport):
            startHTTP2(transport, isTLS: true, peer: o.peer, seed: [], token: token)
        case .http(let transport, let isTLS):
            // Bytes may already wait (after the peek, or held by OpenSSL after the handshake): read at once.
            startHTTP(transport, isTLS: isTLS, peer: o.peer, readable: true, token: token)
        case .tcp(let transport, let route):
            relay(transport, peer: o.peer, to: route, adopting: token)
        }
    }

    /// Serves the connection as HTTP. `readable`: bytes may already wait, so the session reads at once
    /// instead of waiting for a report. `token`: the socket's registration when an opening had it.
    private func startHTTP(_ transport: Transport, isTLS: Bool, peer: PeerAddress, readable: Bool, token: Token?) {
        let s = HTTPSession(transport: transport, isTLS: isTLS, peer: peer, entryPoint: self)
        s.clientReadable = readable
        do {
            try s.start(adopting: token)
            clients.insert(.http(s))
            counters.open += 1
            if readable { s.drive() }
        } catch {
            if let token { proxy.loop.deregister(token) }
            transport.close()
        }
    }

    /// Serves the connection as HTTP/2: after ALPN h2, or from an HTTP/1.1 session that read the preface
    /// (`seed`: the bytes it read). `token`: the socket's registration, taken over.
    func startHTTP2(_ transport: Transport, isTLS: Bool, peer: PeerAddress, seed: [UInt8], token: Token?) {
        let c = HTTP2Connection(transport: transport, isTLS: isTLS, peer: peer, entryPoint: self)
        clients.insert(.http2(c))
        counters.open += 1
        do {
            try c.start(adopting: token, seed: seed)
        } catch {
            clients.remove(c)
            counters.open -= 1
            if let token { proxy.loop.deregister(token) }
            transport.close()
        }
    }

    /// Relays a client connection (plain, or TLS terminated here) to the route's next server, after the
    /// route's middlewares admitted it; closes it when a middleware refuses it, the service has no server or
    /// the connect fails at once. The server first gets a PROXY header when the service's transport asks for
    /// one (Traefik's tcpDialer.DialContext writes it right after the connect). `token`: the client socket's
    /// registration when an opening had it.
    private func relay(_ client: Transport, peer: PeerAddress, to route: TCPRoute, adopting token: Token? = nil) {
        guard let admission = route.middlewares.admit(peer.ip) else {
            route.refused &+= 1
            if let token { proxy.loop.deregister(token) }
            // Bytes the client sent already are read first, as Traefik's buffered reader had taken them: the
            // client sees the close (FIN), not a reset for unread bytes.
            var discarded = [UInt8](repeating: 0, count: 16 * 1024)
            _ = discarded.withUnsafeMutableBytes { client.read(into: $0) }
            client.close()
            return
        }
        guard let (upstream, service) = route.service.next(), let up = try? Socket.connectTCP(upstream.address) else {
            admission.release()
            if let token { proxy.loop.deregister(token) }
            client.close()
            return
        }
        route.connections &+= 1
        if let idle = service.keepAliveSeconds { Socket.setKeepAlive(up, idleSeconds: idle) }
        let header = service.proxyProtocolVersion.map {
            ProxyProtocolWriter.header(version: $0, source: peer.remote, destination: peer.local)
        } ?? []
        startRelay(client: client, upstream: PlainTransport(fd: up), connecting: true, kind: "tcp", seedUp: header,
                   adoptingClient: token, connectTimeout: service.dialTimeout, terminationDelay: service.terminationDelay,
                   ended: { admission.release() })
    }

    /// Relays `client` and `upstream` raw until both directions end: a TCP router's server (`connecting`:
    /// its connect is under way), or the backend of an upgraded HTTP connection (`seedUp`/`seedDown`: bytes
    /// already read from either side). `adoptingClient`/`adoptingUpstream`: registrations an opening or a
    /// session had, handed to the relay as they are.
    func startRelay(client: Transport, upstream: Transport, connecting: Bool, kind: String,
                    seedUp: [UInt8] = [], seedDown: [UInt8] = [],
                    adoptingClient: Token? = nil, adoptingUpstream: Token? = nil, tickets: [InFlightTicket] = [],
                    connectTimeout: UInt64? = nil, terminationDelay: UInt64? = nil, ended: (() -> Void)? = nil) {
        let relay = Relay(id: 0, loop: proxy.loop, pool: proxy.pool, counters: counters.bytes, a: client, b: upstream,
                          connecting: connecting, idleTimeout: idleTimeout, seedUp: seedUp, seedDown: seedDown,
                          terminationDelay: terminationDelay)
        relay.kind = kind
        clients.insert(.relayed(relay))
        // inFlightReq counts an upgraded connection until it closes, as Traefik's handler runs until then.
        var held = tickets
        relay.onEnd = { [unowned self] r, _ in
            held.removeAll()
            ended?()
            self.ended(r)
        }
        relay.start(connectTimeout: connecting ? connectTimeout ?? proxy.timeouts.connect : 0, adoptingA: adoptingClient,
                    adoptingB: adoptingUpstream)
    }

    /// A connection ended (its session, relay or opening closed it): it leaves the table.
    func ended(_ state: AnyObject) {
        switch clients.remove(state) {
        case .http, .http2: counters.open -= 1
        default: break
        }
    }

    func isTrusted(_ ip: ClientIP?) -> Bool {
        if insecureForwarded { return true }
        guard let ip else { return false }
        return trustedForwarders.contains { $0.contains(ip) }
    }
}
