// Digests and password hashes behind basicAuth, against published vectors and hashes from other tools:
// python's hashlib/crypt (glibc/libxcrypt), openssl passwd -apr1, and the inethi fixture.
@testable import Proxy
import PKI
import XCTest

final class BasicAuthHashTests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    // RFC 1321 appendix A.5 and FIPS 180 examples (values checked with python hashlib).
    private let digestCases: [(message: String, md5: String, sha1: String)] = [
        ("", "d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("a", "0cc175b9c0f1b6a831c399e269772661", "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0", "c12252ceda8be8994d5fa0290a47231c1d16aae3"),
        (String(repeating: "a", count: 1000), "cabe45dcc9ae5b66ba86600cca6b8ba8", "291e9a6c66994949b57ba5e650361e98fc36b1ba"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a", "50abf5706a150990a08b2c5ea40fa0e585554732"),
    ]

    func testMD5AndSHA1Vectors() {
        for c in digestCases {
            XCTAssertEqual(hex(MD5.digest(Array(c.message.utf8))), c.md5, "md5 of \(c.message.prefix(20))")
            XCTAssertEqual(hex(SHA1.digest(Array(c.message.utf8))), c.sha1, "sha1 of \(c.message.prefix(20))")
        }
        // Lengths around the 56-byte padding boundary.
        for n in [55, 56, 57, 63, 64, 65] {
            let m = [UInt8](repeating: 0x61, count: n)
            XCTAssertEqual(MD5.digest(m).count, 16)
            XCTAssertEqual(SHA1.digest(m).count, 20)
        }
        XCTAssertEqual(hex(MD5.digest(Array(String(repeating: "a", count: 56).utf8))), "3b0c8ac703f828b04c6c197006d17218")
    }

    func testBase64() {
        let cases: [(plain: String, encoded: String)] = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"), ("inethi:community", "aW5ldGhpOmNvbW11bml0eQ=="),
        ]
        for c in cases {
            XCTAssertEqual(Base64.encode(Array(c.plain.utf8)), c.encoded)
            XCTAssertEqual(Base64.decode(Array(c.encoded.utf8)), Array(c.plain.utf8), c.encoded)
        }
        XCTAssertEqual(Base64.decode(Array("+/+/".utf8)), [0xFB, 0xFF, 0xBF])
        XCTAssertEqual(Base64.decode(Array("Zm9v\r\nYg==".utf8)), Array("foob".utf8), "Go skips CR and LF")
        XCTAssertEqual(Base64.decode(Array("Zg=\n=\r\n".utf8)), Array("f".utf8), "also inside and after the padding")
        XCTAssertEqual(Base64.decode(Array("Zm9=".utf8)), Array("fo".utf8), "Go's StdEncoding ignores the unused bits")
        // OpenSSL's EVP_DecodeBlock alone would accept some of these (white space trimmed, "=" as zero bits).
        for bad in ["Zg", "Zg=", "Z===", "Zm9vY", "Zg==Zg==", "Zg=a", "Zm9v!", "Zm 9v", "Zg===", " Zm9v", "Zm9v    ",
                    "Zm9v\t", "Zm=v", "=Zm9", "====", "Zm9v===="] {
            XCTAssertNil(Base64.decode(Array(bad.utf8)), bad)
        }
    }

    func testSchemeByPrefix() {
        let cases: [(String, PasswordHash.Scheme)] = [
            ("{SHA}x", .sha1), ("$2a$10$x", .bcrypt), ("$2b$x", .bcrypt), ("$2x$x", .bcrypt), ("$2y$x", .bcrypt),
            ("$apr1$x$y", .md5Crypt), ("$1$x$y", .md5Crypt), ("plain", .md5Crypt), ("{sha}x", .md5Crypt),
        ]
        for (hash, scheme) in cases { XCTAssertEqual(PasswordHash.scheme(of: hash), scheme, hash) }
    }

    /// (password, hash, matches): MD5-crypt from openssl / python crypt, {SHA} from hashlib+base64 (htpasswd -s
    /// format), bcrypt from python crypt (libxcrypt, cost 4 so the table stays fast).
    private let verifyCases: [(password: String, hash: String, matches: Bool)] = [
        ("community", "$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv.", true),   // the inethi fixture
        ("Community", "$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv.", false),
        ("", "$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv.", false),
        ("pw", "$1$saltsalt$6SNdNaZLKst2LlSm7oPPL1", true),
        ("pw ", "$1$saltsalt$6SNdNaZLKst2LlSm7oPPL1", false),
        ("", "$1$abc$Or2rbeUYTvt12aiVzMuS/.", true),
        ("a much longer password than sixteen bytes", "$1$12345678$yLppq.aqtfjKiej5RWDLq/", true),
        ("pw", "$1$saltsalt$6SNdNaZLKst2LlSm7oPPL2", false),
        ("pw", "$1$saltsalt", false),
        ("pw", "pw", false),   // plain text is not a hash
        ("pw", "{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", true),
        ("community", "{SHA}QYsDyRIVzJGbBBEzjmSh+ajAHpo=", true),
        ("pW", "{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", false),
        ("pw", "{SHA}", false),
        ("pw", "$2b$04$.BjbsaAlKW1MQbUo1xG9ZOyXZ67KM4K4J4CWhF0qXVVLgbzWVAoti", true),
        ("pw", "$2y$04$.BjbsaAlKW1MQbUo1xG9ZOyXZ67KM4K4J4CWhF0qXVVLgbzWVAoti", true),   // Go: all variants alike
        ("pw", "$2a$04$.BjbsaAlKW1MQbUo1xG9ZOyXZ67KM4K4J4CWhF0qXVVLgbzWVAoti", true),
        ("px", "$2b$04$.BjbsaAlKW1MQbUo1xG9ZOyXZ67KM4K4J4CWhF0qXVVLgbzWVAoti", false),
        ("pw", "$2b$04$.BjbsaAlKW1MQbUo1xG9ZOyXZ67KM4K4J4CWhF0qXVVLgbzWVAotj", false),
        ("pw", "$2b$04$short", false),
        ("pw", "$2b$99$.BjbsaAlKW1MQbUo1xG9ZOyXZ67KM4K4J4CWhF0qXVVLgbzWVAoti", false),   // cost out of range
        ("p\u{0}w", "$2b$04$.BjbsaAlKW1MQbUo1xG9ZOyXZ67KM4K4J4CWhF0qXVVLgbzWVAoti", false),
    ]

    func testVerify() {
        for c in verifyCases {
            XCTAssertEqual(PasswordHash.verify(password: Array(c.password.utf8), hash: c.hash), c.matches, "\(c.password) vs \(c.hash)")
        }
    }

    /// python3 -c "import crypt; print(crypt.crypt('pw', crypt.mksalt(crypt.METHOD_BLOWFISH)))" (cost 12).
    func testBcryptDefaultCostFromPython() {
        let hash = "$2b$12$KQAwYOi4ICY.M.1lyM59HOCNKmK5EhPiQ.CTugbcHqakOpmPLGOkG"
        XCTAssertTrue(PasswordHash.verify(password: Array("pw".utf8), hash: hash))
        XCTAssertFalse(PasswordHash.verify(password: Array("wp".utf8), hash: hash))
    }

    func testMD5CryptOutputShape() {
        let out = PasswordHash.md5Crypt(password: Array("community".utf8), salt: Array("Qh1p4C9G".utf8), magic: Array("$apr1$".utf8))
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "$apr1$Qh1p4C9G$S6u8S7khMfm7JQVOq0YKv.")
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(PasswordHash.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(PasswordHash.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(PasswordHash.constantTimeEquals([1, 2], [1, 2, 3]))
        XCTAssertTrue(PasswordHash.constantTimeEquals([], []))
    }
}
