// A UDP socket answering DNS queries. With a wildcard bind, every datagram carries the address it
// arrived at (IP_PKTINFO / IPV6_PKTINFO) and the reply leaves from that address, so a box with several
// interfaces and Docker bridges answers from the address the client asked.
import Reactor

final class DNSUDPListener: IOHandler {
    private let socket: DatagramSocket
    private var token: Token?
    private unowned let service: DNSService
    /// Queries larger than this are not DNS a resolver sends over UDP; they are dropped as malformed.
    private static let bufferSize = 4096
    /// Datagrams per recvmmsg/sendmmsg: one syscall each way for up to this many queries.
    private static let batchSize = 32
    /// Receive slots; answers are written over the queries they answer and go out together.
    private let batch = DatagramBatch(capacity: DNSUDPListener.batchSize, bufferSize: DNSUDPListener.bufferSize)
    /// The query, its name and its answer, one query at a time: a local or cached answer allocates nothing.
    private var buffers = DNSAnswerBuffers()

    init(address: SocketAddress, packetInfo: Bool, service: DNSService) throws {
        socket = try DatagramSocket.bind(address, packetInfo: packetInfo)
        self.service = service
        do {
            token = try service.loop.register(fd: socket.fd, handler: self)
        } catch {
            socket.close()
            throw error
        }
    }

    func close() {
        if let t = token { service.loop.deregister(t) }
        token = nil
        socket.close()
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard events.contains(.readable) else { return }
        // Edge-triggered: read until EAGAIN, a batch at a time.
        while token != nil {
            // EAGAIN, or an ICMP error queued on the socket: nothing to answer.
            guard case .bytes(let got) = socket.receive(batch), got > 0 else { return }
            for i in 0..<got {
                service.counters.queriesUDP &+= 1
                guard let bytes = batch.payload(i) else { continue }  // truncated datagram: not a query we can answer
                buffers.setQuery(bytes)
                let client = IPAddress(batch.peer(i))  // per-client statistics (and log-queries)
                switch service.handle(buffers.query, transport: .udp, client: client, buffers: &buffers) {
                case .answer(let reply):
                    // The query was copied out, so its buffer takes the answer; all go out in one call.
                    if !batch.queueReply(to: i, reply) { send(reply, to: batch.peer(i), from: batch.destination(i)) }
                    buffers.recycle(reply)
                case .forward(let query, let limit):
                    let (to, origin) = (batch.peer(i), batch.destination(i))
                    service.forward(query, limit: limit) { [weak self] reply in
                        self?.send(reply, to: to, from: origin)
                    }
                case .drop:
                    continue
                }
            }
            let failed = socket.sendReplies(batch)
            if failed > 0 { service.counters.sendErrors &+= UInt64(failed) }
            if got < DNSUDPListener.batchSize { return }  // drained (a later arrival is reported anew)
        }
    }

    /// Sends `reply` to the client, from the address its query arrived at.
    private func send(_ reply: [UInt8], to peer: SocketAddress, from origin: SocketAddress) {
        guard token != nil else { return }  // closed meanwhile
        if !socket.send(reply, to: peer, from: origin) { service.counters.sendErrors &+= 1 }
    }
}
