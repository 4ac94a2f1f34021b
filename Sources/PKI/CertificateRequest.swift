// The PKCS#10 certificate signing request ACME's finalize sends (RFC 8555 section 7.4), shaped as Go's
// lego makes it: CN = the first name (when it fits in 64 characters), every name in the subjectAltName
// (dNSName, or iPAddress for an IP literal, RFC 8738), signed with SHA-256.
import COpenSSL

public enum CertificateRequest {
    /// The DER of a CSR for `names` with `key`'s public key, signed by `key`. nil when `names` is empty,
    /// a name is neither a host name nor an IP literal, or OpenSSL fails.
    public static func der(names: [String], key: PrivateKey) -> [UInt8]? {
        defer { clearOpenSSLErrors() }
        guard let first = names.first, let request = X509_REQ_new() else { return nil }
        defer { X509_REQ_free(request) }
        guard X509_REQ_set_version(request, 0) == 1,   // 0 means v1, the only PKCS#10 version
              let subject = DistinguishedName.forHost(first).x509Name() else { return nil }
        defer { X509_NAME_free(subject) }
        guard X509_REQ_set_subject_name(request, subject) == 1,
              X509_REQ_set_pubkey(request, key.pkey) == 1,
              let general = SubjectAltName.generalNames(names) else { return nil }
        defer { GENERAL_NAMES_free(general) }
        // The extensions travel in the request's extensionRequest attribute (PKCS#9).
        var extensions: OpaquePointer?   // STACK_OF(X509_EXTENSION)*
        defer {
            // sk_X509_EXTENSION_pop_free is a macro over OPENSSL_sk_pop_free.
            if let extensions { OPENSSL_sk_pop_free(extensions) { X509_EXTENSION_free(OpaquePointer($0)) } }
        }
        guard X509V3_add1_i2d(&extensions, NID_subject_alt_name, UnsafeMutableRawPointer(general), 0,
                              UInt(X509V3_ADD_DEFAULT)) == 1,
              X509_REQ_add_extensions(request, extensions) == 1,
              X509_REQ_sign(request, key.pkey, EVP_sha256()) > 0 else { return nil }
        return derEncoded { i2d_X509_REQ(request, $0) }
    }
}
