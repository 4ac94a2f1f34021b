// Traefik's `buffering` middleware (vulcand/oxy's buffer) for the request: the whole body is read before
// the next middleware runs and the backend is contacted, and goes upstream with a Content-Length (a
// chunked client body arrives de-chunked). oxy keeps it in memory up to memRequestBodyBytes and on disk
// past that; stoep keeps it in memory, which is why maxRequestBodyBytes must bound it (docs/proxy.md).

/// `buffering`: a declared length past `maxRequestBodyBytes` is answered 413 at once, as oxy's checkLimit;
/// otherwise the session holds the request until its body is complete (HTTPSession+HeldBody.swift),
/// answering 413 once a chunked body passes the limit, before anything went upstream.
final class BufferingMiddleware: HTTPMiddleware {
    let name: String
    let limit: UInt64
    init(name: String, limit: UInt64) {
        self.name = name
        self.limit = limit
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        if let n = request.head.contentLength, n > limit {
            return .requestEntityTooLarge
        }
        forward.maxRequestBody = min(forward.maxRequestBody ?? .max, limit)
        if forward.heldBodyLength == nil { forward.holdBody = true }
        return nil
    }
}
