// One keep-alive connection to a backend server. Registered with the loop once for its whole life;
// readiness goes to the session that owns it, or, while idle in the server's pool, closes it when the
// server hangs up. For an HTTP/2 backend it is one request's stream instead (`transport` is the
// HTTP2UpstreamStream, no socket of its own; the stream's connection reports readiness), so the session
// drives both kinds alike.
import Reactor

/// Receives readiness for an upstream connection while a session owns it.
protocol UpstreamOwner: AnyObject {
    func upstreamReady(_ events: Readiness)
}

final class UpstreamConnection: IOHandler {
    let transport: Transport
    /// Set for HTTPS backends: the handshake runs after the TCP connect, before the request is sent.
    let tls: TLSTransport?
    unowned let server: UpstreamServer
    weak var owner: UpstreamOwner?
    private let loop: EventLoop
    private var token: Token?
    private(set) var closed = false
    var connected = false
    var readable = false, writable = false
    var buffer = ByteBuffer()
    var lastUsed: UInt64
    /// The stream of an HTTP/2 backend connection (then `transport` is it), or nil.
    let stream: HTTP2UpstreamStream?
    /// HTTPS: the handshake offered ALPN h2 (an answer of h2 turns the socket into an HTTP2UpstreamConnection).
    let offersHTTP2: Bool

    /// A new connection to `server` over `fd` (connecting). `offerHTTP2`: HTTPS offers h2 then http/1.1
    /// in ALPN (Go's transport does unless serversTransport.disableHTTP2; never for an Upgrade request).
    init(fd: FileDescriptor, server: UpstreamServer, loop: EventLoop, offerHTTP2: Bool = false) throws {
        stream = nil
        offersHTTP2 = offerHTTP2 && server.tls != nil
        if let (context, name) = server.tls {
            guard let t = context.transport(fd: fd, serverName: name, offerHTTP2: offersHTTP2) else {
                fd.close()
                throw TLSError("cannot start TLS to \(server.url)")
            }
            tls = t
            transport = t
        } else {
            tls = nil
            transport = PlainTransport(fd: fd)
        }
        self.server = server
        self.loop = loop
        lastUsed = loop.now
        token = try loop.register(fd: fd, handler: self)
    }

    /// One request's stream on an HTTP/2 connection: connected (the connection's connect and handshake
    /// are its own), never pooled.
    init(stream: HTTP2UpstreamStream, server: UpstreamServer, loop: EventLoop) {
        self.stream = stream
        offersHTTP2 = false
        tls = nil
        transport = stream
        self.server = server
        self.loop = loop
        lastUsed = loop.now
        connected = true
        writable = true
        stream.owner = self
    }

    /// Whether the connection can carry another request: not one whose server already sent its FIN (it
    /// answers nothing more, and its EOF, reported once, would not be reported again while pooled).
    var isUsable: Bool { stream == nil && !closed && connected && buffer.isEmpty && !buffer.peerHungUp }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        if !events.isDisjoint(with: [.readHangup, .error]) { buffer.noteHangup() }
        if events.contains(.readable) { readable = true }
        if events.contains(.writable) { writable = true }
        if let o = owner {
            o.upstreamReady(events)
        } else if stream == nil, events.contains(.error) || (events.contains(.readable) && !quietWhileIdle()) {
            close()  // idle: the server closed it (or sent something unasked): not reusable
        }
    }

    /// A readiness report for an idle connection can be stale: it was queued for bytes the last exchange
    /// already read (edge reports are delivered after the handler may have drained the socket). Only an
    /// EOF or unasked bytes really waiting make the connection unusable.
    private func quietWhileIdle() -> Bool {
        var byte: UInt8 = 0
        return withUnsafeMutableBytes(of: &byte) { transport.peek(into: $0) } == .wouldBlock
    }

    /// idleConnTimeout: armed when the connection goes back to the pool and left running while it is in
    /// use (one timer operation per idle period, not per request); when it fires the connection closes if
    /// it has been idle that long, else it looks again when it could have been.
    private var idleTimer: Timer?

    func armIdleClose(after limit: UInt64) {
        guard limit > 0, stream == nil, !closed else { return }
        let t = idleTimer ?? Timer { [unowned self] now in self.idleCheck(now) }
        idleTimer = t
        if !t.isScheduled { loop.schedule(t, at: lastUsed &+ limit) }
    }

    private func idleCheck(_ now: UInt64) {
        guard !closed, let t = idleTimer else { return }
        let limit = server.transport.idleConnTimeout
        if owner == nil && now &- lastUsed >= limit {
            close()
            server.pool.remove(self)
            return
        }
        loop.schedule(t, at: owner == nil ? lastUsed &+ limit : now &+ limit)
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let t = idleTimer { loop.cancel(t) }
        idleTimer = nil
        if let t = token { loop.deregister(t) }
        token = nil
        transport.close()
        owner = nil
    }

    /// Gives the socket and its registration to a relay (after an upgrade): returns the token for the
    /// relay to adopt; this connection is done with.
    func detachForRelay() -> Token? {
        precondition(stream == nil, "a stream has no socket to hand over")
        let t = token
        token = nil
        closed = true
        owner = nil
        if let i = idleTimer { loop.cancel(i) }
        idleTimer = nil
        return t
    }
}
