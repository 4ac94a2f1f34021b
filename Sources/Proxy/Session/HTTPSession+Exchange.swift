// Driving one exchange: the request head and body upstream, the response head and body back.
import Glibc
import HTTP
import Reactor

extension HTTPSession {
    /// Makes progress on `x`. True when the exchange ended (or was replaced by a queued response) and the
    /// session should go on; false to wait for readiness.
    func driveExchange(_ x: HTTPExchange) -> Bool {
        guard let u = x.upstream else { return false }
        if !u.connected {
            guard u.writable || u.readable else { return false }
            if Socket.pendingError(u.transport.fd) != nil {
                upstreamFailed(x, timedOut: false)
                return true
            }
            // HTTPS backends: the handshake runs within the connect deadline, before the request.
            if let t = u.tls {
                switch t.handshake() {
                case .done:
                    if u.offersHTTP2 && t.alpn == "h2" {
                        switchToHTTP2(x, u, t)
                        return true
                    }
                case .wantRead:
                    u.readable = false
                    return false
                case .wantWrite:
                    u.writable = false
                    return false
                case .failed(let reason):
                    proxy.backendTLSFailures[reason, default: 0] &+= 1
                    upstreamFailed(x, timedOut: false, certificateRejected: reason.contains("certificate verify failed"))
                    return true
                }
            }
            u.connected = true
        }
        // The request head.
        while x.upstreamOutSent < x.upstreamOut.count {
            guard u.writable else { break }
            let r = x.upstreamOut.withUnsafeBytes { u.transport.write(UnsafeRawBufferPointer(rebasing: $0[x.upstreamOutSent...])) }
            switch r {
            case .bytes(let n): x.upstreamOutSent += n
            case .wouldBlock: u.writable = false
            case .eof, .error:
                upstreamFailed(x, timedOut: false, stale: x.reusedConnection)
                return true
            }
        }
        let headSent = x.upstreamOutSent == x.upstreamOut.count
        let headerTimeout = x.server?.transport.responseHeaderTimeout ?? 0
        if headSent && x.responseDeadline == 0 && headerTimeout > 0 && x.responseHead == nil {
            x.responseDeadline = proxy.loop.now &+ headerTimeout
            watchDeadline(x.responseDeadline)
        }
        if headSent && x.awaitingContinue { waitForContinue(x) }
        // The request body, while the response may already be coming.
        if headSent && !x.requestDone && !x.awaitingContinue {
            switch x.requestBody.pump(src: client, buffer: &inbuf, dst: u.transport, srcReady: &clientReadable,
                                      dstReady: &u.writable, pool: proxy.pool, counters: entryPoint.counters.bytes) {
            case .done: x.requestDone = true
            case .blocked: break
            case .badChunk:
                entryPoint.counters.badRequests &+= 1
                abandon(x)
                exchange = nil
                respond(.goError(400, "400 Bad Request", closesConnection: true), close: true)
                return true
            case .sourceClosed, .failed:
                close()
                return false
            }
            if x.requestBody.bytes > x.maxRequestBody && x.responseHead == nil {
                abandon(x)
                exchange = nil
                respond(.requestEntityTooLarge, close: true)
                return true
            }
        }
        if x.responseHead == nil {
            guard readResponseHead(x, u) else { return exchange !== x || closed }
            if relayed { return false }
        }
        if !x.responseDone {
            guard flushClient() else { return false }
            let step = if x.compressedBody != nil {
                x.compressedBody!.pump(src: u.transport, buffer: &u.buffer, dst: client, srcReady: &u.readable,
                                       dstReady: &clientWritable)
            } else {
                x.responseBody.pump(src: u.transport, buffer: &u.buffer, dst: client, srcReady: &u.readable,
                                    dstReady: &clientWritable, pool: proxy.pool, counters: entryPoint.counters.bytes)
            }
            switch step {
            case .done: x.responseDone = true
            case .blocked: return false
            case .sourceClosed, .failed, .badChunk:
                close()
                return false
            }
        }
        guard x.requestDone || x.responseDone else { return false }
        if !x.requestDone {
            // The backend answered before reading the whole body (an early 413 or 401): neither side can
            // be reused.
            closeAfterResponse = true
            u.close()
        } else if let head = x.responseHead, head.keepAlive, head.framing != .untilClose, !x.pageForHead {
            u.lastUsed = proxy.loop.now
            x.server?.pool.giveBack(u)
        } else {
            u.close()
        }
        x.upstream = nil
        exchange = nil
        if !x.mirrorCopies.isEmpty { sendMirrors(x) }
        report(view: x.view, route: x.route, server: x.server, status: x.status, requestBytes: x.requestBody.bytes,
               responseBytes: x.responseBytes, startedAt: x.startedAt, retryAttempts: x.attempt - 1,
               responseFields: x.loggedResponseFields)
        currentView = nil
        proxy.heads.give(&x.upstreamOut)
        headBuffers.giveBack(to: proxy.heads)
        endedExchange = x  // drive() gives it to the pool once this frame is gone
        return true
    }

    /// The body of an `Expect: 100-continue` request waits for the backend's 100 (readResponseHead ends the
    /// wait) for a second at most; then stoep answers the expectation itself and the body moves.
    private func waitForContinue(_ x: HTTPExchange) {
        let now = proxy.loop.now
        if x.continueDeadline == 0 {
            x.continueDeadline = now &+ HTTPExchange.expectContinueTimeout
            watchDeadline(x.continueDeadline)
        } else if now >= x.continueDeadline, x.responseHead == nil {
            x.awaitingContinue = false
            clientOut += HTTPSession.continueResponse
        }
    }

    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Reads and handles the response head. True once a final head was processed.
    private func readResponseHead(_ x: HTTPExchange, _ u: UpstreamConnection) -> Bool {
        while true {
            if headBuffers.responseFields.capacity == 0 { headBuffers.responseFields = proxy.heads.takeFields() }
            let result = u.buffer.withUnreadBytes {
                HTTPResponseHead.parse($0, requestMethod: x.view.head.knownMethod, limits: HTTPSession.limits,
                                       reusing: &headBuffers.responseFields)
            }
            switch result {
            case .incomplete:
                guard u.readable else { return false }
                switch u.buffer.read(from: u.transport) {
                case .bytes:
                    if u.buffer.lastReadDrained { u.readable = false }
                    continue
                case .wouldBlock:
                    u.readable = false
                    return false
                case .error(.timedOut):  // an HTTP/2 connection whose connect timed out
                    upstreamFailed(x, timedOut: true)
                    return false
                case .error(.connectionAborted):  // an HTTP/2 stream the server refused: sent again once if it can be
                    x.reusedConnection = true
                    x.refusedUnprocessed = true
                    upstreamFailed(x, timedOut: false, stale: true)
                    return false
                case .error(.protocolError):  // an HTTP/2 backend's reset or lost connection: 500, as Traefik
                    upstreamFailed(x, timedOut: false, unparseable: true)
                    return false
                case .eof, .error:
                    upstreamFailed(x, timedOut: false, stale: x.reusedConnection && u.buffer.isEmpty)
                    return false
                }
            case .error:
                upstreamFailed(x, timedOut: false, unparseable: true)
                return false
            case .complete(let head, let length):
                // leasttime's time to first byte (once: a 100 Continue head comes before the final one).
                if x.pickedAt != 0, let server = x.server {
                    server.recordResponseTime(proxy.loop.now &- x.pickedAt)
                    x.pickedAt = 0
                }
                if x.sniffContentType && !head.isInformational {
                    switch sniffContentType(x, head, length: length, u) {
                    case .ready: break
                    case .readAgain: continue
                    case .wait: return false
                    }
                }
                let bytes = SessionHeadBuffers.copy(u.buffer.unread.prefix(length), into: &headBuffers.responseBytes, from: proxy.heads)
                u.buffer.consume(length)
                if head.isInformational {
                    // 100 Continue and friends go to the client with their fields; the final head follows.
                    clientOut += HeadRewriter.interim(head, bytes: bytes)
                    if head.status == 100 { x.awaitingContinue = false }
                    continue
                }
                // A final answer before the body was asked for: the body is never sent, and the client may
                // still send it, so the connection ends with this response (Go's closeAfterReply).
                if x.awaitingContinue { closeAfterResponse = true }
                if let forward = x.forward, let route = x.route, forward.errorPages.catching(head.status) != nil {
                    // Caught by errors: this answer is dropped (its connection too, its body unread).
                    u.close()
                    x.upstream = nil
                    x.requestBody.release(proxy.pool)
                    exchange = nil
                    _ = servedErrorPage(status: head.status, view: x.view, route: route, forward: forward, startedAt: x.startedAt,
                                        close: !(x.requestDone || x.requestBody.isNone) || x.awaitingContinue)
                    return false
                }
                x.responseHead = head
                x.status = x.pageStatus ?? head.status
                count(status: x.status)
                // A body that ends with the backend's connection (a CGI answer without Content-Length) goes
                // to an HTTP/1.1 client chunked, and the client connection stays open, as Traefik sends it;
                // an HTTP/1.0 client gets it close-delimited. A body whose Transfer-Encoding does not end in
                // chunked is passed on as it is, close-delimited.
                let asChunks = head.framing == .untilClose && head.facts.transferEncoding == nil
                    && x.view.head.version.isAtLeast11
                if head.framing == .untilClose && !asChunks { closeAfterResponse = true }
                let status = x.pageStatus ?? (x.forward == nil ? nil : head.status)
                // Fields the middlewares add; built up only from what this request uses (none: no array).
                var extra = x.responseHeaders
                if let type = x.sniffedType { extra.append(("Content-Type", type)) }
                if let cookies = x.authCookies { extra += cookies.fields(replacing: setCookies(head, bytes)) }
                if proxy.observersWantHeaders {
                    x.loggedResponseFields = head.fields.compactMap { f in
                        let name = String(decoding: bytes[f.name], as: UTF8.self)
                        return HeadRewriter.hopByHop.contains(name.lowercased()) ? nil : (name, String(decoding: bytes[f.value], as: UTF8.self))
                    } + extra
                }
                if !x.compressions.isEmpty {
                    // An error page is sent as it came (stoep does not compress what errors serves).
                    if x.pageStatus == nil
                        && startCompressing(x, head, bytes, status: status, extra: extra, sniffedType: x.sniffedType) { return true }
                    extra += CompressionHead.vary(x.compressions, head, bytes)
                }
                HeadRewriter.response(head, bytes: bytes, close: closeAfterResponse, chunked: asChunks,
                                      // errors' codeCatcher writes the status anew: Go's reason phrase.
                                      status: status, extra: extra, setCookies: x.setCookies, into: &clientOut)
                // An error page for a HEAD request: Traefik asks for it with GET; the client gets its head only.
                x.responseBody = BodyForwarder(x.pageForHead ? .none : head.framing, asChunks: asChunks && !x.pageForHead)
                // Body bytes that came with the head leave in the same send as the head.
                x.responseBody.absorb(&u.buffer, into: &clientOut)
                if head.framing == .tunnel && x.view.head.isUpgrade {
                    guard flushClient() else {
                        // Rare: the 101 head did not fit in the socket buffer at once; finish it blocking-free
                        // by keeping the session until it is out (the relay takes over afterwards).
                        return true
                    }
                    handSocketsToRelay(after: x, upstream: u, seedDown: u.buffer.take())
                }
                return true
            }
        }
    }
}
