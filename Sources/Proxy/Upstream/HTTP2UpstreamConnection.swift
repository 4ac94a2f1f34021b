// One HTTP/2 connection to a backend server — an `h2c://` server (prior knowledge, as Go's h2c transport
// speaks it) or an `https://` server that chose `h2` in ALPN — carrying the requests of many sessions at
// once, each on its own stream (HTTP2UpstreamStream). nghttp2's client session does the framing; this loop
// citizen moves the bytes (HTTP2Wire) and delivers news to the streams' sessions after nghttp2 returned
// (the same record-then-deliver discipline as HTTP2Connection on the client side).
//
// A server keeps a list of these; a request takes the first with a free stream slot (the server's
// SETTINGS_MAX_CONCURRENT_STREAMS, 100 assumed until its SETTINGS came, as Go assumes; see `hasRoom`) and a
// new one is opened past them. A GOAWAY from the server lets the streams it accepted finish and takes no new ones;
// the connection's loss ends every stream (502 before a response head, a reset once it started).
import CNGHTTP2
import Reactor

final class HTTP2UpstreamConnection: IOHandler {
    unowned let server: UpstreamServer
    let loop: EventLoop
    private var wire: HTTP2Wire
    /// nghttp2's session (nil once closed).
    private(set) var session: OpaquePointer?
    private var token: Token?
    /// The TCP connect (h2c) is still in progress; requests wait in nghttp2's queue meanwhile.
    private var connecting: Bool
    private(set) var streams: [Int32: HTTP2UpstreamStream] = [:]
    /// Streams whose session has not written the request head yet (no id): they fail with the connection.
    private var pending: [ObjectIdentifier: HTTP2UpstreamStream] = [:]
    /// Streams submitted before nghttp2 gave them an id on the wire are counted here too.
    private(set) var openStreams = 0
    private var wakes: HTTP2Wakes<HTTP2UpstreamStream>!
    private var inService = false
    private var timer: Timer?
    private let connectDeadline: UInt64
    var lastActivity: UInt64
    private(set) var closed = false
    /// The server sent GOAWAY (or we are closing): no new streams.
    private(set) var goingAway = false

    /// How long a connection without streams stays open: the transport's idleConnTimeout (0 = no limit).
    private var idleTimeout: UInt64 { UpstreamTransport.limit(server.transport.idleConnTimeout) }
    /// When the last bytes came from the server (readIdleTimeout counts from here), and when the health
    /// check's PING went out (0 = none outstanding), as Go's HTTP/2 transport (SendPingTimeout/PingTimeout).
    private var lastReceived: UInt64
    private var pingSentAt: UInt64 = 0
    /// Each stream's receive window: at most this much of a response waits in stoep for a session that
    /// does not read (a slow client); the connection's window bounds all of them together, big enough that
    /// a few stalled streams do not stop the others (Go's transport: 4 MiB and 1 GiB).
    static let streamWindow: Int32 = 256 * 1024
    static let connectionWindow: Int32 = 16 * 1024 * 1024
    /// Requests routed to a connection until the server's SETTINGS say how many streams it allows (Go
    /// assumes 100).
    static let initialStreams: UInt32 = 100

    /// A connection over `transport`: `connecting` for a TCP connect in progress (h2c), false for a
    /// socket already connected (a TLS connection whose handshake chose h2). `adopting`: the socket's
    /// registration, handed over from the UpstreamConnection that made the handshake.
    init(transport: Transport, server: UpstreamServer, loop: EventLoop, connecting: Bool, connectTimeout: UInt64,
         adopting existing: Token?) throws {
        self.server = server
        self.loop = loop
        self.connecting = connecting
        wire = HTTP2Wire(transport: transport)
        wire.writable = !connecting
        wire.readable = !connecting
        lastActivity = loop.now
        lastReceived = lastActivity
        connectDeadline = connecting ? loop.now &+ connectTimeout : 0
        wakes = HTTP2Wakes(loop: loop) { [unowned self] in self.service() }
        session = HTTP2UpstreamCallbacks.makeSession(for: self)
        guard session != nil else { throw SystemError("nghttp2_session_client_new2", errno: .noMemory) }
        if let existing, loop.handOver(existing, to: self) {
            token = existing
        } else {
            do {
                token = try loop.register(fd: transport.fd, handler: self)
            } catch {
                nghttp2_session_del(session)
                session = nil
                throw error
            }
        }
        let t = Timer { [unowned self] now in self.timerFired(now) }
        timer = t
        loop.schedule(t, at: connecting ? connectDeadline : nextWake(loop.now))
    }

    /// The server's first SETTINGS arrived (its SETTINGS_MAX_CONCURRENT_STREAMS is known).
    private(set) var settingsReceived = false

    /// Whether another request may go here now: below the server's SETTINGS_MAX_CONCURRENT_STREAMS, or
    /// below 100 until its SETTINGS came (as Go assumes), so a burst of requests to a new server shares one
    /// connection. nghttp2 itself sends only one stream's HEADERS until then (its peer limit is set to 1):
    /// a server that allows fewer streams than the burst never sees more than it allows; the streams past
    /// its limit wait in nghttp2's queue for a slot (one round trip later at most for the first burst).
    var hasRoom: Bool {
        guard !closed, !goingAway, let s = session else { return false }
        let limit = settingsReceived
            ? nghttp2_session_get_remote_settings(s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
            : HTTP2UpstreamConnection.initialStreams
        return UInt32(openStreams) < limit
    }

    func settingsArrived() { settingsReceived = true }

    /// The server acknowledged a PING: the health check passed.
    func pingAcknowledged() { pingSentAt = 0 }

    /// A new stream for one request; its HEADERS go out once the session wrote the request head.
    func openStream() -> HTTP2UpstreamStream {
        openStreams += 1
        lastActivity = loop.now
        let s = HTTP2UpstreamStream(connection: self)
        pending[ObjectIdentifier(s)] = s
        return s
    }

    /// The stream's HEADERS were submitted: nghttp2 knows it by `stream.id` from here.
    func streamSubmitted(_ stream: HTTP2UpstreamStream) {
        pending.removeValue(forKey: ObjectIdentifier(stream))
        streams[stream.id] = stream
        needsService()
    }

    /// The stream is done with (its session closed it).
    func streamReleased(_ stream: HTTP2UpstreamStream) {
        pending.removeValue(forKey: ObjectIdentifier(stream))
        if stream.id > 0 { streams.removeValue(forKey: stream.id) }
        openStreams -= 1
        lastActivity = loop.now
        if goingAway && openStreams == 0 { needsService() }
        if openStreams == 0, !closed, !connecting, let t = timer { loop.schedule(t, at: nextWake(lastActivity)) }
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        if connecting {
            guard !events.isDisjoint(with: [.writable, .error, .readHangup]) else { return }
            if events.contains(.error) || Socket.pendingError(fd) != nil {
                server.downUntil = loop.now &+ UpstreamServer.downFor  // refused: skipped a while, as HTTP/1.1
                return close()
            }
            connecting = false
            wire.writable = true
            wire.readable = true
            lastReceived = loop.now
            loop.schedule(timer!, at: nextWake(loop.now))
        }
        if events.contains(.readable) || !events.isDisjoint(with: [.readHangup, .error]) { wire.readable = true }
        if events.contains(.writable) { wire.writable = true }
        service()
    }

    /// Reads and feeds, delivers news to the streams' sessions, writes; repeats while that makes progress.
    func service() {
        guard !closed, !inService, !connecting else { return }
        inService = true
        var rounds = 0, busy = true
        while !closed && busy && rounds < 64 {
            rounds += 1
            let fed = wire.readAndFeed(session) {}
            if wire.failed { close(); break }
            let woke = wakes.deliver { closed }
            if closed { break }
            let wrote = wire.flush(session)
            if wire.failed { close(); break }
            busy = fed || woke || wrote
            if fed { lastReceived = loop.now }
        }
        inService = false
        if closed { return }
        if busy { return needsService() }
        if wire.hasUnsent { return }
        if wire.isSpent(session) || (goingAway && openStreams == 0 && !wire.wantsWrite(session)) { close() }
    }

    /// Asks for a service on the next loop turn (a session wrote while the connection was not serviced).
    func needsService() {
        guard !closed, !inService else { return }
        wakes.requestService()
    }

    /// Queues `stream` for delivery to its session after nghttp2 returned.
    func wake(_ stream: HTTP2UpstreamStream) {
        if wakes.add(stream), !inService { needsService() }
    }

    /// The server's GOAWAY: streams above its last stream id are closed by nghttp2 (REFUSED_STREAM); the
    /// rest finish; no new stream starts here.
    func goAwayReceived() {
        goingAway = true
        server.http2Ended(self)
    }

    /// No new streams; the connection closes when its last stream ended (at once when it has none).
    func retire() {
        goingAway = true
        if openStreams == 0 { close() }
    }

    private func timerFired(_ now: UInt64) {
        guard !closed, let t = timer else { return }
        if connecting {
            // The connect took longer than forwardingTimeouts.dialTimeout: every waiting request fails (504).
            return close(timedOut: true)
        }
        let settings = server.transport
        if pingSentAt != 0 {
            // pingTimeout without the PING's ACK: the connection is lost; its streams fail (Go closeForLostPing).
            if now &- pingSentAt >= settings.h2PingTimeout { return close() }
        } else if settings.h2ReadIdleTimeout > 0, now &- lastReceived >= settings.h2ReadIdleTimeout, let s = session, !goingAway {
            pingSentAt = now
            nghttp2_submit_ping(s, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
            service()
            if closed { return }
        }
        if openStreams == 0 && now &- lastActivity >= idleTimeout {
            if let s = session, !goingAway {
                goingAway = true
                server.http2Ended(self)
                nghttp2_session_terminate_session(s, NGHTTP2_NO_ERROR.rawValue)
                service()
                if !closed { loop.schedule(t, after: 1_000_000_000) }
                return
            }
            return close()
        }
        loop.schedule(t, at: nextWake(now))
    }

    /// The next moment the timer has something to decide: the idle end, the health check's PING, or its
    /// timeout (at least 1 ms ahead).
    private func nextWake(_ now: UInt64) -> UInt64 {
        let settings = server.transport
        // With streams open the idle end is not near: looked at again one idleTimeout on (streamReleased
        // reschedules when the last one ends).
        var next = openStreams == 0 ? lastActivity &+ idleTimeout : now &+ idleTimeout
        if pingSentAt != 0 {
            next = min(next, pingSentAt &+ settings.h2PingTimeout)
        } else if settings.h2ReadIdleTimeout > 0 {
            next = min(next, lastReceived &+ settings.h2ReadIdleTimeout)
        }
        return max(next, now &+ 1_000_000)
    }

    /// Ends the connection: every stream still open fails (`timedOut`: its session answers 504).
    func close(timedOut: Bool = false) {
        guard !closed else { return }
        let established = !connecting
        closed = true
        goingAway = true
        server.http2Ended(self)
        if let t = timer { loop.cancel(t) }
        timer = nil
        wakes.cancel()
        let open = Array(streams.values)
        streams.removeAll()
        if let s = session { nghttp2_session_del(s) }
        session = nil
        if let t = token { loop.deregister(t) }
        token = nil
        wire.transport.close()
        let waiting = Array(pending.values)
        pending.removeAll()
        for s in open + waiting { s.connectionLost(timedOut: timedOut, established: established) }
    }
}
