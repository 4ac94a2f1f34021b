// Whose PROXY header an entry point believes (`entryPoints.NAME.proxyProtocol`): peers in `trustedIPs`, or
// every peer with `insecure` (Traefik's buildProxyProtocolListener: go-proxyproto USE for those, IGNORE for
// the rest — their header is still read and consumed, its addresses unused).
import Rules

public struct ProxyProtocolTrust: Equatable, Sendable {
    public let trustedIPs: [ClientIPRange]
    public let insecure: Bool

    /// `trustedIPs` as configured (IPs or CIDRs; ones that do not parse were refused by the configuration).
    public init(trustedIPs: [String], insecure: Bool) {
        self.trustedIPs = trustedIPs.compactMap { ClientIPRange($0) }
        self.insecure = insecure
    }

    public func trusts(_ ip: ClientIP?) -> Bool {
        if insecure { return true }
        guard let ip else { return false }
        return trustedIPs.contains { $0.contains(ip) }
    }
}
