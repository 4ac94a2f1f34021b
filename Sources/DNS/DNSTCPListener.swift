// DNS over TCP (RFC 7766): each message is prefixed by its 16-bit length; a client may send several
// queries on one connection without waiting (pipelining), answered in order. Idle connections close.
import Reactor

final class DNSTCPListener: AcceptHandler {
    private var listener: Listener?
    unowned let service: DNSService
    var sessions: [ObjectIdentifier: DNSTCPSession] = [:]
    /// Idle limit per connection (RFC 7766 suggests seconds; dnsmasq keeps a child for up to 150 s).
    let idleTimeout: UInt64 = 10_000_000_000
    /// At most this many connections at once (dnsmasq's max-tcp-connections is 20; we are cheaper).
    let maxConnections = 256

    init(address: SocketAddress, service: DNSService) throws {
        self.service = service
        listener = try Listener.tcp(address, backlog: 128, loop: service.loop, handler: self)
    }

    func close() {
        listener?.close()
        listener = nil
        for s in Array(sessions.values) { s.close() }
    }

    func accepted(fd: FileDescriptor) {
        guard sessions.count < maxConnections else {
            fd.close()
            return
        }
        service.counters.tcpConnections &+= 1
        let s = DNSTCPSession(fd: fd, listener: self)
        do {
            try s.start()
            sessions[ObjectIdentifier(s)] = s
        } catch {
            fd.close()
        }
    }
}

final class DNSTCPSession: IOHandler {
    private let transport: PlainTransport
    private unowned let listener: DNSTCPListener
    private var token: Token?
    private var timer: Timer?
    private var input: [UInt8] = []
    private var output: [UInt8] = []
    private var readable = false, writable = true, closed = false, peerDone = false
    /// Forwarded queries whose answer has not come yet: the connection stays open for them.
    private var waiting = 0
    private var lastActivity: UInt64 = 0
    private let client: IPAddress?

    init(fd: FileDescriptor, listener: DNSTCPListener) {
        transport = PlainTransport(fd: fd)
        self.listener = listener
        client = listener.service.logsQueries ? fd.peerAddress.flatMap { IPAddress($0) } : nil
    }

    func start() throws {
        let loop = listener.service.loop
        token = try loop.register(fd: transport.fd, handler: self)
        lastActivity = loop.now
        let t = Timer { [unowned self] now in
            let idle = self.listener.idleTimeout
            if now &- self.lastActivity >= idle { self.close() } else if let t = self.timer {
                self.listener.service.loop.schedule(t, at: self.lastActivity &+ idle)
            }
        }
        timer = t
        loop.schedule(t, after: listener.idleTimeout)
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        if events.contains(.readable) { readable = true }
        if events.contains(.writable) { writable = true }
        lastActivity = listener.service.loop.now
        var chunk = [UInt8](repeating: 0, count: 4096)
        while readable && output.count < 256 * 1024 && !peerDone {
            switch chunk.withUnsafeMutableBytes({ transport.read(into: $0) }) {
            case .bytes(let n):
                input.append(contentsOf: chunk[0..<n])
                answerComplete()
            case .wouldBlock: readable = false
            case .eof: peerDone = true
            case .error:
                close()
                return
            }
        }
        flush()
        if peerDone && output.isEmpty && waiting == 0 { close() }
    }

    /// Answers every complete length-prefixed message in `input`.
    private func answerComplete() {
        var consumed = 0
        messages: while let range = DNSTCPFraming.message(in: input, at: consumed) {
            let message = Array(input[range])
            consumed = range.upperBound
            listener.service.counters.queriesTCP &+= 1
            switch listener.service.handle(message, transport: .tcp, client: client) {
            case .answer(let reply):
                enqueue(reply)
            case .forward(let query, let limit):
                // Answers may go out of order on TCP (RFC 7766 §6.2.1.1): each when it is ready.
                waiting += 1
                listener.service.forward(query, limit: limit) { [weak self] reply in
                    guard let self, !self.closed else { return }
                    self.waiting -= 1
                    self.enqueue(reply)
                    self.flush()
                    if self.peerDone && self.output.isEmpty && self.waiting == 0 { self.close() }
                }
            case .drop:
                // A message we drop over TCP (a response, garbage): the stream cannot be trusted any more.
                peerDone = true
                break messages
            }
        }
        if consumed > 0 { input.removeFirst(consumed) }
    }

    private func enqueue(_ reply: [UInt8]) {
        DNSTCPFraming.append(reply, to: &output)
    }

    private func flush() {
        while writable && !output.isEmpty {
            switch output.withUnsafeBytes({ transport.write($0) }) {
            case .bytes(let n): output.removeFirst(n)
            case .wouldBlock: writable = false
            case .eof, .error:
                close()
                return
            }
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        let loop = listener.service.loop
        if let t = timer { loop.cancel(t) }
        if let t = token { loop.deregister(t) }
        transport.close()
        listener.sessions[ObjectIdentifier(self)] = nil
    }
}
