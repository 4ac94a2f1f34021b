// The rule swarm nodes agree on certificates by (ACMEStorageMerge; docs/cluster.md): per resolver and
// name set the later notAfter wins, whatever order the documents are merged in; a broken entry never
// replaces a good one; a node's own account is kept. Certificates are real ones, cut by a community CA
// with chosen lifetimes (two issuers that both ordered the same names).
import ACME
import PKI
import XCTest

final class ACMEStorageMergeTests: XCTestCase {
    static let now: Int64 = 1_800_000_000
    /// Made per test (EC keys: a millisecond); a static one would not be Sendable.
    lazy var ca = CommunityCA.create(boxName: "merge-test", now: Self.now)

    func certificate(_ names: [String], days: Int64) throws -> ACMEStorageDocument.Certificate {
        let key = try XCTUnwrap(PrivateKey.generate(.ec256))
        let pem = try XCTUnwrap(try XCTUnwrap(ca).issue(names: names, key: key, lifetimeSeconds: days * 86400, now: Self.now))
        return .init(main: names[0], sans: Array(names.dropFirst()), certificatePEM: pem, keyPEM: key.pem)
    }

    func document(_ resolver: String, _ certificates: [ACMEStorageDocument.Certificate],
                  account: ACMEStorageDocument.Account? = nil) -> ACMEStorageDocument {
        var d = ACMEStorageDocument()
        var r = ACMEStorageDocument.Resolver()
        r.certificates = certificates
        r.account = account
        d.resolvers[resolver] = r
        return d
    }

    /// Two nodes both believed they issued: every node ends with the later certificate, in any order.
    func testTwoIssuersResolveToTheLaterNotAfterInAnyOrder() throws {
        let early = try certificate(["a.test", "www.a.test"], days: 60)
        let late = try certificate(["a.test", "www.a.test"], days: 90)
        let other = try certificate(["b.test"], days: 30)
        let x = document("le", [early, other]), y = document("le", [late])
        var xy = x
        let taken = xy.merge(y)
        XCTAssertEqual(taken.taken, [["a.test", "www.a.test"]])
        var yx = y
        yx.merge(x)
        XCTAssertEqual(xy.resolvers["le"]?.certificates.first { $0.main == "a.test" }, late)
        XCTAssertEqual(yx.resolvers["le"]?.certificates.first { $0.main == "a.test" }, late)
        XCTAssertEqual(Set(xy.resolvers["le"]!.certificates.map(\.main)), ["a.test", "b.test"])
        XCTAssertEqual(Set(yx.resolvers["le"]!.certificates.map(\.main)), ["a.test", "b.test"])
        // Idempotent: merging again changes nothing.
        XCTAssertFalse(xy.merge(y).changed)
        XCTAssertFalse(xy.merge(x).changed)
        XCTAssertFalse(yx.merge(yx).changed)
    }

    /// Equal notAfter (two orders in the same second): the larger certificate bytes, on every node.
    func testEqualNotAfterIsDecidedByTheBytes() throws {
        let one = try certificate(["c.test"], days: 90)
        let two = try certificate(["c.test"], days: 90)
        XCTAssertEqual(CertificateFacts(pem: one.certificatePEM)?.notAfter, CertificateFacts(pem: two.certificatePEM)?.notAfter)
        let larger = one.certificatePEM.lexicographicallyPrecedes(two.certificatePEM) ? two : one
        var a = document("le", [one]), b = document("le", [two])
        a.merge(document("le", [two]))
        b.merge(document("le", [one]))
        XCTAssertEqual(a.resolvers["le"]?.certificates, [larger])
        XCTAssertEqual(b.resolvers["le"]?.certificates, [larger])
    }

    /// Names compare case-insensitively (ACMEIssuer stores them lower-cased; a file from Traefik may not be).
    func testNameSetsCompareWithoutCase() throws {
        var held = document("le", [try certificate(["D.test"], days: 10)])
        let newer = try certificate(["d.test"], days: 50)
        held.merge(document("le", [newer]))
        XCTAssertEqual(held.resolvers["le"]?.certificates, [newer])
    }

    /// A peer's entry that does not parse never replaces a good one (and is not added).
    func testBrokenCertificateIsNeverTaken() throws {
        let good = try certificate(["e.test"], days: 30)
        var mine = document("le", [good])
        let broken = ACMEStorageDocument.Certificate(main: "e.test", sans: [], certificatePEM: Array("not a pem".utf8), keyPEM: [])
        let brokenNew = ACMEStorageDocument.Certificate(main: "f.test", sans: [], certificatePEM: [], keyPEM: [])
        XCTAssertFalse(mine.merge(document("le", [broken, brokenNew])).changed)
        XCTAssertEqual(mine.resolvers["le"]?.certificates, [good])
    }

    /// The account: kept when held, taken when not; resolvers not named are left alone.
    func testAccountAndResolverScope() throws {
        let mineAccount = ACMEStorageDocument.Account(email: "a@x", privateKeyDER: [1], registrationBody: nil, registrationURI: "https://ca/acct/1")
        let theirAccount = ACMEStorageDocument.Account(email: "a@x", privateKeyDER: [2], registrationBody: nil, registrationURI: "https://ca/acct/2")
        var withAccount = document("le", [], account: mineAccount)
        XCTAssertFalse(withAccount.merge(document("le", [], account: theirAccount)).changed)
        XCTAssertEqual(withAccount.resolvers["le"]?.account, mineAccount)
        var without = ACMEStorageDocument()
        let outcome = without.merge(document("le", [], account: theirAccount))
        XCTAssertEqual(outcome.accountsTaken, ["le"])
        XCTAssertEqual(without.resolvers["le"]?.account, theirAccount)
        var scoped = ACMEStorageDocument()
        XCTAssertFalse(scoped.merge(document("other", [try certificate(["g.test"], days: 5)]), resolvers: ["le"]).changed)
        XCTAssertNil(scoped.resolvers["other"])
        // What a node serves: only its own resolvers.
        var both = document("le", [])
        both.resolvers["other"] = ACMEStorageDocument.Resolver()
        XCTAssertEqual(Array(both.restricted(to: ["le"]).resolvers.keys), ["le"])
    }
}
