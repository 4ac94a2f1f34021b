// A community CA resolver's issuer (`[certificatesResolvers.NAME.localCA]`, stoep's own): certificates cut
// by the box's own CA (CommunityCAStore: root and intermediate in the resolver's storage directory), kept in
// its `issued/` folder so a restart serves them again, and served from memory. No network at all, so an
// order completes at once; renewal at two thirds of the lifetime (RenewalPolicy(localLifetimeSeconds:)).
import PKI
import Reactor

public final class LocalCAIssuer: CertificateIssuer {
    public let store: CommunityCAStore
    private let lifetime: Int64
    /// The certificates served, by main name (the latest of each).
    public private(set) var serving: [String: TLSCertificate] = [:]
    private var facts: [String: CertificateResolverRun.Held] = [:]
    /// Told after each issued certificate with what the resolver now holds.
    var stored: ([CertificateResolverRun.Held]) -> Void = { _ in }

    public init(store: CommunityCAStore, lifetimeSeconds: Int64, log: Logger) {
        self.store = store
        lifetime = lifetimeSeconds
        for kept in store.keptCertificates() { serve(kept.names, kept.certificatePEM, kept.keyPEM, notAfter: kept.notAfter, log: log) }
    }

    public var held: [CertificateResolverRun.Held] { facts.values.sorted { $0.names[0] < $1.names[0] } }

    public func issue(_ names: [String], done: @escaping (Result<IssuedCertificate, IssueFailure>) -> Void) {
        switch store.issue(names: names, lifetime: lifetime) {
        case .failure(let f):
            done(.failure(IssueFailure("\(f)", caAnswered: true)))
        case .success(let c):
            if case .failure(let f) = store.keep(c) { return done(.failure(IssueFailure("\(f)", caAnswered: false))) }
            guard serve(names, c.certificatePEM, c.keyPEM, notAfter: c.notAfter, log: nil) else {
                return done(.failure(IssueFailure("the issued certificate for \(names.joined(separator: ", ")) does not load", caAnswered: false)))
            }
            stored(held)
            done(.success(IssuedCertificate(names: names, certificatePEM: c.certificatePEM, keyPEM: c.keyPEM)))
        }
    }

    @discardableResult
    private func serve(_ names: [String], _ certificatePEM: [UInt8], _ keyPEM: [UInt8], notAfter: Int64, log: Logger?) -> Bool {
        guard let main = names.first else { return false }
        switch TLSCertificate.load(certificatePEM: certificatePEM, keyPEM: keyPEM, source: "\(store.directory)/issued \(main)") {
        case .failure(let e):
            log?.warning("community CA: \(e); issued again")
            return false
        case .success(let c):
            serving[main] = c
            facts[main] = CertificateResolverRun.Held(names: names.map { $0.lowercased() }, notAfter: notAfter)
            return true
        }
    }
}
