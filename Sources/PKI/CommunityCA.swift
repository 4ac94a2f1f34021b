// The community CA (issue 14, "For networks with no uplink"): a root the people of a network install once
// on their phones and laptops, an intermediate that signs, and short-lived server certificates for the
// routers that name the community resolver. No network, no ACME: issuing is a signature.
// Profile (docs/tls.md, "Community CA"):
//   root          EC P-256, 10 years, CA:TRUE (critical), keyUsage keyCertSign + cRLSign (critical), SKI
//   intermediate  EC P-256, 1 year (never past the root), CA:TRUE pathlen:0, keyCertSign + cRLSign +
//                 digitalSignature, EKU serverAuth, SKI/AKI; renewed by the store well before it ends
//   leaf          the caller's key, SAN dNSName/iPAddress, CA:FALSE, digitalSignature (+ keyEncipherment
//                 for RSA keys), EKU serverAuth, SKI/AKI, random 128-bit serial, notBefore an hour back
// Not name-constrained: docs/tls.md says why.
import COpenSSL

public final class CommunityCA {
    public static let rootLifetime: Int64 = 10 * 365 * 86400 + 2 * 86400   // ten years and their leap days
    public static let intermediateLifetime: Int64 = 365 * 86400
    /// How far notBefore goes back: a phone whose clock runs a little behind still accepts a
    /// certificate issued a moment ago. (Boxes without an uplink often have no NTP either.)
    public static let backdating: Int64 = 3600

    let root: X509Certificate
    let rootKey: PrivateKey
    let intermediate: X509Certificate
    let intermediateKey: PrivateKey

    private init(root: X509Certificate, rootKey: PrivateKey, intermediate: X509Certificate, intermediateKey: PrivateKey) {
        self.root = root
        self.rootKey = rootKey
        self.intermediate = intermediate
        self.intermediateKey = intermediateKey
    }

    /// A new root and intermediate named after the box: "stoep community CA (<boxName>)". nil when
    /// OpenSSL fails.
    public static func create(boxName: String, now: Int64) -> CommunityCA? {
        guard let rootKey = PrivateKey.generate(.ec256),
              let builder = CertificateBuilder(subject: rootName(boxName), publicKey: rootKey,
                                               notBefore: now - backdating, notAfter: now + rootLifetime),
              builder.add(NID_basic_constraints, "critical,CA:TRUE"),
              builder.add(NID_key_usage, "critical,keyCertSign,cRLSign"),
              builder.add(NID_subject_key_identifier, "hash"),
              let root = builder.sign(issuer: nil, key: rootKey) else { return nil }
        return issueIntermediate(root: root, rootKey: rootKey, boxName: boxName, now: now)
    }

    /// The CA kept in PEM: the root and intermediate certificates and their keys. nil when one does not
    /// read, a key does not belong to its certificate, or the intermediate was not signed by the root.
    public init?(rootCertificatePEM: [UInt8], rootKeyPEM: [UInt8],
                 intermediateCertificatePEM: [UInt8], intermediateKeyPEM: [UInt8]) {
        defer { clearOpenSSLErrors() }
        guard let root = X509Certificate(pem: rootCertificatePEM), let rootKey = PrivateKey(pem: rootKeyPEM),
              let intermediate = X509Certificate(pem: intermediateCertificatePEM),
              let intermediateKey = PrivateKey(pem: intermediateKeyPEM),
              X509_check_private_key(root.x509, rootKey.pkey) == 1,
              X509_check_private_key(intermediate.x509, intermediateKey.pkey) == 1,
              X509_verify(intermediate.x509, X509_get0_pubkey(root.x509)) == 1 else { return nil }
        self.root = root
        self.rootKey = rootKey
        self.intermediate = intermediate
        self.intermediateKey = intermediateKey
    }

    /// The CA from its root alone, with a new intermediate: the store's way back when the intermediate's
    /// files are missing or do not belong together (a crash between writing its key and its
    /// certificate). nil when the root does not read or the key is not the root's.
    public static func withNewIntermediate(rootCertificatePEM: [UInt8], rootKeyPEM: [UInt8], now: Int64) -> CommunityCA? {
        defer { clearOpenSSLErrors() }
        guard let root = X509Certificate(pem: rootCertificatePEM), let rootKey = PrivateKey(pem: rootKeyPEM),
              X509_check_private_key(root.x509, rootKey.pkey) == 1 else { return nil }
        let boxName = root.commonName.flatMap(boxName(fromRootName:)) ?? ""
        return issueIntermediate(root: root, rootKey: rootKey, boxName: boxName, now: now)
    }

    /// True when `rootCertificatePEM` is a certificate and `rootKeyPEM` its key (the store tells a
    /// broken root from a broken intermediate with it).
    public static func rootMatches(rootCertificatePEM: [UInt8], rootKeyPEM: [UInt8]) -> Bool {
        defer { clearOpenSSLErrors() }
        guard let root = X509Certificate(pem: rootCertificatePEM), let rootKey = PrivateKey(pem: rootKeyPEM) else { return false }
        return X509_check_private_key(root.x509, rootKey.pkey) == 1
    }

    /// The same root with a new intermediate (new key, a year from `now`): the store calls it when the
    /// intermediate nears its end. Certificates the old one signed stay valid until they expire: the
    /// root is the same, and a leaf names its issuer by key (AKI).
    public func renewingIntermediate(now: Int64) -> CommunityCA? {
        let boxName = root.commonName.flatMap(CommunityCA.boxName(fromRootName:)) ?? ""
        return CommunityCA.issueIntermediate(root: root, rootKey: rootKey, boxName: boxName, now: now)
    }

    private static func issueIntermediate(root: X509Certificate, rootKey: PrivateKey, boxName: String, now: Int64) -> CommunityCA? {
        guard let key = PrivateKey.generate(.ec256),
              let builder = CertificateBuilder(subject: intermediateName(boxName), publicKey: key, notBefore: now - backdating,
                                               notAfter: min(now + intermediateLifetime, root.notAfter)),
              builder.add(NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
              builder.add(NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign"),
              builder.add(NID_ext_key_usage, "serverAuth"),
              builder.add(NID_subject_key_identifier, "hash"),
              builder.add(NID_authority_key_identifier, "keyid:always", issuer: root),
              let intermediate = builder.sign(issuer: root, key: rootKey) else { return nil }
        return CommunityCA(root: root, rootKey: rootKey, intermediate: intermediate, intermediateKey: key)
    }

    /// A server certificate for `names` (host names, "*." wildcards, IP literals; the first is the CN when
    /// it fits) and `key`, valid from `backdating` before `now` for `lifetimeSeconds`, but never past the
    /// intermediate. Returns the PEM chain a TLS server presents: the leaf, then the intermediate (the
    /// root stays out: clients have it). nil when `names` is empty or holds something else, or the
    /// lifetime is not positive.
    public func issue(names: [String], key: PrivateKey, lifetimeSeconds: Int64, now: Int64) -> [UInt8]? {
        guard let first = names.first, lifetimeSeconds > 0,
              let builder = CertificateBuilder(subject: .forHost(first), publicKey: key, notBefore: now - CommunityCA.backdating,
                                               notAfter: min(now + lifetimeSeconds, intermediate.notAfter)),
              builder.addSubjectAltName(names),
              builder.add(NID_basic_constraints, "critical,CA:FALSE"),
              builder.add(NID_key_usage, key.keyType.isRSA ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature"),
              builder.add(NID_ext_key_usage, "serverAuth"),
              builder.add(NID_subject_key_identifier, "hash"),
              builder.add(NID_authority_key_identifier, "keyid:always", issuer: intermediate),
              let leaf = builder.sign(issuer: intermediate, key: intermediateKey) else { return nil }
        return leaf.pem + intermediate.pem
    }

    /// True when `chainPEM` (leaf, then its intermediate) chains to this CA's root by signature: a
    /// certificate kept from before is still this CA's (and not one of a root made anew since).
    /// Validity dates are the caller's business.
    public func issued(chainPEM: [UInt8]) -> Bool { Self.chains(chainPEM, to: root) }

    /// `issued(chainPEM:)` for a process that holds only the root certificate (a worker that serves what
    /// worker 0's CA issued): true when the chain leads to the root in `rootCertificatePEM` by signature.
    public static func issued(chainPEM: [UInt8], byRoot rootCertificatePEM: [UInt8]) -> Bool {
        guard let root = X509Certificate.all(pem: rootCertificatePEM).first else { return false }
        return chains(chainPEM, to: root)
    }

    private static func chains(_ chainPEM: [UInt8], to root: X509Certificate) -> Bool {
        defer { clearOpenSSLErrors() }
        let chain = X509Certificate.all(pem: chainPEM)
        // The keys are borrowed from the certificates (get0): the certificates must outlive every use.
        return withExtendedLifetime((chain, root)) {
            guard chain.count >= 2, let intermediateKey = X509_get0_pubkey(chain[1].x509),
                  let rootKey = X509_get0_pubkey(root.x509) else { return false }
            return X509_verify(chain[0].x509, intermediateKey) == 1 && X509_verify(chain[1].x509, rootKey) == 1
        }
    }

    public var rootCertificatePEM: [UInt8] { root.pem }
    /// The root as DER: the `.crt` phones and Windows install with a tap.
    public var rootCertificateDER: [UInt8] { root.der }
    public var rootKeyPEM: [UInt8] { rootKey.pem }
    public var intermediateCertificatePEM: [UInt8] { intermediate.pem }
    public var intermediateKeyPEM: [UInt8] { intermediateKey.pem }
    public var rootFacts: CertificateFacts { CertificateFacts(root) }
    public var intermediateFacts: CertificateFacts { CertificateFacts(intermediate) }
    /// The root's subject CN, as phones list it under installed certificates.
    public var rootName: String { root.commonName ?? "" }
    /// SHA-256 of the root's DER, as "AB:CD:…": what a person compares with their phone's view of the
    /// certificate before trusting it.
    public var rootFingerprint: String { CertificateFacts.fingerprint(root.der) }

    static func rootName(_ boxName: String) -> DistinguishedName {
        DistinguishedName(commonName: limited("stoep community CA (\(boxName))"), organization: "stoep community network")
    }

    static func intermediateName(_ boxName: String) -> DistinguishedName {
        DistinguishedName(commonName: limited("stoep community intermediate (\(boxName))"), organization: "stoep community network")
    }

    /// The box name back from the root's CN (for the intermediate's name on renewal).
    static func boxName(fromRootName name: String) -> String? {
        let prefix = "stoep community CA (", suffix = ")"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return nil }
        return String(name.dropFirst(prefix.count).dropLast(suffix.count))
    }

    /// A CN is at most 64 characters (RFC 5280 ub-common-name): a long box name is cut, keeping ")".
    private static func limited(_ name: String) -> String {
        guard name.count > 64 else { return name }
        return String(name.prefix(63)) + ")"
    }
}
