// One challenge of an ACME authorization (RFC 8555 §8) as the solvers see it, and the solver contract.
// The client asks a solver to make the answer live, waits until it says so, and only then tells the CA
// to validate (Traefik's lego asks first and races its own route: docs/tls.md); afterwards it asks the
// solver to take the answer down again, whatever the outcome.

public struct ACMEChallenge: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case http01 = "http-01"
        case tlsALPN01 = "tls-alpn-01"
        case dns01 = "dns-01"
    }

    public let kind: Kind
    /// The identifier being validated ("www.example.org"; for a wildcard order, the name without "*.").
    public let domain: String
    /// Whether the order asked for "*.domain" (only DNS-01 may validate it).
    public let wildcard: Bool
    public let token: String
    /// token "." base64url(JWK thumbprint) (§8.1): what HTTP-01 serves, what TLS-ALPN-01 hashes.
    public let keyAuthorization: String
    /// The challenge's URL at the CA (tells the CA to validate when POSTed "{}").
    public let url: String

    public init(kind: Kind, domain: String, wildcard: Bool, token: String, keyAuthorization: String, url: String) {
        self.kind = kind
        self.domain = domain
        self.wildcard = wildcard
        self.token = token
        self.keyAuthorization = keyAuthorization
        self.url = url
    }

    /// DNS-01's TXT record name and value (§8.4): `_acme-challenge.DOMAIN.` and base64url(SHA-256(keyAuthorization)).
    public var dnsRecordName: String { "_acme-challenge.\(domain)." }
}

/// Makes challenge answers live and takes them down. Every call happens on the loop; `ready` may be
/// called at once or later (a DNS hook runs, a propagation check waits), and exactly once.
public protocol ACMEChallengeSolver: AnyObject {
    /// The challenge kind this solver answers.
    var kind: ACMEChallenge.Kind { get }
    /// Makes the answer live; calls `ready(nil)` once the CA can see it, or `ready(reason)` when it cannot be.
    func present(_ challenge: ACMEChallenge, ready: @escaping (_ failure: String?) -> Void)
    /// Takes the answer down (after validation, successful or not). Never fails loudly: logs only.
    func cleanUp(_ challenge: ACMEChallenge)
}
