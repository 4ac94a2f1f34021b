// One client connection speaking HTTP/2 (ALPN h2 over TLS, or h2c with prior knowledge): nghttp2 does the
// framing, HPACK, flow control and the protocol's checks; it does no I/O: this loop citizen moves the bytes
// (HTTP2Wire, shared with the backend side's HTTP2UpstreamConnection).
//
// Each stream is an ordinary request: an HTTP2Stream presents it to an HTTPSession as a Transport (the
// request as HTTP/1.1 bytes in, the response as HTTP/1.1 bytes out), so routing, middlewares, internal
// services, the upstream pool, the access log and the metrics are the ones HTTP/1.1 uses (docs/proxy.md).
//
// Re-entrancy: nghttp2's callbacks only record what happened (a stream's head is complete, DATA arrived,
// a stream closed, a DATA frame drained a stream's buffer) and queue the stream (`wake`); the sessions run
// after nghttp2 returned (HTTP2Wakes), so no session ever runs inside an nghttp2 call. A session that
// writes while the connection is not being serviced (its backend's bytes arrived) asks for one service
// on the next loop turn (`needsService`).
import CNGHTTP2
import JSON
import Reactor
import Rules
import Stats

final class HTTP2Connection: IOHandler {
    let transport: Transport
    let isTLS: Bool
    let peer: PeerAddress
    unowned let entryPoint: HTTPEntryPoint
    var proxy: HTTPProxy { entryPoint.proxy }
    /// The socket and nghttp2's server session (nil once closed).
    private var wire: HTTP2Wire
    /// nghttp2's session (nil once closed).
    private(set) var session: OpaquePointer?
    private var token: Token?
    /// Streams with something to deliver to their session, in arrival order.
    private var wakes: HTTP2Wakes<HTTP2Stream>!
    private(set) var streams: [Int32: HTTP2Stream] = [:]
    private var timer: Timer?
    private var inService = false
    private(set) var closed = false
    /// A GOAWAY was submitted (shutdown, idle timeout): the connection ends when its streams have.
    private(set) var goingAway = false
    var lastActivity: UInt64
    /// keepAliveMaxRequests/keepAliveMaxTime: streams opened, when the connection began, and whether the
    /// limit was reached (GOAWAY once the stream that reached it has ended, as Go's graceful shutdown
    /// after a handler's `Connection: close`).
    private var streamCount = 0
    private let startedAt: UInt64
    private var keepAliveSpent = false
    /// Rapid-reset bound (CVE-2023-44487): a token bucket of RST_STREAMs the client may send.
    private var resetTokens = HTTP2Connection.resetBurst
    private var resetRefilledAt: UInt64
    var counters: HTTPEntryPoint.Counters { entryPoint.counters }

    /// RST_STREAMs a client may send at once, and how many more per second; past them the connection ends
    /// with GOAWAY ENHANCE_YOUR_CALM. A browser cancels a few streams per navigation; an attack sends
    /// thousands (nghttp2's own limiter, 1000 + 33/s, stays behind this one as a backstop).
    static let resetBurst = 200.0
    static let resetRate = 20.0

    init(transport: Transport, isTLS: Bool, peer: PeerAddress, entryPoint: HTTPEntryPoint) {
        self.transport = transport
        self.isTLS = isTLS
        self.peer = peer
        self.entryPoint = entryPoint
        wire = HTTP2Wire(transport: transport)
        lastActivity = entryPoint.proxy.loop.now
        startedAt = lastActivity
        resetRefilledAt = lastActivity
        wakes = HTTP2Wakes(loop: entryPoint.proxy.loop) { [unowned self] in self.service() }
    }

    /// Creates the nghttp2 session, queues our SETTINGS, takes over (or makes) the socket's registration,
    /// and feeds `seed` (bytes an HTTP/1.1 session read before it saw the preface).
    func start(adopting existing: Token?, seed: [UInt8]) throws {
        session = HTTP2Callbacks.makeSession(for: self, settings: entryPoint.http2)
        guard session != nil else { throw SystemError("nghttp2_session_server_new2", errno: .noMemory) }
        if let existing, proxy.loop.handOver(existing, to: self) {
            token = existing
        } else {
            token = try proxy.loop.register(fd: transport.fd, handler: self)
        }
        counters.h2Connections &+= 1
        let t = Timer { [unowned self] now in self.timerFired(now) }
        timer = t
        proxy.loop.schedule(t, after: entryPoint.idleTimeout)
        inService = true
        if !seed.isEmpty, !seed.withUnsafeBytes({ wire.feed(session, $0) }) { counters.h2ProtocolErrors &+= 1 }
        inService = false
        service()
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        if events.contains(.readable) || !events.isDisjoint(with: [.readHangup, .error]) { wire.readable = true }
        if events.contains(.writable) { wire.writable = true }
        lastActivity = proxy.loop.now
        service()
    }

    /// Reads and feeds, runs the sessions that have news, writes; repeats while that makes progress.
    func service() {
        guard !closed, !inService else { return }
        inService = true
        var rounds = 0, busy = true
        while !closed && busy && rounds < 64 {
            rounds += 1
            let fed = wire.readAndFeed(session) { counters.h2ProtocolErrors &+= 1 }
            if wire.failed { close(); break }
            let woke = wakes.deliver { closed }
            if closed { break }
            let wrote = wire.flush(session)
            if wire.failed { close(); break }
            busy = fed || woke || wrote
            if busy { lastActivity = proxy.loop.now }
        }
        inService = false
        if closed { return }
        // 64 rounds of progress (a long download to a fast client): yield to the other connections and go on
        // next turn; no readiness report would come for bytes nghttp2 still has to send.
        if busy { return needsService() }
        finishIfDone()
    }

    /// Asks for a service on the next loop turn (a session wrote while the connection was not serviced).
    func needsService() {
        guard !closed, !inService else { return }
        wakes.requestService()
    }

    /// Queues `stream` for delivery to its session after nghttp2 returned.
    func wake(_ stream: HTTP2Stream) {
        if wakes.add(stream), !inService { needsService() }
    }

    /// Ends the connection when nghttp2 has nothing more to read or write (after a GOAWAY, or the client's
    /// close), or when a GOAWAY'd connection has no stream left.
    private func finishIfDone() {
        guard !closed, !wire.hasUnsent else { return }
        if wire.isSpent(session) { return close() }
        if goingAway && streams.isEmpty && !wire.wantsWrite(session) { return close() }
    }

    // MARK: lifecycle

    /// Graceful end (shutdown, idle timeout): GOAWAY NO_ERROR with the last stream id nghttp2 processed;
    /// streams in flight finish, new ones are refused; the connection closes when none is left.
    func goAway() {
        guard let s = session, !closed, !goingAway else { return }
        goingAway = true
        nghttp2_submit_goaway(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(s),
                              NGHTTP2_NO_ERROR.rawValue, nil, 0)
        if inService { return }
        service()
    }

    /// Whether no stream is in flight (graceful shutdown closes such connections at once).
    var isIdle: Bool { streams.isEmpty }

    private func timerFired(_ now: UInt64) {
        guard !closed, let t = timer else { return }
        // idleTimeout without a byte either way (as an HTTP/1.1 connection): GOAWAY when no stream is open, then
        // the close; with streams open (a client that stalled inside a HEADERS, a backend silent that long)
        // the connection closes at once, as an HTTP/1.1 connection in the middle of an exchange would.
        if now &- lastActivity >= entryPoint.idleTimeout {
            if goingAway || !streams.isEmpty { return close() }
            goAway()
            if !closed { proxy.loop.schedule(t, after: 1_000_000_000) }
            return
        }
        proxy.loop.schedule(t, at: max(now &+ 1_000_000, lastActivity &+ entryPoint.idleTimeout))
    }

    /// A stream's bytes were sent on or its response ended; counts as activity.
    func streamEnded(_ stream: HTTP2Stream) {
        if streams.removeValue(forKey: stream.id) != nil { counters.h2StreamsOpen -= 1 }
        lastActivity = proxy.loop.now
        if keepAliveSpent { goAway() }
    }

    func streamStarted(_ stream: HTTP2Stream) {
        streams[stream.id] = stream
        counters.h2Streams &+= 1
        counters.h2StreamsOpen += 1
        let limit = entryPoint.keepAlive
        if limit.isLimited {
            streamCount += 1
            if limit.ends(count: streamCount, start: startedAt, now: proxy.loop.now) { keepAliveSpent = true }
        }
    }

    /// Counts one RST_STREAM from the client; past the bound the connection ends (ENHANCE_YOUR_CALM).
    func resetReceived() {
        counters.h2ResetsReceived &+= 1
        let now = proxy.loop.now
        resetTokens = min(HTTP2Connection.resetBurst,
                          resetTokens + Double(now &- resetRefilledAt) / 1e9 * HTTP2Connection.resetRate)
        resetRefilledAt = now
        resetTokens -= 1
        if resetTokens < 0, let s = session, !goingAway {
            goingAway = true
            counters.h2RapidResets &+= 1
            nghttp2_session_terminate_session(s, NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let t = timer { proxy.loop.cancel(t) }
        timer = nil
        wakes.cancel()
        counters.h2StreamsOpen -= Int64(streams.count)
        let open = Array(streams.values)
        streams.removeAll()
        for s in open { s.connectionClosed() }
        if let s = session { nghttp2_session_del(s) }
        session = nil
        if let t = token { proxy.loop.deregister(t) }
        token = nil
        transport.close()
        entryPoint.ended(self)
    }
}
