// The TLS-ALPN-01 challenge certificate (RFC 8737 section 3): presented during a handshake that offers
// only the "acme-tls/1" protocol, for the name being validated.
import COpenSSL

public enum ALPNChallengeCertificate {
    /// id-pe-acmeIdentifier (RFC 8737 section 6.1).
    static let acmeIdentifierOID = "1.3.6.1.5.5.7.1.31"

    /// A self-signed certificate for `name` (subjectAltName dNSName `name`, or iPAddress for an IP literal,
    /// RFC 8738) with the critical acmeIdentifier extension holding the DER OCTET STRING of
    /// SHA-256(keyAuthorization), and its new EC P-256 key, both PEM. Valid from an hour before `now` for
    /// seven days: the CA only looks at it during the validation. `now` defaults to the wall clock.
    public static func make(name: String, keyAuthorization: String, now: Int64? = nil)
        -> (certificatePEM: [UInt8], keyPEM: [UInt8])?
    {
        let now = now ?? Int64(time(nil))
        guard let key = PrivateKey.generate(.ec256),
              let builder = CertificateBuilder(subject: .forHost(name), publicKey: key,
                                               notBefore: now - 3600, notAfter: now + 7 * 86400) else { return nil }
        let digest = Digest.sha256(Array(keyAuthorization.utf8))
        // The extension's value is itself DER: OCTET STRING (tag 4), 32 bytes long.
        let identifier: [UInt8] = [0x04, 0x20] + digest
        guard builder.addSubjectAltName([name]),
              builder.addRaw(oid: acmeIdentifierOID, critical: true, value: identifier),
              let certificate = builder.sign(issuer: nil, key: key) else { return nil }
        let pem = certificate.pem
        let keyPEM = key.pem
        guard !pem.isEmpty, !keyPEM.isEmpty else { return nil }
        return (pem, keyPEM)
    }
}
