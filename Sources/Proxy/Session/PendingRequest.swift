// A routed request on its way through the router's middlewares to a server. Most requests go through in
// one call; two middlewares make one wait on a loop timer instead of a sleeping goroutine as in Traefik:
// rateLimit (a token due within maxDelay) and retry (the backoff between attempts). The request is then
// parked in `heldRequest`, the session reads nothing else meanwhile, and the timer resumes it at the
// next middleware — or, for a retry, at the middleware after `retry` with the request as it stood there.
import HTTP
import Reactor

struct PendingRequest {
    let view: RequestView
    let route: HTTPRoute
    /// The connection cannot carry another request if this one is answered without reading its body.
    let mustClose: Bool
    /// The entry point already changed the target (normalised path, absolute form, query semicolons).
    let targetRewritten: Bool
    var forward: ForwardedRequest
    /// Index of the next middleware to run.
    var next = 0
    /// A retry: the exchange of the failed attempt, whose start time and unsent body bytes carry over.
    var carried: HTTPExchange?
    /// Set once `retry` ran: the request as it stood after it, where each new attempt starts.
    var retryStart: RetryStart?
}

/// A box for the request as `retry` saw it (a struct cannot hold a copy of itself).
final class RetryStart {
    let request: PendingRequest
    init(_ request: PendingRequest) { self.request = request }
}

extension HTTPSession {
    /// Runs the remaining middlewares of `p`, then answers (a middleware's answer, an internal service) or
    /// starts the exchange with a server of the route's service. Parks the request when a middleware asks
    /// it to wait.
    func continueRequest(_ start: PendingRequest) {
        var p = start
        currentView = p.view
        currentRoute = p.route
        let scheme = isTLS ? "https" : "http"
        let middlewares = p.route.middlewares
        while p.next < middlewares.count {
            let hadRetry = p.forward.retry != nil
            let m = middlewares[p.next]
            p.next += 1
            let answer = m.handle(p.view, &p.forward, scheme: scheme)
            // Whatever ends this request from here on is measured by the breakers it passed.
            currentBreakers = p.forward.circuitBreakers
            if let answer {
                answerFromMiddleware(p, answer)
                return
            }
            if let auth = p.forward.authCheck {
                p.forward.authCheck = nil
                askAuthServer(p, auth)
                return
            }
            if !hadRetry && p.forward.retry != nil {
                // Each attempt starts again from here, with the request as it is now.
                var from = p
                from.carried = nil
                p.retryStart = RetryStart(from)
            }
            if p.forward.holdBody {
                holdBody(p)
                return
            }
            if p.forward.holdFor > 0 {
                let wait = p.forward.holdFor
                p.forward.holdFor = 0
                hold(p, for: wait)
                return
            }
        }
        let view = p.view, route = p.route, forward = p.forward
        if let target = route.internalService {
            dropCarried(p)
            answerInternal(target, InternalRequest(method: view.method, path: forward.path, query: forward.query, host: view.hostHeader, direct: false,
                                                   acceptEncoding: view.headerValues(named: "Accept-Encoding")),
                           headOnly: view.head.knownMethod == .head, close: p.mustClose)
            return
        }
        // Traefik's mirroring reads a body whole before the request goes on (to copy it): a short
        // Content-Length body is waited for here, so the copy does not depend on how it was sent.
        if p.carried == nil, case .contentLength(let n) = view.head.framing, n > 0, n <= UInt64(MirrorCopy.bodyCap),
           inbuf.count < Int(n), !view.head.facts.expectsContinue, route.service.mirrorsBody {
            heldRequest = p
            awaitingBody = Int(n)
            return
        }
        let now = proxy.loop.now
        // The Cookie fields and the client's address as text are read only for a sticky balancer or hrw on
        // the way (no header scan, no String otherwise).
        let service = route.service
        let choice = service.choose(now: now, cookies: service.readsCookies ? view.headerValues(named: "cookie") : [],
                                    clientIP: service.readsClientIP ? (view.clientIP?.description ?? peerText) : "")
        guard case .success(let pick) = choice else {
            dropCarried(p)
            // A retry finding every server passively down (each just refused): Traefik would try one
            // again and fail the same way, so the client gets that failure, not 503.
            var missed: LocalResponse = .noAvailableServer
            if case .failure(let e) = choice, e.miss == .failoverDown { missed = .goError(503, "Service Unavailable") }
            let answer: LocalResponse = p.carried.map { .statusText($0.failureStatus) } ?? missed
            if servedErrorPage(status: answer.status, view: view, route: route, forward: forward,
                               startedAt: p.carried?.startedAt ?? now, close: p.mustClose) { return }
            respond(answer, close: p.mustClose)
            return
        }
        let server = pick.server
        server.requests &+= 1
        let original = view.pathAndQuery
        // Written straight into a pooled buffer that becomes the exchange's upstreamOut (no allocation).
        var head = proxy.heads.takeBytes()
        HeadRewriter.request(
            view, forward: forward, pathChanged: p.targetRewritten || forward.path != original.path || forward.query != original.query,
            hostOverride: pick.passHostHeader ? nil : server.hostHeader,
            trustedPeer: view.trustedPeer, peerIP: peerText, scheme: isTLS ? "https" : "http", serverName: proxy.serverName,
            into: &head)
        let headLength = head.count
        let x: HTTPExchange
        if let carried = p.carried {
            // The next attempt: the same exchange (its start time, the body bytes read with the head) to
            // another pick of the service; nothing of the failed attempt reached a server.
            x = carried
            x.server = server
            x.upstreamOut = head + x.upstreamOut[x.headLength...]
            x.upstreamOutSent = 0
            x.reusedConnection = false
            x.connectDeadline = 0
            x.responseDeadline = 0
            x.continueDeadline = 0
            x.attempt += 1
        } else {
            x = proxy.exchanges.take(view: view, route: route, server: server, startedAt: now)
            if let n = forward.heldBodyLength {
                x.requestBody = BodyForwarder(.contentLength(n))
                x.heldBodyLength = n
            }
            // Moved, not shared: the body bytes appended below must not copy it.
            x.upstreamOut = consume head
            x.retryStartedAt = now
        }
        x.headLength = headLength
        x.responseHeaders = forward.responseHeaders
        x.compressions = forward.compressions
        x.setCookies = pick.setCookies
        x.maxRequestBody = forward.maxRequestBody ?? .max
        x.tickets = forward.tickets
        if p.carried == nil { x.retryFrom = p.retryStart }
        x.sniffContentType = forward.sniffContentType
        x.authCookies = forward.authCookies
        x.forward = forward.errorPages.isEmpty ? nil : forward
        if p.carried == nil {
            if !view.head.keepAlive { closeAfterResponse = true }
            if view.head.facts.expectsContinue && view.head.version.isAtLeast11 && view.head.framing != .none
                && forward.heldBodyLength == nil {
                x.awaitingContinue = true
            } else {
                x.requestBody.absorb(&inbuf, into: &x.upstreamOut)
            }
        }
        x.pickedAt = now
        if !pick.mirrors.isEmpty && p.carried == nil { x.mirrorCopies = mirrorCopies(pick, x, p, now: now) }
        exchange = x
        attachUpstream(x)
    }

    /// A middleware answered `p` (or forwardAuth's auth server did): an errors middleware before it may
    /// replace the answer with its page.
    func answerFromMiddleware(_ p: PendingRequest, _ answer: LocalResponse) {
        dropCarried(p)
        if servedErrorPage(status: answer.status, view: p.view, route: p.route, forward: p.forward,
                           startedAt: p.carried?.startedAt ?? currentStart, close: p.mustClose) { return }
        // The headers middlewares the request passed change this answer too: Traefik's wrap the response
        // writer (PostRequestModifyResponseHeaders), so a 401 or a redirect from a later one carries them.
        var answer = answer
        for (name, value) in p.forward.responseHeaders {
            let lower = name.lowercased()
            answer.fields.removeAll { $0.name.lowercased() == lower }
            if !value.isEmpty { answer.fields.append((name, value)) }
        }
        respond(answer, close: p.mustClose)
    }

    /// Parks `p` for `nanoseconds`; the session resumes it (and reads on) when the timer fires.
    func hold(_ p: PendingRequest, for nanoseconds: UInt64) {
        heldRequest = p
        let t = holdTimer ?? Timer { [unowned self] _ in self.resumeHeld() }
        holdTimer = t
        proxy.loop.schedule(t, after: nanoseconds)
    }

    private func resumeHeld() {
        guard !closed, let p = heldRequest else { return }
        heldRequest = nil
        continueRequest(p)
        drive()
    }

    /// A retry answered before reaching a server again: the failed attempt's buffers go back to the pool.
    private func dropCarried(_ p: PendingRequest) {
        p.carried?.requestBody.release(proxy.pool)
    }

    /// Called when the attempt `x` failed before its request was written (the connection or its TLS
    /// handshake failed). True when `retry` takes it: the request is parked for the backoff, then tried
    /// again. False when there is no retry, no attempt left, or its timeout has passed: Traefik then lets
    /// the last failure through.
    func retryAttempt(_ x: HTTPExchange) -> Bool {
        guard var from = x.retryFrom?.request, let policy = from.forward.retry, x.attempt < policy.attempts else { return false }
        let now = proxy.loop.now
        if policy.timeout > 0 && now &- x.retryStartedAt >= policy.timeout { return false }
        x.upstream?.close()
        x.upstream = nil
        x.tickets = []  // the middlewares after retry claim again
        exchange = nil
        from.carried = x
        proxy.retries &+= 1
        hold(from, for: policy.wait(after: x.attempt))
        return true
    }
}
