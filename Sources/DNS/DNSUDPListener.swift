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

    deinit {
        for i in 0..<slots.count { slots[i].buf.deallocate() }
        slots.deallocate()
        outgoing.deallocate()
    }

    /// Datagrams per recvmmsg/sendmmsg: one syscall each way for up to this many queries.
    private static let batch = 32
    /// Receive slots, each with its own buffer; `outgoing` points at the same buffers for the answers.
    private let slots = DNSUDPListener.makeSlots()
    private let outgoing = UnsafeMutableBufferPointer<stoep_dgram>.allocate(capacity: DNSUDPListener.batch)

    private static func makeSlots() -> UnsafeMutableBufferPointer<stoep_dgram> {
        let p = UnsafeMutableBufferPointer<stoep_dgram>.allocate(capacity: batch)
        for i in 0..<p.count {
            p[i] = stoep_dgram()
            p[i].buf = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
            p[i].cap = bufferSize
        }
        return p
    }

    func ready(fd: Int32, _ events: Readiness) {
        guard events.contains(.readable) else { return }
        // Edge-triggered: read until EAGAIN, a batch at a time.
        while token != nil {
            let got = stoep_recv_batch(fd, slots.baseAddress, UInt32(DNSUDPListener.batch))
            if got < 0 {
                if -got == EINTR { continue }
                return  // EAGAIN, or an ICMP error queued on the socket: nothing to answer
            }
            if got == 0 { return }
            var replies = 0
            for i in 0..<Int(got) {
                service.counters.queriesUDP &+= 1
                let d = slots[i]
                guard d.len <= d.cap else { continue }  // truncated datagram: not a query we can answer
                let packet = Array(UnsafeRawBufferPointer(start: d.buf, count: d.len))
                var peer = d.peer
                let client: IPAddress? = service.logsQueries ? self.peer(&peer) : nil
                switch service.handle(packet, transport: .udp, client: client) {
                case .answer(let reply):
                    if reply.count <= DNSUDPListener.bufferSize {
                        // The query was copied out, so its buffer takes the answer; all go out in one call.
                        var out = d
                        reply.withUnsafeBytes { out.buf.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                        out.len = reply.count
                        outgoing[replies] = out
                        replies += 1
                    } else {
                        send(reply, to: d.peer, length: d.peerlen, from: d.dest)
                    }
                case .forward(let query, let limit):
                    let (to, length, origin) = (d.peer, d.peerlen, d.dest)
                    service.forward(query, limit: limit) { [weak self] reply in
                        self?.send(reply, to: to, length: length, from: origin)
                    }
                case .drop:
                    continue
                }
            }
            if replies > 0 {
                let sent = stoep_send_batch(fd, outgoing.baseAddress, UInt32(replies), packetInfo ? 1 : 0)
                if sent < replies { service.counters.sendErrors &+= UInt64(replies - max(0, Int(sent))) }
            }
            if Int(got) < DNSUDPListener.batch { return }  // drained (a later arrival is reported anew)
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
