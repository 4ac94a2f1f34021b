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
    private let bindAddress: SocketAddress
    private var fd: Int32 = -1
    private var token: Token?
    var sessions: [ObjectIdentifier: HTTPSession] = [:]
    /// Upgraded connections (WebSocket…) relayed raw until they end.
    var tunnels: [ObjectIdentifier: Relay] = [:]
    /// Connections whose first bytes are being read to route them (TCP routers with SNI).
    var peeking: [ObjectIdentifier: ClientHelloPeekSession] = [:]

    /// respondingTimeouts: idleTimeout (180 s) between requests, readTimeout (60 s) for a request head.
    let idleTimeout: UInt64
    let readTimeout: UInt64

    public init(name: String, address: SocketAddress, proxy: HTTPProxy, trustedIPs: [String] = [], insecure: Bool = false,
                idleTimeout: UInt64 = 180_000_000_000, readTimeout: UInt64 = 60_000_000_000) {
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

    public var openSessions: Int { sessions.count + tunnels.count }

    /// Closes sessions that are between requests (graceful shutdown).
    public func closeIdle() {
        for s in Array(sessions.values) where s.isIdle { s.close() }
    }

    public func closeAll() {
        for s in Array(sessions.values) { s.close() }
        for t in Array(tunnels.values) { t.abort() }
    }

    public func accepted(fd: Int32) {
        counters.connections &+= 1
        Socket.setNoDelay(fd)
        if acceptTCP(fd: fd) { return }
        startHTTP(fd: fd, initial: [])
    }

    /// Serves `fd` as HTTP; `initial` holds bytes already read from it (after a peek).
    func startHTTP(fd: Int32, initial: [UInt8]) {
        let s = HTTPSession(fd: fd, entryPoint: self)
        if !initial.isEmpty {
            s.inbuf.append(initial)
            s.clientReadable = true
        }
        do {
            try s.start()
            sessions[ObjectIdentifier(s)] = s
            counters.open += 1
            if !initial.isEmpty { s.drive() }
        } catch {
            closeDescriptor(fd)
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
