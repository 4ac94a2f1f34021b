// Traefik's `ipAllowList` middleware (v2 `ipWhiteList`, pkg/middlewares/ipallowlist): the client address
// as the ipStrategy picks it (pkg/ip/strategy.go, shared with rateLimit: RequestSource) must lie in a
// source range; otherwise the reject status with its text.
import Config
import Rules

final class IPAllowListMiddleware: HTTPMiddleware {
    let name: String
    let ranges: [ClientIPRange]
    let source: RequestSource
    let status: Int
    init(name: String, config: TraefikIPAllowList) {
        self.name = name
        ranges = config.sourceRange.compactMap { ClientIPRange($0) ?? ClientIPRange($0 + ($0.contains(":") ? "/128" : "/32")) }
        // depth first, then excludedIPs (the right-most X-Forwarded-For entry not excluded), else the peer;
        // ipv6Subnet reduces an IPv6 address to its subnet's first address before the check.
        source = RequestSource(.ip(config.ipStrategy ?? TraefikIPStrategy()))
        status = Int(config.rejectStatusCode)
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        if let ip = ClientIP(source.key(of: request)), ranges.contains(where: { $0.contains(ip) }) { return nil }
        return .statusText(status)
    }
}
