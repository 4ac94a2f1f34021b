// One client connection of an HTTP entry point: reads request heads, routes them, forwards each to a
// pooled upstream connection, and relays the response — keep-alive and pipelining on the client side,
// connection reuse on the upstream side, bodies spliced. An `Upgrade` (WebSocket) switches both sockets
// to a raw Relay. Everything runs from `drive()`, called on any readiness of either socket.
import Glibc
import HTTP
import HTTPClient
import Reactor
import Rules

final class HTTPSession: IOHandler, UpstreamOwner {
    /// The client's connection: the socket itself, or TLS over it (then `isTLS`, scheme https).
    let client: Transport
    let isTLS: Bool
    unowned let entryPoint: HTTPEntryPoint
    var proxy: HTTPProxy { entryPoint.proxy }
    private var token: Token?
    var inbuf = ByteBuffer()
    var clientReadable = false, clientWritable = true
    var clientEOF = false
    var clientOut: [UInt8] = []
    var clientOutSent = 0
    var exchange: HTTPExchange?
    /// The exchange that just ended, given back to the proxy's ExchangePool by `drive()` once no frame
    /// holds it any more (driveExchange's parameter).
    var endedExchange: HTTPExchange?
    /// Head buffers borrowed from the proxy's pool for the exchange under way.
    var headBuffers = SessionHeadBuffers()
    var closeAfterResponse = false
    /// Requests read on this connection (keepAliveMaxRequests), and when its first request came
    /// (keepAliveMaxTime counts from there: Traefik's HTTP server gets the connection from its TCP router
    /// once the first bytes were peeked, and notes the time then).
    var requestCount = 0
    var keepAliveStart: UInt64 = 0
    /// The entry point's keep-alive limit was reached: this response says `Connection: close`.
    var keepAliveSpent = false
    /// The circuit breakers the request being served passed (report() hands them its outcome).
    var currentBreakers: [CircuitBreakerMiddleware] = []
    private(set) var closed = false
    let peerIP: ClientIP?
    let peerText: String
    let peer: PeerAddress
    /// No request was read yet: the first bytes may be the HTTP/2 preface.
    var firstRequest = true
    private var timer: Timer?
    var lastActivity: UInt64
    /// The sockets went to a relay (an upgrade): the session no longer touches them.
    var relayed = false
    var lingering = false
    private var resumeTimer: Timer?
    /// The request being answered, for reports of responses stoep makes itself.
    var currentView: RequestView?
    /// The Host of the previous request, as text (most connections send the same one every time).
    var lastHost = HostText([])
    var currentRoute: HTTPRoute?
    var currentStart: UInt64 = 0
    /// The answer being written comes from one of Traefik's own routers (`/metrics`, api.insecure, ping).
    var answeringInternalRouter: HTTPRoute?
    /// When the first byte of the request head being read arrived (0: none yet).
    var headStartedAt: UInt64 = 0
    /// A request waiting on `holdTimer` (rateLimit's delay, retry's backoff); nothing else is read meanwhile.
    var heldRequest: PendingRequest?
    /// A request parked by `buffering` until its body is read whole (HTTPSession+HeldBody.swift).
    var heldBody: HeldBody?
    var holdTimer: Timer?
    /// A mirroring service copies the body: `heldRequest` waits until `inbuf` holds this many body bytes
    /// (HTTPSession+Mirroring). 0: not waiting for a body.
    var awaitingBody = 0
    /// forwardAuth's request to its auth server while `heldRequest` waits for the answer.
    var authExchange: HTTPClientExchange?

    init(transport: Transport, isTLS: Bool, peer: PeerAddress, entryPoint: HTTPEntryPoint) {
        client = transport
        self.isTLS = isTLS
        self.entryPoint = entryPoint
        peerText = peer.text
        peerIP = peer.ip
        self.peer = peer
        lastActivity = entryPoint.proxy.loop.now
    }

    var isIdle: Bool { exchange == nil && inbuf.isEmpty && clientOut.isEmpty }

    func start(adopting existing: Token? = nil) throws {
        if let existing, proxy.loop.handOver(existing, to: self) {
            token = existing
        } else {
            token = try proxy.loop.register(fd: client.fd, handler: self)
        }
        let t = Timer { [unowned self] now in self.timerFired(now) }
        timer = t
        proxy.loop.schedule(t, after: entryPoint.idleTimeout)
    }

    /// Starts the session of one HTTP/2 stream: its transport is the stream (HTTP2Stream), which has no
    /// socket to register; the stream's connection reports readiness instead.
    func startOnStream() {
        let t = Timer { [unowned self] now in self.timerFired(now) }
        timer = t
        proxy.loop.schedule(t, after: entryPoint.idleTimeout)
    }

    func ready(fd: FileDescriptor, _ events: Readiness) {
        if !events.isDisjoint(with: [.readHangup, .error]) { inbuf.noteHangup() }
        if events.contains(.readable) { clientReadable = true }
        if events.contains(.writable) { clientWritable = true }
        lastActivity = proxy.loop.now
        if lingering {
            discardInput()
            return
        }
        drive()
    }

    /// After a response that ends the connection: send our FIN, then read and drop what the client still
    /// sends (bounded in time), so its unread request bytes do not turn our close into a reset that
    /// destroys the response before the client reads it (nginx's lingering close).
    func lingerClose() {
        guard !lingering else { return }
        lingering = true
        client.shutdownWrite()
        if let t = timer { proxy.loop.schedule(t, after: HTTPSession.lingerTime) }
        discardInput()
    }

    private func discardInput() {
        var scratch = [UInt8](repeating: 0, count: 65536)
        while clientReadable {
            switch scratch.withUnsafeMutableBytes({ client.read(into: $0) }) {
            case .bytes: continue
            case .wouldBlock: clientReadable = false
            case .eof, .error:
                close()
                return
            }
        }
    }

    static let lingerTime: UInt64 = 2_000_000_000

    func upstreamReady(_ events: Readiness) {
        lastActivity = proxy.loop.now
        drive()
    }

    /// Makes all the progress possible now, then returns to the loop. After 64 steps (a long pipeline of
    /// small requests) it yields to the other connections and resumes on the next loop turn: the bytes
    /// are already read, so no readiness report would come to wake it.
    func drive() {
        var rounds = 0
        defer { if endedExchange != nil { proxy.exchanges.giveBack(&endedExchange) } }
        while !closed && !relayed {
            // Here the `x` of the last round is out of scope: the ended exchange's only reference is ours.
            if endedExchange != nil { proxy.exchanges.giveBack(&endedExchange) }
            if rounds == 64 {
                let t = resumeTimer ?? Timer { [unowned self] _ in self.drive() }
                resumeTimer = t
                proxy.loop.schedule(t, after: 0)
                return
            }
            rounds += 1
            if !flushClient() { return }
            if heldRequest != nil {
                if awaitingBody == 0 || !collectBody() { return }
                continue
            }
            if heldBody != nil {
                if !collectHeldBody() { return }
                continue
            }
            if let x = exchange {
                if !driveExchange(x) { return }
                continue
            }
            if closeAfterResponse {
                lingerClose()
                return
            }
            if !readNextRequest() { return }
        }
    }

    /// Writes queued bytes to the client; false when some remain (or the client is gone).
    func flushClient() -> Bool {
        while clientOutSent < clientOut.count {
            guard clientWritable else { return false }
            let r = clientOut.withUnsafeBytes { client.write(UnsafeRawBufferPointer(rebasing: $0[clientOutSent...])) }
            switch r {
            case .bytes(let n): clientOutSent += n
            case .wouldBlock: clientWritable = false; return false
            case .eof, .error:
                close()
                return false
            }
        }
        clientOut.removeAll(keepingCapacity: clientOut.capacity <= 64 * 1024)
        clientOutSent = 0
        return true
    }

    /// Queues a response stoep makes itself (errors, redirects, auth challenges, internal services) and
    /// reports it. `headOnly`: the answer to a HEAD request, without its body; `close`: the connection ends
    /// after it.
    func respond(_ response: LocalResponse, headOnly: Bool = false, close: Bool) {
        var response = response
        if keepAliveSpent { response.closesConnection = true }
        response.write(into: &clientOut, headOnly: headOnly)
        // The access log's DownstreamContentSize and the metrics' response size count body bytes, as Go's
        // ResponseWriter capture does.
        recordAnswer(status: response.status, bytes: headOnly ? 0 : response.body.count, close: close,
                     fields: proxy.observersWantHeaders ? response.fields + [("Content-Length", String(response.body.count))] : [])
    }

    /// Queues Go's answer to a request head it cannot read; the connection ends after it.
    func respond(parseError e: HTTPParseError) {
        let bytes = HTTPErrorResponse.forParseError(e)
        clientOut += bytes
        recordAnswer(status: e.status, bytes: bytes.count, close: true)
    }

    private func recordAnswer(status: Int, bytes: Int, close: Bool, fields: [(name: String, value: String)] = []) {
        count(status: status)
        if close { closeAfterResponse = true }
        report(view: currentView, route: currentRoute, server: nil, status: status, requestBytes: 0,
               responseBytes: UInt64(bytes), startedAt: currentStart, responseFields: fields,
               internalRouter: answeringInternalRouter)
        answeringInternalRouter = nil
        currentView = nil
        currentRoute = nil
    }

    func count(status: Int) {
        let c = entryPoint.counters
        c.requests &+= 1
        c.responsesByClass[min(max(status / 100, 0), 5)] &+= 1
    }

    private func timerFired(_ now: UInt64) {
        guard !closed, let t = timer else { return }
        if lingering {
            close()
            return
        }
        let limit: UInt64
        if let x = exchange {
            let waitingForHead = x.responseHead == nil && x.upstreamOutSent == x.upstreamOut.count && x.upstream?.connected == true
            if (x.upstream?.connected == false && now >= x.connectDeadline)
                || (waitingForHead && x.responseDeadline > 0 && now >= x.responseDeadline) {
                upstreamFailed(x, timedOut: true)
                drive()
                proxy.loop.schedule(t, after: entryPoint.idleTimeout)
                return
            }
            if x.awaitingContinue && x.continueDeadline > 0 && now >= x.continueDeadline {
                drive()
                if closed { return }
            }
            limit = entryPoint.idleTimeout
        } else if headStartedAt > 0 {
            // readTimeout bounds the whole head from its first byte: a client trickling bytes is dropped.
            let deadline = headStartedAt &+ entryPoint.readTimeout
            if now >= deadline {
                close()
            } else {
                proxy.loop.schedule(t, at: min(deadline, lastActivity &+ entryPoint.idleTimeout))
            }
            return
        } else {
            limit = entryPoint.idleTimeout
        }
        if now &- lastActivity >= limit {
            close()
        } else {
            var next = lastActivity &+ limit
            if let x = exchange, x.upstream?.connected == false { next = min(next, x.connectDeadline) }
            if let x = exchange, x.responseHead == nil, x.responseDeadline > 0 { next = min(next, x.responseDeadline) }
            if let x = exchange, x.awaitingContinue, x.continueDeadline > 0 { next = min(next, x.continueDeadline) }
            proxy.loop.schedule(t, at: next)
        }
    }

    /// Re-arms the timer to cover a connect deadline sooner than the idle one.
    func watchDeadline(_ deadline: UInt64) {
        guard let t = timer else { return }
        if !t.isScheduled || t.deadline > deadline { proxy.loop.schedule(t, at: deadline) }
    }

    func close() {
        guard !closed else { return }
        closed = true
        if let t = timer { proxy.loop.cancel(t) }
        timer = nil
        if let t = resumeTimer { proxy.loop.cancel(t) }
        resumeTimer = nil
        if let t = holdTimer { proxy.loop.cancel(t) }
        holdTimer = nil
        heldRequest = nil
        heldBody = nil
        awaitingBody = 0
        authExchange?.cancel()
        authExchange = nil
        if let x = exchange { abandon(x) }
        exchange = nil
        endedExchange = nil
        headBuffers.giveBack(to: proxy.heads)
        if !relayed {
            if let t = token { proxy.loop.deregister(t) }
            client.close()
        }
        token = nil
        entryPoint.ended(self)
    }

    /// The client sent the HTTP/2 preface (h2c with prior knowledge, or h2 over TLS without ALPN) as its
    /// first bytes: the connection, its registration and the bytes read so far go to an HTTP2Connection.
    func handOverToHTTP2() {
        relayed = true
        let kept = token
        token = nil
        entryPoint.startHTTP2(client, isTLS: isTLS, peer: peer, seed: inbuf.take(), token: kept)
        close()
    }

    /// Hands both sockets to a raw relay (after `101 Switching Protocols`): the client's, with the bytes it
    /// sent past the request, and the upstream's, with `seedDown` read past the response head. The session
    /// ends; the relay is the connection's new state in the entry point's table. Both registrations go to
    /// the relay as they are (EventLoop.handOver), not removed and made anew.
    func handSocketsToRelay(after x: HTTPExchange, upstream u: UpstreamConnection, seedDown: [UInt8]) {
        relayed = true
        let clientToken = token
        token = nil
        u.owner = nil
        let upstreamToken = u.detachForRelay()
        entryPoint.startRelay(client: client, upstream: u.transport, connecting: false, kind: "upgrade",
                              seedUp: inbuf.take(), seedDown: seedDown,
                              adoptingClient: clientToken, adoptingUpstream: upstreamToken, tickets: x.tickets)
        report(view: x.view, route: x.route, server: x.server, status: 101, requestBytes: 0, responseBytes: 0,
               startedAt: x.startedAt, websocket: true)
        exchange = nil
        close()
    }
}
