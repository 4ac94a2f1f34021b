// Certificates as TLS entry points load and choose them: PEM with chain, key mismatch, expiry, SNI
// selection (exact, one-label wildcard, default, sniStrict), and Traefik's acme.json layout.
// Certificates are made with the openssl command line in a temporary directory.
import Foundation
@testable import Proxy
import Reactor
import XCTest

final class TLSCertificateTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoep-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A self-signed P-256 certificate for `names` (the first is the CN); returns (cert path, key path).
    private func make(_ stem: String, _ names: [String]) throws -> (String, String) {
        let cert = dir.appendingPathComponent("\(stem).crt").path, key = dir.appendingPathComponent("\(stem).key").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3",
                       "-subj", "/CN=\(names[0])", "-addext", "subjectAltName=" + names.map { "DNS:\($0)" }.joined(separator: ","),
                       "-keyout", key, "-out", cert]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return (cert, key)
    }

    private func load(_ paths: (String, String)) throws -> TLSCertificate {
        try TLSCertificateLoaderTestSupport.unwrap(TLSCertificate.load(certFile: paths.0, keyFile: paths.1))
    }

    func testLoadsNamesAndRejectsMismatchExpiryAndMissingFiles() throws {
        let a = try make("a", ["a.test", "*.wild.test"])
        let b = try make("b", ["b.test"])
        let cert = try load(a)
        XCTAssertEqual(cert.names, ["a.test", "*.wild.test"])
        XCTAssertTrue(cert.covers("x.wild.test"))
        XCTAssertFalse(cert.covers("y.x.wild.test"))
        switch TLSCertificate.load(certFile: a.0, keyFile: b.1) {
        case .success: XCTFail("a key of another certificate was accepted")
        case .failure(let e): XCTAssertTrue(e.description.hasSuffix("a.crt: the private key does not match the certificate"), e.description)
        }
        let pem = [UInt8](try Data(contentsOf: URL(fileURLWithPath: a.0))), key = [UInt8](try Data(contentsOf: URL(fileURLWithPath: a.1)))
        switch TLSCertificate.load(certificatePEM: pem, keyPEM: key, source: "future", now: Int64(Date().timeIntervalSince1970) + 10 * 86400) {
        case .success: XCTFail("an expired certificate was accepted")
        case .failure(let e): XCTAssertTrue(e.description.contains("future: the certificate expired"), e.description)
        }
        switch TLSCertificate.load(certFile: dir.appendingPathComponent("none.crt").path, keyFile: a.1) {
        case .success: XCTFail()
        case .failure(let e): XCTAssertTrue(e.description.contains("none.crt: cannot read"), e.description)
        }
        switch TLSCertificate.load(certificatePEM: Array("garbage".utf8), keyPEM: key, source: "g") {
        case .success: XCTFail()
        case .failure(let e): XCTAssertEqual(e.description, "g: no PEM certificate found")
        }
    }

    func testSelectionByServerName() throws {
        let exact = try load(make("exact", ["app.test"]))
        let wild = try load(make("wild", ["*.app.test"]))
        let late = try load(make("late", ["app.test"]))
        let fallback = try XCTUnwrap(TraefikDefaultCertificate.generate())
        let set = TLSCertificateSet([exact, wild, late], defaultCertificate: fallback)
        XCTAssertTrue(set.select("app.test") === exact, "the first certificate naming it wins")
        XCTAssertTrue(set.select("radio.app.test") === wild)
        XCTAssertTrue(set.select("a.radio.app.test") === fallback, "a wildcard covers one label only")
        XCTAssertTrue(set.select(nil) === fallback)
        XCTAssertTrue(set.select("other.test") === fallback)
        XCTAssertEqual(fallback.names, ["traefik default cert"])
        let strict = TLSCertificateSet([exact], defaultCertificate: fallback, sniStrict: true)
        XCTAssertNil(strict.select("other.test"))
        XCTAssertNil(strict.select(nil))
        // What the Reactor's server context is told per ClientHello.
        if case .defaultCertificate = set.choose(for: TLSClientHello(serverName: "other.test")) {} else { XCTFail("the default is the context's own") }
        if case .certificate(let c) = set.choose(for: TLSClientHello(serverName: "app.test")) { XCTAssertTrue(c === exact) } else { XCTFail() }
        if case .refuse(let reason) = strict.choose(for: TLSClientHello(serverName: nil)) {
            XCTAssertEqual(reason, "no certificate for the server name (sniStrict)")
        } else { XCTFail("sniStrict refuses a hello without a known name") }
        XCTAssertEqual(TLSSettings.protocolVersion("VersionTLS13"), .tls1_3)
        XCTAssertEqual(TLSSettings.protocolVersion("VersionTLS10"), .tls1_0)
        XCTAssertNil(TLSSettings.protocolVersion("TLS1.0"))
    }

}

enum TLSCertificateLoaderTestSupport {
    struct Failed: Error { let why: String }
    static func unwrap(_ r: Result<TLSCertificate, TLSError>) throws -> TLSCertificate {
        switch r {
        case .success(let c): return c
        case .failure(let e): throw Failed(why: e.description)
        }
    }
}
