import ACME
import JSON
import PKI
import XCTest

final class ACMEStorageDocumentTests: XCTestCase {
    func testReadsTraefiksLayoutAndSkipsBadEntries() throws {
        let pem = Array("-----BEGIN CERTIFICATE-----\n".utf8)
        let b64 = Base64.encode(pem)
        let json = """
        {"letsencrypt": {"Account": {"Email": "a@b"}, "Certificates": [
          {"domain": {"main": "inethilocal.net", "sans": ["*.inethilocal.net"]}, "certificate": "\(b64)", "key": "\(b64)", "Store": "default"},
          {"domain": {"main": "bad.net"}, "certificate": "%%%", "key": "\(b64)"},
          {"domain": {"main": "nokey.net"}, "certificate": "\(b64)"}]},
         "other": {"Certificates": [{"domain": {"main": "o.net"}, "certificate": "\(b64)", "key": "\(b64)"}]}}
        """
        let (doc, problems) = ACMEStorageDocument.parse(Array(json.utf8), path: "acme.json")
        let le = try XCTUnwrap(doc.resolvers["letsencrypt"])
        XCTAssertEqual(le.certificates.map(\.main), ["inethilocal.net"])
        XCTAssertEqual(le.certificates.first?.sans, ["*.inethilocal.net"])
        XCTAssertEqual(le.certificates.first?.certificatePEM, pem)
        XCTAssertNil(le.account)
        XCTAssertEqual(problems, ["acme.json (letsencrypt) bad.net: certificate or key is not base64; skipped",
                                  "acme.json (letsencrypt) nokey.net: no certificate or key; skipped"])
        XCTAssertEqual(doc.resolvers["other"]?.certificates.count, 1)
        let broken = ACMEStorageDocument.parse(Array("{".utf8), path: "acme.json")
        XCTAssertTrue(broken.0.resolvers.isEmpty)
        XCTAssertTrue(broken.problems[0].hasPrefix("acme.json: not valid JSON"), broken.problems[0])
        XCTAssertTrue(ACMEStorageDocument.parse([], path: "acme.json").problems.isEmpty, "Traefik creates the file empty")
    }

    /// The bytes Go's json.MarshalIndent writes for Traefik's StoredData, and a round trip.
    func testWritesAsTraefikDoes() throws {
        var doc = ACMEStorageDocument()
        var r = ACMEStorageDocument.Resolver()
        r.account = .init(email: "a@b.org", privateKeyDER: [1, 2, 3],
                          registrationBody: .object([JSONMember("status", .string("valid")), JSONMember("contact", .array([.string("mailto:a@b.org")]))]),
                          registrationURI: "https://ca/acct/1")
        r.certificates = [.init(main: "a.org", sans: [], certificatePEM: Array("C".utf8), keyPEM: Array("K".utf8)),
                          .init(main: "b.org", sans: ["c.org"], certificatePEM: Array("C".utf8), keyPEM: Array("K".utf8))]
        doc.resolvers["le"] = r
        doc.resolvers["empty"] = ACMEStorageDocument.Resolver()
        let text = String(decoding: doc.serialized(), as: UTF8.self)
        XCTAssertEqual(text, """
        {
          "empty": {
            "Account": null,
            "Certificates": null
          },
          "le": {
            "Account": {
              "Email": "a@b.org",
              "Registration": {
                "body": {
                  "status": "valid",
                  "contact": [
                    "mailto:a@b.org"
                  ]
                },
                "uri": "https://ca/acct/1"
              },
              "PrivateKey": "AQID",
              "KeyType": "4096"
            },
            "Certificates": [
              {
                "domain": {
                  "main": "a.org"
                },
                "certificate": "Qw==",
                "key": "Sw==",
                "Store": "default"
              },
              {
                "domain": {
                  "main": "b.org",
                  "sans": [
                    "c.org"
                  ]
                },
                "certificate": "Qw==",
                "key": "Sw==",
                "Store": "default"
              }
            ]
          }
        }
        """)
        let (back, problems) = ACMEStorageDocument.parse(doc.serialized(), path: "x")
        XCTAssertEqual(problems, [])
        XCTAssertEqual(back.resolvers["le"], r)
    }
}
