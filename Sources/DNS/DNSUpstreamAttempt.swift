// One try of a forwarded query at one upstream server: over UDP from a fresh socket (a random source
// port chosen by the kernel, connected so only that server's datagrams arrive) with a random query ID,
// or over TCP when the UDP answer was truncated. The attempt reports to its DNSPendingQuery.
import Glibc
import Reactor

final class DNSUpstreamAttempt: IOHandler {
    enum Failure { case timeout, socket(Int32), closed }

    let upstream: DNSUpstream
    let overTCP: Bool
    let id: UInt16
    let startedAt: UInt64
    private unowned let pending: DNSPendingQuery
    private var fd: Int32 = -1
    private var token: Token?
    private var timer: Timer?
    private var connected = false
    private var output: [UInt8] = []
    private var input: [UInt8] = []
    private var closed = false
    private let loop: EventLoop

    init(upstream: DNSUpstream, overTCP: Bool, pending: DNSPendingQuery, loop: EventLoop) {
        self.upstream = upstream
        self.overTCP = overTCP
        self.pending = pending
        self.loop = loop
        id = UInt16.random(in: 0...UInt16.max)
        startedAt = loop.now
    }

    /// Sends `packet` (the client's query; its ID is replaced). Failure to even start is reported at once.
    func start(_ packet: [UInt8], timeout: UInt64) {
        var message = packet
        message[0] = UInt8(id >> 8)
        message[1] = UInt8(id & 0xFF)
        do {
            if overTCP {
                fd = try Socket.connectTCP(upstream.address)
                output = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
            } else {
                fd = try Socket.connectUDP(upstream.address)
                connected = true
                let sent = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent < 0 { throw SystemError("send to \(upstream.text)", errno: errno) }
            }
            token = try loop.register(fd: fd, handler: self)
        } catch {
            fail(.socket((error as? SystemError)?.errno ?? EIO))
            return
        }
        let t = Timer { [unowned self] _ in self.fail(.timeout) }
        timer = t
        loop.schedule(t, after: timeout)
    }

    func ready(fd: Int32, _ events: Readiness) {
        if overTCP { tcpReady(events) } else { udpReady() }
    }

    private func udpReady() {
        var buf = [UInt8](repeating: 0, count: 65536)
        while !closed {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { return }
                fail(.socket(errno))  // ICMP port unreachable arrives as ECONNREFUSED
                return
            }
            let response = Array(buf[0..<n])
            if pending.accept(response, from: self) { return }
        }
    }

    private func tcpReady(_ events: Readiness) {
        if !connected {
            guard events.contains(.writable) || events.contains(.error) else { return }
            let e = Socket.pendingError(fd)
            if e != 0 { fail(.socket(e)); return }
            connected = true
        }
        while !output.isEmpty {
            let n = output.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EAGAIN { break }
                fail(.socket(errno))
                return
            }
            output.removeFirst(n)
        }
        var buf = [UInt8](repeating: 0, count: 16384)
        while !closed {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { return }
                fail(.socket(errno))
                return
            }
            if n == 0 { fail(.closed); return }
            input += buf[0..<n]
            if input.count >= 2 {
                let length = Int(input[0]) << 8 | Int(input[1])
                if input.count >= 2 + length {
                    if !pending.accept(Array(input[2..<2 + length]), from: self) { fail(.closed) }
                    return
                }
            }
        }
    }

    private func fail(_ why: Failure) {
        guard !closed else { return }
        close()
        pending.attemptFailed(self, why)
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let t = timer { loop.cancel(t) }
        timer = nil
        if let t = token { loop.deregister(t) }
        token = nil
        closeDescriptor(fd)
        fd = -1
    }
}
