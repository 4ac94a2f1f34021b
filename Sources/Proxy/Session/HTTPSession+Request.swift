// Reading the next request head, routing it through the entry point's routes and the route's middlewares,
// and attaching an upstream connection from the server's pool (or answering here).
import Glibc
import HTTP
import Reactor

extension HTTPSession {
    static let limits = HTTPParseLimits()

    /// Parses the next request in `inbuf`, reading from the client as needed. True when something
    /// changed (an exchange started, or a response was queued); false to wait for readiness.
    func readNextRequest() -> Bool {
        while true {
            // Nothing read: nothing to parse (and an idle connection borrows no field buffer).
            let result: HTTPParseResult<HTTPRequestHead>
            if inbuf.isEmpty {
                result = .incomplete
            } else {
                if headBuffers.requestFields.capacity == 0 { headBuffers.requestFields = proxy.heads.takeFields() }
                result = inbuf.withUnreadBytes {
                    HTTPRequestHead.parse($0, limits: HTTPSession.limits, reusing: &headBuffers.requestFields)
                }
            }
            if firstRequest, client.fd != .invalid {
                if case .incomplete = result {} else {
                    firstRequest = false
                    if inbuf.withUnreadBytes({ HTTP2Preface.starts($0) }) {
                        handOverToHTTP2()
                        return false
                    }
                }
            }
            switch result {
            case .complete(let head, let length):
                let bytes = SessionHeadBuffers.copy(inbuf.unread.prefix(length), into: &headBuffers.requestBytes, from: proxy.heads)
                inbuf.consume(length)
                headStartedAt = inbuf.isEmpty ? 0 : proxy.loop.now  // a pipelined head already started
                startExchange(head, bytes)
                return true
            case .error(let e):
                entryPoint.counters.badRequests &+= 1
                currentView = nil
                currentStart = proxy.loop.now
                respond(parseError: e)
                return true
            case .incomplete:
                if clientEOF {
                    close()
                    return false
                }
                guard clientReadable else { return false }
                let wasEmpty = inbuf.isEmpty
                switch inbuf.read(from: client) {
                case .bytes:
                    if inbuf.lastReadDrained { clientReadable = false }
                    if wasEmpty && headStartedAt == 0 {
                        headStartedAt = proxy.loop.now
                        watchDeadline(headStartedAt &+ entryPoint.readTimeout)
                    }
                    continue
                case .wouldBlock:
                    clientReadable = false
                    return false
                case .eof:
                    clientEOF = true
                    if inbuf.isEmpty {
                        close()
                        return false
                    }
                case .error:
                    close()
                    return false
                }
            }
        }
    }

    /// Routes one request head and answers it here (internal services, middlewares' answers, errors) or
    /// starts its exchange with a server of the route's service.
    private func startExchange(_ head: HTTPRequestHead, _ bytes: [UInt8]) {
        currentRoute = nil
        currentStart = proxy.loop.now
        noteKeepAlive()
        // A request answered here without reading its body leaves the connection unusable: close it.
        let mustClose = !head.keepAlive || head.framing != .none
        let policy = entryPoint.targetPolicy
        let pathAndQuery: (path: String, query: String), targetRewritten: Bool
        switch policy.resolve(head, bytes) {
        case .target(let path, let query, let rewritten):
            (pathAndQuery, targetRewritten) = ((path, query), rewritten)
        case .malformed:
            entryPoint.counters.badRequests &+= 1
            currentView = nil
            respond(parseError: .invalidRequestTarget(offset: head.target.lowerBound))
            return
        case .fragment:
            currentView = nil
            respond(.empty(400), close: mustClose)
            return
        }
        let hostText = lastHost.reused(for: head.host.map { bytes[$0] } ?? [])
        lastHost = hostText
        let view = RequestView(head: head, bytes: bytes, clientIP: peerIP, trustedPeer: entryPoint.isTrusted(peerIP),
                               pathAndQuery: pathAndQuery, host: hostText)
        currentView = view
        guard let route = entryPoint.route(for: view, tls: isTLS) else {
            respond(.notFound, close: mustClose)
            return
        }
        if route.isInternalRouter, let service = route.internalService {
            // Traefik's own routers (`/metrics`, api.insecure): the request as it came, no middlewares.
            let (path, query) = view.pathAndQuery
            answeringInternalRouter = route
            answerInternal(service, InternalRequest(method: view.method, path: path, query: query, host: view.hostHeader, direct: true),
                           headOnly: head.knownMethod == .head, close: mustClose)
            return
        }
        route.requests &+= 1
        currentRoute = route
        if policy.deniesEscape(in: view.pathAndQuery.path) {
            respond(.empty(400), close: mustClose)
            return
        }
        let original = view.pathAndQuery
        let pending = PendingRequest(view: view, route: route, mustClose: mustClose, targetRewritten: targetRewritten,
                                     forward: ForwardedRequest(path: original.path, query: original.query))
        continueRequest(pending)
    }

    /// Counts the request against the entry point's keepAliveMaxRequests/keepAliveMaxTime; the one that
    /// reaches either is the connection's last (its response says `Connection: close`). HTTP/2 streams
    /// are counted by their connection (HTTP2Connection.streamStarted), which ends with GOAWAY instead.
    private func noteKeepAlive() {
        let limit = entryPoint.keepAlive
        guard limit.isLimited, client.fd != .invalid else { return }
        requestCount += 1
        if requestCount == 1 { keepAliveStart = proxy.loop.now }
        if limit.ends(count: requestCount, start: keepAliveStart, now: proxy.loop.now) {
            keepAliveSpent = true
            closeAfterResponse = true
        }
    }

    /// Answers `request` with the internal `service` (404 when the static configuration does not provide it).
    func answerInternal(_ service: InternalService, _ request: InternalRequest, headOnly: Bool, close: Bool) {
        respond(proxy.internalHandlers.answer(service, request), headOnly: headOnly, close: close)
    }

    /// Takes a stream on one of the server's HTTP/2 connections, an idle pooled connection, or starts a
    /// new connection. An Upgrade (WebSocket) always goes in HTTP/1.1, even to an h2c server, as Traefik's
    /// smartRoundTripper sends it; an HTTPS connection offers h2 in ALPN unless HTTP/2 is disabled, and
    /// becomes an HTTP/2 connection when the server chooses it (driveExchange).
    func attachUpstream(_ x: HTTPExchange) {
        guard let server = x.server else { return }
        let upgrade = x.view.head.isUpgrade
        if !upgrade && server.http2 != .never {
            if let c = server.http2WithRoom() {
                server.reused &+= 1
                attachStream(x, on: c)
                return
            }
            if server.http2 == .priorKnowledge {
                do {
                    let fd = try Socket.connectTCP(server.address)
                    let c: HTTP2UpstreamConnection
                    do {
                        c = try HTTP2UpstreamConnection(transport: PlainTransport(fd: fd), server: server, loop: proxy.loop,
                                                        connecting: true, connectTimeout: UpstreamTransport.limit(server.transport.dialTimeout), adopting: nil)
                    } catch {
                        fd.close()
                        throw error
                    }
                    server.opened &+= 1
                    server.addHTTP2(c)
                    attachStream(x, on: c)
                } catch {
                    upstreamFailed(x, timedOut: false)
                }
                return
            }
        }
        if let c = server.takeIdle() {
            c.owner = self
            c.writable = true
            x.upstream = c
            x.reusedConnection = true
            return
        }
        do {
            let fd = try Socket.connectTCP(server.address)
            let c = try UpstreamConnection(fd: fd, server: server, loop: proxy.loop, offerHTTP2: !upgrade && server.http2 == .negotiated)
            server.opened &+= 1
            c.owner = self
            x.upstream = c
            x.connectDeadline = proxy.loop.now &+ UpstreamTransport.limit(server.transport.dialTimeout)
            watchDeadline(x.connectDeadline)
        } catch {
            upstreamFailed(x, timedOut: false)
        }
    }

    /// The exchange's request goes on a new stream of `c`.
    func attachStream(_ x: HTTPExchange, on c: HTTP2UpstreamConnection) {
        let u = UpstreamConnection(stream: c.openStream(), server: c.server, loop: proxy.loop)
        u.owner = self
        x.upstream = u
        x.reusedConnection = false
    }

    /// An HTTPS server chose h2 in the handshake of `u`: its socket (and registration) becomes an HTTP/2
    /// connection of the server, later requests share it, and this one goes on its first stream.
    func switchToHTTP2(_ x: HTTPExchange, _ u: UpstreamConnection, _ tls: TLSTransport) {
        let token = u.detachForRelay()
        do {
            let c = try HTTP2UpstreamConnection(transport: tls, server: u.server, loop: proxy.loop, connecting: false,
                                                connectTimeout: 0, adopting: token)
            u.server.addHTTP2(c)
            attachStream(x, on: c)
        } catch {
            tls.close()
            x.upstream = nil
            upstreamFailed(x, timedOut: false)
        }
    }

    /// The upstream connection failed before the response was complete. A body-less request on a reused
    /// (possibly stale) connection is sent again on a fresh one; otherwise the client gets 502, or 504
    /// for a timeout, as Traefik answers — or, when part of the response was already sent, the
    /// connection is closed.
    /// `certificateRejected`: an HTTPS backend's certificate did not verify. Traefik answers 500 for it
    /// (Go reports a TLS error, not a network error), and the server is not taken out: it is up, only
    /// misconfigured, and would fail the same way again.
    /// `unparseable`: the backend answered, but with a head that does not parse (a bare CR, a malformed
    /// status line or field, conflicting lengths). Go's transport returns a parse error, not a network error,
    /// so Traefik answers 500 for it too, and does not send the request again.
    func upstreamFailed(_ x: HTTPExchange, timedOut: Bool, stale: Bool = false, certificateRejected: Bool = false,
                        unparseable: Bool = false) {
        // Go's transport wrote the request headers only on an established connection (after its handshake).
        let requestWritten = x.upstream?.connected ?? false
        x.upstream?.close()
        x.upstream = nil
        let answered = certificateRejected || unparseable  // the server is up; it answered wrongly
        if x.responseHead == nil && x.reusedConnection && x.retryable && !timedOut && !answered {
            x.reusedConnection = false
            x.refusedUnprocessed = false
            x.upstreamOutSent = 0
            attachUpstream(x)
            return
        }
        if let s = x.server, !stale {
            s.failures &+= 1
            if !timedOut && !answered && x.upstreamOutSent == 0 { s.downUntil = proxy.loop.now &+ UpstreamServer.downFor }
        }
        x.failureStatus = answered ? 500 : timedOut ? 504 : 502
        if !requestWritten && x.responseHead == nil && retryAttempt(x) { return }
        guard x.responseHead == nil else {
            close()
            return
        }
        x.requestBody.release(proxy.pool)
        exchange = nil
        if let forward = x.forward, let route = x.route,
           servedErrorPage(status: x.failureStatus, view: x.view, route: route, forward: forward, startedAt: x.startedAt,
                           close: !(x.requestDone || x.requestBody.isNone)) { return }
        if let code = x.pageStatus {
            // The error page service failed too: its failure's text with the caught status (codeModifier).
            var answer = LocalResponse.statusText(x.failureStatus)
            answer.status = code
            respond(answer, close: closeAfterResponse)
            return
        }
        respond(.statusText(x.failureStatus), close: !x.requestDone || closeAfterResponse)
    }

    func abandon(_ x: HTTPExchange) {
        x.requestBody.release(proxy.pool)
        x.responseBody.release(proxy.pool)
        x.upstream?.close()
        x.upstream = nil
    }
}
