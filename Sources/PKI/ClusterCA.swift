// The cluster CA (issue 21, docs/cluster.md "The cluster channel"): the one secret every stoep of a swarm
// shares, as a Swarm secret (`stoep cluster-ca > ca.pem; docker secret create stoep-cluster-ca ca.pem`).
// Holding it is membership: each node signs itself a short-lived leaf at start and presents it both as a
// server and as a client on the channel, and trusts exactly the certificates this CA signed — no join
// ceremony, no per-node files. It is not the community CA (docs/tls.md): that one is trusted by people's
// phones for HTTPS and must never vouch for a cluster member, nor the other way round.
// Profile:
//   CA    EC P-256, 10 years, CA:TRUE pathlen:0 (critical), keyCertSign + cRLSign (critical), SKI;
//         CN "stoep cluster CA"
//   leaf  EC P-256 made in memory, SAN dNSName `ClusterCA.peerName`, CA:FALSE, digitalSignature, EKU
//         serverAuth + clientAuth (one certificate for both ends of the channel), SKI/AKI, backdated
//         an hour as the community CA's are
// The secret file is PEM: the certificate, then its key (one file: Swarm mounts a secret as one file).
import COpenSSL

public final class ClusterCA {
    public static let lifetime: Int64 = 10 * 365 * 86400 + 2 * 86400
    /// The one name every node's leaf carries and every client verifies. Peers are reached by overlay
    /// addresses that change with every task, so a name per node would say nothing a signature by the
    /// cluster CA does not already say: whoever holds the CA is a member.
    public static let peerName = "stoep-cluster"

    let certificate: X509Certificate
    let key: PrivateKey

    private init(certificate: X509Certificate, key: PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    /// A new CA; nil when OpenSSL fails.
    public static func create(now: Int64) -> ClusterCA? {
        guard let key = PrivateKey.generate(.ec256),
              let builder = CertificateBuilder(subject: DistinguishedName(commonName: "stoep cluster CA", organization: "stoep"),
                                               publicKey: key, notBefore: now - CommunityCA.backdating, notAfter: now + lifetime),
              builder.add(NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
              builder.add(NID_key_usage, "critical,keyCertSign,cRLSign"),
              builder.add(NID_subject_key_identifier, "hash"),
              let certificate = builder.sign(issuer: nil, key: key) else { return nil }
        return ClusterCA(certificate: certificate, key: key)
    }

    /// The CA from the secret's PEM text (its certificate and its key, in either order). The error says
    /// what is wrong, for the start-up message.
    public static func read(pem: [UInt8]) -> Result<ClusterCA, ClusterCAError> {
        defer { clearOpenSSLErrors() }
        guard let certificate = X509Certificate(pem: pem) else { return .failure(ClusterCAError("no PEM certificate in it")) }
        guard let key = PrivateKey(pem: pem) else {
            return .failure(ClusterCAError("no PEM private key in it (the secret holds the CA's certificate and its key: `stoep cluster-ca` writes one)"))
        }
        guard X509_check_private_key(certificate.x509, key.pkey) == 1 else {
            return .failure(ClusterCAError("the private key does not belong to the certificate"))
        }
        guard X509_check_ca(certificate.x509) != 0 else { return .failure(ClusterCAError("the certificate is not a CA (basicConstraints CA:TRUE)")) }
        return .success(ClusterCA(certificate: certificate, key: key))
    }

    /// The secret's text: certificate, then key.
    public var pem: [UInt8] { certificate.pem + key.pem }
    /// The CA certificate alone: what a member trusts.
    public var certificatePEM: [UInt8] { certificate.pem }
    public var notAfter: Int64 { certificate.notAfter }
    public var fingerprint: String { CertificateFacts.fingerprint(certificate.der) }

    /// A node's leaf for `key`, named `peerName` (and `nodeName` as the CN, for logs), valid from an hour
    /// before `now` for `lifetimeSeconds` but never past the CA. PEM of the leaf alone (every member has the
    /// CA). nil when OpenSSL fails or the lifetime is not positive.
    public func issueNodeCertificate(nodeName: String, key: PrivateKey, lifetimeSeconds: Int64, now: Int64) -> [UInt8]? {
        guard lifetimeSeconds > 0,
              let builder = CertificateBuilder(subject: DistinguishedName(commonName: String(nodeName.prefix(64)), organization: "stoep"),
                                               publicKey: key, notBefore: now - CommunityCA.backdating,
                                               notAfter: min(now + lifetimeSeconds, certificate.notAfter)),
              builder.addSubjectAltName([ClusterCA.peerName]),
              builder.add(NID_basic_constraints, "critical,CA:FALSE"),
              builder.add(NID_key_usage, "critical,digitalSignature"),
              builder.add(NID_ext_key_usage, "serverAuth,clientAuth"),
              builder.add(NID_subject_key_identifier, "hash"),
              builder.add(NID_authority_key_identifier, "keyid:always", issuer: certificate),
              let leaf = builder.sign(issuer: certificate, key: self.key) else { return nil }
        return leaf.pem
    }
}

public struct ClusterCAError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
