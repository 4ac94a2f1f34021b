// The community CA: a root and intermediate, leaves for host names, wildcards and IPs, checked by
// `openssl verify` (with -x509_strict and the server purpose) and by Python's ssl in a real handshake
// (VERIFY_X509_STRICT, as Python 3.13 sets by default). The PEMs land in STOEP_PKI_OUT when it is set,
// for a look with other tools.
import Foundation
@testable import PKI
import XCTest

final class CommunityCATests: XCTestCase {
    private let now = Int64(Date().timeIntervalSince1970)

    func testLeavesVerifyAgainstTheRoot() throws {
        let cli = try OpenSSLCommand()
        let ca = try XCTUnwrap(CommunityCA.create(boxName: "kasi-net hub", now: now))
        XCTAssertEqual(ca.rootName, "stoep community CA (kasi-net hub)")
        let root = try cli.write("root.pem", ca.rootCertificatePEM)
        let intermediate = try cli.write("intermediate.pem", ca.intermediateCertificatePEM)
        for type in [KeyType.ec256, .rsa2048] {
            let key = try XCTUnwrap(PrivateKey.generate(type))
            let names = ["nextcloud.inethilocal.net", "*.inethilocal.net", "10.0.0.1", "fd00::1"]
            let chain = try XCTUnwrap(ca.issue(names: names, key: key, lifetimeSeconds: 7 * 86400, now: now))
            let leaf = try cli.write("leaf-\(type).pem", chain)
            XCTAssertEqual(X509Certificate.all(pem: chain).count, 2, "leaf + intermediate")
            XCTAssertEqual(X509Certificate.all(pem: chain).last?.der, X509Certificate(pem: ca.intermediateCertificatePEM)?.der)

            let out = try cli.check(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", root, "-untrusted", intermediate,
                                     "-verify_hostname", "nextcloud.inethilocal.net", leaf])
            XCTAssertTrue(out.contains(": OK"), out)
            _ = try cli.check(["verify", "-x509_strict", "-CAfile", root, "-untrusted", intermediate, "-verify_hostname", "wiki.inethilocal.net", leaf])
            _ = try cli.check(["verify", "-x509_strict", "-CAfile", root, "-untrusted", intermediate, "-verify_ip", "10.0.0.1", leaf])
            let wrongName = try cli.run(["verify", "-CAfile", root, "-untrusted", intermediate, "-verify_hostname", "a.b.inethilocal.net", leaf])
            XCTAssertNotEqual(wrongName.status, 0, "a wildcard covers one label")
            // Without the intermediate the leaf does not chain: it is not signed by the root itself.
            XCTAssertNotEqual(try cli.run(["verify", "-CAfile", root, "-partial_chain", leaf]).status, 0)

            let facts = try XCTUnwrap(CertificateFacts(pem: chain))
            XCTAssertEqual(facts.names, names)
            XCTAssertEqual(facts.notBefore, now - CommunityCA.backdating)
            XCTAssertEqual(facts.notAfter, now + 7 * 86400)
            let text = try cli.check(["x509", "-in", leaf, "-noout", "-text"])
            for expected in ["CA:FALSE", "TLS Web Server Authentication", "Digital Signature", "X509v3 Subject Key Identifier",
                             "X509v3 Authority Key Identifier", "Subject: CN = nextcloud.inethilocal.net",
                             "Issuer: O = stoep community network, CN = stoep community intermediate (kasi-net hub)"] {
                XCTAssertTrue(text.contains(expected), "\(type): \(expected)\n\(text)")
            }
            XCTAssertEqual(text.contains("Key Encipherment"), type.isRSA)
            try python(root: root, chain: leaf, key: try cli.write("leaf-\(type).key", key.pem), name: "nextcloud.inethilocal.net")
        }
        if let out = ProcessInfo.processInfo.environment["STOEP_PKI_OUT"] {
            for file in ["root.pem", "intermediate.pem", "leaf-ec256.pem", "leaf-ec256.key"] {
                try? FileManager.default.removeItem(atPath: out + "/" + file)
                try FileManager.default.copyItem(atPath: cli.directory.appendingPathComponent(file).path, toPath: out + "/" + file)
            }
        }
    }

    func testALongFirstNameLeavesTheSubjectEmptyAndTheSANCritical() throws {
        let cli = try OpenSSLCommand()
        let ca = try XCTUnwrap(CommunityCA.create(boxName: "box", now: now))
        let long = String(repeating: "x", count: 70) + ".lan"
        let chain = try XCTUnwrap(ca.issue(names: [long], key: try XCTUnwrap(PrivateKey.generate(.ec256)), lifetimeSeconds: 3600, now: now))
        let leaf = try cli.write("leaf.pem", chain)
        let text = try cli.check(["x509", "-in", leaf, "-noout", "-text"])
        XCTAssertTrue(text.contains("X509v3 Subject Alternative Name: critical"), text)
        XCTAssertTrue(text.contains("Subject: \n") || text.contains("Subject:\n") || !text.contains("Subject: CN"), text)
        _ = try cli.check(["verify", "-x509_strict", "-CAfile", try cli.write("root.pem", ca.rootCertificatePEM),
                           "-untrusted", try cli.write("i.pem", ca.intermediateCertificatePEM), "-verify_hostname", long, leaf])
    }

    func testRootAndIntermediateProfiles() throws {
        let cli = try OpenSSLCommand()
        let ca = try XCTUnwrap(CommunityCA.create(boxName: "box", now: now))
        let root = try cli.write("root.pem", ca.rootCertificatePEM)
        let rootText = try cli.check(["x509", "-in", root, "-noout", "-text"])
        for expected in ["X509v3 Basic Constraints: critical", "CA:TRUE", "X509v3 Key Usage: critical", "Certificate Sign, CRL Sign",
                         "ASN1 OID: prime256v1", "Signature Algorithm: ecdsa-with-SHA256",
                         "Subject: O = stoep community network, CN = stoep community CA (box)"] {
            XCTAssertTrue(rootText.contains(expected), expected + "\n" + rootText)
        }
        XCTAssertEqual(ca.rootFacts.notAfter - ca.rootFacts.notBefore, CommunityCA.rootLifetime + CommunityCA.backdating)
        let intermediate = try cli.write("intermediate.pem", ca.intermediateCertificatePEM)
        let text = try cli.check(["x509", "-in", intermediate, "-noout", "-text"])
        XCTAssertTrue(text.contains("CA:TRUE, pathlen:0"), text)
        XCTAssertTrue(text.contains("TLS Web Server Authentication"), text)
        _ = try cli.check(["verify", "-x509_strict", "-CAfile", root, intermediate])
        // The root is what phones install: its DER is the PEM's body.
        let der = try cli.write("root.crt", ca.rootCertificateDER)
        XCTAssertEqual(try cli.check(["x509", "-inform", "DER", "-in", der]), String(decoding: ca.rootCertificatePEM, as: UTF8.self))
        let fingerprint = try cli.check(["x509", "-in", root, "-noout", "-fingerprint", "-sha256"])
        XCTAssertEqual(fingerprint, "sha256 Fingerprint=\(ca.rootFingerprint)\n")
    }

    func testLoadsBackFromPEMAndRefusesMismatchedParts() throws {
        let cli = try OpenSSLCommand()
        let ca = try XCTUnwrap(CommunityCA.create(boxName: "box", now: now))
        let loaded = try XCTUnwrap(CommunityCA(rootCertificatePEM: ca.rootCertificatePEM, rootKeyPEM: ca.rootKeyPEM,
                                               intermediateCertificatePEM: ca.intermediateCertificatePEM,
                                               intermediateKeyPEM: ca.intermediateKeyPEM))
        XCTAssertEqual(loaded.rootCertificateDER, ca.rootCertificateDER)
        let key = try XCTUnwrap(PrivateKey.generate(.ec256))
        let chain = try XCTUnwrap(loaded.issue(names: ["a.lan"], key: key, lifetimeSeconds: 3600, now: now))
        _ = try cli.check(["verify", "-CAfile", try cli.write("root.pem", ca.rootCertificatePEM),
                           "-untrusted", try cli.write("i.pem", ca.intermediateCertificatePEM), try cli.write("leaf.pem", chain)])

        let other = try XCTUnwrap(CommunityCA.create(boxName: "other", now: now))
        XCTAssertNil(CommunityCA(rootCertificatePEM: ca.rootCertificatePEM, rootKeyPEM: other.rootKeyPEM,
                                 intermediateCertificatePEM: ca.intermediateCertificatePEM, intermediateKeyPEM: ca.intermediateKeyPEM),
                     "a root key of another CA")
        XCTAssertNil(CommunityCA(rootCertificatePEM: ca.rootCertificatePEM, rootKeyPEM: ca.rootKeyPEM,
                                 intermediateCertificatePEM: other.intermediateCertificatePEM, intermediateKeyPEM: other.intermediateKeyPEM),
                     "an intermediate another root signed")
        XCTAssertNil(CommunityCA(rootCertificatePEM: [], rootKeyPEM: ca.rootKeyPEM,
                                 intermediateCertificatePEM: ca.intermediateCertificatePEM, intermediateKeyPEM: ca.intermediateKeyPEM))
        XCTAssertNil(ca.issue(names: [], key: key, lifetimeSeconds: 3600, now: now))
        XCTAssertNil(ca.issue(names: ["a.lan"], key: key, lifetimeSeconds: 0, now: now))
        XCTAssertNil(ca.issue(names: ["bad,name"], key: key, lifetimeSeconds: 3600, now: now))
    }

    func testRenewedIntermediateKeepsTheRootAndCapsLeaves() throws {
        let cli = try OpenSSLCommand()
        let ca = try XCTUnwrap(CommunityCA.create(boxName: "box", now: now))
        let later = now + 300 * 86400
        let renewed = try XCTUnwrap(ca.renewingIntermediate(now: later))
        XCTAssertEqual(renewed.rootCertificateDER, ca.rootCertificateDER)
        XCTAssertNotEqual(renewed.intermediateKeyPEM, ca.intermediateKeyPEM)
        XCTAssertEqual(renewed.intermediateFacts.notAfter, later + CommunityCA.intermediateLifetime)
        let text = try cli.check(["x509", "-in", try cli.write("i.pem", renewed.intermediateCertificatePEM), "-noout", "-subject"])
        XCTAssertTrue(text.contains("stoep community intermediate (box)"), text)
        // A leaf never outlives the intermediate that signed it.
        let key = try XCTUnwrap(PrivateKey.generate(.ec256))
        let chain = try XCTUnwrap(ca.issue(names: ["a.lan"], key: key, lifetimeSeconds: 100 * 86400, now: later))
        XCTAssertEqual(CertificateFacts(pem: chain)?.notAfter, ca.intermediateFacts.notAfter)
    }

    /// A TLS 1.3 handshake in Python's ssl between a server presenting `chain` + `key` and a client that
    /// trusts only `root`, checking the host name, with X.509 strict checks on.
    private func python(root: String, chain: String, key: String, name: String) throws {
        let script = """
        import socket, ssl, sys, threading
        root, chain, key, name = sys.argv[1:5]
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(chain, key)
        client = ssl.create_default_context(cafile=root)
        client.verify_flags |= ssl.VERIFY_X509_STRICT
        a, b = socket.socketpair()
        errors = []
        def serve():
            try:
                with server.wrap_socket(a, server_side=True) as s:
                    s.sendall(s.recv(5))
            except Exception as e:
                errors.append(e)
        t = threading.Thread(target=serve)
        t.start()
        with client.wrap_socket(b, server_hostname=name) as c:
            c.sendall(b"hello")
            assert c.recv(5) == b"hello"
            print(c.version(), c.getpeercert()["subject"])
        t.join()
        assert not errors, errors
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, root, chain, key, name]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.hasPrefix("TLSv1.3"), text)
    }
}
