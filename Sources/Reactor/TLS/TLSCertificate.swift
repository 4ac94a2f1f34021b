// A certificate with its key and chain, read from PEM text (a file, or an acme.json entry), checked
// once at load: the key must match, the certificate must not have expired. Problems are returned with
// the source's name so the configuration reports them and skips that certificate only.
import CStoepTLS
import Glibc

public final class TLSCertificate {
    let leaf: OpaquePointer
    let key: OpaquePointer
    let chain: OpaquePointer
    /// dNSName entries (lower-cased), wildcards as "*.example.org"; the CN when there are none.
    public let names: [String]
    /// Seconds since the epoch.
    public let notAfter: Int64
    /// Subject CN and decimal serial (the labels of traefik_tls_certs_not_after).
    public let commonName: String
    public let serial: String
    /// Where it came from ("certs/a.pem", "acme.json (letsencrypt) inethilocal.net", "generated").
    public let source: String

    private init(leaf: OpaquePointer, key: OpaquePointer, chain: OpaquePointer, source: String) {
        self.leaf = leaf
        self.key = key
        self.chain = chain
        self.source = source
        notAfter = stoep_tls_not_after(leaf)
        var cn = [CChar](repeating: 0, count: 256), serialText = [CChar](repeating: 0, count: 128)
        stoep_tls_certificate_facts(leaf, &cn, cn.count, &serialText, serialText.count)
        commonName = TLSCertificate.text(cn)
        serial = TLSCertificate.text(serialText)
        var buf = [CChar](repeating: 0, count: 8192)
        let used = stoep_tls_certificate_names(leaf, &buf, buf.count)
        names = buf[0..<used].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased() }
    }

    /// The issuer's common name, else its organisation; read when asked (the dashboard), not kept.
    public func issuerName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        stoep_tls_certificate_issuer(leaf, &buf, buf.count)
        return TLSCertificate.text(buf)
    }

    private static func text(_ c: [CChar]) -> String {
        String(decoding: c.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit {
        X509_free(leaf)
        EVP_PKEY_free(key)
        stoep_tls_free_chain(chain)
    }

    /// Reads a certificate (with its chain) and its key from PEM bytes. `now`: seconds since the epoch,
    /// for the expiry check.
    public static func load(certificatePEM: [UInt8], keyPEM: [UInt8], source: String,
                            now: Int64 = Int64(time(nil))) -> Result<TLSCertificate, TLSError> {
        var leafOut: OpaquePointer? = nil
        var chainOut: OpaquePointer? = nil
        let count = certificatePEM.withUnsafeBytes { stoep_tls_read_certificates($0.baseAddress, $0.count, &leafOut, &chainOut) }
        guard count > 0, let leaf = leafOut, let chain = chainOut else {
            return .failure(TLSError("\(source): no PEM certificate found"))
        }
        let key: OpaquePointer? = keyPEM.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(clamping: raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else {
            ERR_clear_error()
            X509_free(leaf)
            stoep_tls_free_chain(chain)
            return .failure(TLSError("\(source): no PEM private key found"))
        }
        let certificate = TLSCertificate(leaf: leaf, key: key, chain: chain, source: source)
        guard X509_check_private_key(leaf, key) == 1 else {
            ERR_clear_error()
            return .failure(TLSError("\(source): the private key does not match the certificate"))
        }
        if certificate.notAfter != 0 && certificate.notAfter < now {
            return .failure(TLSError("\(source): the certificate expired (notAfter \(certificate.notAfter), \(Int((now - certificate.notAfter) / 86400)) days ago)"))
        }
        return .success(certificate)
    }

    /// Reads a certificate file and a key file.
    public static func load(certFile: String, keyFile: String) -> Result<TLSCertificate, TLSError> {
        func unreadable(_ path: String, _ error: FileReadError) -> Result<TLSCertificate, TLSError> {
            let reason: Errno = if case .system(let e) = error { e } else { .fileTooLarge }
            return .failure(TLSError("\(path): cannot read (\(reason))"))
        }
        let cert: [UInt8], key: [UInt8]
        switch readWholeFile(certFile) {
        case .success(let bytes): cert = bytes
        case .failure(let e): return unreadable(certFile, e)
        }
        switch readWholeFile(keyFile) {
        case .success(let bytes): key = bytes
        case .failure(let e): return unreadable(keyFile, e)
        }
        return load(certificatePEM: cert, keyPEM: key, source: certFile)
    }

    /// A self-signed ECDSA P-256 certificate for `commonName` (also its one name), made in memory;
    /// nil when OpenSSL cannot make one.
    public static func selfSigned(commonName: String) -> TLSCertificate? {
        var cert: OpaquePointer? = nil
        var key: OpaquePointer? = nil
        guard stoep_tls_self_signed(commonName, &cert, &key) == 0, let cert, let key else { return nil }
        guard let chain = emptyChain() else { return nil }
        return TLSCertificate(leaf: cert, key: key, chain: chain, source: "generated")
    }

    private static func emptyChain() -> OpaquePointer? { stoep_tls_empty_chain() }

    /// Makes this the context's certificate (what a connection presents unless the selector says otherwise).
    @discardableResult
    func install(on context: OpaquePointer) -> Bool {
        SSL_CTX_use_cert_and_key(context, leaf, key, chain, 1) == 1
    }

    /// Presents this certificate on `ssl` (inside the server-name selector).
    func use(on ssl: OpaquePointer) -> Bool {
        stoep_tls_use_certificate(ssl, leaf, key, chain) == 0
    }

    /// Whether this certificate covers `name` (exact, or one label under a wildcard, as Go's crypto/tls).
    public func covers(_ name: String) -> Bool {
        for n in names {
            if n == name { return true }
            if n.hasPrefix("*."), let dot = name.firstIndex(of: "."), name[dot...] == n.dropFirst() { return true }
        }
        return false
    }
}
