// The challenges a swarm's peers published on the cluster channel (`acme-challenges`, docs/cluster.md),
// as of the last fetch: a node answers them as its own, because DNS sends the CA's validation to any node.
// Replaced whole after every round of fetches (SwarmCertificateSharing), so an answer the issuer cleaned
// up is gone one refresh later. TLS-ALPN-01 arrives as key authorizations; the certificates are made
// here, once per key authorization. Consulted through ForeignChallengeAnswers, which checks the names.
import ACME
import PKI
import Reactor

public final class PeerChallengeAnswers: ForeignChallengeSource {
    /// token → domain → key authorization.
    private var http: [String: [String: [UInt8]]] = [:]
    private var alpn: [String: (keyAuthorization: String, certificate: TLSCertificate)] = [:]

    init() {}

    public func httpAnswer(token: String, host: String) -> [UInt8]? { http[token]?[host] }

    public func alpnCertificate(name: String) -> TLSCertificate? { alpn[name]?.certificate }

    /// Replaces the peers' HTTP-01 answers with `entries`.
    public func replaceHTTP(_ entries: [(token: String, domain: String, keyAuthorization: String)]) {
        http = [:]
        for e in entries { http[e.token, default: [:]][e.domain] = Array(e.keyAuthorization.utf8) }
    }

    /// Replaces the peers' TLS-ALPN-01 challenges (domain → key authorization); a certificate already made
    /// for the same key authorization is kept, not made again.
    public func replaceALPN(_ entries: [String: String]) {
        var next: [String: (keyAuthorization: String, certificate: TLSCertificate)] = [:]
        for (domain, keyAuthorization) in entries {
            if let kept = alpn[domain], kept.keyAuthorization == keyAuthorization {
                next[domain] = kept
                continue
            }
            guard let made = ALPNChallengeCertificate.make(name: domain, keyAuthorization: keyAuthorization),
                  case .success(let c) = TLSCertificate.load(certificatePEM: made.certificatePEM, keyPEM: made.keyPEM,
                                                              source: "acme-tls/1 \(domain) (swarm issuer)") else { continue }
            next[domain] = (keyAuthorization, c)
        }
        alpn = next
    }
}
