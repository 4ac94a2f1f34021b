// One try of a forwarded query at one upstream server: over UDP from a fresh socket (a random source
// port chosen by the kernel, connected so only that server's datagrams arrive) with a random query ID,
// or over TCP when the UDP answer was truncated. The attempt reports to its owner: a client's forwarded
// query (DNSPendingQuery), or one of stoep's own lookups (DNSLookup: the ACME server's address, the
// DNS-01 propagation check). Generic over the owner, so the forwarder's path has no dynamic call.
import Reactor

/// Who an attempt reports to; every call happens on the loop.
protocol DNSAttemptOwner: AnyObject {
    /// A message arrived on the attempt's socket. True when the attempt is done with (answered or
    /// failed over); false when the message was not an answer to the question (ignored, keep waiting).
    func accept(_ response: [UInt8], from a: DNSUpstreamAttempt<Self>) -> Bool
    /// The attempt ended without an answer (its socket is closed already).
    func attemptFailed(_ a: DNSUpstreamAttempt<Self>, _ why: DNSAttemptFailure)
}

enum DNSAttemptFailure: Error, CustomStringConvertible {
    case timeout, socket(Errno), closed
    /// DNS over TLS: the connection could not be set up (handshake, certificate) or broke; the reason.
    case tls(String)

    var description: String {
        switch self {
        case .timeout: return "no answer in time"
        case .socket(let e): return "\(e)"
        case .closed: return "connection closed without an answer"
        case .tls(let why): return why
        }
    }
}

final class DNSUpstreamAttempt<Owner: DNSAttemptOwner>: IOHandler, DNSTLSExchange {
    typealias Failure = DNSAttemptFailure

    /// The socket of the attempt: a connected UDP socket, or a TCP connection.
    private enum Channel {
        case none
        case udp(DatagramSocket)
        case tcp(PlainTransport)
        /// DNS over TLS: a query on the upstream's shared connection (no socket of its own).
        case tls(DNSTLSChannel)
    }

    let upstream: DNSUpstream
    let overTCP: Bool
    /// The query ID; over TLS the channel may change it (another query in flight has it).
    var id: UInt16
    let startedAt: UInt64
    /// Over TLS: the query as sent, kept to send it again on a new connection once (DNSTLSChannel).
    private(set) var message: [UInt8] = []
    var resent = false
    private var timedOut = false
    private unowned let pending: Owner
    private var channel = Channel.none
    private var token: Token?
    private var timer: Timer?
    private var connected = false
    private var output: [UInt8] = []
    private var input: [UInt8] = []
    private var closed = false
    private let loop: EventLoop
    /// The forwarder's receive buffer, shared by every attempt (one thread; each answer is copied out
    /// before the next read), so an answer costs no 64 KiB buffer of its own.
    private let scratch: UnsafeMutableRawBufferPointer

    init(upstream: DNSUpstream, overTCP: Bool, pending: Owner, loop: EventLoop,
         scratch: UnsafeMutableRawBufferPointer) {
        self.upstream = upstream
        self.overTCP = overTCP
        self.pending = pending
        self.loop = loop
        self.scratch = scratch
        id = UInt16.random(in: 0...UInt16.max)
        startedAt = loop.now
    }

    /// Sends `packet` (the client's query; its ID is replaced). Failure to even start is reported at once.
    func start(_ packet: [UInt8], timeout: UInt64) {
        var message = packet
        message[0] = UInt8(id >> 8)
        message[1] = UInt8(id & 0xFF)
        if overTCP, let tlsChannel = upstream.channel {
            self.message = message
            channel = .tls(tlsChannel)
            scheduleTimeout(timeout)
            tlsChannel.submit(self)
            return
        }
        do throws(SystemError) {
            let fd: FileDescriptor
            if overTCP {
                let t = PlainTransport(fd: try Socket.connectTCP(upstream.address))
                channel = .tcp(t)
                fd = t.fd
                DNSTCPFraming.append(message, to: &output)
            } else {
                let s = try DatagramSocket.connect(to: upstream.address)
                channel = .udp(s)
                fd = s.fd
                connected = true
                switch message.withUnsafeBytes({ s.send($0) }) {
                case .bytes: break
                case .error(let e): throw SystemError("send to \(upstream.text)", errno: e)
                case .wouldBlock, .eof: throw SystemError("send to \(upstream.text)", errno: .wouldBlock)
                }
            }
            token = try loop.register(fd: fd, handler: self)
        } catch {
            fail(.socket(error.errno))
            return
        }
        scheduleTimeout(timeout)
    }

    private func scheduleTimeout(_ timeout: UInt64) {
        let t = Timer { [unowned self] _ in
            self.timedOut = true
            self.fail(.timeout)
        }
        timer = t
        loop.schedule(t, after: timeout)
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        switch channel {
        case .udp(let s): udpReady(s)
        case .tcp(let t): tcpReady(t, events)
        case .tls, .none: break
        }
    }

    // DNSTLSExchange: the channel is done with this attempt when it calls either.
    func tlsAnswered(_ response: [UInt8]) {
        guard !closed else { return }
        if !pending.accept(response, from: self) { fail(.tls("an answer to another question")) }
    }

    func tlsFailed(_ why: DNSAttemptFailure) { fail(why) }

    private func udpReady(_ socket: DatagramSocket) {
        while !closed {
            switch socket.receive(into: scratch) {
            case .bytes(let n):
                let response = Array(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                if pending.accept(response, from: self) { return }
            case .wouldBlock, .eof:
                return
            case .error(let e):
                fail(.socket(e))  // ICMP port unreachable arrives as ECONNREFUSED
                return
            }
        }
    }

    private func tcpReady(_ t: PlainTransport, _ events: Readiness) {
        if !connected {
            guard events.contains(.writable) || events.contains(.error) else { return }
            if let e = Socket.pendingError(t.fd) { fail(.socket(e)); return }
            connected = true
        }
        sending: while !output.isEmpty {
            switch output.withUnsafeBytes({ t.write($0) }) {
            case .bytes(let n): output.removeFirst(n)
            case .wouldBlock, .eof: break sending
            case .error(let e):
                fail(.socket(e))
                return
            }
        }
        while !closed {
            switch t.read(into: scratch) {
            case .bytes(let n):
                input += UnsafeRawBufferPointer(rebasing: scratch[0..<n])
                if let message = DNSTCPFraming.message(in: input, at: 0) {
                    if !pending.accept(Array(input[message]), from: self) { fail(.closed) }
                    return
                }
            case .wouldBlock:
                return
            case .eof:
                fail(.closed)
                return
            case .error(let e):
                fail(.socket(e))
                return
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
        switch channel {
        case .udp(let s): s.close()
        case .tcp(let t): t.close()
        case .tls(let c): c.withdraw(self, timedOut: timedOut)
        case .none: break
        }
        channel = .none
    }
}
