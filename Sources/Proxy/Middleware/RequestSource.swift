// Which "source" a request counts against in rateLimit and inFlightReq: Traefik's sourceCriterion
// (pkg/middlewares/extractor.go) with its IP strategies (pkg/ip/strategy.go). The key is only compared,
// never shown, so an address is kept in a canonical form rather than Go's exact spelling.
import Config
import Rules

enum RequestSource {
    /// RemoteAddrStrategy: the peer address, optionally reduced to its IPv6 subnet.
    case peer(ipv6Subnet: Int?)
    /// DepthStrategy: the depth-th entry from the right of the first X-Forwarded-For header ("" when
    /// there are fewer entries), optionally reduced to its IPv6 subnet.
    case forwardedDepth(Int, ipv6Subnet: Int?)
    /// PoolStrategy: the right-most X-Forwarded-For entry not in the excluded ranges ("" when none).
    case forwardedExcluding([ClientIPRange])
    /// The first value of a request header ("" when absent).
    case header(String)
    /// The request's Host.
    case host

    /// Traefik's IPStrategy.Get order: depth wins, then excludedIPs, else the peer.
    init(_ criterion: TraefikSourceCriterion) {
        switch criterion {
        case .ip(let s):
            let subnet = s.ipv6Subnet.map { Int($0) }
            if s.depth > 0 {
                self = .forwardedDepth(Int(s.depth), ipv6Subnet: subnet)
            } else if !s.excludedIPs.isEmpty {
                self = .forwardedExcluding(s.excludedIPs.compactMap(ClientIPRange.init))
            } else {
                self = .peer(ipv6Subnet: subnet)
            }
        case .requestHeader(let name): self = .header(name)
        case .requestHost: self = .host
        }
    }

    func key(of request: RequestView) -> String {
        switch self {
        case .peer(let subnet):
            guard let ip = request.clientIP else { return "" }
            return Self.reduced(ip, subnet)
        case .forwardedDepth(let depth, let subnet):
            // Header.Get: the first X-Forwarded-For field only (an untrusted peer's were removed).
            let entries = (request.header("X-Forwarded-For") ?? "").split(separator: ",", omittingEmptySubsequences: false)
            guard entries.count >= depth else { return "" }
            let text = entries[entries.count - depth].trimmingCharacters(" \t")
            guard let subnet, let ip = ClientIP(text) else { return text }
            return Self.reduced(ip, subnet)
        case .forwardedExcluding(let excluded):
            let entries = (request.header("X-Forwarded-For") ?? "").split(separator: ",", omittingEmptySubsequences: false)
            for entry in entries.reversed() {
                let text = entry.trimmingCharacters(" \t")
                if text.isEmpty { continue }
                if let ip = ClientIP(text), excluded.contains(where: { $0.contains(ip) }) { continue }
                return text
            }
            return ""
        case .header(let name):
            return request.header(name) ?? ""
        case .host:
            return request.hostHeader
        }
    }

    /// getIPv6SubnetIP: an IPv6 address becomes its subnet's first address; IPv4 stays as it is.
    private static func reduced(_ ip: ClientIP, _ subnet: Int?) -> String {
        guard let subnet, !ip.isIPv4 else { return ip.description }
        return ip.masked(to: subnet).description
    }
}
