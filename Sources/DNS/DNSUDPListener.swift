// A UDP socket answering DNS queries. With a wildcard bind, every datagram carries the address it
// arrived at (IP_PKTINFO / IPV6_PKTINFO) and the reply leaves from that address, so a box with several
// interfaces and Docker bridges answers from the address the client asked.
import CStoep
import Glibc
import Reactor

final class DNSUDPListener: IOHandler {
    private let fd: Int32
    private var token: Token?
    private unowned let service: DNSService
    private let packetInfo: Bool
    /// Queries larger than this are not DNS a resolver sends over UDP; they are dropped as malformed.
    private static let bufferSize = 4096
    private var buffer = [UInt8](repeating: 0, count: DNSUDPListener.bufferSize)

    init(address: SocketAddress, packetInfo: Bool, service: DNSService) throws {
        fd = try Socket.bindUDP(address, packetInfo: packetInfo)
        self.packetInfo = packetInfo
        self.service = service
        do {
            token = try service.loop.register(fd: fd, handler: self)
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    func close() {
        if let t = token { service.loop.deregister(t) }
        token = nil
        closeDescriptor(fd)
    }

    func ready(fd: Int32, _ events: Readiness) {
        guard events.contains(.readable) else { return }
        var from = sockaddr_storage()
        var dest = sockaddr_storage()
        // Edge-triggered: read until EAGAIN.
        while true {
            var fromLen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let n = buffer.withUnsafeMutableBytes { b in
                stoep_recv_with_dest(fd, b.baseAddress, b.count, &from, &fromLen, &dest)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN, or an ICMP error queued on the socket: nothing to answer
            }
            service.counters.queriesUDP &+= 1
            let client: IPAddress? = service.logsQueries ? peer(&from) : nil
            switch service.handle(Array(buffer[0..<n]), transport: .udp, client: client) {
            case .answer(let reply):
                send(reply, to: from, length: fromLen, from: dest)
            case .forward(let query, let limit):
                let (to, length, origin) = (from, fromLen, dest)
                service.forward(query, limit: limit) { [weak self] reply in
                    self?.send(reply, to: to, length: length, from: origin)
                }
            case .drop:
                continue
            }
        }
    }

    /// Sends `reply` to the client, from the address its query arrived at.
    private func send(_ reply: [UInt8], to: sockaddr_storage, length: socklen_t, from: sockaddr_storage) {
        guard token != nil else { return }  // closed meanwhile
        var to = to, from = from
        let sent = reply.withUnsafeBytes { r in
            withUnsafePointer(to: &to) { t in
                withUnsafePointer(to: &from) { d in
                    t.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                        stoep_send_from(fd, r.baseAddress, r.count, sa, length, packetInfo ? d : nil)
                    }
                }
            }
        }
        if sent < 0 { service.counters.sendErrors &+= 1 }
    }

    private func peer(_ from: inout sockaddr_storage) -> IPAddress? {
        let text = withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Socket.describe($0) } }
        return IPAddress.fromPeer(text)
    }
}
