// What the proxy reports about each finished request: Prometheus metrics and the access log subscribe.
// Called on the loop once per request, after the last byte of the response was handed to the kernel
// (or when the exchange was abandoned). Implementations must not block.

public struct CompletedRequest {
    public let entryPoint: String
    /// Qualified router and service names ("app@file"); nil when no router matched.
    public let router: String?
    public let service: String?
    public let serverURL: String?
    public let method: String
    public let path: String
    public let host: String
    public let protocolName: String   // "http" or "websocket"
    public let status: Int
    public let clientAddress: String
    public let requestBytes: UInt64
    public let responseBytes: UInt64
    public let startedAt: UInt64     // monotonic ns
    public let duration: UInt64      // ns
    public let userAgent: String?
    public let referer: String?
    public let user: String?
    /// The client's framing as the access log's RequestProtocol names it: "HTTP/1.1", or "HTTP/2.0" for a stream.
    public var requestProtocol: String = "HTTP/1.1"
    /// The router's service is `…@internal` (Traefik leaves these out of the access log without addInternals).
    public var internalService = false
    /// One of Traefik's own routers answered (`ping@internal` on ping.entryPoint, api.insecure, /metrics):
    /// its router and service names, for the access log only (metrics leave these requests unlabelled).
    public var internalRouterName: String?
    /// Traefik's RetryAttempts: attempts after the first (the retry middleware).
    public var retryAttempts = 0
    /// Only collected when an observer asks (`HTTPProxy.observersWantHeaders`): the request's fields and the
    /// answer's, in arrival order, names as written.
    public var requestHeaders: [(name: String, value: String)] = []
    public var responseHeaders: [(name: String, value: String)] = []
    /// A server answered (its fields are the access log's origin_ headers).
    public var fromServer = false
}

public protocol RequestObserver: AnyObject {
    func requestCompleted(_ r: CompletedRequest)
}
