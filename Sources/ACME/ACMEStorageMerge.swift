// The rule by which swarm nodes agree on certificates (docs/cluster.md, "Certificates across nodes"):
// every stoep fetches its peers' acme.json documents and merges each into its own. Per resolver and per
// name set (lower-cased, main first, as ACMEIssuer stores them), the certificate with the later notAfter
// wins; equal notAfter dates are decided by the larger certificate bytes. The rule is a maximum under a
// total order, so merging is commutative, associative and idempotent: whatever order the documents
// arrive in, and however often, every node ends with the same certificate for each name set — which is
// what settles two nodes that both believed they were the issuer (each ordered; both certificates are
// valid; the later one is served everywhere).
//
// What is never taken: a certificate whose PEM does not parse (a peer's broken entry must not replace a
// good one), an entry of a resolver this node does not run (`resolvers`). The account is not part of
// the rule: a node keeps its own, and takes a peer's only when it has none (any valid account at the
// same CA serves; sharing it lets a new issuer reuse the authorizations the old one validated).
import PKI

extension ACMEStorageDocument {
    /// What a merge changed, for the log.
    public struct MergeOutcome: Sendable, Equatable {
        /// Name sets (main name first) taken from the other document: new, or with a later notAfter.
        public var taken: [[String]] = []
        /// Resolvers whose account was taken (this node had none).
        public var accountsTaken: [String] = []
        public var changed: Bool { !taken.isEmpty || !accountsTaken.isEmpty }
        public init() {}
    }

    /// Merges `other` into this document for the resolvers named in `resolvers` (nil: every resolver of
    /// `other`). Returns what was taken; unchanged entries stay byte for byte.
    @discardableResult
    public mutating func merge(_ other: ACMEStorageDocument, resolvers: Set<String>? = nil) -> MergeOutcome {
        var outcome = MergeOutcome()
        for (name, theirs) in other.resolvers.sorted(by: { $0.key < $1.key }) {
            if let resolvers, !resolvers.contains(name) { continue }
            var mine = self.resolvers[name] ?? Resolver()
            var touched = false
            if mine.account == nil, let account = theirs.account {
                mine.account = account
                outcome.accountsTaken.append(name)
                touched = true
            }
            for candidate in theirs.certificates {
                guard let candidateNotAfter = Self.notAfter(candidate) else { continue }
                let key = candidate.names.map { $0.lowercased() }
                if let i = mine.certificates.firstIndex(where: { $0.names.map { $0.lowercased() } == key }) {
                    let held = mine.certificates[i]
                    guard Self.wins(candidate, notAfter: candidateNotAfter, over: held, notAfter: Self.notAfter(held)) else { continue }
                    mine.certificates[i] = candidate
                } else {
                    mine.certificates.append(candidate)
                }
                outcome.taken.append(key)
                touched = true
            }
            if touched { self.resolvers[name] = mine }
        }
        return outcome
    }

    /// Whether `candidate` replaces `held` for the same names: a later notAfter, else (equal dates) the
    /// larger certificate bytes; a held entry that does not parse always loses.
    static func wins(_ candidate: Certificate, notAfter c: Int64, over held: Certificate, notAfter h: Int64?) -> Bool {
        guard let h else { return true }
        if c != h { return c > h }
        return candidate.certificatePEM.lexicographicallyPrecedes(held.certificatePEM) == false
            && candidate.certificatePEM != held.certificatePEM
    }

    /// The leaf's notAfter (seconds since the epoch); nil when the PEM holds no certificate.
    static func notAfter(_ c: Certificate) -> Int64? { CertificateFacts(pem: c.certificatePEM)?.notAfter }

    /// Only the named resolvers (what this node serves to its peers: never entries it does not run).
    public func restricted(to names: Set<String>) -> ACMEStorageDocument {
        var d = ACMEStorageDocument()
        for (name, r) in resolvers where names.contains(name) { d.resolvers[name] = r }
        return d
    }
}
