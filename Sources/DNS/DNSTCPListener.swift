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
    /// The query, its name and its answer, one message at a time for all the connections (one thread,
    /// each message answered before the next is read): a local or cached answer allocates only its framing.
    var buffers = DNSAnswerBuffers()
    /// What a session reads into before appending to its input; shared for the same reason.
    var readChunk = [UInt8](repeating: 0, count: 4096)

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
            service.counters.tcpRefused &+= 1
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
    private let connection: StreamConnection<PlainTransport>
    private unowned let listener: DNSTCPListener
    private var input: [UInt8] = []
    private var peerDone = false
    /// Forwarded queries whose answer has not come yet: the connection stays open for them.
    private var waiting = 0
    private let client: IPAddress?

    init(fd: FileDescriptor, listener: DNSTCPListener) {
        connection = StreamConnection(transport: PlainTransport(fd: fd), loop: listener.service.loop)
        self.listener = listener
        client = fd.peerAddress.flatMap { IPAddress($0) }
    }

    func start() throws {
        try connection.register(self)
        connection.idleTimeout(listener.idleTimeout) { [unowned self] in self.close() }
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        connection.note(events)
        while connection.readable && connection.pendingOutput < 256 * 1024 && !peerDone {
            switch listener.readChunk.withUnsafeMutableBytes({ connection.transport.read(into: $0) }) {
            case .bytes(let n):
                input.append(contentsOf: listener.readChunk[0..<n])
                answerComplete()
            case .wouldBlock: connection.readable = false
            case .eof: peerDone = true
            case .error:
                close()
                return
            }
        }
        flush()
        if peerDone && connection.pendingOutput == 0 && waiting == 0 { close() }
    }

    /// Answers every complete length-prefixed message in `input`.
    private func answerComplete() {
        var consumed = 0
        messages: while let range = DNSTCPFraming.message(in: input, at: consumed) {
            listener.buffers.setQuery(input[range])
            consumed = range.upperBound
            listener.service.counters.queriesTCP &+= 1
            switch listener.service.handle(listener.buffers.query, transport: .tcp, client: client, buffers: &listener.buffers) {
            case .answer(let reply):
                enqueue(reply)
                listener.buffers.recycle(reply)
            case .forward(let query, let limit):
                // Answers may go out of order on TCP (RFC 7766 §6.2.1.1): each when it is ready.
                waiting += 1
                listener.service.forward(query, limit: limit) { [weak self] reply in
                    guard let self, !self.connection.isClosed else { return }
                    self.waiting -= 1
                    self.enqueue(reply)
                    self.flush()
                    if self.peerDone && self.connection.pendingOutput == 0 && self.waiting == 0 { self.close() }
                }
            case .drop:
                // A message we drop over TCP (a response, garbage): the stream cannot be trusted any more.
                peerDone = true
                break messages
            }
        }
        if consumed > 0 { input.removeFirst(consumed) }
    }

    /// Appends the framed reply to the connection's output queue, whose capacity stays (no array per reply;
    /// the slice keeps `reply` from becoming the queue's storage, so the listener can reuse it).
    private func enqueue(_ reply: [UInt8]) {
        // Answers are at most 65,535 bytes (the TCP size limit, DNSResponder.responseSizeLimit).
        withUnsafeBytes(of: UInt16(reply.count).bigEndian) { connection.enqueue($0) }
        connection.enqueue(reply[...])
    }

    private func flush() {
        if case .failed = connection.flush() { close() }
    }

    func close() {
        guard connection.close() else { return }
        listener.sessions[ObjectIdentifier(self)] = nil
    }
}
