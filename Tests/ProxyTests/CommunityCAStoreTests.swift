// The community CA's state directory: created with its modes, loaded back unchanged, an intermediate made
// again when it is missing, mismatched or ending, a root without its key refused, the clock checked,
// certificates issued and verified by `openssl verify`; the status page's downloads.
import Foundation
import PKI
@testable import Proxy
import Reactor
import XCTest

final class CommunityCAStoreTests: XCTestCase {
    private var dir: String!
    private let now = Int64(Date().timeIntervalSince1970)

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("stoep-ca-\(UUID().uuidString)").path
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private var caDir: String { dir + "/var/lib/stoep/ca" }

    private func mode(_ file: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: caDir + "/" + file)[.posixPermissions] as? Int) ?? -1
    }

    private func read(_ file: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: caDir + "/" + file))) }

    private func open(now: Int64? = nil) throws -> CommunityCAStore {
        switch CommunityCAStore.openOrCreate(directory: caDir, boxName: "test box", now: now ?? self.now) {
        case .success(let s): return s
        case .failure(let e): throw e
        }
    }

    private func openssl(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testCreatesLoadsAndIssues() throws {
        let store = try open()
        XCTAssertEqual(store.changes.count, 1)
        XCTAssertTrue(store.changes[0].hasPrefix("created the community CA \"stoep community CA (test box)\""), store.changes[0])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: caDir).sorted(),
                       ["intermediate.key", "intermediate.pem", "root.key", "root.pem"])
        let dirMode = (try FileManager.default.attributesOfItem(atPath: caDir)[.posixPermissions] as? Int) ?? -1
        XCTAssertEqual(dirMode, 0o700)
        XCTAssertEqual(try mode("root.key"), 0o600)
        XCTAssertEqual(try mode("intermediate.key"), 0o600)
        XCTAssertEqual(try mode("root.pem"), 0o644)

        // Opened again: the same root and intermediate, nothing written.
        let rootBefore = try read("root.pem"), intermediateBefore = try read("intermediate.pem")
        let again = try open()
        XCTAssertEqual(again.changes, [])
        XCTAssertEqual(try read("root.pem"), rootBefore)
        XCTAssertEqual(try read("intermediate.pem"), intermediateBefore)
        XCTAssertEqual(again.rootDownload, store.rootDownload)
        XCTAssertEqual(try CommunityCAStore.rootCertificate(directory: caDir).get(), store.rootDownload)

        let issued = try again.issue(names: ["wiki.inethilocal.net", "10.0.0.5"], lifetime: 7 * 86400, now: now).get()
        XCTAssertEqual(issued.names, ["wiki.inethilocal.net", "10.0.0.5"])
        XCTAssertEqual(issued.notAfter, now + 7 * 86400)
        XCTAssertEqual(issued.renewAt, now + 7 * 86400 * 2 / 3)
        XCTAssertEqual(PrivateKey(pem: issued.keyPEM)?.keyType, .ec256)
        let leaf = dir + "/leaf.pem"
        try Data(issued.certificatePEM).write(to: URL(fileURLWithPath: leaf))
        let (status, out) = try openssl(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", caDir + "/root.pem",
                                         "-untrusted", caDir + "/intermediate.pem", "-verify_hostname", "wiki.inethilocal.net", leaf])
        XCTAssertEqual(status, 0, out)
        // The issued pair loads as a TLS certificate the way the proxy's store loads every other.
        XCTAssertNoThrow(try TLSCertificate.load(certificatePEM: issued.certificatePEM, keyPEM: issued.keyPEM, source: "community").get())
        let rsa = try again.issue(names: ["a.lan"], keyType: .rsa2048, lifetime: 3600, now: now).get()
        XCTAssertEqual(PrivateKey(pem: rsa.keyPEM)?.keyType, .rsa2048)

        if case .success = again.issue(names: ["bad name"], lifetime: 3600, now: now) { XCTFail("a name with a space") }
        if case .success = again.issue(names: ["a.lan"], lifetime: 0, now: now) { XCTFail("no lifetime") }
    }

    func testIntermediateIsMadeAgainWhenMissingMismatchedOrEnding() throws {
        let first = try open()
        let root = try read("root.pem")
        try FileManager.default.removeItem(atPath: caDir + "/intermediate.pem")
        let second = try open()
        XCTAssertEqual(second.changes.count, 1)
        XCTAssertTrue(second.changes[0].hasPrefix("made a new intermediate"), second.changes[0])
        XCTAssertEqual(try read("root.pem"), root)
        XCTAssertNotEqual(second.ca.intermediateKeyPEM, first.ca.intermediateKeyPEM)

        // A crash between the key and the certificate: the key on disk is not the certificate's.
        try Data(PrivateKey.generate(.ec256)!.pem).write(to: URL(fileURLWithPath: caDir + "/intermediate.key"))
        XCTAssertTrue(try open().changes.first?.hasPrefix("made a new intermediate") ?? false)

        // Within 30 days of its end (a year after it was made) the intermediate is renewed at open...
        let late = now + CommunityCA.intermediateLifetime - 10 * 86400
        let renewed = try open(now: late)
        XCTAssertTrue(renewed.changes.first?.hasPrefix("renewed the intermediate") ?? false, "\(renewed.changes)")
        XCTAssertEqual(renewed.ca.intermediateFacts.notAfter, late + CommunityCA.intermediateLifetime)
        // ...and at issue when a certificate would outlive it.
        let store = try open(now: late)
        XCTAssertEqual(store.changes, [])
        let lateIssue = late + CommunityCA.intermediateLifetime - 35 * 86400   // > 30 days left, < 7 + 30
        let issued = try store.issue(names: ["a.lan"], lifetime: 7 * 86400, now: lateIssue).get()
        XCTAssertTrue(store.changes.first?.hasPrefix("renewed the intermediate") ?? false, "\(store.changes)")
        XCTAssertEqual(issued.notAfter, lateIssue + 7 * 86400)
        XCTAssertEqual(try read("root.pem"), root, "the root never changes")
    }

    func testRootWithoutItsKeyAndAnUnsetClockAreRefused() throws {
        if case .failure(let e) = CommunityCAStore.openOrCreate(directory: caDir, boxName: "b", now: 86400) {
            guard case .clockNotSet(86400) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(e.description.contains("set the time"), e.description)
        } else {
            XCTFail("created a CA in 1970")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: caDir + "/root.pem"))
        switch CommunityCAStore.rootCertificate(directory: caDir) {
        case .failure(.noCA(let d)): XCTAssertEqual(d, caDir)
        default: XCTFail("a CA where none was made")
        }

        let store = try open()
        if case .success = store.issue(names: ["a.lan"], lifetime: 3600, now: 86400) { XCTFail("issued in 1970") }
        try FileManager.default.removeItem(atPath: caDir + "/root.key")
        switch CommunityCAStore.openOrCreate(directory: caDir, boxName: "b", now: now) {
        case .success: XCTFail("opened a root without its key")
        case .failure(let e):
            XCTAssertTrue(e.description.hasSuffix("root.key: missing, but root.pem is there: the root cannot sign. Restore the key, or remove the directory to create a new CA (every device must then install the new root)"), e.description)
        }
        try Data(PrivateKey.generate(.ec256)!.pem).write(to: URL(fileURLWithPath: caDir + "/root.key"))
        if case .success = CommunityCAStore.openOrCreate(directory: caDir, boxName: "b", now: now) { XCTFail("a foreign root key") }
    }

    func testKeepsIssuedCertificatesForTheSameRootOnly() throws {
        let store = try open()
        let issued = try store.issue(names: ["*.inethilocal.net", "inethilocal.net"], lifetime: 7 * 86400, now: now).get()
        XCTAssertNil(store.kept(main: "*.inethilocal.net"))
        try store.keep(issued).get()
        XCTAssertEqual(try mode("issued/_.inethilocal.net.key"), 0o600)
        let again = try open()
        let kept = try XCTUnwrap(again.kept(main: "*.inethilocal.net"))
        XCTAssertEqual(kept.certificatePEM, issued.certificatePEM)
        XCTAssertEqual(kept.keyPEM, issued.keyPEM)
        XCTAssertEqual(kept.names, issued.names)
        XCTAssertEqual(kept.notAfter, issued.notAfter)
        XCTAssertEqual(kept.renewAt, issued.renewAt)
        XCTAssertNil(again.kept(main: "inethilocal.net"), "kept by its main name only")
        let second = try again.issue(names: ["wiki.lan"], lifetime: 3600, now: now).get()
        try again.keep(second).get()
        XCTAssertEqual(again.keptCertificates().map(\.names), [["*.inethilocal.net", "inethilocal.net"], ["wiki.lan"]])

        // A new CA (the directory's root files removed): what the old root issued is not served again.
        for file in ["root.pem", "root.key", "intermediate.pem", "intermediate.key"] {
            try FileManager.default.removeItem(atPath: caDir + "/" + file)
        }
        let fresh = try open()
        XCTAssertNil(fresh.kept(main: "*.inethilocal.net"))
        XCTAssertEqual(fresh.keptCertificates().count, 0)
    }

    func testStatusPageOffersTheRoot() throws {
        let root = try open().rootDownload
        let pem = try XCTUnwrap(root.response(for: "/stoep-ca.pem"))
        XCTAssertEqual(pem.status, 200)
        XCTAssertEqual(pem.fields.first { $0.name == "Content-Type" }?.value, "application/x-pem-file")
        XCTAssertEqual(pem.body, try read("root.pem"))
        let der = try XCTUnwrap(root.response(for: "/stoep-ca.crt"))
        XCTAssertEqual(der.fields.first { $0.name == "Content-Type" }?.value, "application/x-x509-ca-cert")
        XCTAssertEqual(der.fields.first { $0.name == "Content-Disposition" }?.value, "attachment; filename=\"stoep-ca.crt\"")
        XCTAssertEqual(der.body, CertificateFacts(pem: try read("root.pem"))?.der)
        XCTAssertNil(root.response(for: "/other"))
        XCTAssertTrue(root.htmlSection.contains("stoep community CA (test box)"))
        XCTAssertTrue(root.htmlSection.contains(root.fingerprint))

        let loop = try EventLoop(backend: .epoll, log: Logger())
        let page = StatusPage(name: "web", address: SocketAddress(host: "127.0.0.1", port: 0)!, loop: loop,
                              communityCARoot: { root }) { ("<html></html>", "{}") }
        let reply = String(decoding: page.respond(method: "GET", path: "/stoep-ca.crt"), as: UTF8.self)
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: application/x-x509-ca-cert\r\n"), reply)
        XCTAssertTrue(reply.contains("Content-Length: \(root.der.count)\r\n"), reply)
        let head = String(decoding: page.respond(method: "HEAD", path: "/stoep-ca.pem"), as: UTF8.self)
        XCTAssertTrue(head.hasSuffix("\r\n\r\n"), head)
        let none = StatusPage(name: "web", address: SocketAddress(host: "127.0.0.1", port: 0)!, loop: loop) { ("", "{}") }
        XCTAssertTrue(String(decoding: none.respond(method: "GET", path: "/stoep-ca.pem"), as: UTF8.self).hasPrefix("HTTP/1.1 404"))
    }
}
