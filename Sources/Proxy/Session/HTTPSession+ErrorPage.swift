// The `errors` middleware's second exchange: the caught answer is dropped and the page is asked of the
// middleware's service as Traefik's customerrors asks for it — a GET for the page's target with the
// request's headers (all of them, or errorRequestHeaders), the Host of the request, no body, and no
// X-Forwarded-For (Go's reverse proxy adds it from the request's remote address, which the page request
// Traefik makes does not have). Its answer goes to the client with the caught (or rewritten) status.
import HTTP
import Reactor

extension HTTPSession {
    /// A request that passed errors middlewares (`forward.errorPages`) was answered with `status`. True
    /// when one catches it: the page's exchange is started (or its failure answered) in place of the
    /// answer. `close`: the connection cannot carry another request afterwards (a body left unread).
    func servedErrorPage(status: Int, view: RequestView, route: HTTPRoute, forward: ForwardedRequest, startedAt: UInt64,
                         close: Bool) -> Bool {
        guard !forward.errorPages.isEmpty, let caught = forward.errorPages.catching(status) else { return false }
        let policy = caught.page.policy
        let url = (isTLS ? "https://" : "http://") + view.hostHeader + caught.page.path
            + (caught.page.query.isEmpty ? "" : "?" + caught.page.query)
        let target = policy.target(status: caught.status, originalStatus: caught.original, url: url)
        if close { closeAfterResponse = true }
        // The page's own sticky cookie is not written (Traefik would add it to the caught answer).
        guard let pick = policy.service.pick(now: proxy.loop.now) else {
            // The page service's own answer, with the caught status (codeModifier).
            var answer = LocalResponse.noAvailableServer
            answer.status = caught.status
            respond(answer, close: close)
            return true
        }
        let server = pick.server
        server.requests &+= 1
        let head = pageRequestHead(target: target, view: view, forward: forward, policy: policy, server: server, passHostHeader: pick.passHostHeader)
        guard case .complete(let pageHead, _) = HTTPRequestHead.parse(head, limits: HTTPSession.limits) else {
            respond(.statusText(caught.status), close: close)  // Traefik: http.Error(StatusText(code), code)
            return true
        }
        let split = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let pageView = RequestView(head: pageHead, bytes: head, clientIP: view.clientIP, trustedPeer: true,
                                   pathAndQuery: (String(split[0]), split.count > 1 ? String(split[1]) : ""))
        let x = proxy.exchanges.take(view: pageView, route: route, server: server, startedAt: startedAt)
        x.upstreamOut = head
        x.headLength = head.count
        x.pageStatus = caught.status
        x.pageForHead = view.head.knownMethod == .head
        x.requestDone = true
        exchange = x
        attachUpstream(x)
        return true
    }

    /// The page request's head: the request's own upstream head (hop-by-hop fields gone, X-Forwarded-*
    /// as the entry point set them) turned into a body-less GET for `target`, filtered by
    /// errorRequestHeaders when set.
    private func pageRequestHead(target: String, view: RequestView, forward: ForwardedRequest, policy: ErrorPagesMiddleware,
                                 server: UpstreamServer, passHostHeader: Bool) -> [UInt8] {
        var f = forward
        f.setHeaders.append(("X-Forwarded-For", ""))  // suppressed, as explained above
        let original = HeadRewriter.request(
            view, forward: f, pathChanged: true, hostOverride: passHostHeader ? nil : server.hostHeader,
            trustedPeer: view.trustedPeer, peerIP: peerText, scheme: isTLS ? "https" : "http", serverName: proxy.serverName)
        guard case .complete(let head, _) = HTTPRequestHead.parse(original, limits: HTTPSession.limits) else { return original }
        let kept = policy.config.errorRequestHeaders.map { Set($0.map { $0.lowercased() } + ["host"]) }
        var w = HTTPHeaderWriter(reservingCapacity: original.count)
        w.requestLine(method: Array("GET".utf8), target: Array(target.utf8), version: .http11)
        for field in head.fields {
            let name = HeadRewriter.lower(original[field.name])
            // Go keeps the body's framing and the expectation out of req.Header; a new request has none.
            if ["content-length", "transfer-encoding", "expect"].contains(name) { continue }
            if let kept, !kept.contains(name) { continue }
            w.copyField(field, from: original)
        }
        return w.finished()
    }
}
