// The answers the proxy serves while an ACME CA validates: HTTP-01 key authorizations (served by
// acme-http@internal on the httpChallenge entry point, before every router) and TLS-ALPN-01 certificates
// (presented to a ClientHello offering acme-tls/1). Each is live from `present` until `cleanUp`; the
// ACME client asks the CA to validate only after `present` said ready. What this process did not present
// (a swarm peer's challenges) is asked of ForeignChallengeAnswers after its own. With `workers = N`,
// worker 0 also publishes what it presents into the folder the other workers read (SharedChallenges).
import ACME
import PKI
import Reactor

/// HTTP-01 (RFC 8555 §8.3): token → domain → key authorization, as Traefik keeps them (a token is
/// answered only for the host it was issued for).
public final class HTTP01Solver: ACMEChallengeSolver {
    public let kind = ACMEChallenge.Kind.http01
    private var answers: [String: [String: [UInt8]]] = [:]
    /// With `workers = N`: where the other workers read what this one presents.
    public var shared: SharedChallenges?
    /// What other processes presented, asked after this one's own answers (a swarm's issuer on another
    /// node: the CA's validation may reach any node).
    let foreign: ForeignChallengeAnswers
    /// Set on a swarm's issuer: holds `ready` back until every peer can have fetched the answer.
    public var readyDelay: ((@escaping () -> Void) -> Void)?

    public init(foreign: ForeignChallengeAnswers) {
        self.foreign = foreign
    }

    public func present(_ challenge: ACMEChallenge, ready: @escaping (String?) -> Void) {
        answers[challenge.token, default: [:]][challenge.domain] = Array(challenge.keyAuthorization.utf8)
        shared?.publishHTTP(token: challenge.token, answers: answers[challenge.token] ?? [:])
        // The acme-http@internal router exists whenever a resolver has an httpChallenge entry point.
        if let readyDelay { readyDelay { ready(nil) } } else { ready(nil) }
    }

    public func cleanUp(_ challenge: ACMEChallenge) {
        answers[challenge.token]?[challenge.domain] = nil
        if answers[challenge.token]?.isEmpty == true { answers[challenge.token] = nil }
        shared?.publishHTTP(token: challenge.token, answers: answers[challenge.token] ?? [:])
    }

    /// What acme-http@internal serves for `token` on `host`; nil = 404.
    public func answer(token: String, host: String) -> [UInt8]? {
        answers[token]?[host] ?? foreign.httpAnswer(token: token, host: host)
    }

    /// The live answers (token, domain, key authorization), for the swarm's peers.
    public var pending: [(token: String, domain: String, keyAuthorization: String)] {
        answers.sorted { $0.key < $1.key }.flatMap { token, byDomain in
            byDomain.sorted { $0.key < $1.key }.map { (token, $0.key, String(decoding: $0.value, as: UTF8.self)) }
        }
    }
}

/// The TLS-ALPN-01 certificates by domain, read by every certificate set of the termination: this
/// process's own, then ForeignChallengeAnswers' (the folder worker 0 writes, a swarm peer's). With
/// `workers = N`, worker 0's are also written to `shared`.
public final class TLSALPNChallengeCertificates {
    private var byDomain: [String: TLSCertificate] = [:]
    /// With `workers = N`, on worker 0: where the other workers read what this one presents.
    public var shared: SharedChallenges?
    /// What other processes presented (the folder worker 0 writes, a swarm peer's), asked after byDomain.
    let foreign: ForeignChallengeAnswers

    public init(foreign: ForeignChallengeAnswers) {
        self.foreign = foreign
    }

    func certificate(for name: String) -> TLSCertificate? {
        byDomain[name] ?? foreign.alpnCertificate(name: name)
    }

    fileprivate func set(_ domain: String, _ c: TLSCertificate?, pem: [UInt8]?) {
        byDomain[domain] = c
        shared?.publishALPN(domain: domain, pem: pem)
    }
}

/// TLS-ALPN-01 (RFC 8737): a self-signed certificate for the domain carrying the key authorization's
/// digest in the critical acmeIdentifier extension, presented only to acme-tls/1 hellos.
public final class TLSALPN01Solver: ACMEChallengeSolver {
    public let kind = ACMEChallenge.Kind.tlsALPN01
    public let certificates: TLSALPNChallengeCertificates
    /// The live challenges (domain → key authorization), for the swarm's peers.
    public private(set) var pending: [String: String] = [:]
    /// Set on a swarm's issuer: holds `ready` back until every peer can have fetched the challenge.
    public var readyDelay: ((@escaping () -> Void) -> Void)?

    public init(certificates: TLSALPNChallengeCertificates) {
        self.certificates = certificates
    }

    public func present(_ challenge: ACMEChallenge, ready: @escaping (String?) -> Void) {
        guard let made = ALPNChallengeCertificate.make(name: challenge.domain, keyAuthorization: challenge.keyAuthorization) else {
            return ready("cannot make the acme-tls/1 certificate")
        }
        switch TLSCertificate.load(certificatePEM: made.certificatePEM, keyPEM: made.keyPEM, source: "acme-tls/1 \(challenge.domain)") {
        case .failure(let e): ready("\(e)")
        case .success(let c):
            certificates.set(challenge.domain, c, pem: Array(made.certificatePEM) + Array(made.keyPEM))
            pending[challenge.domain] = challenge.keyAuthorization
            if let readyDelay { readyDelay { ready(nil) } } else { ready(nil) }
        }
    }

    public func cleanUp(_ challenge: ACMEChallenge) {
        certificates.set(challenge.domain, nil, pem: nil)
        pending[challenge.domain] = nil
    }
}
