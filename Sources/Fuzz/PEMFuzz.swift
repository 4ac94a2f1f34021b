// PEM loading (tls.certificates files, the community CA, defaultCertificate): the input is a certificate
// file and a key file joined by a line "--split--" (without it, both are the input). The same bytes are read
// as a certificate's facts and as a private key on their own.
import PKI
import Reactor

enum PEMFuzz {
    static let separator = Array("\n--split--\n".utf8)

    @Sendable static func run(_ bytes: [UInt8]) {
        var certificate = bytes, key = bytes
        if let at = find(separator, in: bytes) {
            certificate = Array(bytes[..<at])
            key = Array(bytes[(at + separator.count)...])
        }
        _ = TLSCertificate.load(certificatePEM: certificate, keyPEM: key, source: "fuzz.pem", now: 0)
        _ = CertificateFacts(pem: certificate)
        _ = PrivateKey(pem: key)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i..<i + needle.count].elementsEqual(needle) { return i }
        return nil
    }
}
