// acme.json (Traefik's format: resolvers, account, base64 PEM certificates), read at start-up and after each
// renewal; a file written by hand or by another Traefik must give problems, never a crash. Every entry it
// accepts is loaded as a certificate, and the document written back must read back the same.
import ACME
import PKI
import Reactor

enum ACMEStorageFuzz {
    @Sendable static func run(_ bytes: [UInt8]) {
        let (document, _) = ACMEStorageDocument.parse(bytes, path: "acme.json")
        for resolver in document.resolvers.values {
            for c in resolver.certificates.prefix(4) {
                _ = TLSCertificate.load(certificatePEM: c.certificatePEM, keyPEM: c.keyPEM, source: "acme.json")
                _ = CertificateFacts(pem: c.certificatePEM)
            }
            if let key = resolver.account?.privateKeyDER { _ = PrivateKey(der: key) }
        }
        let written = document.serialized()
        let (again, problems) = ACMEStorageDocument.parse(written, path: "acme.json")
        precondition(problems.isEmpty, "acme.json written by stoep does not read back: \(problems)")
        precondition(again.resolvers == document.resolvers, "acme.json round trip changed the document")
    }
}
