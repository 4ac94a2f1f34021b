// CSRs, the TLS-ALPN-01 certificate and CertificateFacts, read back by the openssl command line.
import Foundation
@testable import PKI
import XCTest

final class CertificateRequestTests: XCTestCase {
    func testCSRCarriesTheNamesAndVerifies() throws {
        let cli = try OpenSSLCommand()
        for type in [KeyType.ec256, .ec384, .rsa2048] {
            let key = try XCTUnwrap(PrivateKey.generate(type))
            let names = ["a.example.org", "*.b.example.org", "192.0.2.7", "2001:db8::1"]
            let der = try XCTUnwrap(CertificateRequest.der(names: names, key: key), "\(type)")
            let path = try cli.write("\(type).csr", der)
            let text = try cli.check(["req", "-inform", "DER", "-in", path, "-noout", "-text", "-verify"])
            XCTAssertTrue(text.contains("verify OK"), text)
            XCTAssertTrue(text.contains("Subject: CN = a.example.org"), text)
            XCTAssertTrue(text.contains("DNS:a.example.org, DNS:*.b.example.org, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:1"), text)
            XCTAssertTrue(text.contains("Signature Algorithm: \(type.isRSA ? "sha256WithRSAEncryption" : "ecdsa-with-SHA256")"), text)
            // The request's key is this key.
            let publicKey = try cli.check(["req", "-inform", "DER", "-in", path, "-noout", "-pubkey"])
            let keyPath = try cli.write("\(type).key", key.pem)
            XCTAssertEqual(publicKey, try cli.check(["pkey", "-in", keyPath, "-pubout"]))
        }
    }

    func testLongFirstNameGoesWithoutCNAndBadNamesAreRefused() throws {
        let cli = try OpenSSLCommand()
        let key = try XCTUnwrap(PrivateKey.generate(.ec256))
        let long = String(repeating: "a", count: 60) + ".example.org"
        let der = try XCTUnwrap(CertificateRequest.der(names: [long], key: key))
        let text = try cli.check(["req", "-inform", "DER", "-in", try cli.write("long.csr", der), "-noout", "-text"])
        XCTAssertFalse(text.contains("CN ="), text)
        XCTAssertTrue(text.contains("DNS:\(long)"), text)
        XCTAssertNil(CertificateRequest.der(names: [], key: key))
        XCTAssertNil(CertificateRequest.der(names: ["a.example.org", "b.example.org,DNS:evil.org"], key: key))
        XCTAssertNil(CertificateRequest.der(names: ["with space.org"], key: key))
    }
}

final class ALPNChallengeCertificateTests: XCTestCase {
    func testCarriesTheCriticalAcmeIdentifierWithTheDigest() throws {
        let cli = try OpenSSLCommand()
        let keyAuthorization = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
        let made = try XCTUnwrap(ALPNChallengeCertificate.make(name: "stoep.example.org", keyAuthorization: keyAuthorization))
        let certPath = try cli.write("alpn.pem", made.certificatePEM), keyPath = try cli.write("alpn.key", made.keyPEM)
        XCTAssertEqual(PrivateKey(pem: made.keyPEM)?.keyType, .ec256)
        XCTAssertTrue(String(decoding: made.keyPEM, as: UTF8.self).hasPrefix("-----BEGIN EC PRIVATE KEY-----"))

        // The extension: OID, critical (BOOLEAN 255), and an extnValue that is OCTET STRING(32 bytes).
        let asn1 = try cli.check(["asn1parse", "-in", certPath])
        let lines = asn1.split(separator: "\n").map(String.init)
        let at = try XCTUnwrap(lines.firstIndex { $0.contains(":1.3.6.1.5.5.7.1.31") }, asn1)
        XCTAssertTrue(lines[at + 1].contains("BOOLEAN") && lines[at + 1].hasSuffix(":255"), lines[at + 1])
        let digest = Digest.sha256(Array(keyAuthorization.utf8)).map { String(format: "%02X", $0) }.joined()
        XCTAssertTrue(lines[at + 2].contains("OCTET STRING") && lines[at + 2].hasSuffix("[HEX DUMP]:0420" + digest), lines[at + 2])

        // The name, self-signed, and the key belongs to the certificate.
        let text = try cli.check(["x509", "-in", certPath, "-noout", "-text"])
        XCTAssertTrue(text.contains("DNS:stoep.example.org"), text)
        XCTAssertTrue(text.contains("1.3.6.1.5.5.7.1.31: critical"), text)
        // Critical and unknown to a general verifier, so refused by it, and otherwise a valid self-signed certificate.
        let refused = try cli.run(["verify", "-CAfile", certPath, "-check_ss_sig", certPath])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("unhandled critical extension"), refused.output)
        _ = try cli.check(["verify", "-CAfile", certPath, "-check_ss_sig", "-ignore_critical", certPath])
        XCTAssertEqual(try cli.check(["x509", "-in", certPath, "-noout", "-pubkey"]),
                       try cli.check(["pkey", "-in", keyPath, "-pubout"]))
        XCTAssertEqual(CertificateFacts(pem: made.certificatePEM)?.names, ["stoep.example.org"])
    }
}

final class CertificateFactsTests: XCTestCase {
    func testValidityBeforeAndAfter2050() throws {
        // 2027-01-15 08:00:00 UTC (UTCTime), and 2052-05-22 (GeneralizedTime from 2050 on, RFC 5280).
        for now: Int64 in [1_800_000_000, 2_600_000_000] {
            let made = try XCTUnwrap(ALPNChallengeCertificate.make(name: "t.example", keyAuthorization: "k", now: now))
            let facts = try XCTUnwrap(CertificateFacts(pem: made.certificatePEM))
            XCTAssertEqual(facts.notBefore, now - 3600)
            XCTAssertEqual(facts.notAfter, now + 7 * 86400)
        }
        XCTAssertNil(CertificateFacts(pem: Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8)))
        XCTAssertEqual(UTCTime.seconds(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0), 0)
        XCTAssertEqual(UTCTime.seconds(year: 2000, month: 3, day: 1, hour: 0, minute: 0, second: 0), 951_868_800)
    }

    func testNamesOfAnOpenSSLCertificate() throws {
        let cli = try OpenSSLCommand()
        _ = try cli.check(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                           "-subj", "/CN=first.test", "-addext", "subjectAltName=DNS:first.test,IP:10.0.0.1,IP:fe80::1:2,DNS:*.w.test",
                           "-keyout", "k.pem", "-out", "c.pem"])
        let facts = try XCTUnwrap(CertificateFacts(pem: try cli.read("c.pem")))
        XCTAssertEqual(facts.names, ["first.test", "10.0.0.1", "fe80::1:2", "*.w.test"])
        XCTAssertEqual(facts.notAfter - facts.notBefore, 2 * 86400)
        _ = try cli.check(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                           "-subj", "/CN=only-cn.test", "-keyout", "k2.pem", "-out", "c2.pem"])
        XCTAssertEqual(CertificateFacts(pem: try cli.read("c2.pem"))?.names, ["only-cn.test"])
    }

    func testIPv6Text() {
        let cases: [([UInt8], String)] = [
            ([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1], "2001:db8::1"),
            ([UInt8](repeating: 0, count: 16), "::"),
            ([UInt8](repeating: 0, count: 15) + [1], "::1"),
            ([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8:0:1::1"),
            ([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], "2001:db8:1:1:1:1:1:1"),
        ]
        for (bytes, text) in cases {
            XCTAssertEqual(IPAddressText.format(bytes), text)
            XCTAssertEqual(IPAddressText.parse(text), bytes, text)
        }
        XCTAssertNil(IPAddressText.parse("host.example"))
        XCTAssertEqual(IPAddressText.parse("192.0.2.1"), [192, 0, 2, 1])
    }
}
