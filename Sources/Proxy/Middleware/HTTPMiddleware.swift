// Middlewares as Traefik chains them: each may answer the request itself (auth, redirects, allow-lists)
// or change what is forwarded (headers, path); response-phase changes apply to the backend's head.

/// What the request phase of a middleware may change before the request goes upstream.
struct ForwardedRequest {
    var path: String
    var query: String
    /// Header lines to set (replacing any of the same name) on the upstream request.
    var setHeaders: [(name: String, value: String)] = []
    /// Lower-cased names of incoming headers to drop.
    var removeHeaders: Set<String> = []
    /// Response headers to set ("" removes), applied when the backend answers.
    var responseHeaders: [(name: String, value: String)] = []
    /// buffering.maxRequestBodyBytes for a body whose length is not declared (chunked).
    var maxRequestBody: UInt64?
}

protocol HTTPMiddleware: AnyObject {
    var name: String { get }
    /// Returns a complete response to send instead of forwarding, or nil to go on.
    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> [UInt8]?
}
