// forwardAuth's exchange with its auth server, one more non-blocking exchange on the loop: the request is
// parked in `heldRequest` (the session reads nothing else meanwhile, as for rateLimit's delay), an
// HTTPClientExchange asks the auth server, and its answer either becomes the client's response or lets
// the request go on at the next middleware. HTTPClientExchange rather than the upstream pool: the auth
// answer is read whole (its headers go into the request, its body to a refused client), never spliced to
// the client, and the auth server is an address of the middleware's, not a service's server (docs/proxy.md).
import HTTP
import HTTPClient

extension HTTPSession {
    /// Parks `p` and asks `auth`'s server about it; the answer resumes it.
    func askAuthServer(_ p: PendingRequest, _ auth: ForwardAuthMiddleware) {
        heldRequest = p
        let request = auth.authRequest(p.view, p.forward, peerIP: peerText, tls: isTLS, serverName: proxy.serverName)
        authExchange = HTTPClientExchange.start(
            loop: proxy.loop, to: auth.addresses, tls: auth.tls, request: request, timeout: ForwardAuthMiddleware.timeout,
            body: .whole(limit: auth.responseLimit)
        ) { [weak self] result in
            guard let self, !self.closed, var held = self.heldRequest else { return }
            self.authExchange = nil
            self.heldRequest = nil
            if let answer = auth.verdict(result, &held.forward) {
                self.answerFromMiddleware(held, answer)
            } else {
                self.continueRequest(held)
            }
            self.drive()
        }
    }

    /// The values of the backend answer's Set-Cookie fields, in order.
    func setCookies(_ head: HTTPResponseHead, _ bytes: [UInt8]) -> [String] {
        head.fields.filter { isNamed($0, "set-cookie", in: bytes) }.map { String(decoding: bytes[$0.value], as: UTF8.self) }
    }
}
