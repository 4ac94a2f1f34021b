// Building X.509 v3 certificates and the subjectAltName both certificates and requests carry. Used by
// the TLS-ALPN-01 certificate, the community CA and the CSR; the profiles (which extensions) are theirs.
// Extensions with fixed values are written in OpenSSL's configuration syntax (`critical,CA:TRUE`), the
// one place OpenSSL documents them (x509v3_config(5)); the subjectAltName is built from GENERAL_NAMEs,
// because a name in that syntax could smuggle a "," into another entry.
import COpenSSL

/// A certificate being built; `sign` turns it into an `X509Certificate`.
final class CertificateBuilder {
    private let x509: OpaquePointer
    private var signed = false

    /// A v3 certificate for `publicKey` with `subject`, a random 128-bit serial number (RFC 5280 allows
    /// 20 octets; Go uses 128 bits too) and the validity given in seconds since the epoch.
    init?(subject: DistinguishedName, publicKey: PrivateKey, notBefore: Int64, notAfter: Int64) {
        guard let x = X509_new() else { return nil }
        x509 = x
        guard X509_set_version(x, 2) == 1,   // 2 means v3
              CertificateBuilder.setRandomSerial(x),
              let name = subject.x509Name() else { return nil }
        defer { X509_NAME_free(name) }
        guard X509_set_subject_name(x, name) == 1,
              X509_set_pubkey(x, publicKey.pkey) == 1,
              ASN1_TIME_set(X509_getm_notBefore(x), Int(notBefore)) != nil,
              ASN1_TIME_set(X509_getm_notAfter(x), Int(notAfter)) != nil else { return nil }
    }

    deinit {
        if !signed { X509_free(x509) }
    }

    private static func setRandomSerial(_ x: OpaquePointer) -> Bool {
        guard var bytes = randomBytes(16) else { return false }
        if bytes.allSatisfy({ $0 == 0 }) { bytes[15] = 1 }   // a serial number must be positive
        guard let bn = bytes.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress, 16, nil) }) else { return false }
        defer { BN_free(bn) }
        return BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nil
    }

    /// Adds an extension in x509v3_config(5) syntax. `issuer` is the issuing certificate (nil: this one,
    /// self-signed), which authorityKeyIdentifier's `keyid` reads. subjectKeyIdentifier `hash` reads this
    /// certificate's public key, so it must come after the key is set (it is, in init).
    @discardableResult
    func add(_ nid: Int32, _ value: String, issuer: X509Certificate? = nil) -> Bool {
        var ctx = X509V3_CTX()
        X509V3_set_ctx(&ctx, issuer?.x509 ?? x509, x509, nil, nil, 0)
        guard let ext = X509V3_EXT_conf_nid(nil, &ctx, nid, value) else { return false }
        defer { X509_EXTENSION_free(ext) }
        return X509_add_ext(x509, ext, -1) == 1
    }

    /// Adds the subjectAltName for `names` (host names and IP literals). Critical exactly when the
    /// subject is empty (a first name too long for a CN), as RFC 5280 section 4.2.1.6 requires.
    func addSubjectAltName(_ names: [String]) -> Bool {
        guard let general = SubjectAltName.generalNames(names) else { return false }
        defer { GENERAL_NAMES_free(general) }
        let critical: Int32 = X509_NAME_entry_count(X509_get_subject_name(x509)) == 0 ? 1 : 0
        return X509_add1_ext_i2d(x509, NID_subject_alt_name, UnsafeMutableRawPointer(general), critical, UInt(X509V3_ADD_DEFAULT)) == 1
    }

    /// Adds an extension OpenSSL has no name for: `oid` in dotted form, `value` the DER of its extnValue
    /// contents.
    func addRaw(oid: String, critical: Bool, value: [UInt8]) -> Bool {
        guard let object = OBJ_txt2obj(oid, 1) else { return false }
        defer { ASN1_OBJECT_free(object) }
        guard let octets = ASN1_OCTET_STRING_new() else { return false }
        defer { ASN1_OCTET_STRING_free(octets) }
        guard value.withUnsafeBufferPointer({ ASN1_OCTET_STRING_set(octets, $0.baseAddress, Int32($0.count)) }) == 1,
              let ext = X509_EXTENSION_create_by_OBJ(nil, object, critical ? 1 : 0, octets) else { return false }
        defer { X509_EXTENSION_free(ext) }
        return X509_add_ext(x509, ext, -1) == 1
    }

    /// Sets the issuer's name and signs with `key` (the issuer's; this certificate's own for a self-signed
    /// one). ECDSA P-384 signs with SHA-384, everything else with SHA-256. The builder is spent after it.
    func sign(issuer: X509Certificate?, key: PrivateKey) -> X509Certificate? {
        defer { clearOpenSSLErrors() }
        precondition(!signed, "CertificateBuilder.sign called twice")
        let issuerName = issuer.map { X509_get_subject_name($0.x509) } ?? X509_get_subject_name(x509)
        guard X509_set_issuer_name(x509, issuerName) == 1,
              X509_sign(x509, key.pkey, key.keyType.digest) > 0 else { return nil }
        signed = true
        return X509Certificate(owning: x509)
    }
}

/// A subject or issuer name: a CN and an optional O.
struct DistinguishedName {
    var commonName: String?
    var organization: String? = nil

    /// CN is at most 64 characters (RFC 5280 ub-common-name); a longer first name goes without a CN, as
    /// Go's lego does, and lives in the subjectAltName only.
    static func forHost(_ name: String) -> DistinguishedName {
        DistinguishedName(commonName: name.utf8.count <= 64 ? name : nil)
    }

    func x509Name() -> OpaquePointer? {
        guard let name = X509_NAME_new() else { return nil }
        for (field, value) in [("O", organization), ("CN", commonName)] {
            guard let value else { continue }
            let bytes = Array(value.utf8)
            let ok = bytes.withUnsafeBufferPointer {
                X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, $0.baseAddress, Int32($0.count), -1, 0)
            }
            guard ok == 1 else {
                X509_NAME_free(name)
                return nil
            }
        }
        return name
    }
}

/// The subjectAltName's GENERAL_NAMES for host names and IP literals.
enum SubjectAltName {
    /// A host name as a dNSName may hold it: 1-253 printable ASCII characters without space or ",", the
    /// form IDNA's A-labels and "*." wildcards have. Unicode names must be punycoded before.
    static func isHostName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: ",") }
    }

    /// GENERAL_NAMES (a new stack the caller frees with GENERAL_NAMES_free): an iPAddress for an IP
    /// literal, a dNSName for anything else. nil when a name is neither or `names` is empty.
    static func generalNames(_ names: [String]) -> OpaquePointer? {
        guard !names.isEmpty, let stack = GENERAL_NAMES_new() else { return nil }
        for name in names {
            guard let entry = generalName(name), OPENSSL_sk_push(stack, entry) > 0 else {
                GENERAL_NAMES_free(stack)
                return nil
            }
        }
        return stack
    }

    private static func generalName(_ name: String) -> UnsafeMutablePointer<GENERAL_NAME>? {
        let type: Int32
        let bytes: [UInt8]
        if let address = IPAddressText.parse(name) {
            type = GEN_IPADD
            bytes = address
        } else if isHostName(name) {
            type = GEN_DNS
            bytes = Array(name.utf8)
        } else {
            return nil
        }
        guard let entry = GENERAL_NAME_new() else { return nil }
        guard let value = ASN1_STRING_type_new(type == GEN_DNS ? V_ASN1_IA5STRING : V_ASN1_OCTET_STRING) else {
            GENERAL_NAME_free(entry)
            return nil
        }
        guard bytes.withUnsafeBufferPointer({ ASN1_STRING_set(value, $0.baseAddress, Int32($0.count)) }) == 1 else {
            ASN1_STRING_free(value)
            GENERAL_NAME_free(entry)
            return nil
        }
        GENERAL_NAME_set0_value(entry, type, UnsafeMutableRawPointer(value))   // the entry owns the value now
        return entry
    }
}
