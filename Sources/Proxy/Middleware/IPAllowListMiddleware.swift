// Traefik's `ipAllowList` middleware (v2 `ipWhiteList`, pkg/middlewares/ipallowlist).
import Config
import Rules

/// `ipAllowList` (v2 `ipWhiteList`): the client address its ipStrategy picks (the peer, the depth-th
/// X-Forwarded-For entry from the right, or the right-most one not in excludedIPs; an IPv6 address reduced
/// to ipv6Subnet — RequestSource, as Traefik's IPStrategy.Get) must lie in a source range; otherwise 403
/// `Forbidden`.
final class IPAllowListMiddleware: HTTPMiddleware {
    let name: String
    let ranges: [ClientIPRange]
    let source: RequestSource
    let status: Int
    init(name: String, config: TraefikIPAllowList) {
        self.name = name
        ranges = config.sourceRange.compactMap { ClientIPRange($0) ?? ClientIPRange($0 + ($0.contains(":") ? "/128" : "/32")) }
        source = RequestSource(.ip(config.ipStrategy ?? TraefikIPStrategy()))
        status = Int(config.rejectStatusCode)
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        if let ip = ClientIP(source.key(of: request)), ranges.contains(where: { $0.contains(ip) }) { return nil }
        return .statusText(status)
    }
}
