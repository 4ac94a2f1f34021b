// Middlewares as Traefik chains them: each may answer the request itself (auth, redirects, allow-lists,
// CORS preflights) or change what is forwarded (headers, path, body limit); response-phase changes are
// collected here and applied to the backend's head. One middleware per file in this directory;
// MiddlewareBuilder turns Traefik's configuration into them.

import Rules

/// What the request phase of a middleware may change before the request goes upstream.
struct ForwardedRequest {
    var path: String
    var query: String
    /// Header lines to set (replacing any of the same name) on the upstream request.
    var setHeaders: [(name: String, value: String)] = []
    /// Header lines to add after the incoming ones of the same name (Go's Header.Add: X-Replaced-Path).
    var addHeaders: [(name: String, value: String)] = []
    /// Lower-cased names of incoming headers to drop.
    var removeHeaders: Set<String> = []
    /// Incoming headers to drop whose canonical name (Go's CanonicalHeaderKey) matches
    /// (forwardAuth's authResponseHeadersRegex).
    var removeHeadersMatching: [CompiledRegex] = []
    /// Set by forwardAuth: the session asks its auth server before the next middleware runs.
    var authCheck: ForwardAuthMiddleware?
    /// forwardAuth's addAuthCookiesToResponse, applied to the backend's Set-Cookie fields.
    var authCookies: AuthCookies?
    /// Response headers to set ("" removes), applied when the backend answers.
    var responseHeaders: [(name: String, value: String)] = []
    /// buffering.maxRequestBodyBytes for a body whose length is not declared (chunked).
    var maxRequestBody: UInt64?
    /// Set by `buffering`: the session reads the whole body before the next middleware runs.
    var holdBody = false
    /// The body was read whole (`buffering`): it goes upstream with this Content-Length, whatever its framing.
    var heldBodyLength: UInt64?
    /// compress middlewares' choices, outermost first; each adds `Vary: Accept-Encoding` to the response.
    var compressions: [CompressionChoice] = []
    /// circuitBreakers the request passed; each records the request's status and latency when it ends.
    var circuitBreakers: [CircuitBreakerMiddleware] = []
    /// Set by a middleware that lets the request go on only later (rateLimit's delay, in nanoseconds): the
    /// session holds the request on a timer, then runs the next middleware.
    var holdFor: UInt64 = 0
    /// Claims on a limit (inFlightReq) that end when the request does: when its response is complete, it
    /// failed, or a later middleware answered it.
    var tickets: [InFlightTicket] = []
    /// Set by `retry`: connection failures before the request was written are tried again.
    var retry: RetryPolicy?
    /// `contentType`: a response without Content-Type gets one sniffed from its first bytes.
    var sniffContentType = false
    /// The `errors` middlewares the request passed, outermost first: answers after them may be replaced.
    var errorPages: [ErrorPageRequest] = []
}

protocol HTTPMiddleware: AnyObject {
    var name: String { get }
    /// The response to send instead of forwarding, or nil to go on with `forward` as changed.
    /// `scheme`: "https" on a TLS connection, else "http".
    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse?
}
