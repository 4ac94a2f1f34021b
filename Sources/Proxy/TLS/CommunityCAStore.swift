// The community CA's state directory (`certificatesResolvers.NAME.localCA.storage`, default
// /var/lib/stoep/ca): the root and intermediate, loaded or created, and the certificates they issue.
// Files (docs/tls.md, "Community CA"):
//   root.pem          the root certificate: what people install, what `stoep ca export` prints (0644)
//   root.key          its EC P-256 key (0600)
//   intermediate.pem  the intermediate that signs, renewed by the store before it ends (0644)
//   intermediate.key  its key (0600)
//   issued/NAME.pem   a certificate issued and kept (leaf + intermediate), NAME its main name with "*"
//   issued/NAME.key   written "_" (0644 / 0600): served again after a restart instead of issued anew
// The directory is made 0700. Every file is written through the Reactor's writeFileAtomically, keys
// before certificates, so a power cut leaves a state `openOrCreate` can go on from: a root key without
// its certificate is a root never handed out (made again); a root certificate without its key is an
// error (a new root would break every phone that installed the old one, so a person decides); an
// intermediate that is missing, foreign or mismatched is made again.
// Blocking file I/O and key generation: at start-up, on reload, and once per issued certificate (an
// EC P-256 key and two signatures, about a millisecond), never per request.
import PKI
import Reactor

public final class CommunityCAStore {
    public static let rootCertificateFile = "root.pem"
    public static let rootKeyFile = "root.key"
    public static let intermediateCertificateFile = "intermediate.pem"
    public static let intermediateKeyFile = "intermediate.key"
    /// No CA is created, and no certificate issued, while the clock says earlier than 2025-01-01: a box
    /// with no RTC and no NTP boots in 1970, and a root made then would be expired for every phone.
    public static let earliestPlausibleTime: Int64 = 1_735_689_600
    /// The intermediate is renewed when less than this is left (or less than a certificate's lifetime).
    public static let intermediateRenewalMargin: Int64 = 30 * 86400

    /// Why the store cannot serve. Each case names the file and what a person can do.
    public enum Failure: Error, CustomStringConvertible {
        /// `open`: the directory holds no root yet.
        case noCA(directory: String)
        case cannotRead(path: String, FileReadError)
        case cannotWrite(path: String, SystemError)
        /// A file that is there but unusable (the root's key missing or not the root's).
        case broken(path: String, reason: String)
        /// The clock is before `earliestPlausibleTime`.
        case clockNotSet(now: Int64)
        /// `issue` was given names a certificate cannot hold, or a lifetime of zero.
        case refused(String)
        /// OpenSSL could not generate or sign (no entropy, out of memory).
        case openSSL(String)

        public var description: String {
            switch self {
            case .noCA(let d): return "\(d): no community CA yet (stoep creates it when a router uses a localCA resolver)"
            case .cannotRead(let p, let e): return "\(p): cannot read: \(e)"
            case .cannotWrite(let p, let e): return "\(p): cannot write: \(e)"
            case .broken(let p, let reason): return "\(p): \(reason)"
            case .clockNotSet(let now):
                return "the clock says \(now) s since 1970, before 2025: set the time (NTP, or `date -s`) before the community CA is used"
            case .refused(let why): return why
            case .openSSL(let what): return "\(what) failed in OpenSSL"
            }
        }
    }

    public let directory: String
    public private(set) var ca: CommunityCA
    /// What `openOrCreate` or the last `issue` changed on disk, for the log ("created the community CA
    /// root …", "renewed the intermediate …"); the caller empties it after logging.
    public var changes: [String] = []

    private init(directory: String, ca: CommunityCA) {
        self.directory = directory
        self.ca = ca
    }

    private static func path(_ directory: String, _ file: String) -> String {
        directory.hasSuffix("/") ? directory + file : directory + "/" + file
    }

    /// The root certificate as stored (`stoep ca export`), without loading keys.
    public static func rootCertificate(directory: String) -> Result<CommunityCARoot, Failure> {
        let file = path(directory, rootCertificateFile)
        switch readWholeFile(file, limit: 1 << 20) {
        case .failure(.system(let e)) where e == .noSuchFileOrDirectory: return .failure(.noCA(directory: directory))
        case .failure(let e): return .failure(.cannotRead(path: file, e))
        case .success(let pem):
            guard let facts = CertificateFacts(pem: pem) else { return .failure(.broken(path: file, reason: "not a PEM certificate")) }
            return .success(CommunityCARoot(pem: pem, der: facts.der, name: facts.subjectCommonName ?? "",
                                            fingerprint: facts.fingerprint, notAfter: facts.notAfter))
        }
    }

    /// The CA in `directory`, created (root, intermediate, directory) when there is none, its
    /// intermediate made again when missing, broken or within `intermediateRenewalMargin` of its end.
    /// `boxName` names a new root ("stoep community CA (<boxName>)"). `now` in seconds since the epoch.
    public static func openOrCreate(directory: String, boxName: String,
                                    now: Int64 = Int64(wallClockSeconds())) -> Result<CommunityCAStore, Failure> {
        do throws(Failure) {
            do {
                try createDirectories(path: directory, mode: 0o700)
            } catch {
                throw .cannotWrite(path: directory, error)
            }
            let rootFile = path(directory, rootCertificateFile), rootKeyFile = path(directory, rootKeyFile)
            guard let rootPEM = try readIfPresent(rootFile) else {
                return .success(try create(directory: directory, boxName: boxName, now: now))
            }
            guard let rootKeyPEM = try readIfPresent(rootKeyFile) else {
                throw .broken(path: rootKeyFile, reason: "missing, but \(rootCertificateFile) is there: the root cannot sign. "
                              + "Restore the key, or remove the directory to create a new CA (every device must then install the new root)")
            }
            guard CommunityCA.rootMatches(rootCertificatePEM: rootPEM, rootKeyPEM: rootKeyPEM) else {
                throw .broken(path: rootKeyFile, reason: "not the key of \(rootCertificateFile) (or one of them does not read)")
            }
            let intermediatePEM = try readIfPresent(path(directory, intermediateCertificateFile))
            let intermediateKeyPEM = try readIfPresent(path(directory, intermediateKeyFile))
            if let intermediatePEM, let intermediateKeyPEM,
               let ca = CommunityCA(rootCertificatePEM: rootPEM, rootKeyPEM: rootKeyPEM,
                                    intermediateCertificatePEM: intermediatePEM, intermediateKeyPEM: intermediateKeyPEM) {
                let store = CommunityCAStore(directory: directory, ca: ca)
                try store.renewIntermediate(ifWithin: intermediateRenewalMargin, now: now)
                return .success(store)
            }
            guard let ca = CommunityCA.withNewIntermediate(rootCertificatePEM: rootPEM, rootKeyPEM: rootKeyPEM, now: now) else {
                throw .openSSL("making the intermediate")
            }
            let store = CommunityCAStore(directory: directory, ca: ca)
            try store.writeIntermediate()
            store.changes.append("made a new intermediate (the stored one was missing or did not match the root), valid until \(ca.intermediateFacts.notAfter)")
            return .success(store)
        } catch {
            return .failure(error)
        }
    }

    private static func create(directory: String, boxName: String, now: Int64) throws(Failure) -> CommunityCAStore {
        guard now >= earliestPlausibleTime else { throw .clockNotSet(now: now) }
        guard let ca = CommunityCA.create(boxName: boxName, now: now) else { throw .openSSL("creating the community CA") }
        let store = CommunityCAStore(directory: directory, ca: ca)
        try store.write(rootKeyFile, ca.rootKeyPEM, mode: 0o600)
        try store.write(rootCertificateFile, ca.rootCertificatePEM, mode: 0o644)
        try store.writeIntermediate()
        store.changes.append("created the community CA \"\(ca.rootName)\" in \(directory), SHA-256 fingerprint \(ca.rootFingerprint)")
        return store
    }

    private static func readIfPresent(_ file: String) throws(Failure) -> [UInt8]? {
        switch readWholeFile(file, limit: 1 << 20) {
        case .success(let bytes): return bytes
        case .failure(.system(let e)) where e == .noSuchFileOrDirectory: return nil
        case .failure(let e): throw .cannotRead(path: file, e)
        }
    }

    private func write(_ file: String, _ bytes: [UInt8], mode: UInt32) throws(Failure) {
        let target = CommunityCAStore.path(directory, file)
        do {
            try writeFileAtomically(path: target, bytes: bytes, mode: mode)
        } catch {
            throw .cannotWrite(path: target, error)
        }
    }

    private func writeIntermediate() throws(Failure) {
        try write(CommunityCAStore.intermediateKeyFile, ca.intermediateKeyPEM, mode: 0o600)
        try write(CommunityCAStore.intermediateCertificateFile, ca.intermediateCertificatePEM, mode: 0o644)
    }

    /// Replaces the intermediate when less than `margin` seconds of it are left.
    private func renewIntermediate(ifWithin margin: Int64, now: Int64) throws(Failure) {
        guard ca.intermediateFacts.notAfter - now < margin, now >= CommunityCAStore.earliestPlausibleTime else { return }
        guard let renewed = ca.renewingIntermediate(now: now) else { throw .openSSL("renewing the intermediate") }
        ca = renewed
        try writeIntermediate()
        changes.append("renewed the intermediate, valid until \(renewed.intermediateFacts.notAfter)")
    }

    /// A new certificate for `names` with a new key of `keyType`, valid `lifetime` seconds from `now`
    /// (EC256 by default: generated in a millisecond, where RSA4096 takes a second of the loop on a small
    /// board). The intermediate is renewed first when it would end within the certificate's lifetime (or
    /// half its own, for very long ones) plus `intermediateRenewalMargin`; otherwise a leaf is cut short at
    /// the intermediate's end.
    public func issue(names: [String], keyType: KeyType = .ec256, lifetime: Int64,
                      now: Int64 = Int64(wallClockSeconds())) -> Result<CommunityCertificate, Failure> {
        guard !names.isEmpty, lifetime > 0 else { return .failure(.refused("a certificate needs a name and a lifetime")) }
        guard now >= CommunityCAStore.earliestPlausibleTime else { return .failure(.clockNotSet(now: now)) }
        do {
            try renewIntermediate(ifWithin: min(lifetime, CommunityCA.intermediateLifetime / 2) + CommunityCAStore.intermediateRenewalMargin,
                                  now: now)
        } catch {
            return .failure(error)
        }
        guard let key = PrivateKey.generate(keyType) else { return .failure(.openSSL("generating a \(keyType.rawValue) key")) }
        guard let chain = ca.issue(names: names, key: key, lifetimeSeconds: lifetime, now: now),
              let facts = CertificateFacts(pem: chain) else {
            return .failure(.refused("cannot issue a certificate for \(names.joined(separator: ", ")): "
                                     + "each name must be a host name (punycode for non-ASCII), a *. wildcard or an IP address"))
        }
        return .success(CommunityCertificate(certificatePEM: chain, keyPEM: key.pem, names: facts.names,
                                             notBefore: facts.notBefore, notAfter: facts.notAfter,
                                             renewAt: now + (facts.notAfter - now) * 2 / 3))
    }

    /// Keeps `certificate` as `issued/<main name>.pem` and `.key` (key first, 0600), replacing the one
    /// kept for that name before.
    public func keep(_ certificate: CommunityCertificate) -> Result<Void, Failure> {
        guard let main = certificate.names.first else { return .failure(.refused("a certificate without names")) }
        let issued = CommunityCAStore.path(directory, CommunityCAStore.issuedDirectory)
        do {
            try createDirectories(path: issued, mode: 0o700)
        } catch {
            return .failure(.cannotWrite(path: issued, error))
        }
        let stem = CommunityCAStore.issuedDirectory + "/" + CommunityCAStore.fileStem(main)
        do throws(Failure) {
            try write(stem + ".key", certificate.keyPEM, mode: 0o600)
            try write(stem + ".pem", certificate.certificatePEM, mode: 0o644)
        } catch {
            return .failure(error)
        }
        return .success(())
    }

    /// The certificate kept for `main`, nil when there is none, it does not read, or this CA's root did
    /// not issue it (the CA was made anew). Expired ones are returned too: the caller's renewal decides.
    public func kept(main: String) -> CommunityCertificate? {
        guard let kept = kept(stem: CommunityCAStore.fileStem(main)), kept.names.first == main else { return nil }
        return kept
    }

    private func kept(stem: String) -> CommunityCertificate? {
        let base = CommunityCAStore.path(directory, CommunityCAStore.issuedDirectory + "/" + stem)
        guard case .success(let chain) = readWholeFile(base + ".pem", limit: 1 << 20),
              case .success(let key) = readWholeFile(base + ".key", limit: 1 << 20),
              let facts = CertificateFacts(pem: chain), !facts.names.isEmpty, ca.issued(chainPEM: chain) else { return nil }
        let issuedAt = facts.notBefore + CommunityCA.backdating
        return CommunityCertificate(certificatePEM: chain, keyPEM: key, names: facts.names, notBefore: facts.notBefore,
                                    notAfter: facts.notAfter, renewAt: issuedAt + (facts.notAfter - issuedAt) * 2 / 3)
    }

    /// Every certificate kept in `issued/` that this CA's root issued (what the resolver holds after a
    /// restart), in file name order.
    public func keptCertificates() -> [CommunityCertificate] {
        let issued = CommunityCAStore.path(directory, CommunityCAStore.issuedDirectory)
        guard case .success(let files) = directoryEntries(path: issued) else { return [] }
        return files.filter { $0.hasSuffix(".pem") }.compactMap { file in
            let stem = String(file.dropLast(4))
            guard let kept = kept(stem: stem), CommunityCAStore.fileStem(kept.names[0]) == stem else { return nil }
            return kept
        }
    }

    public static let issuedDirectory = "issued"

    /// A name as a file name: "*" (a wildcard) becomes "_"; a "/" cannot occur in a name `issue` accepts,
    /// but is replaced too.
    static func fileStem(_ name: String) -> String {
        String(name.map { $0 == "*" || $0 == "/" ? "_" : $0 })
    }

    /// The root as PEM and DER, its name and fingerprint: what the status page offers for download.
    public var rootDownload: CommunityCARoot {
        CommunityCARoot(pem: ca.rootCertificatePEM, der: ca.rootCertificateDER, name: ca.rootName,
                        fingerprint: ca.rootFingerprint, notAfter: ca.rootFacts.notAfter)
    }
}

/// A certificate the community CA issued, with its key.
public struct CommunityCertificate: Sendable {
    /// Leaf then intermediate, PEM (what a TLS server presents).
    public let certificatePEM: [UInt8]
    /// Its key, PEM ("EC PRIVATE KEY" for EC256).
    public let keyPEM: [UInt8]
    public let names: [String]
    public let notBefore: Int64
    public let notAfter: Int64
    /// Two thirds of the way from issuing to notAfter (issue 14: "renewed at two thirds").
    public let renewAt: Int64
}
