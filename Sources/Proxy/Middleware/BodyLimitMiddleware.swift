// Traefik's `buffering` middleware, as far as stoep follows it: only `maxRequestBodyBytes` (stoep streams
// bodies instead of buffering them).

/// `buffering.maxRequestBodyBytes`: a declared length past the limit is answered 413 at once; a chunked
/// body is counted while it streams and cut off with 413 when it passes the limit.
final class BodyLimitMiddleware: HTTPMiddleware {
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
        return nil
    }
}
