// A UDP entry point (`address: ":5353/udp"`): one bound socket on the loop, read in batches
// (recvmmsg). Each client address gets a session (UDPSession) the first time it sends, to the server its
// entry point's UDP router's service picks; later datagrams from it reuse the session until it idles out
// (Traefik's pkg/udp Listener: sessions keyed by the remote address, closed after `udp.timeout`, default
// 3 s). Sessions are capped (`maximumSessions`): past the cap a new client's datagrams are dropped and
// counted, so a flood of spoofed sources costs a counter, not a socket each.
import Reactor
import Stats

public final class UDPEntryPoint: IOHandler {
    public final class Counters {
        /// Datagrams received from clients, sent to servers, relayed back to clients.
        public var datagramsFromClients: UInt64 = 0
        public var datagramsToServers: UInt64 = 0
        public var datagramsToClients: UInt64 = 0
        /// Datagrams dropped: no router or server, the session cap, a send the kernel refused.
        public var dropped: UInt64 = 0
        /// Sessions opened in total, refused at the cap, ended by the idle timeout.
        public var sessions: UInt64 = 0
        public var sessionsRefused: UInt64 = 0
        public var timedOut: UInt64 = 0
    }

    /// Sessions one entry point keeps at once: each holds a socket (a descriptor) and ~200 bytes; 4096
    /// stays well inside the default descriptor limit stoep raises to, with room for TCP.
    public static let maximumSessions = 4096
    /// The largest UDP payload (65,535 minus the IPv4 and UDP headers fits; Traefik's maxDatagramSize).
    static let maximumDatagram = 65535
    /// Datagrams per recvmmsg; their buffers are allocated once, touched only as large datagrams arrive.
    static let batchSize = 8

    public let name: String
    public let address: String
    public let counters = Counters()
    /// Idle time after which a session ends, in nanoseconds.
    let timeout: UInt64
    let loop: EventLoop
    private let proxy: HTTPProxy
    private let bindAddress: SocketAddress
    private var socket: DatagramSocket?
    private var token: Token?
    private let batch = DatagramBatch(capacity: UDPEntryPoint.batchSize, bufferSize: UDPEntryPoint.maximumDatagram)
    /// A server's answer lands here before it is relayed (one datagram at a time, on the one thread).
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: UDPEntryPoint.maximumDatagram, alignment: 16)
    private var sessions: [SocketAddressKey: UDPSession] = [:]

    public init(name: String, address: SocketAddress, timeout: UInt64, proxy: HTTPProxy) {
        self.name = name
        self.address = address.description + "/udp"
        bindAddress = address
        self.timeout = timeout
        self.proxy = proxy
        loop = proxy.loop
    }

    deinit { scratch.deallocate() }

    public var openSessions: Int { sessions.count }

    /// Every open session, for `show conns`.
    public var connections: [ConnectionDescribing] { sessions.values.map { $0 as ConnectionDescribing } }

    /// Binds the socket (with packet info, so answers leave from the address the client wrote to).
    public func start() throws {
        let s = try DatagramSocket.bind(bindAddress, packetInfo: true)
        do {
            token = try loop.register(fd: s.fd, handler: self)
        } catch {
            s.close()
            throw error
        }
        socket = s
    }

    /// Closes the socket and every session (shutdown, or the entry point left the configuration).
    public func stop() {
        if let t = token { loop.deregister(t) }
        token = nil
        socket?.close()
        socket = nil
        for s in Array(sessions.values) { s.close() }
    }

    public func ready(fd: FileDescriptor, _ events: Readiness) {
        guard events.contains(.readable) else { return }
        // Edge-triggered: read until EAGAIN, a batch at a time.
        while let socket {
            guard case .bytes(let got) = socket.receive(batch), got > 0 else { return }
            for i in 0..<got {
                counters.datagramsFromClients &+= 1
                guard let payload = batch.payload(i) else {
                    counters.dropped &+= 1
                    continue
                }
                session(for: batch.peer(i), local: batch.destination(i))?.forward(payload)
            }
            if got < UDPEntryPoint.batchSize { return }
        }
    }

    /// The client's session, opened now if it has none; nil when no router serves this entry point, its
    /// service has no server, the cap is reached, or the socket cannot be made (the datagram is dropped).
    private func session(for client: SocketAddress, local: SocketAddress) -> UDPSession? {
        let key = SocketAddressKey(client)
        if let s = sessions[key] { return s }
        guard sessions.count < UDPEntryPoint.maximumSessions else {
            counters.sessionsRefused &+= 1
            counters.dropped &+= 1
            return nil
        }
        guard let route = proxy.udpTable.routes[name], let upstream = route.service.next(),
              let s = try? UDPSession(client: client, local: local, upstream: upstream, entryPoint: self) else {
            counters.dropped &+= 1
            return nil
        }
        sessions[key] = s
        counters.sessions &+= 1
        return s
    }

    /// Relays a server's answer to the session's client, from the address the client wrote to.
    func reply(_ datagram: UnsafeRawBufferPointer, to session: UDPSession) {
        guard let socket, socket.send(datagram, to: session.client, from: session.local) else {
            counters.dropped &+= 1
            return
        }
        counters.datagramsToClients &+= 1
    }

    func ended(_ session: UDPSession) {
        if sessions[session.key] === session { sessions[session.key] = nil }
    }
}
