// An HTTP entry point (Traefik's `entryPoints.NAME`): a listener whose connections become HTTPSessions
// routed with the current RouteTable.
import Glibc
import Reactor

public final class HTTPEntryPoint: AcceptHandler {
    public final class Counters {
        public var connections: UInt64 = 0
        public var open: Int64 = 0
        public var requests: UInt64 = 0
        public var responsesByClass: [UInt64] = [0, 0, 0, 0, 0, 0]  // index = status / 100
        public var badRequests: UInt64 = 0
        public let bytes = RelayCounters()
    }

    public let name: String
    public let address: String
    public let counters = Counters()
    let proxy: HTTPProxy
    let trustedForwarders: [ClientIPRange]
    let insecureForwarded: Bool
    /// What the entry point makes of request targets before routing (http.sanitizePath, encodedCharacters…).
    let targetPolicy: RequestTargetPolicy
    private let bindAddress: SocketAddress
    private var fd: Int32 = -1
    private var token: Token?
    var sessions: [ObjectIdentifier: HTTPSession] = [:]
    /// Upgraded connections (WebSocket…) relayed raw until they end.
    var tunnels: [ObjectIdentifier: Relay] = [:]
    /// Connections whose first bytes are being read to route them (TCP routers with SNI).
    var peeking: [ObjectIdentifier: ClientHelloPeekSession] = [:]
    /// TLS connections whose handshake is running.
    var handshaking: [ObjectIdentifier: TLSHandshakeSession] = [:]

    /// respondingTimeouts: idleTimeout (180 s) between requests, readTimeout (60 s) for a request head.
    let idleTimeout: UInt64
    let readTimeout: UInt64

    public init(name: String, address: SocketAddress, proxy: HTTPProxy, trustedIPs: [String] = [], insecure: Bool = false,
                idleTimeout: UInt64 = 180_000_000_000, readTimeout: UInt64 = 60_000_000_000,
                targetPolicy: RequestTargetPolicy = RequestTargetPolicy()) {
        self.targetPolicy = targetPolicy
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
        fd = try Socket.listenTCP(bindAddress)
        do {
            token = try proxy.loop.addListener(fd: fd, handler: self)
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    public func stopAccepting() {
        if let t = token { proxy.loop.removeListener(t) }
        token = nil
        closeDescriptor(fd)
        fd = -1
    }

    public var openSessions: Int { sessions.count + tunnels.count + handshaking.count + peeking.count }

    /// Closes sessions that are between requests (graceful shutdown).
    public func closeIdle() {
        for s in Array(sessions.values) where s.isIdle { s.close() }
    }

    public func closeAll() {
        for h in Array(handshaking.values) { h.abort() }
        for p in Array(peeking.values) { p.abort() }
        for s in Array(sessions.values) { s.close() }
        for t in Array(tunnels.values) { t.abort() }
    }

    public func accepted(fd: Int32) {
        counters.connections &+= 1
        Socket.setNoDelay(fd)
        if acceptsTLS {
            peek(fd: fd, peer: HTTPSession.peerIP(of: fd))
            return
        }
        if acceptTCP(fd: fd) { return }
        startHTTP(PlainTransport(fd: fd), tls: false, readable: false)
    }

    /// True when some router serves HTTPS here: each connection's first bytes tell TLS from plain HTTP.
    var acceptsTLS: Bool {
        proxy.tls != nil && (proxy.table.hasTLS(entryPoint: name) || proxy.tcpTable.hasTerminatedTLS(entryPoint: name))
    }

    /// Serves the connection as HTTP. `readable`: bytes may already wait (after a peek, or held by
    /// OpenSSL after the handshake), so the session reads at once instead of waiting for a report.
    /// `token`: the socket's registration when a peek or handshake had it (taken over, not made anew).
    func startHTTP(_ transport: Transport, tls: Bool, readable: Bool, token: Token? = nil) {
        let s = HTTPSession(transport: transport, isTLS: tls, entryPoint: self)
        s.clientReadable = readable
        do {
            try s.start(adopting: token)
            sessions[ObjectIdentifier(s)] = s
            counters.open += 1
            if readable { s.drive() }
        } catch {
            if let token { proxy.loop.deregister(token) }
            transport.close()
        }
    }

    func ended(_ s: HTTPSession) {
        if sessions.removeValue(forKey: ObjectIdentifier(s)) != nil { counters.open -= 1 }
    }

    func isTrusted(_ ip: ClientIP?) -> Bool {
        if insecureForwarded { return true }
        guard let ip else { return false }
        return trustedForwarders.contains { $0.contains(ip) }
    }
}
