// What rateLimit and inFlightReq report to `show stats`: how many sources they hold, how many were
// evicted to stay under the cap, and what they did to requests.

/// One limiter's figures (of one router: Traefik builds a router's middlewares for that router alone).
public protocol SourceLimitFigures: AnyObject {
    /// The middleware's qualified name.
    var name: String { get }
    /// "rateLimit" or "inFlightReq".
    var type: String { get }
    /// Sources held now.
    var sources: Int { get }
    /// Sources forgotten because the table was full (only a capped table evicts).
    var evictions: UInt64 { get }
    /// Requests answered 429.
    var rejected: UInt64 { get }
    /// Requests held on a timer before going on (rateLimit's short delays).
    var delayed: UInt64 { get }
}

extension HTTPRoute {
    /// The route's rateLimit and inFlightReq middlewares, for `show stats`.
    public var sourceLimits: [SourceLimitFigures] { middlewares.compactMap { $0 as? SourceLimitFigures } }
}
