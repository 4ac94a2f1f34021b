// The answers the proxy serves while an ACME CA validates: HTTP-01 key authorizations (served by
// acme-http@internal on the httpChallenge entry point, before every router) and TLS-ALPN-01 certificates
// (presented to a ClientHello offering acme-tls/1). Each is live from `present` until `cleanUp`; the
// ACME client asks the CA to validate only after `present` said ready.
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

    public init() {}

    public func present(_ challenge: ACMEChallenge, ready: @escaping (String?) -> Void) {
        answers[challenge.token, default: [:]][challenge.domain] = Array(challenge.keyAuthorization.utf8)
        shared?.publishHTTP(token: challenge.token, answers: answers[challenge.token] ?? [:])
        ready(nil)  // the acme-http@internal router exists whenever a resolver has an httpChallenge entry point
    }

    public func cleanUp(_ challenge: ACMEChallenge) {
        answers[challenge.token]?[challenge.domain] = nil
        if answers[challenge.token]?.isEmpty == true { answers[challenge.token] = nil }
        shared?.publishHTTP(token: challenge.token, answers: answers[challenge.token] ?? [:])
    }

    /// What acme-http@internal serves for `token` on `host`; nil = 404.
    public func answer(token: String, host: String) -> [UInt8]? { answers[token]?[host] }
}

/// The TLS-ALPN-01 certificates by domain, read by every certificate set of the termination. With
/// `workers = N`, worker 0's are also written to `shared`, and a worker that holds none for a name reads
/// them from there.
public final class TLSALPNChallengeCertificates {
    private var byDomain: [String: TLSCertificate] = [:]
    public var shared: SharedChallenges?

    public init(shared: SharedChallenges? = nil) {
        self.shared = shared
    }

    func certificate(for name: String) -> TLSCertificate? { byDomain[name] ?? shared?.alpnCertificate(domain: name) }
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
            ready(nil)
        }
    }

    public func cleanUp(_ challenge: ACMEChallenge) { certificates.set(challenge.domain, nil, pem: nil) }
}
