// The connection to one DNS-over-TLS upstream (`server-tls`, docs/dns.md "DNS over TLS upstreams"): one
// TLS connection at a time, opened when a query needs it, reused by every query after it and closed after
// `idleClose` without queries. Queries are pipelined (RFC 7858 §3.3, RFC 7766 §6.2.1.1): written one after
// another in 2-byte-length frames without waiting, answers matched by ID in any order (DNSPipeline), at
// most `maxInFlight` at once, the rest waiting their turn. The TLS is the Reactor's client transport
// (TLSClientContext / TLSTransport), the one the proxy uses for HTTPS backends; the certificate is
// verified against the system store (OpenSSL's default paths, so SSL_CERT_FILE / SSL_CERT_DIR apply) and
// `server-tls-ca`, for the `#name` of the server or else its IP address.
//
// Failure: a connect or handshake that fails (a certificate that does not verify included) fails every
// query waiting for it — each one then moves on to the next upstream, or SERVFAIL — and the reason is
// counted per upstream (`dns_upstream_tls_failures{reason}`) and logged when it changes. A connection that
// breaks after it has answered (the server closed it while we wrote) gets its unanswered queries once more
// on a new connection, as RFC 7766 §6.2.1 asks of clients. A query that times out before the handshake
// is done, or while nothing at all came back since it was sent, makes the connection count as dead: it is
// closed, the next query reconnects.
import Reactor

/// A query waiting on a DNSTLSChannel (a DNSUpstreamAttempt); every call on the loop.
protocol DNSTLSExchange: AnyObject {
    /// The query; its first two bytes are replaced by the ID the channel sends it under.
    var message: [UInt8] { get }
    /// The ID it is sent under (set by the channel; the answer must carry it).
    var id: UInt16 { get set }
    /// When it was first submitted (monotonic ns): the dead-connection check.
    var startedAt: UInt64 { get }
    /// Whether it was already sent again on a new connection after one broke.
    var resent: Bool { get set }
    /// A message with its ID arrived; it is out of the channel already.
    func tlsAnswered(_ response: [UInt8])
    /// The connection failed before an answer; it is out of the channel already.
    func tlsFailed(_ why: DNSAttemptFailure)
}

final class DNSTLSChannel: IOHandler {
    /// Queries in flight on the connection at once. Unbound's default limit of pending TCP replies per
    /// connection is larger; 100 keeps one slow answer from holding back many.
    static let maxInFlight = 100
    /// An idle connection is closed after this: long enough for a burst after a pause to find it open,
    /// shorter than the usual servers' own idle close (unbound: 30 s) so we are the side that closes.
    static let idleClose: UInt64 = 10_000_000_000
    /// RFC 7858 / IANA ALPN "dot", in ALPN's wire form.
    static let alpn: [UInt8] = [3] + Array("dot".utf8)

    private enum State { case closed, connecting, handshaking, open }

    unowned let upstream: DNSUpstream
    let server: DNSTLSServer
    private let context: TLSClientContext?
    private let loop: EventLoop
    private let scratch: UnsafeMutableRawBufferPointer
    private var state = State.closed
    private var transport: TLSTransport?
    private var token: Token?
    /// Bumped whenever a connection ends: a callback that closed it is noticed by the loop that made it.
    private var generation = 0
    private var pipeline = DNSPipeline<any DNSTLSExchange>(limit: DNSTLSChannel.maxInFlight)
    private var output: [UInt8] = []
    private var input: [UInt8] = []
    private var lastReceived: UInt64 = 0
    /// Answers on the current connection: > 0 means it was reused when it breaks.
    private var answersOnConnection = 0
    private var idleTimer: Timer?
    private var lastLoggedFailure: String?

    /// The trust for every `server-tls` upstream: the system store plus `caFiles`.
    static func trust(caFiles: [String]) throws(TLSError) -> TLSClientContext {
        try TLSClientContext(rootCAFiles: caFiles, systemRoots: true)
    }

    init(upstream: DNSUpstream, server: DNSTLSServer, context: TLSClientContext?, loop: EventLoop,
         scratch: UnsafeMutableRawBufferPointer) {
        self.upstream = upstream
        self.server = server
        self.context = context
        self.loop = loop
        self.scratch = scratch
    }

    var isOpen: Bool { state == .open }

    /// Sends `e` (opening the connection first if there is none), or queues it behind `maxInFlight`.
    /// A connection that cannot even be started fails `e` at once.
    func submit(_ e: DNSTLSExchange) {
        if let t = idleTimer { loop.cancel(t) }
        if state == .closed {
            do throws(DNSAttemptFailure) { try connect() } catch {
                noteFailure(error)
                e.tlsFailed(error)
                return
            }
        }
        guard let id = pipeline.admit(e, preferredID: e.id) else { return }
        e.id = id
        guard state == .open else { return }  // framed when the handshake is done
        frame(e)
        flush()
    }

    /// Takes `e` out (answered elsewhere, timed out, abandoned). `timedOut`: when the connection is still
    /// not set up (a server that accepts TCP but never finishes the handshake), or nothing came back on it
    /// since `e` was sent, it is taken for dead and closed.
    func withdraw(_ e: DNSTLSExchange, timedOut: Bool) {
        pipeline.remove { $0 === e }
        if timedOut && state != .closed && (state != .open || lastReceived < e.startedAt) {
            let why = state == .open ? "no answer on the connection in time"
                : state == .handshaking ? "no TLS handshake in time" : "no TCP connection in time"
            fail(.tls(why), resend: false)
            return
        }
        if pipeline.abandonedCount > 4 * DNSTLSChannel.maxInFlight {
            fail(.tls("too many unanswered queries on the connection"), resend: false)
            return
        }
        armIdleTimerIfIdle()
    }

    /// Closes the connection (stop, reload): every query still on it fails as closed.
    func close() {
        fail(.closed, resend: false, count: false)
        if let t = idleTimer { loop.cancel(t) }
    }

    // MARK: the connection

    private func connect() throws(DNSAttemptFailure) {
        guard let context else { throw .tls("no TLS trust could be loaded") }
        let fd: FileDescriptor
        do throws(SystemError) { fd = try Socket.connectTCP(upstream.address) } catch { throw .socket(error.errno) }
        guard let t = context.transport(fd: fd, serverName: server.name ?? server.address.description, alpn: DNSTLSChannel.alpn) else {
            fd.close()
            throw .tls("cannot start TLS")
        }
        do throws(SystemError) { token = try loop.register(fd: fd, handler: self) } catch {
            t.close()
            throw .socket(error.errno)
        }
        transport = t
        state = .connecting
        input = []
        output = []
        answersOnConnection = 0
        lastReceived = loop.now
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        guard let t = transport else { return }
        let gen = generation
        if state == .connecting {
            guard events.contains(.writable) || events.contains(.error) else { return }
            if let e = Socket.pendingError(t.fd) { fail(.socket(e), resend: false); return }
            state = .handshaking
        }
        if state == .handshaking {
            switch t.handshake() {
            case .done:
                state = .open
                upstream.tlsConnections &+= 1
                if lastLoggedFailure != nil {
                    loop.log.info("dns: server-tls \(upstream.text): connected again")
                    lastLoggedFailure = nil
                }
                for (e, id) in pipeline.promote(preferredID: { $0.id }) { e.id = id }
                for e in pipeline.inFlight.values { frame(e) }
            case .wantRead, .wantWrite:
                return
            case .failed(let reason):
                let why = t.verifyFailure.map { "certificate verify failed: \($0)" } ?? reason
                fail(.tls(why), resend: false)
                return
            }
        }
        flush()
        guard gen == generation else { return }
        readAnswers(t, gen)
    }

    private func readAnswers(_ t: TLSTransport, _ gen: Int) {
        while gen == generation {
            switch t.read(into: scratch) {
            case .bytes(let n):
                input += UnsafeRawBufferPointer(rebasing: scratch[0..<n])
                lastReceived = loop.now
                dispatch(gen)
            case .wouldBlock:
                return
            case .eof:
                // The server closed: normal when idle; with queries on it, they go once more on a new one.
                fail(.closed, resend: true, count: !pipeline.isEmpty)
                return
            case .error(let e):
                fail(.socket(e), resend: true)
                return
            }
        }
    }

    /// Hands every complete frame in `input` to its exchange, then sends what waited for a slot.
    private func dispatch(_ gen: Int) {
        var offset = 0
        while gen == generation, let range = DNSTCPFraming.message(in: input, at: offset) {
            offset = range.upperBound
            if let e = pipeline.answered(by: input[range]) {
                answersOnConnection += 1
                e.tlsAnswered(Array(input[range]))
            }
        }
        guard gen == generation else { return }
        input.removeFirst(offset)
        let sent = pipeline.promote(preferredID: { $0.id })
        for (e, id) in sent {
            e.id = id
            frame(e)
        }
        if !sent.isEmpty { flush() }
        armIdleTimerIfIdle()
    }

    private func frame(_ e: DNSTLSExchange) {
        var message = e.message
        guard message.count >= 2 else { return }
        message[0] = UInt8(e.id >> 8)
        message[1] = UInt8(e.id & 0xFF)
        DNSTCPFraming.append(message, to: &output)
    }

    /// Writes what fits; the rest on the next writable edge (TLS: retried with the same bytes in front).
    private func flush() {
        guard state == .open, let t = transport else { return }
        while !output.isEmpty {
            switch output.withUnsafeBytes({ t.write($0) }) {
            case .bytes(let n): output.removeFirst(n)
            case .wouldBlock, .eof: return
            case .error(let e):
                fail(.socket(e), resend: true)
                return
            }
        }
    }

    private func armIdleTimerIfIdle() {
        guard state != .closed, pipeline.isEmpty else { return }
        let timer = idleTimer ?? Timer { [unowned self] _ in
            guard self.pipeline.isEmpty else { return }
            self.fail(.closed, resend: false, count: false)
        }
        idleTimer = timer
        loop.schedule(timer, after: DNSTLSChannel.idleClose)
    }

    /// Ends the connection. Its queries fail with `why` — or, with `resend` on a connection that had
    /// answered before, are sent once more on a new one. `count`: a failure for the stats and the log.
    private func fail(_ why: DNSAttemptFailure, resend: Bool, count: Bool = true) {
        let reused = answersOnConnection > 0
        if let t = transport {
            if let token { loop.deregister(token) }
            if state == .open && !count { t.shutdownWrite() }  // close_notify when we close an idle one
            t.close()
        }
        transport = nil
        token = nil
        state = .closed
        generation &+= 1
        output = []
        input = []
        if let t = idleTimer { loop.cancel(t) }
        let exchanges = pipeline.drain()
        if count && !(resend && reused) { noteFailure(why) }
        for e in exchanges {
            if resend && reused && !e.resent {
                e.resent = true
                submit(e)
            } else {
                e.tlsFailed(why)
            }
        }
    }

    /// Counts `why` for the stats and logs it when it differs from the last reason logged.
    private func noteFailure(_ why: DNSAttemptFailure) {
        let reason = why.description
        upstream.tlsFailures[reason, default: 0] &+= 1
        if reason != lastLoggedFailure {
            loop.log.warning("dns: server-tls \(upstream.text): \(reason)")
            lastLoggedFailure = reason
        }
    }
}
