// Turns the TLS configuration into the certificate set a TLS entry point presents: PEM files of
// `tls.certificates` (or inline PEM, as Traefik allows), every resolver's acme.json, and the default
// certificate of `tls.stores.default` — else one self-signed at start, as Traefik does. Each unusable
// certificate (unreadable, key mismatch, expired) is reported with its file and skipped.
import Config
import ACME
import Reactor

public struct TLSSettings: Equatable {
    public var certificates: [TraefikCertificate] = []
    public var defaultCertificate: TraefikCertificate?
    /// certificatesResolvers.NAME.acme.storage, by resolver name.
    public var acmeStorages: [String: String] = [:]
    /// tls.options.default.
    public var minVersion: String?
    public var maxVersion: String?
    public var sniStrict = false
    /// `tls.stores.default.defaultGeneratedCert`'s names: the resolver's certificate for them is the default.
    public var defaultGeneratedNames: [String]?

    public init() {}

    /// The files whose change means the certificates must be read again.
    public var files: [String] {
        var out = certificates.flatMap { [$0.certFile, $0.keyFile] }
        if let d = defaultCertificate { out += [d.certFile, d.keyFile] }
        out += acmeStorages.values
        return Array(Set(out.filter { !$0.hasPrefix("-----") })).sorted()
    }
}

public enum TLSCertificateLoader {
    public struct Loaded {
        public let set: TLSCertificateSet
        /// Lines for the log and `show config-errors`.
        public let problems: [String]
        /// Whether the default certificate was generated (no usable default configured).
        public let generatedDefault: Bool
        /// What each file gave (certFile path or acme.json path): the last good version, kept when a
        /// renewal leaves a file unreadable or half-written.
        public let bySource: [String: [TLSCertificate]]
    }

    /// Reads every certificate; never fails as a whole (the worst case is a generated default alone).
    /// `previousDefault`: a generated default to keep across reloads, so clients see one certificate.
    /// `lastGood`: `bySource` of the previous load (live reloads); a file that now fails entirely keeps it.
    /// `issued`: what stoep's own resolvers serve from memory (the community CA), after every file's.
    public static func load(_ settings: TLSSettings, previousGenerated: TLSCertificate? = nil,
                            lastGood: [String: [TLSCertificate]] = [:], issued: [TLSCertificate] = []) -> Loaded? {
        var problems: [String] = []
        var certificates: [TLSCertificate] = []
        var bySource: [String: [TLSCertificate]] = [:]
        func keepLastGood(_ path: String) {
            guard let kept = lastGood[path], !kept.isEmpty else { return }
            problems.append("\(path): keeping the \(kept.count) certificate(s) read from it before")
            certificates += kept
            bySource[path] = kept
        }
        for c in settings.certificates {
            switch read(c) {
            case .success(let cert):
                certificates.append(cert)
                bySource[c.certFile] = [cert]
            case .failure(let e):
                problems.append("\(c.location): tls certificate \(e); skipped")
                keepLastGood(c.certFile)
            }
        }
        for (resolver, path) in settings.acmeStorages.sorted(by: { $0.key < $1.key }) {
            let read = readWholeFile(path)
            // A resolver's storage that does not exist yet is normal: the resolver creates it (Traefik too).
            if case .failure(.system(.noSuchFileOrDirectory)) = read { continue }
            guard case .success(let bytes) = read else {
                problems.append("\(path): certificatesResolvers.\(resolver).acme.storage cannot be read; no certificates from it")
                keepLastGood(path)
                continue
            }
            let (document, issues) = ACMEStorageDocument.parse(bytes, path: path)
            let entries = document.resolvers[resolver]?.certificates ?? []
            problems += issues
            if entries.isEmpty && !issues.isEmpty {
                keepLastGood(path)
                continue
            }
            var fromFile: [TLSCertificate] = []
            for e in entries {
                let source = "\(path) (\(resolver)) \(e.main)"
                switch TLSCertificate.load(certificatePEM: e.certificatePEM, keyPEM: e.keyPEM, source: source) {
                case .success(let cert): fromFile.append(cert)
                case .failure(let err): problems.append("\(err); skipped")
                }
            }
            certificates += fromFile
            bySource[path, default: []] += fromFile
        }
        var defaultCertificate: TLSCertificate? = nil
        if let d = settings.defaultCertificate {
            switch read(d) {
            case .success(let cert): defaultCertificate = cert
            case .failure(let e): problems.append("\(d.location): tls.stores.default.defaultCertificate \(e); a generated one is used")
            }
        }
        certificates += issued
        // defaultGeneratedCert: the resolver's certificate for those names, once it exists (until then, the
        // generated one below, as Traefik serves its own default meanwhile).
        if defaultCertificate == nil, let wanted = settings.defaultGeneratedNames {
            defaultCertificate = certificates.first { c in wanted.allSatisfy { c.names.contains($0.lowercased()) } }
        }
        var generated = false
        if defaultCertificate == nil {
            generated = true
            defaultCertificate = previousGenerated ?? TraefikDefaultCertificate.generate()
            // Stated on every read, so `show config-errors` keeps it; the log repeats no line it already has.
            problems.append("no default certificate configured: serving a generated self-signed one (CN \(TraefikDefaultCertificate.commonName)) to clients whose server name matches no certificate")
        }
        guard let def = defaultCertificate else { return nil }
        return Loaded(set: TLSCertificateSet(certificates, defaultCertificate: def, sniStrict: settings.sniStrict),
                      problems: problems, generatedDefault: generated, bySource: bySource)
    }

    private static func read(_ c: TraefikCertificate) -> Result<TLSCertificate, TLSError> {
        // Traefik accepts the PEM text itself in certFile/keyFile.
        if c.certFile.hasPrefix("-----") || c.keyFile.hasPrefix("-----") {
            guard let cert = c.certFile.hasPrefix("-----") ? Array(c.certFile.utf8) : try? readWholeFile(c.certFile).get(),
                  let key = c.keyFile.hasPrefix("-----") ? Array(c.keyFile.utf8) : try? readWholeFile(c.keyFile).get() else {
                return .failure(TLSError("\(c.certFile.hasPrefix("-----") ? c.keyFile : c.certFile): cannot read"))
            }
            return TLSCertificate.load(certificatePEM: cert, keyPEM: key, source: "inline PEM")
        }
        return TLSCertificate.load(certFile: c.certFile, keyFile: c.keyFile)
    }
}
