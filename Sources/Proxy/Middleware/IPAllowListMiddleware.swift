// Traefik's `ipAllowList` middleware (v2 `ipWhiteList`, pkg/middlewares/ipallowlist).
import Config
import Rules

/// `ipAllowList` (v2 `ipWhiteList`): the peer address (or the depth-th X-Forwarded-For entry from the
/// right) must lie in a source range; otherwise 403 `Forbidden`.
final class IPAllowListMiddleware: HTTPMiddleware {
    let name: String
    let ranges: [ClientIPRange]
    let depth: Int
    let status: Int
    init(name: String, config: TraefikIPAllowList) {
        self.name = name
        ranges = config.sourceRange.compactMap { ClientIPRange($0) ?? ClientIPRange($0 + ($0.contains(":") ? "/128" : "/32")) }
        depth = Int(config.ipStrategy?.depth ?? 0)
        status = Int(config.rejectStatusCode)
    }

    func handle(_ request: RequestView, _ forward: inout ForwardedRequest, scheme: String) -> LocalResponse? {
        var ip = request.clientIP
        if depth > 0 {
            let list = request.headerValues(named: "X-Forwarded-For").joined(separator: ",")
                .split(separator: ",").map { $0.trimmingCharacters(" ") }
            ip = list.count >= depth ? ClientIP(list[list.count - depth]) : nil
        }
        if let ip, ranges.contains(where: { $0.contains(ip) }) { return nil }
        return .statusText(status)
    }
}
