// One client's UDP session (Traefik's pkg/udp Conn + Proxy): its own connected UDP socket to the server
// chosen when the client's first datagram came, on the loop. Datagrams from the client go out on it; every
// answer the server sends back is relayed to the client from the entry point's socket. The session ends
// after `timeout` without a datagram either way (Traefik's lastActivity, entryPoints.NAME.udp.timeout), or
// when the server's socket reports an error (an ICMP port unreachable: Traefik's copy loop ends too).
import Reactor

final class UDPSession: IOHandler {
    let client: SocketAddress
    let key: SocketAddressKey
    /// The entry point's local address the client wrote to (answers leave from it).
    let local: SocketAddress
    let upstream: UDPUpstream
    private let socket: DatagramSocket
    private var token: Token?
    private var timer: Timer?
    private(set) var lastActivity: UInt64
    let startedAt: UInt64
    /// Datagrams from the client sent to the server, and answers relayed back.
    private(set) var datagramsUp: UInt64 = 0
    private(set) var datagramsDown: UInt64 = 0
    unowned let entryPoint: UDPEntryPoint
    private(set) var closed = false

    /// Connects a socket to `upstream` and watches it; throws when the kernel refuses (no route, no fds).
    init(client: SocketAddress, local: SocketAddress, upstream: UDPUpstream, entryPoint: UDPEntryPoint) throws {
        self.client = client
        key = SocketAddressKey(client)
        self.local = local
        self.upstream = upstream
        self.entryPoint = entryPoint
        socket = try DatagramSocket.connect(to: upstream.address)
        lastActivity = entryPoint.loop.now
        startedAt = lastActivity
        do {
            token = try entryPoint.loop.register(fd: socket.fd, handler: self)
        } catch {
            socket.close()
            throw error
        }
        let t = Timer { [unowned self] now in self.timerFired(now) }
        timer = t
        entryPoint.loop.schedule(t, after: entryPoint.timeout)
    }

    /// Sends one of the client's datagrams to the server. A send the kernel refuses (the server's port
    /// is known unreachable) ends the session; the datagram is lost, as UDP allows.
    func forward(_ datagram: UnsafeRawBufferPointer) {
        guard !closed else { return }
        lastActivity = entryPoint.loop.now
        switch socket.send(datagram) {
        case .bytes:
            entryPoint.counters.datagramsToServers &+= 1
            datagramsUp &+= 1
        case .wouldBlock: entryPoint.counters.dropped &+= 1  // the socket's send buffer is full: dropped, as a router would
        default:
            entryPoint.counters.dropped &+= 1
            close()
        }
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard !closed else { return }
        // Edge-triggered: read every answer waiting now.
        while !closed {
            let scratch = entryPoint.scratch
            switch socket.receive(into: scratch) {
            case .bytes(let n):
                lastActivity = entryPoint.loop.now
                datagramsDown &+= 1
                entryPoint.reply(UnsafeRawBufferPointer(rebasing: scratch[0..<n]), to: self)
            case .wouldBlock:
                return
            default:
                // ECONNREFUSED from an ICMP port unreachable, or another socket error: the session is over.
                return close()
            }
        }
    }

    private func timerFired(_ now: UInt64) {
        guard !closed, let t = timer else { return }
        if now &- lastActivity >= entryPoint.timeout {
            entryPoint.counters.timedOut &+= 1
            close()
        } else {
            entryPoint.loop.schedule(t, at: lastActivity &+ entryPoint.timeout)
        }
    }

    /// Ends the session now: its socket is closed and it leaves the entry point's table.
    func close() {
        guard !closed else { return }
        closed = true
        if let t = timer { entryPoint.loop.cancel(t) }
        timer = nil
        if let t = token { entryPoint.loop.deregister(t) }
        token = nil
        socket.close()
        entryPoint.ended(self)
    }
}
